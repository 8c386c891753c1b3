/**
 * `os-console export --format ansible`: the files, checked by Ansible itself (Debian's `ansible` package:
 * ansible-core with community.general). `ansible-playbook --syntax-check` and `--list-tasks` on the export of both
 * shipped runbooks for their example profiles (both networking options; no connection is made),
 * `ansible-inventory` reading the variables and an ansible-vault encrypted vault.yml, secrets never inline, and a
 * REAL `ansible-playbook` run of the demo runbook's export against the test sshd (127.0.0.2-4, the harness key,
 * host keys from the console's own known_hosts) leaving the nodes exactly as the console's own run does.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as exportRun } from '../../source/commands/export.js';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { consoleHome, loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { SSH_CONFIG_ENV } from '../../source/ssh/ssh-config.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { captureStdio } from '../commands/helpers.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const hasAnsible = ['ansible-playbook', 'ansible-inventory', 'ansible-vault'].every((c) => {
	try {
		execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
});

let work: string;
let saved: Record<string, string | undefined>;
const stdio = captureStdio();

beforeAll(() => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-ansible-'));
	saved = { home: process.env.OS_CONSOLE_HOME, ssh: process.env[SSH_CONFIG_ENV] };
	process.env.OS_CONSOLE_HOME = path.join(work, 'console-home');
	// the real ~/.ssh/config is never read
	process.env[SSH_CONFIG_ENV] = 'none';
});
afterAll(() => {
	for (const [env, value] of [
		['OS_CONSOLE_HOME', saved.home],
		[SSH_CONFIG_ENV, saved.ssh],
	] as const) {
		if (value === undefined) delete process.env[env];
		else process.env[env] = value;
	}
	fs.rmSync(work, { recursive: true, force: true });
});

/** Ansible's own state under the test's temp dir, never in $HOME. */
function ansibleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const base = path.join(work, 'ansible-state');
	fs.mkdirSync(base, { recursive: true, mode: 0o700 });
	const env: NodeJS.ProcessEnv = {
		...process.env,
		ANSIBLE_HOME: base,
		ANSIBLE_LOCAL_TEMP: path.join(base, 'tmp'),
		ANSIBLE_REMOTE_TEMP: path.join(base, 'remote'),
		ANSIBLE_SSH_CONTROL_PATH_DIR: fs.mkdtempSync('/tmp/osc-cp-'),
		ANSIBLE_NOCOLOR: '1',
		ANSIBLE_FORCE_COLOR: '0',
		ANSIBLE_RETRY_FILES_ENABLED: '0',
		...extra,
	};
	delete env.SSH_AUTH_SOCK;
	return env;
}

async function exportTo(profileFile: string, dir: string, reveal = false): Promise<void> {
	const args = ['--profile', profileFile, '--format', 'ansible', '--out', dir, ...(reveal ? ['--reveal-secrets'] : [])];
	const code = await exportRun(args);
	if (code !== 0) throw new Error(`export failed (${code}): ${stdio.err}`);
}

function allFiles(dir: string): string[] {
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile())
		.map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
		.sort();
}

/** A copy of an example profile with another networking option (the `when` conditions go the other way). */
function variant(file: string, option: 'provider' | 'selfservice'): string {
	const input = JSON.parse(fs.readFileSync(file, 'utf8')) as ProfileInput & { network: { option: string } };
	input.network.option = option;
	input.name = `${input.name}-${option}`;
	return writeProfile(fs.mkdtempSync(path.join(work, 'variant-')), input);
}

