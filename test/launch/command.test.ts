/** `os-console launch`: the same validation as the form (exit 2 naming the field), --plan, confirmation, a run. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeOutcome, launchCommand } from '../../source/commands/launch.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { writeKey } from './helpers.js';

let dir: string;
let profileFile: string;
let keyFile: string;
let runner: LocalShellRunner;

beforeEach(() => {
	tempHome();
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-launch-cmd-'));
	profileFile = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'launch-cmd' }));
	keyFile = writeKey(dir);
	runner = new LocalShellRunner();
});

function specFile(spec: unknown): string {
	const file = path.join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
	fs.writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
	return file;
}

async function launch(args: string[], confirm?: boolean) {
	const out: string[] = [];
	const err: string[] = [];
	const code = await launchCommand(args, {
		runner,
		stdout: (t) => out.push(t),
		stderr: (t) => err.push(t),
		...(confirm === undefined ? {} : { confirm: async () => confirm }),
	});
	return { code, out: out.join(''), err: err.join('') };
}

describe('os-console launch', () => {
	it('--plan validates, prints the equivalent commands and runs nothing', async () => {
		const spec = specFile({ network: 'provider', keypair: { publicKeyFile: keyFile }, flavor: { vcpus: 2 } });
		const r = await launch(['--profile', profileFile, '--spec', spec, '--plan']);
		expect(r.code).toBe(0);
		expect(r.out).toContain('Equivalent commands (on the controller):');
		expect(r.out).toContain(
			'  openstack subnet create --network provider --allocation-pool start=127.200.0.100,end=127.200.0.200 --gateway 127.200.0.1 --subnet-range 127.200.0.0/24 provider',
		);
		expect(r.out).toContain('  openstack flavor create --vcpus 2 --ram 64 --disk 1 m1.nano');
		expect(r.out).toContain(
			'--nic net-id=provider --security-group default --key-name mykey -f value -c id provider-instance',
		);
		expect(runner.runs).toHaveLength(0);
	});

	it('an invalid spec exits 2 and names each field', async () => {
		const spec = specFile({
			keypair: { publicKeyFile: keyFile },
			provider: { cidr: '127.200.0.0/24', poolStart: '127.200.0.150', poolEnd: '127.200.0.120' },
			flavor: { ramMb: 0 },
			instance: 'my instance',
		});
		const r = await launch(['--profile', profileFile, '--spec', spec, '--plan']);
		expect(r.code).toBe(2);
		expect(r.err).toContain(`spec ${spec} is not valid:`);
		expect(r.err).toContain('  - provider.poolEnd: must not come before the pool start 127.200.0.150');
		expect(r.err).toContain('  - flavor.ramMb: must be 1 or more');
		expect(r.err).toContain('  - instance: letters, digits, . _ - only');
		expect(runner.runs).toHaveLength(0);
	});

	it('unknown fields, bad JSON and a missing key file exit 2', async () => {
		const typo = await launch(['--profile', profileFile, '--spec', specFile({ flavor: { ram: 64 } }), '--plan']);
		expect(typo.code).toBe(2);
		expect(typo.err).toContain('  - flavor.ram: not a field of the launch spec');
		const bad = await launch(['--profile', profileFile, '--spec', specFile('{"network": '), '--plan']);
		expect(bad.code).toBe(2);
		expect(bad.err).toContain('is not valid JSON');
		const noKey = await launch([
			'--profile',
			profileFile,
			'--spec',
			specFile({ keypair: { publicKeyFile: path.join(dir, 'none.pub') } }),
			'--plan',
		]);
		expect(noKey.code).toBe(2);
		expect(noKey.err).toContain(`keypair.publicKeyFile: ${path.join(dir, 'none.pub')} does not exist`);
	});

	it('asks first; "no" launches nothing', async () => {
		const r = await launch(
			['--profile', profileFile, '--spec', specFile({ keypair: { publicKeyFile: keyFile } })],
			false,
		);
		expect(r.code).toBe(1);
		expect(r.err).toContain('nothing was launched');
		expect(runner.runs).toHaveLength(0);
	});

	it('--yes runs the plan on the controller and reports why it failed (no OpenStack client here)', async () => {
		const r = await launch([
			'--profile',
			profileFile,
			'--spec',
			specFile({ keypair: { publicKeyFile: keyFile } }),
			'--yes',
			'--json',
		]);
		expect(r.code).toBe(1);
		const doc = JSON.parse(r.out);
		expect(doc.kind).toBe('failed');
		expect(doc.detail).toMatch(/^creating the resources failed on controller: /);
		expect(doc.commands[0]).toBe('# as admin: . admin-openrc');
		expect(runner.runs.map((x) => x.node)).toEqual(['controller']);
	});
});

describe('the outcome as the CLI prints it', () => {
	it('a server still in BUILD at the timeout: its task state, where to look, what submitting again does', () => {
		const text = describeOutcome({
			kind: 'timeout',
			name: 'console-instance',
			status: 'BUILD',
			waitedSec: 300,
			taskState: 'scheduling',
		});
		expect(text.split('\n')).toEqual([
			'still BUILD (task state scheduling) after 300s: openstack server show console-instance to follow it',
			'  no compute node has taken it yet: see the nova-scheduler and nova-conductor logs (/var/log/nova/) and RabbitMQ',
			'  submitting again: a retry replaces it once it has shown no change for 300 s without ever running',
		]);
		expect(describeOutcome({ kind: 'timeout', name: 'a b', status: 'BUILD', waitedSec: 5 }).split('\n')).toEqual([
			"still BUILD after 5s: openstack server show 'a b' to follow it",
			'  submitting again: a retry replaces it once it has shown no change for 300 s without ever running',
		]);
	});
});
