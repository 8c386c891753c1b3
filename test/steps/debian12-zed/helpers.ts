/**
 * Shared by the debian12-zed tests: the example profiles (with either networking option), a second profile with
 * different values everywhere, and every rendered step script.
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
	return getRunbook('debian12-zed');
}

export function exampleProfile(name: 'two-node' | 'all-in-one', option?: 'provider' | 'selfservice'): Profile {
	const file = path.join(ROOT, 'profiles', `debian12-zed-${name}.json`);
	const profile = parseProfile(JSON.parse(fs.readFileSync(file, 'utf8')), file);
	return option ? { ...profile, network: { ...profile.network, option } } : profile;
}

/** A profile that shares no value with the example profiles: names, addresses, region, interface, settings. */
export function otherProfile(option: 'provider' | 'selfservice' = 'provider'): Profile {
	return parseProfile(
		{
			version: 1,
			name: 'zed-other',
			runbook: 'debian12-zed',
			region: 'LabRegion7',
			network: {
				managementCidr: '192.168.77.0/24',
				providerInterface: 'ens9',
				providerCidr: '198.51.100.0/24',
				providerGateway: '198.51.100.254',
				providerPoolStart: '198.51.100.20',
				providerPoolEnd: '198.51.100.40',
				providerDns: '198.51.100.53',
				option,
				selfserviceCidr: '172.31.9.0/24',
				selfserviceGateway: '172.31.9.254',
			},
			nodes: [
				{ name: 'ctl-a', host: '192.168.77.5', roles: ['controller'], managementIp: '192.168.77.5' },
				{
					name: 'hv-b',
					host: '192.168.77.6',
					roles: ['compute'],
					managementIp: '192.168.77.6',
					providerInterface: 'ens10',
				},
				{ name: 'hv-c', host: '192.168.77.7', roles: ['compute'], managementIp: '192.168.77.7' },
			],
			settings: { UWSGI_PROCESSES: '5', NTP_SERVER: 'ntp.lab.example', IMAGE_NAME: 'lab-image' },
		},
		'(test profile)',
	);
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
