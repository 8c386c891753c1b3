/**
 * `os-console plan` and `os-console export`: output, masking, files written, and exit code 2 with a clear
 * message for bad flags, profiles, sections, nodes and formats. State goes to a temporary OS_CONSOLE_HOME.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as exportRun } from '../../source/commands/export.js';
import { run as planRun } from '../../source/commands/plan.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { MASK } from '../../source/runbook/render.js';
import { SECRET_NAMES } from '../../source/runbook/variables.js';
import { captureStdio, tempConsoleHome } from '../commands/helpers.js';
import { ROOT } from '../steps/centos7-ocata/helpers.js';

const TWO_NODE = path.join(ROOT, 'profiles/centos7-ocata-two-node.json');
const AIO = path.join(ROOT, 'profiles/centos7-ocata-all-in-one.json');

const home = tempConsoleHome('osc-views-');
const stdio = captureStdio();

function secretsOf(profileName: string) {
	return loadOrCreateSecrets(profileName);
}

describe('os-console plan', () => {
	it('prints every step and node with action descriptions and the exact scripts, secrets masked', async () => {
		expect(await planRun(['--profile', TWO_NODE])).toBe(0);
		expect(stdio.out).toContain('-- keystone/bootstrap: Bootstrap the Identity service  (on controller)');
		expect(stdio.out).toContain('-- nova-compute/config: Configure nova.conf on the compute node  (on compute1)');
		expect(stdio.out).toContain(`ensure: openstack user create --domain default --password ${MASK} glance`);
		expect(stdio.out).toContain('       | OS_BOOTSTRAP_PASSWORD="${ADMIN_PASS}" keystone-manage bootstrap \\');
		expect(stdio.out).toContain('(not for this profile: {"networking":"selfservice"})');
		expect(stdio.out).toMatch(/\d+ step runs \(step × node\)/);
		// plan needs no secrets: none were generated
		expect(fs.existsSync(path.join(home.dir, 'state', 'centos7-ocata-two-node', 'secrets.json'))).toBe(false);
	});

	it('filters by section and node', async () => {
		expect(
			await planRun(['--profile', TWO_NODE, '--section', 'neutron-compute', '--node', 'compute1', '--brief']),
		).toBe(0);
		expect(stdio.out).toContain('== neutron-compute:');
		expect(stdio.out).not.toContain('== keystone:');
		expect(stdio.out).toContain('[compute1]');
		expect(stdio.out).not.toContain('   [controller]');
		expect(stdio.out).not.toContain('       | ');
	});

	it('rejects bad input with exit code 2 and says what is wrong', async () => {
		expect(await planRun([])).toBe(2);
		expect(stdio.err).toContain('--profile is required');
		stdio.err = '';
		expect(await planRun(['--profile', TWO_NODE, '--bogus'])).toBe(2);
		expect(stdio.err).toContain("Unknown option '--bogus'");
		stdio.err = '';
		expect(await planRun(['--profile', path.join(home.dir, 'missing.json')])).toBe(2);
		expect(stdio.err).toContain('does not exist');
		stdio.err = '';
		expect(await planRun(['--profile', TWO_NODE, '--section', 'swift'])).toBe(2);
		expect(stdio.err).toContain(
			'--section swift: no such section in runbook centos7-ocata (sections: environment, keystone',
		);
		stdio.err = '';
		expect(await planRun(['--profile', TWO_NODE, '--node', 'compute9'])).toBe(2);
		expect(stdio.err).toContain('--node compute9: no such node');
		stdio.err = '';
		const bad = path.join(home.dir, 'bad.json');
		const profile = JSON.parse(fs.readFileSync(TWO_NODE, 'utf8'));
		fs.writeFileSync(bad, JSON.stringify({ ...profile, settings: { NTP_SERVER: 'a b;c' } }));
		expect(await planRun(['--profile', bad])).toBe(2);
		expect(stdio.err).toContain('settings.NTP_SERVER');
		stdio.err = '';
		fs.writeFileSync(bad, JSON.stringify({ ...profile, nodes: [] }));
		expect(await planRun(['--profile', bad])).toBe(2);
		expect(stdio.err).toContain('nodes');
	});
});

describe('os-console export --format bash', () => {
	it('writes one script per node and a secrets template; scripts hold no secret', async () => {
		const dir = path.join(home.dir, 'out-masked');
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'bash', '--out', dir])).toBe(0);
		expect(fs.readdirSync(dir).sort()).toEqual(['compute1.sh', 'controller.sh', 'secrets.env.example']);
		const controller = fs.readFileSync(path.join(dir, 'controller.sh'), 'utf8');
		expect(controller.startsWith('#!/bin/bash\n')).toBe(true);
		expect(controller).toContain(`#   ADMIN_PASS=${MASK}`);
		expect(fs.statSync(path.join(dir, 'controller.sh')).mode & 0o777).toBe(0o755);
		expect(fs.statSync(path.join(dir, 'secrets.env.example')).mode & 0o777).toBe(0o600);
		const secrets = secretsOf('centos7-ocata-two-node');
		const all = fs
			.readdirSync(dir)
			.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
			.join('\n');
		expect(SECRET_NAMES.filter((n) => all.includes(secrets[n]))).toEqual([]);
	});

	it('puts the secrets into the scripts with --reveal-secrets (private modes, a warning)', async () => {
		const dir = path.join(home.dir, 'out-revealed');
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'bash', '--out', dir, '--reveal-secrets'])).toBe(0);
		expect(stdio.err).toContain('hold the secrets in clear text');
		expect(fs.readdirSync(dir).sort()).toEqual(['compute1.sh', 'controller.sh']);
		const secrets = secretsOf('centos7-ocata-two-node');
		const controller = fs.readFileSync(path.join(dir, 'controller.sh'), 'utf8');
		expect(controller).toContain(`ADMIN_PASS='${secrets.ADMIN_PASS}'`);
		const compute = fs.readFileSync(path.join(dir, 'compute1.sh'), 'utf8');
		expect(compute).toContain(`NOVA_PASS='${secrets.NOVA_PASS}'`);
		expect(compute).not.toContain(secrets.ADMIN_PASS);
		expect(fs.statSync(path.join(dir, 'controller.sh')).mode & 0o777).toBe(0o700);
		expect(fs.statSync(dir).mode & 0o077).toBe(0);
	});

	it('prints one node to standard output', async () => {
		expect(await exportRun(['--profile', AIO, '--format', 'bash'])).toBe(0);
		expect(stdio.out).toContain('# node controller (10.0.0.11, roles: controller, compute)');
		stdio.out = '';
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'bash', '--node', 'compute1'])).toBe(0);
		expect(stdio.out).toContain("OSC_NODE='compute1'");
		expect(stdio.out).not.toContain('keystone/');
	});

	it('rejects bad input with exit code 2', async () => {
		expect(await exportRun(['--profile', TWO_NODE])).toBe(2);
		expect(stdio.err).toContain('--format is required (supported: bash, ansible)');
		stdio.err = '';
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'ansible'])).toBe(2);
		expect(stdio.err).toContain('--format ansible writes several files: give --out DIR');
		stdio.err = '';
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'puppet'])).toBe(2);
		expect(stdio.err).toContain('--format puppet: unknown format');
		stdio.err = '';
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'bash'])).toBe(2);
		expect(stdio.err).toContain('give --out DIR for one file per node, or --node NAME');
		stdio.err = '';
		expect(await exportRun(['--profile', TWO_NODE, '--format', 'bash', '--node', 'nope'])).toBe(2);
		expect(stdio.err).toContain('--node nope: no such node');
		stdio.err = '';
		expect(await exportRun(['--format', 'bash', '--reveal-secrets=yes'])).toBe(2);
	});
});
