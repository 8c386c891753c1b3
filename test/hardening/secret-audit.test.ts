/**
 * The secret audit, against the real test sshd with the demo runbook (whose steps use ADMIN_PASS and
 * KEYSTONE_DBPASS): while `os-console run` runs every step, `ps -eo args` is polled and (when strace is
 * installed) every execve on the "nodes" is traced from the sshd listener down: no secret of the profile
 * appears in any process's arguments. Then every file the console wrote (logs, journal, progress, lock,
 * known_hosts), the run's own output, status, plan, export and the secrets list are searched for every
 * secret: zero hits. Positive controls prove the secrets really went through (the node's files hold them,
 * the console's output shows the mask where the step printed one).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crashReport, reportError } from '../../source/commands/common.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { loadOrCreateSecrets, maskSecrets, SECRET_MASK } from '../../source/profile/store.js';
import { MASK } from '../../source/runbook/render.js';
import { DEFAULT_RUNS_DIR } from '../../source/ssh/remote-run.js';
import { writeProfile } from '../helpers/profiles.js';
import { sessionFor, startSshd, type TestSshd } from '../helpers/sshd.js';
import { ensureBuilt, knownHostsFile, runCli, sshdProfile, tempDir, walk } from './helpers.js';

let sshd: TestSshd;
let home: string;
let root: string;
let profileFile: string;
let knownHosts: string;

function hasStrace(): boolean {
	try {
		execFileSync('strace', ['-V'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/** Polls every process's argv (`ps -eo args`) until stopped. */
function pollArgs() {
	const lines: string[] = [];
	let polls = 0;
	let running = true;
	const done = (async () => {
		while (running) {
			const out = await new Promise<string>((resolve) =>
				execFile('ps', ['-eo', 'args'], { maxBuffer: 64 * 1024 * 1024 }, (_e, stdout) => resolve(stdout ?? '')),
			);
			lines.push(...out.split('\n'));
			polls++;
			await new Promise((r) => setTimeout(r, 5));
		}
	})();
	return {
		async stop() {
			running = false;
			await done;
			return { lines, polls };
		},
	};
}

/** strace -f on the sshd listener: every execve of every process on the "nodes", with full arguments. */
async function traceExecs(file: string): Promise<ChildProcess | undefined> {
	if (!hasStrace()) return undefined;
	const tracer = spawn(
		'strace',
		['-f', '-qq', '-e', 'trace=execve,execveat', '-s', '1000000', '-o', file, '-p', String(sshd.pid)],
		{ stdio: 'ignore' },
	);
	// Attached when the kernel says the listener has a tracer.
	for (let i = 0; i < 200; i++) {
		const status = fs.readFileSync(`/proc/${sshd.pid}/status`, 'utf8');
		if (/^TracerPid:\s*[1-9]/m.test(status)) return tracer;
		await new Promise((r) => setTimeout(r, 25));
	}
	// Not permitted here (no CAP_SYS_PTRACE, yama): ps polling alone stands.
	tracer.kill('SIGKILL');
	console.warn('strace could not attach to the test sshd: the audit relies on ps polling only');
	return undefined;
}

beforeAll(async () => {
	ensureBuilt();
	sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
	knownHosts = knownHostsFile(sshd, sshd.dir);
	home = tempDir('osc-audit-home-');
	root = tempDir('osc-audit-node-');
	process.env.OS_CONSOLE_HOME = home;
	profileFile = writeProfile(
		tempDir('osc-audit-profile-'),
		Profile.parse(
			sshdProfile(sshd, root, { name: 'audited', settings: { DEMO_LINES: '20', DEMO_DELAY: '0.05' } }),
		) as ProfileInput,
	);
	fs.chmodSync(profileFile, 0o600); // else every command warns that others can read it
});
afterAll(async () => {
	await sshd?.stop();
});

