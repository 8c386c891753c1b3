/** Profiles the tests make for themselves: loopback addresses only, never the guide's. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileInput } from '../../source/profile/schema.js';

/** A network section on loopback only: the provider "network" is 127.200.0.0/24 on lo, nothing leaves the host. */
export const LOOPBACK_NETWORK = {
	managementCidr: '127.0.0.0/8',
	providerInterface: 'lo',
	providerCidr: '127.200.0.0/24',
	providerGateway: '127.200.0.1',
	providerPoolStart: '127.200.0.100',
	providerPoolEnd: '127.200.0.200',
	option: 'provider',
} as const satisfies ProfileInput['network'];

export function tempHome(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-home-'));
	process.env.OS_CONSOLE_HOME = dir;
	return dir;
}

export function demoProfile(
	overrides: Partial<ProfileInput> & {
		demoRoot: string;
		port?: number;
		keyFile?: string;
		nodes?: ProfileInput['nodes'];
	},
): ProfileInput {
	const auth = overrides.keyFile ? { type: 'key' as const, keyFile: overrides.keyFile } : { type: 'agent' as const };
	const port = overrides.port ?? 22;
	const { demoRoot, keyFile: _k, port: _p, ...rest } = overrides;
	return {
		version: 1,
		name: 'test-demo',
		runbook: 'demo',
		network: { ...LOOPBACK_NETWORK },
		nodes: [
			{ name: 'controller', host: '127.0.0.2', port, roles: ['controller'], managementIp: '127.0.0.2', auth },
			{ name: 'compute1', host: '127.0.0.3', port, roles: ['compute'], managementIp: '127.0.0.3', auth },
			{ name: 'compute2', host: '127.0.0.4', port, roles: ['compute'], managementIp: '127.0.0.4', auth },
		],
		settings: { DEMO_ROOT: demoRoot },
		...rest,
	};
}

export function writeProfile(dir: string, profile: ProfileInput): string {
	const file = path.join(dir, `${profile.name}.json`);
	fs.writeFileSync(file, JSON.stringify(profile, null, 2));
	return file;
}
