/** Key files and drafts for the launch tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { draftFromProfile } from '../../source/launch/prefill.js';
import type { LaunchDraft } from '../../source/launch/spec.js';
import { cloudProfile, runbookLike } from '../verify/helpers.js';

/** A real ed25519 public key (made with ssh-keygen; the private half was thrown away). */
export const PUBLIC_KEY =
	'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIItQ+81c1ym/3VC0A7iQybuISas++1uain9GqtoJLbxd operator@laptop';

export function keyDir(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'osc-keys-'));
}

export function writeKey(dir: string, name = 'id_ed25519.pub', content = `${PUBLIC_KEY}\n`): string {
	const file = path.join(dir, name);
	fs.writeFileSync(file, content);
	return file;
}

export function draft(overrides: Partial<LaunchDraft> = {}, keyFile?: string): LaunchDraft {
	const file = keyFile ?? writeKey(keyDir());
	return { ...draftFromProfile(cloudProfile(), runbookLike('debian12-zed'), { keyFile: file }), ...overrides };
}