describe('secret audit (demo runbook over the test sshd)', () => {
	it('no secret in process arguments on the node, nor in any log, journal, progress, output, plan or export', async () => {
		const traceFile = path.join(sshd.dir, 'execve.trace');
		const tracer = await traceExecs(traceFile);
		const poller = pollArgs();
		// Negative control: a command on the node that does put a value in its arguments is seen by both.
		const canary = `canary${Date.now()}x`;
		const { session } = await sessionFor(sshd);
		const control = session.exec(`sleep 1.5 # ${canary}`);
		const run = await runCli(['run', '--profile', profileFile, '--yes', '--known-hosts', knownHosts], {
			home,
			timeoutMs: 120_000,
		});
		await control;
		await session.close();
		const { lines, polls } = await poller.stop();
		if (tracer) {
			const exited = new Promise((r) => tracer.once('close', r));
			tracer.kill('SIGINT');
			await exited;
		}
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);

		const secretsJson = path.join(home, 'state', 'audited', 'secrets.json');
		const secrets = JSON.parse(fs.readFileSync(secretsJson, 'utf8')) as Record<string, string>;
		const values = Object.entries(secrets);
		expect(values.length).toBe(14);

		// Positive controls: the step used the secrets on the node, and printed one that the console masked.
		expect(fs.readFileSync(path.join(root, 'controller', 'admin-openrc'), 'utf8')).toContain(
			`OS_PASSWORD=${secrets.ADMIN_PASS}`,
		);
		expect(fs.readFileSync(path.join(root, 'controller', 'demo.conf'), 'utf8')).toContain(
			`demo:${secrets.KEYSTONE_DBPASS}@controller`,
		);
		expect(run.stdout).toContain(`controller | export OS_PASSWORD=${MASK}`);

		// 1. Process arguments on the node, sampled with ps during the whole run ...
		expect(polls).toBeGreaterThan(10);
		expect(lines.some((l) => l.includes(canary))).toBe(true);
		for (const [name, value] of values) {
			expect(
				lines.filter((l) => l.includes(value)),
				`${name} in ps -eo args`,
			).toEqual([]);
		}
		// ... and every execve, traced (when strace is installed).
		if (tracer) {
			const trace = fs.readFileSync(traceFile, 'utf8');
			expect(trace).toMatch(/execve\("[^"]*awk"/); // osc_ini ran: the trace saw the step's commands
			expect(trace).toContain(canary);
			for (const [name, value] of values) expect(trace.includes(value), `${name} in an execve`).toBe(false);
		}

		// 2. Every file the console keeps, except the secrets file itself.
		const files = walk(home).filter((f) => !f.dir && f.file !== secretsJson);
		expect(files.map((f) => path.relative(home, f.file))).toEqual(
			expect.arrayContaining([
				'state/audited/progress.json',
				'state/audited/journal.jsonl',
				'state/audited/logs/finish/secret-file/controller/attempt-1.log',
				'state/audited/logs/environment/config/controller/attempt-1.log',
			]),
		);
		const log = fs.readFileSync(
			path.join(home, 'state/audited/logs/finish/secret-file/controller/attempt-1.log'),
			'utf8',
		);
		expect(log).toContain(`export OS_PASSWORD=${MASK}`);
		for (const { file } of files) {
			const text = fs.readFileSync(file, 'utf8');
			for (const [name, value] of values) expect(text.includes(value), `${name} in ${file}`).toBe(false);
		}

		// 3. What the operator sees: run output, status, plan, export (masked by default), the secrets list.
		const status = await runCli(['status', '--profile', profileFile, '--json'], { home });
		const plan = await runCli(['plan', '--profile', profileFile], { home });
		const exportDir = tempDir('osc-audit-export-');
		const exported = await runCli(['export', '--profile', profileFile, '--format', 'bash', '--out', exportDir], {
			home,
		});
		const list = await runCli(['secrets', '--profile', profileFile], { home });
		const listJson = await runCli(['secrets', '--profile', profileFile, '--json'], { home });
		for (const r of [status, plan, exported, list, listJson]) expect(r.code, r.stderr).toBe(0);
		expect(list.stdout).toContain('ADMIN_PASS');
		expect(list.stdout).toContain('used by 1 step: finish/secret-file');
		const outputs: Record<string, string> = {
			'run stdout': run.stdout,
			'run stderr': run.stderr,
			'status --json': status.stdout + status.stderr,
			plan: plan.stdout + plan.stderr,
			'export output': exported.stdout + exported.stderr,
			'secrets list': list.stdout + list.stderr,
			'secrets --json': listJson.stdout + listJson.stderr,
		};
		for (const { file, dir } of walk(exportDir)) if (!dir) outputs[`export ${file}`] = fs.readFileSync(file, 'utf8');
		expect(Object.keys(outputs).filter((k) => k.startsWith('export /')).length).toBeGreaterThan(0);
		for (const [where, text] of Object.entries(outputs)) {
			for (const [name, value] of values) expect(text.includes(value), `${name} in ${where}`).toBe(false);
		}

		// 4. On the node, every run's secrets file was removed when its script ended.
		const progress = JSON.parse(fs.readFileSync(path.join(home, 'state/audited/progress.json'), 'utf8'));
		const runIds = Object.values(progress.steps as Record<string, Record<string, { runId: string }>>).flatMap((nodes) =>
			Object.values(nodes).map((s) => s.runId),
		);
		expect(runIds.length).toBeGreaterThan(5);
		for (const runId of runIds) {
			expect(fs.existsSync(path.join(DEFAULT_RUNS_DIR, runId, 'script.sh')), runId).toBe(true);
			expect(fs.existsSync(path.join(DEFAULT_RUNS_DIR, runId, 'secrets.env')), runId).toBe(false);
		}
	});

	it('only --reveal prints a value, and only the one asked for', async () => {
		const secrets = loadOrCreateSecrets('audited');
		const reveal = await runCli(['secrets', '--profile', profileFile, '--reveal', 'KEYSTONE_DBPASS'], { home });
		expect(reveal.code).toBe(0);
		expect(reveal.stdout).toBe(`${secrets.KEYSTONE_DBPASS}\n`);
		for (const [name, value] of Object.entries(secrets)) {
			if (name !== 'KEYSTONE_DBPASS') expect(reveal.stdout.includes(value)).toBe(false);
		}
	});

	it('error messages and crash reports are masked with every secret the process loaded', () => {
		const secrets = loadOrCreateSecrets('audited');
		let err = '';
		const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
			err += String(chunk);
			return true;
		});
		try {
			expect(
				reportError(new Error(`mysql said: Access denied for 'keystone'@'%' (using ${secrets.KEYSTONE_DBPASS})`)),
			).toBe(1);
		} finally {
			spy.mockRestore();
		}
		expect(err).toContain(`(using ${SECRET_MASK})`);
		expect(err).not.toContain(secrets.KEYSTONE_DBPASS);
		const crash = new TypeError(`cannot read ${secrets.ADMIN_PASS}`);
		expect(crashReport(crash)).toContain(`TypeError: cannot read ${SECRET_MASK}`);
		expect(crashReport(crash)).not.toContain(secrets.ADMIN_PASS);
		expect(maskSecrets(`a${secrets.NOVA_PASS}b${secrets.NEUTRON_PASS}`)).toBe(`a${SECRET_MASK}b${SECRET_MASK}`);
	});
});
