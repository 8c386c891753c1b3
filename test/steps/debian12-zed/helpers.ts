/**
 * Shared by the debian12-zed tests: the example profiles (with either networking option), a second profile with
 * different values everywhere, and every rendered step script (the runbook-independent parts live in
 * ../shared/render-all.ts).
 */
import type { Profile } from '../../../source/profile/schema.js';
import { parseProfile } from '../../../source/profile/store.js';
import type { Runbook } from '../../../source/runbook/model.js';
import { getRunbook } from '../../../source/runbook/registry.js';
import { loadExampleProfile, type NetworkOption } from '../shared/render-all.js';

export { type RenderedEntry, ROOT, renderAll, secretsWithPrefix } from '../shared/render-all.js';

export function runbook(): Runbook {
	return getRunbook('debian12-zed');
}

export function exampleProfile(name: 'two-node' | 'all-in-one', option?: NetworkOption): Profile {
	return loadExampleProfile('debian12-zed', name, option);
}

/** A profile that shares no value with the example profiles: names, addresses, region, interface, settings. */
export function otherProfile(option: NetworkOption = 'provider'): Profile {
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
