/**
 * Shared by the centos7-ocata tests: the example profiles, fixed secrets, and every rendered step script.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Profile, ProfileNode } from '../../../source/profile/schema.js';
import { parseProfile } from '../../../source/profile/store.js';
import type { Runbook, RunbookSection, RunbookStep } from '../../../source/runbook/model.js';
import { getRunbook } from '../../../source/runbook/registry.js';
import { nodesForStep, type RenderedStep, renderStep } from '../../../source/runbook/render.js';
import { SECRET_NAMES, type Secrets } from '../../../source/runbook/variables.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

export function runbook(): Runbook {
	return getRunbook('centos7-ocata');
}

export function exampleProfile(name: 'two-node' | 'all-in-one', option?: 'provider' | 'selfservice'): Profile {
	const file = path.join(ROOT, 'profiles', `centos7-ocata-${name}.json`);
	const profile = parseProfile(JSON.parse(fs.readFileSync(file, 'utf8')), file);
	return option ? { ...profile, network: { ...profile.network, option } } : profile;
}

/** Secrets whose value is their own name: rendered text then reads like the guide (KEYSTONE_DBPASS). */
export function secretsNamedAsThemselves(): Secrets {
	return Object.fromEntries(SECRET_NAMES.map((n) => [n, n])) as Secrets;
}

export function secretsWithPrefix(prefix: string): Secrets {
	return Object.fromEntries(
		SECRET_NAMES.map((n, i) => [n, `${prefix}${i}x${n.toLowerCase().replaceAll('_', '')}`]),
	) as Secrets;
}

export interface RenderedEntry {
	section: RunbookSection;
	step: RunbookStep;
	node: ProfileNode;
	key: string;
	rendered: RenderedStep;
}

export function renderAll(rb: Runbook, profile: Profile): RenderedEntry[] {
	const out: RenderedEntry[] = [];
	for (const section of rb.sections) {
		for (const step of section.steps) {
			for (const node of nodesForStep(rb, step, profile)) {
				out.push({
					section,
					step,
					node,
					key: `${section.id}/${step.id}@${node.name}`,
					rendered: renderStep(rb, section, step, profile, node),
				});
			}
		}
	}
	return out;
}
