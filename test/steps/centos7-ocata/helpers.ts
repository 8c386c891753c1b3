/**
 * Shared by the centos7-ocata tests: the example profiles, fixed secrets, and every rendered step script
 * (the runbook-independent parts live in ../shared/render-all.ts).
 */
import type { Profile } from '../../../source/profile/schema.js';
import type { Runbook } from '../../../source/runbook/model.js';
import { getRunbook } from '../../../source/runbook/registry.js';
import { SECRET_NAMES, type Secrets } from '../../../source/runbook/variables.js';
import { loadExampleProfile, type NetworkOption } from '../shared/render-all.js';

export { type RenderedEntry, ROOT, renderAll, secretsWithPrefix } from '../shared/render-all.js';

export function runbook(): Runbook {
	return getRunbook('centos7-ocata');
}

export function exampleProfile(name: 'two-node' | 'all-in-one', option?: NetworkOption): Profile {
	return loadExampleProfile('centos7-ocata', name, option);
}

/** Secrets whose value is their own name: rendered text then reads like the guide (KEYSTONE_DBPASS). */
export function secretsNamedAsThemselves(): Secrets {
	return Object.fromEntries(SECRET_NAMES.map((n) => [n, n])) as Secrets;
}
