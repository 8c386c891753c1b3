import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile } from '../../source/profile/schema.js';
import {
	loadOrCreateSecrets,
	loadProfile,
	ProfileError,
	permissionWarning,
	saveProfile,
	secretsFile,
	stateDir,
} from '../../source/profile/store.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';

let home: string;
beforeEach(() => {
	home = tempHome();
});

function expectProfileError(fn: () => unknown, ...parts: string[]) {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(ProfileError);
		for (const part of parts) expect((error as Error).message).toContain(part);
		return;
	}
	throw new Error('expected a ProfileError');
}

describe('profile schema', () => {
	it('accepts the test profile and fills defaults', () => {
		const p = Profile.parse(demoProfile({ demoRoot: '/tmp/x' }));
		expect(p.region).toBe('RegionOne');
		expect(p.nodes[0]!.port).toBe(22);
		expect(p.nodes[0]!.user).toBe('root');
	});

	it.each([
		['a host name with a space', { name: 'my node' }, 'nodes[0].name'],
		['a host with a command', { host: '$(reboot)' }, 'nodes[0].host'],
		['a host starting with -', { host: '-oProxyCommand=x' }, 'nodes[0].host'],
		['a bad address', { managementIp: '10.0.0.300' }, 'nodes[0].managementIp'],
		['a user with a quote', { user: "root'" }, 'nodes[0].user'],
		['a port out of range', { port: 70000 }, 'nodes[0].port'],
		['no roles', { roles: [] }, 'nodes[0].roles'],
	])('refuses %s, naming the field', (_what, patch, field) => {
		const input = demoProfile({ demoRoot: '/tmp/x' });
		input.nodes[0] = { ...input.nodes[0]!, ...patch } as never;
		const result = Profile.safeParse(input);
		expect(result.success).toBe(false);
		const paths = result.error!.issues.map((i) =>
			i.path
				.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
				.join('')
				.replace(/^\./, ''),
		);
		expect(paths).toContain(field);
	});

	it('requires exactly one controller and unique node names', () => {
		const two = demoProfile({ demoRoot: '/tmp/x' });
		two.nodes[1] = { ...two.nodes[1]!, roles: ['controller'] };
		expect(Profile.safeParse(two).error?.issues[0]?.message).toContain(
			'exactly one node must have the controller role',
		);
		const dup = demoProfile({ demoRoot: '/tmp/x' });
		dup.nodes[2] = { ...dup.nodes[2]!, name: 'compute1' };
		expect(Profile.safeParse(dup).error?.issues[0]?.message).toContain('already used');
	});
});

describe('profile files', () => {
	it('loads by path and by saved name', () => {
		const file = writeProfile(home, demoProfile({ demoRoot: '/tmp/x' }));
		expect(loadProfile(file).saved).toBe(false);
		const saved = saveProfile(Profile.parse(demoProfile({ demoRoot: '/tmp/x', name: 'saved-one' } as never)));
		expect((fs.statSync(saved).mode & 0o777).toString(8)).toBe('600');
		expect((fs.statSync(path.dirname(saved)).mode & 0o777).toString(8)).toBe('700');
		expect(loadProfile('saved-one').profile.name).toBe('saved-one');
		expectProfileError(() => loadProfile('nope'), 'no saved profile named "nope"', 'saved-one');
	});

	it.each([
		['not JSON', '{"version": 1,', 'is not valid JSON'],
		['empty (truncated)', '', 'is empty'],
		['wrong version', JSON.stringify({ ...demoProfile({ demoRoot: '/x' }), version: 7 }), 'version: must be 1'],
		[
			'schema-invalid',
			JSON.stringify({ ...demoProfile({ demoRoot: '/x' }), network: { option: 'maybe' } }),
			'network.',
		],
	])('a %s profile gets a message naming the file and the field, and is left untouched', (_what, text, expected) => {
		const file = path.join(home, 'broken.json');
		fs.writeFileSync(file, text);
		expectProfileError(() => loadProfile(file), file, expected);
		expect(fs.readFileSync(file, 'utf8')).toBe(text);
	});

	it('refuses to overwrite a saved profile by accident', () => {
		saveProfile(Profile.parse(demoProfile({ demoRoot: '/tmp/x', name: 'keep' } as never)));
		expectProfileError(
			() => saveProfile(Profile.parse(demoProfile({ demoRoot: '/tmp/y', name: 'keep' } as never))),
			'already exists',
		);
		expect(loadProfile('keep').profile.settings.DEMO_ROOT).toBe('/tmp/x');
	});

	it('reports files others can read', () => {
		const file = writeProfile(home, demoProfile({ demoRoot: '/tmp/x' }));
		fs.chmodSync(file, 0o644);
		expect(permissionWarning(file)).toContain('chmod 600');
		fs.chmodSync(file, 0o600);
		expect(permissionWarning(file)).toBeUndefined();
	});
});

