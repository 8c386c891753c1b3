/**
 * Shared by the runbook step tests: the example profiles of a runbook (with either networking option), secrets
 * made for a test, and every rendered step script of a profile.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Profile, ProfileNode } from '../../../source/profile/schema.js';
import { parseProfile } from '../../../source/profile/store.js';
import type { Runbook, RunbookSection, RunbookStep } from '../../../source/runbook/model.js';
import { nodesForStep, type RenderedStep, renderStep } from '../../../source/runbook/render.js';
import { SECRET_NAMES, type Secrets } from '../../../source/runbook/variables.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

export type NetworkOption = 'provider' | 'selfservice';

/** profiles/RUNBOOK-NAME.json, optionally with the other networking option. */
export function loadExampleProfile(
	runbookId: string,
	name: 'two-node' | 'all-in-one',
	option?: NetworkOption,
): Profile {
	const file = path.join(ROOT, 'profiles', `${runbookId}-${name}.json`);
	const profile = parseProfile(JSON.parse(fs.readFileSync(file, 'utf8')), file);
	return option ? { ...profile, network: { ...profile.network, option } } : profile;
}

/** Secrets that differ per prefix and per name, so a test can tell whose value leaked where. */
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

/** Every step of the runbook rendered for every node it runs on, in runbook order. */
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
