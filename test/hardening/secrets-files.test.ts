/**
 * Secrets as an operator handles them, and the files the console keeps:
 * - `os-console secrets`: names without values; --reveal one; --set from stdin only, validated (the value
 *   never in a message), saved 0600, journaled by name, with the steps that use it and must run again.
 * - `os-console openrc`: admin-openrc fetched from the controller over the test sshd with Engine.exec,
 *   written 0600 in a 0700 directory, byte for byte; a clear message before the step that writes it ran.
 * - Every file and directory the console creates is 0600 / 0700 even with umask 000; looser ones are
 *   reported.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openrcFiles } from '../../source/commands/openrc.js';
import { stepsUsingSecret } from '../../source/commands/secrets.js';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { auditPermissions, loadOrCreateSecrets, secretsFile } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { HOSTILE_VALUES } from '../helpers/hostile.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { CLI, collect, ensureBuilt, knownHostsFile, runCli, sshdProfile, tempDir, walk } from './helpers.js';

beforeAll(() => ensureBuilt());

describe('os-console secrets', () => {
	let home: string;
	let file: string;
	let root: string;
	beforeEach(() => {
		home = tempDir('osc-secrets-home-');
		process.env.OS_CONSOLE_HOME = home;
		root = tempDir('osc-secrets-root-');
		file = writeProfile(root, demoProfile({ demoRoot: root, name: 'sec' }) as ProfileInput);
		fs.chmodSync(file, 0o600);
	});

	it('lists names, lengths and the steps using each, never a value', async () => {
		const secrets = loadOrCreateSecrets('sec');
		for (const args of [[], ['--json']]) {
			const r = await runCli(['secrets', '--profile', file, ...args], { home });
			expect(r.code).toBe(0);
			for (const value of Object.values(secrets)) expect(r.stdout.includes(value)).toBe(false);
			expect(r.stdout).toContain('KEYSTONE_DBPASS');
		}
		const r = await runCli(['secrets', '--profile', file], { home });
		expect(r.stdout).toMatch(/ADMIN_PASS\s+24 chars\s+used by 1 step: finish\/secret-file/);
		expect(r.stdout).toMatch(/KEYSTONE_DBPASS\s+24 chars\s+used by 1 step: environment\/config/);
		expect(r.stdout).toMatch(/NOVA_PASS\s+24 chars\s+not used by runbook demo/);
	});

	it('--set reads the value from stdin, saves it 0600, journals the name only, and lists the steps to run again', async () => {
		// finish/secret-file has run: it must run again; environment/config has not.
		const profile = Profile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
		const runbook = getRunbook('demo');
		const engine = new Engine({
			runbook,
			profile,
			secrets: loadOrCreateSecrets('sec'),
			progress: new ProgressStore('sec', 'demo'),
			runner: new LocalShellRunner(),
			journal: new Journal('sec'),
		});
		expect(await engine.runStep('finish/secret-file')).toBe(true);
		const before = loadOrCreateSecrets('sec');
		const value = 'New_admin-pass-2024';
		const r = await runCli(['secrets', '--profile', file, '--set', 'ADMIN_PASS'], { home, input: `${value}\n` });
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(`ADMIN_PASS changed (saved in ${secretsFile('sec')})`);
		expect(r.stdout).toMatch(/finish\/secret-file\s+Write an openrc-like file \(controller: succeeded, run again\)/);
		expect(r.stdout).not.toContain(value);
		expect(r.stdout).not.toContain(before.ADMIN_PASS);
		const after = JSON.parse(fs.readFileSync(secretsFile('sec'), 'utf8'));
		expect(after).toEqual({ ...before, ADMIN_PASS: value });
		expect((fs.statSync(secretsFile('sec')).mode & 0o777).toString(8)).toBe('600');
		const journal = fs.readFileSync(new Journal('sec').file, 'utf8');
		expect(journal).toContain('"action":"set-secret","secret":"ADMIN_PASS"');
		expect(journal).not.toContain(value);
		expect(fs.existsSync(path.join(home, 'state', 'sec', 'console.lock'))).toBe(false);
		const reveal = await runCli(['secrets', '--profile', file, '--reveal', 'ADMIN_PASS'], { home });
		expect(reveal.stdout).toBe(`${value}\n`);
		const again = await runCli(['secrets', '--profile', file, '--set', 'ADMIN_PASS'], { home, input: value });
		expect(again.stdout).toContain('already has that value');
		// The other steps are found by rendering: KEYSTONE_DBPASS is used in environment/config only.
		expect(stepsUsingSecret(runbook, profile, 'KEYSTONE_DBPASS')).toEqual([
			{ step: 'environment/config', title: 'Configure the demo service', nodes: ['controller'] },
		]);
	});

	it('refuses bad values with a message naming the secret and never the value; the file is untouched', async () => {
		loadOrCreateSecrets('sec');
		const original = fs.readFileSync(secretsFile('sec'));
		const bad = [
			...HOSTILE_VALUES.filter((v) => !/^[A-Za-z0-9_-]{8,128}$/.test(v)),
			'short',
			'x'.repeat(129),
			'two\nlines',
			'with space inside',
			'percent%sign-123',
			'-leading-dash-but-fine-chars%',
			'-leading-dash-and-fine-chars',
			'pässwörd-ünïcode',
		];
		// In parallel, each in a copy of the console home (--set takes the profile's lock).
		const results = await Promise.all(
			bad.map((value, i) => {
				const copy = `${home}-${i}`;
				fs.cpSync(home, copy, { recursive: true });
				return runCli(['secrets', '--profile', file, '--set', 'DEMO_PASS'], { home: copy, input: `${value}\n` }).then(
					(r) => ({ r, value, copy }),
				);
			}),
		);
		for (const { r, value, copy } of results) {
			expect(r.code, value).toBe(2);
			expect(r.stderr, value).toMatch(/DEMO_PASS|more than one line/);
			expect(r.stderr, value).toMatch(/nothing was changed|was not saved/);
			expect(r.stderr.includes(value), `value echoed: ${value}`).toBe(false);
			expect(r.stdout).toBe('');
			expect(fs.readFileSync(path.join(copy, 'state', 'sec', 'secrets.json'))).toEqual(original);
		}
		expect(fs.readFileSync(secretsFile('sec'))).toEqual(original);
		// Nothing on stdin.
		const empty = await runCli(['secrets', '--profile', file, '--set', 'DEMO_PASS'], { home, input: '' });
		expect(empty.code).toBe(2);
		expect(empty.stderr).toContain('no value for DEMO_PASS on standard input');
	});

	it('never takes a value on the command line, and does not echo what may be one', async () => {
		const cases: [string[], RegExp][] = [
			[['--set', 'ADMIN_PASS=Typed-on-argv-123'], /takes only the secret's name/],
			[['--set', 'Typed-by-mistake-123'], /unknown secret name/],
			[['--reveal', 'ADMIN_PASS=Typed-on-argv-123'], /takes only the secret's name/],
			[['--set', 'ADMIN_PASS', 'Typed-on-argv-123'], /unexpected argument without an option \(not repeated here/],
			[['--set', 'NOT_A_SECRET'], /"NOT_A_SECRET" is not a secret of the console/],
			[['--set', 'ADMIN_PASS', '--reveal', 'ADMIN_PASS'], /either --reveal NAME or --set NAME/],
		];
		for (const [args, message] of cases) {
			const r = await runCli(['secrets', '--profile', file, ...args], { home, input: 'Stdin-value-123\n' });
			expect(r.code, args.join(' ')).toBe(2);
			expect(r.stderr).toMatch(message);
			expect(r.stderr).not.toContain('Typed-on-argv-123');
			expect(r.stderr).not.toContain('Typed-by-mistake-123');
		}
	});

	it('a damaged secrets file stops list, reveal and set with the file named; it is left as it is', async () => {
		loadOrCreateSecrets('sec');
		const text = fs.readFileSync(secretsFile('sec'), 'utf8').replace(/"DEMO_PASS": "[^"]+"/, '"DEMO_PASS": 42');
		fs.writeFileSync(secretsFile('sec'), text, { mode: 0o600 });
		for (const args of [[], ['--reveal', 'ADMIN_PASS'], ['--set', 'ADMIN_PASS']]) {
			const r = await runCli(['secrets', '--profile', file, ...args], { home, input: 'Fine-value-123\n' });
			expect(r.code).toBe(2);
			expect(r.stderr).toContain(`secrets file ${secretsFile('sec')} is not valid`);
			expect(r.stderr).toContain('DEMO_PASS');
			expect(r.stdout).toBe('');
		}
		expect(fs.readFileSync(secretsFile('sec'), 'utf8')).toBe(text);
	});
});

describe('os-console openrc, and the modes of every file (test sshd)', () => {
	let sshd: TestSshd;
	let home: string;
	let root: string;
	let file: string;
	let knownHosts: string;
	beforeAll(async () => {
		sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3'] });
		knownHosts = knownHostsFile(sshd, sshd.dir);
		home = tempDir('osc-openrc-home-');
		root = tempDir('osc-openrc-root-');
		process.env.OS_CONSOLE_HOME = home;
		file = writeProfile(root, Profile.parse(sshdProfile(sshd, root, { name: 'rc', nodes: 2 })) as ProfileInput);
		fs.chmodSync(file, 0o600);
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	it('the real runbooks write /root/admin-openrc and /root/demo-openrc in keystone/openrc: that is what it fetches', () => {
		for (const id of ['centos7-ocata', 'debian12-zed']) {
			expect(openrcFiles(getRunbook(id))).toEqual([
				{ name: 'admin-openrc', template: '/root/admin-openrc', step: 'keystone/openrc' },
				{ name: 'demo-openrc', template: '/root/demo-openrc', step: 'keystone/openrc' },
			]);
		}
		expect(openrcFiles(getRunbook('demo'))).toEqual([
			{ name: 'admin-openrc', template: '{{DEMO_ROOT}}/{{NODE_NAME}}/admin-openrc', step: 'finish/secret-file' },
		]);
	});

	it('says which step to run first when the file is not on the controller yet', async () => {
		const out = path.join(tempDir('osc-openrc-out-'), 'rc');
		const r = await runCli(['openrc', '--profile', file, '--out', out, '--known-hosts', knownHosts], { home });
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('os-console: note: runbook demo writes no demo-openrc');
		expect(r.stderr).toContain(
			`admin-openrc: could not fetch ${root}/controller/admin-openrc from controller: it does not exist there yet: run step finish/secret-file first`,
		);
		expect(fs.existsSync(path.join(out, 'admin-openrc'))).toBe(false);
	});

	it('fetches admin-openrc byte for byte, 0600 in a 0700 directory, without printing it; every console file is private even with umask 000', async () => {
		// umask 000: the console must not rely on the operator's umask.
		const run = await runCliWithUmask0(['run', '--profile', file, '--yes', '--accept-new'], home);
		expect(run.code, run.stderr).toBe(0);
		const remote = fs.readFileSync(path.join(root, 'controller', 'admin-openrc'));
		const secrets = loadOrCreateSecrets('rc');
		expect(remote.toString()).toContain(secrets.ADMIN_PASS);

		const out = path.join(tempDir('osc-openrc-out-'), 'fetched');
		const r = await runCliWithUmask0(['openrc', '--profile', file, '--out', out], home);
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout).toContain(
			`admin-openrc: controller:${root}/controller/admin-openrc -> ${out}/admin-openrc (mode 0600)`,
		);
		expect(r.stdout).toContain(`Use it with: . '${out}/admin-openrc'`);
		expect(r.stdout + r.stderr).not.toContain(secrets.ADMIN_PASS);
		expect(fs.readFileSync(path.join(out, 'admin-openrc'))).toEqual(remote);
		expect((fs.statSync(path.join(out, 'admin-openrc')).mode & 0o777).toString(8)).toBe('600');
		expect((fs.statSync(out).mode & 0o777).toString(8)).toBe('700');

		// Default place: the profile's state directory.
		const byDefault = await runCliWithUmask0(['openrc', '--profile', file], home);
		expect(byDefault.code).toBe(0);
		expect(fs.readFileSync(path.join(home, 'state', 'rc', 'openrc', 'admin-openrc'))).toEqual(remote);

		// A looser file on the controller is reported.
		fs.chmodSync(path.join(root, 'controller', 'admin-openrc'), 0o644);
		const loose = await runCli(['openrc', '--profile', file, '--out', out], { home });
		expect(loose.stderr).toContain(
			`${root}/controller/admin-openrc on controller is readable by others (mode 644, owner root)`,
		);
		fs.chmodSync(path.join(root, 'controller', 'admin-openrc'), 0o600);

		// Every file and directory of the console: profiles, state, progress, secrets, journal, logs, known_hosts.
		const entries = walk(home);
		expect(entries.map((e) => path.relative(home, e.file))).toEqual(
			expect.arrayContaining([
				'known_hosts',
				'state/rc/progress.json',
				'state/rc/secrets.json',
				'state/rc/journal.jsonl',
				'state/rc/logs/services/count/compute1/attempt-1.log',
				'state/rc/openrc/admin-openrc',
			]),
		);
		for (const e of entries) {
			expect(`${path.relative(home, e.file) || '.'} ${e.mode.toString(8)}`).toBe(
				`${path.relative(home, e.file) || '.'} ${e.dir ? '700' : '600'}`,
			);
		}
		expect(auditPermissions('rc', file)).toEqual([]);
	});

	it('reports files and directories others can read, with the command that fixes each', async () => {
		const journal = path.join(home, 'state', 'rc', 'journal.jsonl');
		const logs = path.join(home, 'state', 'rc', 'logs');
		fs.chmodSync(journal, 0o644);
		fs.chmodSync(logs, 0o755);
		const warnings = auditPermissions('rc', file);
		expect(warnings).toContain(`${journal} is readable by others (mode 0644); run: chmod 600 '${journal}'`);
		expect(warnings).toContain(`directory ${logs} is open to others (mode 0755); run: chmod 700 '${logs}'`);
		const r = await runCli(
			['run', '--profile', file, '--yes', '--known-hosts', knownHosts, '--step', 'services/flaky'],
			{
				home,
			},
		);
		expect(r.code).toBe(0);
		expect(r.stderr).toContain(`os-console: warning: ${journal} is readable by others (mode 0644)`);
		expect(r.stderr).toContain(`os-console: warning: directory ${logs} is open to others (mode 0755)`);
		// Reported, not silently changed.
		expect((fs.statSync(journal).mode & 0o777).toString(8)).toBe('644');
		fs.chmodSync(journal, 0o600);
		fs.chmodSync(logs, 0o700);
		expect(os.userInfo().uid).toBe(fs.statSync(journal).uid);
	});
});

/** The built CLI under `umask 000`. */
function runCliWithUmask0(args: string[], home: string) {
	const child = spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CLI, ...args], {
		env: { ...process.env, OS_CONSOLE_HOME: home, SSH_AUTH_SOCK: '' },
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	return collect(child, undefined, 120_000);
}
