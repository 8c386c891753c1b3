/**
 * The engine over real SSH: the console's steps against a private OpenSSH sshd on 127.0.0.2-4, as three
 * nodes. Covers the core's promises: run, failure and retry, skip, timeout, cancel, host keys, bad keys,
 * unreachable nodes, parallel nodes, progress across restarts, a dropped connection, and a killed console.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook, validateRunbook } from '../../source/runbook/registry.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { demoRunbook } from '../../source/steps/demo/index.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { closedPort, startSshd, type TestSshd } from '../helpers/sshd.js';

const CLI = path.resolve('dist/cli.js');
let sshd: TestSshd;
let knownHosts: string;
let root: string;
let home: string;

beforeAll(async () => {
	if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
	sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
	knownHosts = path.join(sshd.dir, 'known_hosts.engine');
	fs.writeFileSync(knownHosts, `${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n`);
});
afterAll(async () => {
	await sshd?.stop();
});
beforeEach(() => {
	home = tempHome();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-demo-ssh-'));
});

function profileInput(settings: Record<string, string> = {}, patch?: (p: ProfileInput) => void): ProfileInput {
	const input = demoProfile({
		demoRoot: root,
		port: sshd.port,
		keyFile: sshd.clientKeyPath,
		settings: { DEMO_ROOT: root, ...settings },
	} as never);
	patch?.(input);
	return input;
}

function makeEngine(
	options: {
		settings?: Record<string, string>;
		patch?: (p: ProfileInput) => void;
		timeouts?: Record<string, number>;
		mode?: 'strict' | 'accept-new';
		knownHostsFiles?: string[];
	} = {},
) {
	const profile = Profile.parse(profileInput(options.settings, options.patch));
	const source = structuredClone(demoRunbook);
	for (const section of source.sections)
		for (const step of section.steps) {
			const t = options.timeouts?.[`${section.id}/${step.id}`];
			if (t) step.timeoutSec = t;
		}
	const runbook = options.timeouts ? validateRunbook(source) : getRunbook('demo');
	const runner = new SshStepRunner({
		profile,
		hostKeys: { mode: options.mode ?? 'strict', knownHostsFiles: options.knownHostsFiles ?? [knownHosts] },
		session: {
			connectTimeoutMs: 5000,
			keepaliveIntervalMs: 1000,
			reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxTotalMs: 15000 },
		},
	});
	const engine = new Engine({
		runbook,
		profile,
		secrets: loadOrCreateSecrets(profile.name),
		progress: new ProgressStore(profile.name, runbook.id),
		runner,
		journal: new Journal(profile.name),
		operator: 'tester@ci',
	});
	return { engine, profile };
}

describe('engine over SSH', () => {
	it('runs a step on three nodes in parallel over one connection each', async () => {
		const { engine } = makeEngine({ settings: { DEMO_LINES: '4', DEMO_DELAY: '0.5' } });
		const t0 = Date.now();
		expect(await engine.runStep('services/count')).toBe(true);
		const elapsed = Date.now() - t0;
		// Each node takes >= 2 s; in sequence it would take >= 6 s.
		expect(elapsed).toBeLessThan(5000);
		for (const node of ['controller', 'compute1', 'compute2']) {
			expect(engine.state('services/count', node)).toMatchObject({ status: 'succeeded', exitCode: 0 });
			expect(engine.output('services/count', node).filter((l) => l.startsWith('line '))).toEqual(
				[1, 2, 3, 4].map((i) => `line ${i} of 4 on ${node}`),
			);
		}
		await engine.close();
	});

	it('fails with the exit code and retries only the failed node; skip is recorded', async () => {
		const { engine } = makeEngine();
		fs.mkdirSync(path.join(root, 'compute2'), { recursive: true });
		fs.writeFileSync(path.join(root, 'compute2', 'fail'), '');
		expect(await engine.runStep('services/flaky')).toBe(false);
		expect(engine.state('services/flaky', 'compute2')).toMatchObject({ status: 'failed', exitCode: 3 });
		expect(engine.stderrTail('services/flaky', 'compute2')).toContain('flag file present: failing');
		fs.rmSync(path.join(root, 'compute2', 'fail'));
		expect(await engine.runStep('services/flaky')).toBe(true);
		expect(engine.state('services/flaky', 'compute2').attempt).toBe(2);
		expect(engine.state('services/flaky', 'compute1').attempt).toBe(1);
		engine.skipStep('finish/secret-file');
		expect(engine.state('finish/secret-file', 'controller')).toMatchObject({
			status: 'skipped',
			skippedBy: 'tester@ci',
		});
		await engine.close();
	});

	it('times out a step and cancels another, stopping the remote process group', async () => {
		const { engine } = makeEngine({
			settings: { DEMO_LINES: '1000', DEMO_DELAY: '0.1' },
			timeouts: { 'services/count': 2 },
		});
		expect(await engine.runStep('services/count', { nodes: ['controller'] })).toBe(false);
		expect(engine.state('services/count', 'controller').reason).toContain('timed out after 2s');
		const running = engine.runStep('services/count', { nodes: ['compute1'] });
		await new Promise((r) => setTimeout(r, 1200));
		engine.cancel('services/count');
		expect(await running).toBe(false);
		expect(engine.state('services/count', 'compute1').reason).toContain('cancelled');
		// Nothing of either run survives on the "node".
		const ps = execFileSync('ps', ['-eo', 'args']).toString();
		expect(ps.split('\n').filter((l) => l.includes('line $i of') || /sleep 0\.1$/.test(l))).toEqual([]);
		await engine.close();
	});

	it('refuses an unknown host key headless, a wrong key and an unreachable node, each with its own message, and the other nodes go on', async () => {
		const wrongKey = path.join(sshd.dir, 'wrong_key');
		if (!fs.existsSync(wrongKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
		const port = await closedPort();
		const emptyKnownHosts = path.join(sshd.dir, 'empty_known_hosts');
		fs.writeFileSync(emptyKnownHosts, `${sshd.knownHostsLine('127.0.0.3')}\n${sshd.knownHostsLine('127.0.0.4')}\n`);
		const { engine } = makeEngine({
			knownHostsFiles: [emptyKnownHosts],
			patch: (p) => {
				p.nodes[1] = { ...p.nodes[1]!, auth: { type: 'key', keyFile: wrongKey } };
				p.nodes.push({
					name: 'compute3',
					host: '127.0.0.1',
					port,
					roles: ['compute'],
					managementIp: '127.0.0.5',
					auth: { type: 'key', keyFile: sshd.clientKeyPath },
				});
			},
		});
		expect(await engine.runStep('environment/hosts')).toBe(false);
		expect(engine.state('environment/hosts', 'controller').reason).toMatch(/was not accepted[\s\S]*--accept-new/);
		expect(engine.state('environment/hosts', 'compute1').reason).toMatch(/auth/i);
		expect(engine.state('environment/hosts', 'compute3').reason).toMatch(/refused|unreachable|could not reach/i);
		expect(engine.state('environment/hosts', 'compute2').status).toBe('succeeded');
		await engine.close();
	});

	it('with --accept-new, records a new host key in the console known_hosts; a changed key is refused', async () => {
		const { engine } = makeEngine({ mode: 'accept-new', knownHostsFiles: [] });
		const ok = await engine.runStep('environment/config');
		expect(engine.state('environment/config', 'controller').reason).toBeUndefined();
		expect(ok).toBe(true);
		const accepted = fs.readFileSync(path.join(home, 'known_hosts'), 'utf8');
		expect(accepted).toContain(sshd.hostPublicKey.split(' ')[1]);
		await engine.close();
		// Now the same address presents another key: refused even with accept-new.
		const other = path.join(sshd.dir, 'other_host_key');
		if (!fs.existsSync(other)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
		const otherBlob = fs.readFileSync(`${other}.pub`, 'utf8').split(' ')[1];
		fs.writeFileSync(path.join(home, 'known_hosts'), `[127.0.0.2]:${sshd.port} ssh-ed25519 ${otherBlob}\n`);
		const second = makeEngine({ mode: 'accept-new', knownHostsFiles: [] });
		expect(await second.engine.runStep('environment/config', { force: true })).toBe(false);
		expect(second.engine.state('environment/config', 'controller').reason).toMatch(/CHANGED[\s\S]*ssh-keygen -R/);
		await second.engine.close();
	});

	it('keeps progress across a restart', async () => {
		const first = makeEngine();
		expect(await first.engine.runStep('environment/hosts')).toBe(true);
		await first.engine.close();
		const second = makeEngine();
		expect(second.engine.stepStatus('environment/hosts')).toBe('succeeded');
		expect(second.engine.sectionProgress('environment')).toMatchObject({ done: 1, total: 2 });
		await second.engine.close();
	});

	it('survives a dropped connection: output complete and in order, the right exit code', async () => {
		const { engine } = makeEngine({ settings: { DEMO_LINES: '100', DEMO_DELAY: '0.1' } });
		const states: string[] = [];
		engine.on('connection', (_n, c) => states.push(c.state));
		const run = engine.runStep('services/count', { nodes: ['controller'] });
		await new Promise((r) => setTimeout(r, 3000));
		expect(await sshd.killConnectionChildren()).toBeGreaterThan(0);
		expect(await run).toBe(true);
		expect(states).toContain('reconnecting');
		const log = fs.readFileSync(engine.logFile('services/count', 'controller', 1), 'utf8');
		const lines = log.split('\n').filter((l) => l.startsWith('line '));
		expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i + 1} of 100 on controller`));
		expect(engine.state('services/count', 'controller')).toMatchObject({ status: 'succeeded', exitCode: 0 });
		await engine.close();
	});

	it('survives a killed console: the next start re-attaches and gets the whole output and the exit code', async () => {
		const file = writeProfile(
			home,
			Profile.parse(profileInput({ DEMO_LINES: '100', DEMO_DELAY: '0.1' })) as ProfileInput,
		);
		const args = [
			CLI,
			'run',
			'--profile',
			file,
			'--step',
			'services/count',
			'--node',
			'controller',
			'--yes',
			'--known-hosts',
			knownHosts,
		];
		const first = spawn('node', args, {
			env: { ...process.env, OS_CONSOLE_HOME: home },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let firstOut = '';
		first.stdout.on('data', (c: Buffer) => {
			firstOut += c.toString();
		});
		await new Promise<void>((resolve) => {
			const t = setInterval(() => {
				if (firstOut.includes('line 20 of 100')) {
					clearInterval(t);
					resolve();
				}
			}, 50);
		});
		first.kill('SIGKILL');
		await new Promise((r) => first.on('close', r));
		const progress = JSON.parse(fs.readFileSync(path.join(home, 'state', 'test-demo', 'progress.json'), 'utf8'));
		expect(progress.steps['services/count'].controller.status).toBe('running');

		const second = execFileSync('node', args, { env: { ...process.env, OS_CONSOLE_HOME: home } }).toString();
		expect(second).toContain('re-attaching');
		const log = fs.readFileSync(
			path.join(home, 'state', 'test-demo', 'logs', 'services', 'count', 'controller', 'attempt-1.log'),
			'utf8',
		);
		const lines = log.split('\n').filter((l) => l.startsWith('line '));
		expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i + 1} of 100 on controller`));
		const after = JSON.parse(fs.readFileSync(path.join(home, 'state', 'test-demo', 'progress.json'), 'utf8'));
		expect(after.steps['services/count'].controller).toMatchObject({ status: 'succeeded', exitCode: 0, attempt: 1 });
	});
});

describe('closing the console mid-step', () => {
	it('leaves the step running on the node and in the progress file; the next engine re-attaches', async () => {
		const { engine } = makeEngine({ settings: { DEMO_LINES: '30', DEMO_DELAY: '0.1' } });
		const run = engine.runStep('services/count', { nodes: ['compute1'] });
		await new Promise((r) => setTimeout(r, 1000));
		await engine.close();
		await run;
		expect(engine.state('services/count', 'compute1').status).toBe('running');
		const next = makeEngine({ settings: { DEMO_LINES: '30', DEMO_DELAY: '0.1' } });
		await next.engine.resume();
		expect(next.engine.state('services/count', 'compute1')).toMatchObject({ status: 'succeeded', exitCode: 0 });
		const log = fs.readFileSync(next.engine.logFile('services/count', 'compute1', 1), 'utf8');
		expect(log.split('\n').filter((l) => l.startsWith('line '))).toHaveLength(30);
		await next.engine.close();
	});
});