describe.skipIf(!hasAnsible)('ansible export of the shipped runbooks', () => {
	const examples = [
		'centos7-ocata-two-node',
		'centos7-ocata-all-in-one',
		'debian12-zed-two-node',
		'debian12-zed-all-in-one',
	];

	it.each(examples)(
		'%s: ansible-playbook --syntax-check passes for both networking options',
		async (name) => {
			const file = path.join(ROOT, 'profiles', `${name}.json`);
			for (const option of ['provider', 'selfservice'] as const) {
				const dir = path.join(work, `${name}-${option}`);
				await exportTo(variant(file, option), dir);
				expect(allFiles(dir)).toEqual(
					expect.arrayContaining([
						'ansible.cfg',
						'group_vars/all/vars.yml',
						'group_vars/all/vault.yml',
						'inventory.ini',
						'site.yml',
					]),
				);
				const { stdout } = await run('ansible-playbook', ['--syntax-check', 'site.yml'], {
					cwd: dir,
					env: ansibleEnv(),
				});
				expect(stdout).toContain('playbook: site.yml');
				// every play and task is one the console would run: list them
				const listed = (await run('ansible-playbook', ['--list-tasks', 'site.yml'], { cwd: dir, env: ansibleEnv() }))
					.stdout;
				const runbook = getRunbook(name.startsWith('centos7') ? 'centos7-ocata' : 'debian12-zed');
				const profile = Profile.parse(JSON.parse(fs.readFileSync(variant(file, option), 'utf8')));
				const { planNodeSteps } = await import('../../source/runbook/export.js');
				const keys = [...new Set(planNodeSteps(runbook, profile).map((p) => p.key))];
				const plays = [...listed.matchAll(/^\s*play #\d+ \(([^)]*)\): ([^\t\n]*?)\s+TAGS:/gm)].map(
					(m) => m[2]!.split(':')[0],
				);
				expect(plays).toEqual(keys);
			}
		},
		180_000,
	);

	it('module choices: ini_file, package, service, copy, shell; conditions for the profile; no secret value in any file', async () => {
		const file = path.join(ROOT, 'profiles', 'centos7-ocata-two-node.json');
		const dir = path.join(work, 'inspect');
		await exportTo(file, dir);
		const secrets = loadOrCreateSecrets('centos7-ocata-two-node');
		const text = allFiles(dir)
			.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
			.join('\n');
		for (const value of Object.values(secrets)) expect(text).not.toContain(value);
		const playbooks = allFiles(dir)
			.filter((f) => /^\d\d-.*\.yml$/.test(f))
			.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
			.join('\n');
		for (const module of [
			'community.general.ini_file:',
			'ansible.builtin.package:',
			'ansible.builtin.service:',
			'ansible.builtin.copy:',
			'ansible.builtin.shell:',
			'ansible.builtin.meta: "end_host"',
		]) {
			expect(playbooks).toContain(module);
		}
		expect(playbooks).toContain('use: "yum"');
		// secrets reach scripts on stdin (shell-quoted from the vault variables), values through the environment
		expect(playbooks).toContain('stdin: "ADMIN_PASS={{ osc_admin_pass | quote }}');
		expect(playbooks).toContain('eval "$(cat)"');
		expect(playbooks).toMatch(/environment:\n\s+CONTROLLER_HOST: "\{\{ osc_controller_host \}\}"/);
		expect(playbooks).not.toMatch(/environment:\n(\s+[A-Z_]+: .*\n)*\s+[A-Z_]*PASS: /);
		// provider networking: the self-service-only steps are not there, and the file says so
		expect(playbooks).toContain('not for this profile:');
		const inventory = fs.readFileSync(path.join(dir, 'inventory.ini'), 'utf8');
		expect(inventory).toContain(
			'controller ansible_host=10.0.0.11 ansible_port=22 ansible_user=root osc_node_name=controller osc_node_ip=10.0.0.11 osc_provider_iface=eth1',
		);
		expect(inventory).toMatch(/\[compute\]\ncompute1 ansible_host=10\.0\.0\.31 /);
		const vault = fs.readFileSync(path.join(dir, 'group_vars/all/vault.yml'), 'utf8');
		expect(vault).toContain("# vault_osc_admin_pass: ''");
		expect(fs.statSync(path.join(dir, 'group_vars/all/vault.yml')).mode & 0o777).toBe(0o600);
	});

	it('with --reveal-secrets the values are only in vault.yml, which ansible-vault encrypts and Ansible reads back', async () => {
		const file = path.join(ROOT, 'profiles', 'debian12-zed-two-node.json');
		const dir = path.join(work, 'revealed');
		await exportTo(file, dir, true);
		expect(stdio.err).toContain('hold the secrets in clear text');
		expect(stdio.out).toContain('ansible-vault encrypt group_vars/all/vault.yml');
		const secrets = loadOrCreateSecrets('debian12-zed-two-node');
		for (const f of allFiles(dir)) {
			const content = fs.readFileSync(path.join(dir, f), 'utf8');
			const holds = Object.values(secrets).some((v) => content.includes(v));
			expect({ f, holds }).toEqual({ f, holds: f === 'group_vars/all/vault.yml' });
		}
		const passFile = path.join(work, 'vault-pass');
		fs.writeFileSync(passFile, 'test-vault-password\n', { mode: 0o600 });
		await run('ansible-vault', ['encrypt', '--vault-password-file', passFile, 'group_vars/all/vault.yml'], {
			cwd: dir,
			env: ansibleEnv(),
		});
		const encrypted = fs.readFileSync(path.join(dir, 'group_vars/all/vault.yml'), 'utf8');
		expect(encrypted.startsWith('$ANSIBLE_VAULT;1.1;AES256')).toBe(true);
		for (const v of Object.values(secrets)) expect(encrypted).not.toContain(v);
		const { stdout } = await run('ansible-inventory', ['--host', 'controller', '--vault-password-file', passFile], {
			cwd: dir,
			env: ansibleEnv(),
		});
		const host = JSON.parse(stdout) as Record<string, unknown>;
		// literal values are tagged !unsafe (never templated): ansible-inventory shows them so
		expect(host).toMatchObject({
			ansible_host: '10.0.0.11',
			osc_node_name: 'controller',
			osc_controller_ip: { __ansible_unsafe: '10.0.0.11' },
			vault_osc_rabbit_pass: { __ansible_unsafe: secrets.RABBIT_PASS },
			osc_rabbit_pass: '{{ vault_osc_rabbit_pass }}',
		});
		const { stdout: syntax } = await run(
			'ansible-playbook',
			['--syntax-check', '--vault-password-file', passFile, 'site.yml'],
			{ cwd: dir, env: ansibleEnv() },
		);
		expect(syntax).toContain('playbook: site.yml');
	}, 120_000);

	it('resolves node hosts through the ssh config like the console (port and user), and hands ssh the same config', async () => {
		const config = path.join(work, 'ssh_config');
		fs.writeFileSync(
			config,
			'Host lab-*\n    User ops\n    Port 2200\n    UserKnownHostsFile /srv/lab_known_hosts\n    ProxyCommand ssh -W %h:%p gw\n',
		);
		const input = JSON.parse(
			fs.readFileSync(path.join(ROOT, 'profiles', 'debian12-zed-two-node.json'), 'utf8'),
		) as ProfileInput;
		input.name = 'aliased';
		input.nodes[0]!.host = 'lab-controller';
		input.nodes[1]!.host = 'lab-compute1';
		input.nodes[1]!.port = 2222;
		// accepted keys recorded in a team file: ssh trusts it as the console does
		input.ssh = { knownHostsFile: '/srv/team_known_hosts' };
		const file = writeProfile(fs.mkdtempSync(path.join(work, 'aliased-')), input);
		const dir = path.join(work, 'aliased-export');
		process.env[SSH_CONFIG_ENV] = config;
		try {
			await exportTo(file, dir);
		} finally {
			process.env[SSH_CONFIG_ENV] = 'none';
		}
		const inventory = fs.readFileSync(path.join(dir, 'inventory.ini'), 'utf8');
		expect(inventory).toContain('controller ansible_host=lab-controller ansible_port=2200 ansible_user=ops ');
		// the profile's own port (not 22) wins, as on the console
		expect(inventory).toContain('compute1 ansible_host=lab-compute1 ansible_port=2222 ansible_user=ops ');
		const vars = fs.readFileSync(path.join(dir, 'group_vars/all/vars.yml'), 'utf8');
		expect(vars).toContain(`-F \\"${config}\\"`);
		expect(vars).toContain(`${path.join(consoleHome(), 'known_hosts')} /srv/team_known_hosts /srv/lab_known_hosts\\"`);
	});

	it('--format ansible needs --out, and says so', async () => {
		const file = path.join(ROOT, 'profiles', 'debian12-zed-two-node.json');
		expect(await exportRun(['--profile', file, '--format', 'ansible'])).toBe(2);
		expect(stdio.err).toContain('--format ansible writes several files: give --out DIR');
	});
});

// ---------------------------------------------------------------------------------------------------------
// A real run against the test sshd

interface Entry {
	path: string;
	type: 'file' | 'dir';
	mode: string;
	uid: number;
	gid: number;
	content?: string;
}

function tree(dir: string): Entry[] {
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.map((e) => {
			const full = path.join(e.parentPath, e.name);
			const st = fs.lstatSync(full);
			const entry: Entry = {
				path: path.relative(dir, full),
				type: e.isDirectory() ? 'dir' : 'file',
				mode: (st.mode & 0o7777).toString(8),
				uid: st.uid,
				gid: st.gid,
			};
			if (e.isFile()) entry.content = fs.readFileSync(full, 'utf8');
			return entry;
		})
		.sort((a, b) => a.path.localeCompare(b.path));
}

describe.skipIf(!hasAnsible)('ansible-playbook against the test sshd', () => {
	let sshd: TestSshd;
	beforeAll(async () => {
		sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	function profileFile(root: string, label: string): string {
		const input = demoProfile({ demoRoot: root, port: sshd.port, keyFile: sshd.clientKeyPath, name: 'ansible-demo' });
		input.settings = { DEMO_ROOT: root, DEMO_LINES: '3' };
		return writeProfile(fs.mkdtempSync(path.join(work, `${label}-`)), input);
	}

	it('leaves every node exactly as the console run does (files, content, modes, owners), stops at a failure, and runs again cleanly', async () => {
		const knownHosts = path.join(consoleHome(), 'known_hosts');
		fs.mkdirSync(path.dirname(knownHosts), { recursive: true, mode: 0o700 });
		// keys the operator accepted in the console: the export's ssh trusts the same file
		fs.writeFileSync(knownHosts, `${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n`, { mode: 0o600 });

		// 1. the console's own run
		const consoleRoot = fs.mkdtempSync(path.join(work, 'by-console-'));
		const consoleProfile = Profile.parse(JSON.parse(fs.readFileSync(profileFile(consoleRoot, 'console'), 'utf8')));
		const runbook = getRunbook('demo');
		const engine = new Engine({
			runbook,
			profile: consoleProfile,
			secrets: loadOrCreateSecrets(consoleProfile.name),
			progress: new ProgressStore(consoleProfile.name, runbook.id),
			runner: new SshStepRunner({
				profile: consoleProfile,
				sshConfig: null,
				hostKeys: { mode: 'strict', knownHostsFiles: [knownHosts] },
			}),
			journal: new Journal(consoleProfile.name),
			operator: 'tester@ci',
		});
		try {
			expect(await engine.runAll()).toBe(true);
		} finally {
			await engine.close();
		}

		// 2. the export (same profile name, so the same secrets), run by ansible-playbook
		const ansibleRoot = fs.mkdtempSync(path.join(work, 'by-ansible-'));
		const dir = path.join(work, 'demo-export');
		await exportTo(profileFile(ansibleRoot, 'ansible'), dir, true);
		const env = ansibleEnv();

		// a failing step stops the run there: nothing after services/flaky is done on any node
		// (0700, as the console's umask 077 makes it)
		fs.mkdirSync(path.join(ansibleRoot, 'compute2'), { recursive: true, mode: 0o700 });
		fs.writeFileSync(path.join(ansibleRoot, 'compute2', 'fail'), '');
		const failed = await run('ansible-playbook', ['site.yml'], { cwd: dir, env }).then(
			() => undefined,
			(e: { code: number; stdout: string }) => e,
		);
		expect(failed?.code).toBe(2);
		expect(failed?.stdout).toContain('flag file present: failing');
		expect(failed?.stdout).toMatch(/PLAY \[services\/flaky: Fail while a flag file exists\]/);
		expect(failed?.stdout).not.toContain('PLAY [services/compute-only');
		expect(fs.existsSync(path.join(ansibleRoot, 'controller', 'admin-openrc'))).toBe(false);
		fs.rmSync(path.join(ansibleRoot, 'compute2', 'fail'));

		const first = await run('ansible-playbook', ['site.yml'], { cwd: dir, env });
		expect(first.stdout).toMatch(/controller\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
		expect(tree(ansibleRoot)).toEqual(tree(consoleRoot));

		// again: the check ends compute-only where it is done, ini and copy change nothing, same files
		const second = await run('ansible-playbook', ['site.yml'], { cwd: dir, env });
		expect(second.stdout).toMatch(/compute1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
		expect(second.stdout).toMatch(/TASK \[already done on this node: nothing to change\]/);
		expect(tree(ansibleRoot)).toEqual(tree(consoleRoot));
		const ini = /TASK \[2\/2 set 3 keys in .*: set\] \*+\n((?:.+\n)+)/.exec(second.stdout)?.[1];
		expect(ini?.trim().split('\n')).toEqual([
			'ok: [controller] => (item=[database] connection)',
			'ok: [controller] => (item=[DEFAULT] my_ip)',
			'ok: [controller] => (item=[vnc] server_listen)',
		]);
		expect(second.stdout).toMatch(/TASK \[3\/3 verify: test -s .*\n(ok): \[controller\]/);
	}, 300_000);
});