describe('secrets', () => {
	it('are generated once with a safe alphabet and never regenerated', () => {
		const first = loadOrCreateSecrets('p1');
		expect(Object.keys(first)).toHaveLength(14);
		for (const v of Object.values(first)) expect(v).toMatch(/^[A-Za-z0-9]{24}$/);
		expect(new Set(Object.values(first)).size).toBe(14);
		expect(loadOrCreateSecrets('p1')).toEqual(first);
		expect((fs.statSync(secretsFile('p1')).mode & 0o777).toString(8)).toBe('600');
		expect((fs.statSync(stateDir('p1')).mode & 0o777).toString(8)).toBe('700');
	});

	it('a damaged secrets file stops everything and is left as it is', () => {
		loadOrCreateSecrets('p2');
		fs.writeFileSync(secretsFile('p2'), '{"ADMIN_PASS": "has spaces in it"}');
		expectProfileError(() => loadOrCreateSecrets('p2'), 'secrets file', 'ADMIN_PASS');
		expect(fs.readFileSync(secretsFile('p2'), 'utf8')).toBe('{"ADMIN_PASS": "has spaces in it"}');
	});
});

describe('progress file', () => {
	it('round-trips, and a broken one is reported and kept', () => {
		const store = new ProgressStore('p3', 'demo');
		store.set('a/b', 'n1', { status: 'succeeded', attempt: 1, exitCode: 0 });
		expect(new ProgressStore('p3', 'demo').get('a/b', 'n1').status).toBe('succeeded');
		expectProfileError(() => new ProgressStore('p3', 'other'), 'belongs to runbook');
		fs.writeFileSync(
			store.file,
			'{"version":1,"profile":"p3","runbook":"demo","steps":{"a/b":{"n1":{"status":"exploded","attempt":1}}}}',
		);
		expectProfileError(() => new ProgressStore('p3', 'demo'), store.file, 'steps.a/b.n1.status');
	});

	it('shows a saved state once it is on disk, and two saves in one turn share the write', async () => {
		const store = new ProgressStore('p4', 'demo');
		store.set('a/b', 'n1', { status: 'running', attempt: 1 });
		const first = store.save('a/b', 'n1', { status: 'succeeded', attempt: 1, exitCode: 0 });
		const second = store.save('a/b', 'n2', { status: 'failed', attempt: 1, exitCode: 3 });
		// Not yet reported: what a screen reads meanwhile is the state before (the engine says "running").
		expect(store.get('a/b', 'n1').status).toBe('running');
		expect(store.get('a/b', 'n2').status).toBe('pending');
		await first;
		expect(store.get('a/b', 'n1').status).toBe('succeeded');
		await second;
		expect(store.get('a/b', 'n2')).toMatchObject({ status: 'failed', exitCode: 3 });
		const onDisk = new ProgressStore('p4', 'demo');
		expect(onDisk.get('a/b', 'n1').status).toBe('succeeded');
		expect(onDisk.get('a/b', 'n2').status).toBe('failed');
	});
});
