/** Fixtures and contexts for the verification tests. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Profile, type ProfileInput, Profile as ProfileSchema } from '../../source/profile/schema.js';
import type { Runbook } from '../../source/runbook/model.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { expectationsFor } from '../../source/verify/runbook-data.js';
import type { CheckContext } from '../../source/verify/types.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/openstack-cli');

export function fixture(name: string): string {
	return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** A three-node profile (controller, compute1, compute2) on loopback addresses. */
export function cloudProfile(overrides: Partial<ProfileInput> = {}): Profile {
	return ProfileSchema.parse({
		version: 1,
		name: 'cloud',
		runbook: 'debian12-zed',
		network: {
			managementCidr: '127.0.0.0/8',
			providerInterface: 'lo',
			providerCidr: '203.0.113.0/24',
			providerGateway: '203.0.113.1',
			providerPoolStart: '203.0.113.101',
			providerPoolEnd: '203.0.113.250',
			providerDns: '8.8.4.4',
			option: 'selfservice',
		},
		nodes: [
			{ name: 'controller', host: '127.0.0.2', roles: ['controller'], managementIp: '127.0.0.2' },
			{ name: 'compute1', host: '127.0.0.3', roles: ['compute'], managementIp: '127.0.0.3' },
			{ name: 'compute2', host: '127.0.0.4', roles: ['compute'], managementIp: '127.0.0.4' },
		],
		...overrides,
	});
}

/**
 * The cloud the real captures in fixtures/openstack-cli/captured/ (files without a zctl/zcmp past) come from:
 * the acceptance test's two LXC nodes, networking option 1 (test/acceptance/deploy.test.ts).
 */
export function deployedProfile(overrides: Partial<ProfileInput> = {}): Profile {
	return cloudProfile({
		name: 'zed-acceptance',
		network: {
			managementCidr: '10.0.3.0/24',
			providerInterface: 'eth1',
			providerCidr: '10.199.0.0/24',
			providerGateway: '10.199.0.1',
			providerPoolStart: '10.199.0.100',
			providerPoolEnd: '10.199.0.200',
			providerDns: '',
			option: 'provider',
		},
		nodes: [
			{ name: 'controller', host: '10.0.3.11', roles: ['controller'], managementIp: '10.0.3.11' },
			{ name: 'compute1', host: '10.0.3.31', roles: ['compute'], managementIp: '10.0.3.31' },
		],
		...overrides,
	});
}

/**
 * A runbook object with the given id (the parsers read its id, settings, sqlAuth and python). Built from the
 * demo runbook so the tests do not depend on the other runbooks being registered yet.
 */
export function runbookLike(id: 'debian12-zed' | 'centos7-ocata'): Runbook {
	const demo = getRunbook('demo');
	return {
		...demo,
		id,
		sqlAuth: id === 'centos7-ocata' ? 'password' : 'socket',
		os: { ...demo.os, python: id === 'centos7-ocata' ? 'python' : 'python3' },
		settings:
			id === 'debian12-zed'
				? [{ name: 'IMAGE_NAME', default: 'blank-qcow2-test', describe: 'test image', pattern: '^[A-Za-z0-9._-]+$' }]
				: [],
	};
}

export function context(
	node = 'controller',
	options: { runbook?: 'debian12-zed' | 'centos7-ocata'; profile?: Profile } = {},
): CheckContext {
	const profile = options.profile ?? cloudProfile();
	const runbook = runbookLike(options.runbook ?? 'debian12-zed');
	const n = profile.nodes.find((x) => x.name === node);
	if (!n) throw new Error(`no node ${node}`);
	return { profile, runbook, node: n, expect: expectationsFor(runbook) };
}
