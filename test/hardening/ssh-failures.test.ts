/**
 * Nodes that cannot be used, each for its own reason, in one profile with a healthy controller: unreachable
 * (nothing listens), DNS failure (a name under .invalid), wrong user, wrong key, a key with a passphrase and
 * no agent, sudo asking for a password nobody gave, and a server that closes the connection during
 * authentication (an ssh2 server that hangs up on the first authentication request). Through the engine and
 * through `os-console run`: each node fails with its own actionable message, and the controller still runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { closedPort, hasSudo, startSshd, type TestSshd } from '../helpers/sshd.js';
import { ensureBuilt, runCli, tempDir } from './helpers.js';

const SUDO_USER = 'osc-h-sudopw';
const FAKE_ADDRESS = '127.0.0.5';

let sshd: TestSshd;
let fake: ssh2.Server;
let fakePort: number;
let fakeAuthAttempts = 0;
let knownHosts: string;
let profile: Profile;
let root: string;

/** What each broken node's failure must say (and so: how they differ). */
const EXPECTED: Record<string, RegExp> = {
	'c-unreachable': /c-unreachable.*127\.0\.0\.1:\d+ refused/,
	'c-dns': /cannot resolve the host name "no-such-node\.invalid"/,
	'c-wronguser': /authentication as "nosuchuser" on node c-wronguser .*failed.*user name/,
	'c-wrongkey': /authentication as "root" on node c-wrongkey .*failed.*wrong_key/,
	'c-passphrase': /passphrase_key is encrypted.*passphrase.*ssh-agent/,
	'c-sudo': /sudo on node c-sudo asks for the password of "osc-h-sudopw".*NOPASSWD/,
	'c-hangup': /c-hangup.*127\.0\.0\.5:\d+ was closed during the SSH handshake\/authentication/,
};

beforeAll(async () => {
	ensureBuilt();
	sshd = await startSshd({
		addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
		users: hasSudo() ? [{ name: SUDO_USER, sudo: 'password', password: `Pw-${Date.now()}` }] : [],
	});
	const wrongKey = path.join(sshd.dir, 'wrong_key');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
	const passphraseKey = path.join(sshd.dir, 'passphrase_key');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', passphraseKey]);
	fs.appendFileSync(path.join(sshd.dir, 'authorized_keys'), fs.readFileSync(`${passphraseKey}.pub`));

	// A server that accepts the handshake and hangs up when the client tries to authenticate.
	const fakeHostKey = path.join(sshd.dir, 'fake_host_key');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', fakeHostKey]);
	fake = new ssh2.Server({ hostKeys: [fs.readFileSync(fakeHostKey)] }, (client) => {
		client.on('error', () => {});
		client.on('authentication', () => {
			fakeAuthAttempts++;
			(client as unknown as { _sock: { destroy(): void } })._sock.destroy();
		});
	});
	fakePort = await new Promise<number>((resolve) => {
		fake.listen(0, FAKE_ADDRESS, () => resolve((fake.address() as { port: number }).port));
	});
	const fakeBlob = fs.readFileSync(`${fakeHostKey}.pub`, 'utf8').split(' ')[1];

	knownHosts = path.join(sshd.dir, 'known_hosts.failures');
	fs.writeFileSync(
		knownHosts,
		`${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n[${FAKE_ADDRESS}]:${fakePort} ssh-ed25519 ${fakeBlob}\n`,
	);
	root = tempDir('osc-failures-root-');
	const key = { type: 'key' as const, keyFile: sshd.clientKeyPath };
	const port = sshd.port;
	const input = demoProfile({ demoRoot: root, name: 'failures', port, keyFile: sshd.clientKeyPath });
	const compute = (name: string, host: string, extra: Partial<ProfileInput['nodes'][number]> = {}) => ({
		name,
		host,
		port,
		roles: ['compute' as const],
		managementIp: '127.0.0.9',
		auth: key,
		...extra,
	});
	input.nodes = [
		input.nodes[0]!,
		compute('c-unreachable', '127.0.0.1', { port: await closedPort() }),
		compute('c-dns', 'no-such-node.invalid'),
		compute('c-wronguser', '127.0.0.3', { user: 'nosuchuser' }),
		compute('c-wrongkey', '127.0.0.3', { auth: { type: 'key', keyFile: wrongKey } }),
		compute('c-passphrase', '127.0.0.4', { auth: { type: 'key', keyFile: passphraseKey } }),
		...(hasSudo() ? [compute('c-sudo', '127.0.0.4', { user: SUDO_USER, sudo: true })] : []),
		compute('c-hangup', FAKE_ADDRESS, { port: fakePort }),
	];
	profile = Profile.parse(input);
});

afterAll(async () => {
	await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
	await sshd?.stop();
});

describe('nodes that cannot be used, each for its own reason', () => {
	it('through the engine: a distinct, actionable message per node, and the controller runs', async () => {
		const home = tempDir('osc-failures-home-');
		process.env.OS_CONSOLE_HOME = home;
		const runbook = getRunbook('demo');
		const engine = new Engine({
			runbook,
			profile,
			secrets: loadOrCreateSecrets(profile.name),
			progress: new ProgressStore(profile.name, runbook.id),
			// Headless: no prompts, so nobody can give a passphrase or a sudo password.
			runner: new SshStepRunner({
				profile,
				hostKeys: { mode: 'strict', knownHostsFiles: [knownHosts] },
				session: { connectTimeoutMs: 10_000, reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxTotalMs: 3000 } },
			}),
			journal: new Journal(profile.name),
			operator: 'tester@ci',
		});
		const previousAgent = process.env.SSH_AUTH_SOCK;
		delete process.env.SSH_AUTH_SOCK;
		const started = Date.now();
		try {
			expect(await engine.runStep('environment/hosts')).toBe(false);
		} finally {
			if (previousAgent !== undefined) process.env.SSH_AUTH_SOCK = previousAgent;
			await engine.close();
		}
		expect(Date.now() - started).toBeLessThan(30_000);
		expect(engine.state('environment/hosts', 'controller')).toMatchObject({ status: 'succeeded', exitCode: 0 });
		expect(fs.readFileSync(path.join(root, 'controller', 'hosts'), 'utf8')).toContain('127.0.0.2 controller');
		const reasons = new Map<string, string>();
		for (const node of profile.nodes.slice(1)) {
			const state = engine.state('environment/hosts', node.name);
			expect(state.status, node.name).toBe('failed');
			expect(state.reason, node.name).toMatch(EXPECTED[node.name]!);
			reasons.set(node.name, state.reason!);
		}
		expect(new Set(reasons.values()).size).toBe(reasons.size);
		if (process.env.OSC_SHOW_REASONS) for (const [n, r] of reasons) console.log(`${n}: ${r}`);
		expect(fakeAuthAttempts).toBeGreaterThan(0);
		// The journal says the same, per node.
		const finished = new Journal(profile.name).read().filter((e) => e.type === 'step-finished');
		expect(finished.map((e) => e.node).sort()).toEqual(profile.nodes.map((n) => n.name).sort());
	});

	it('through os-console run: exit code 1, one line per failed node with its reason and log, the controller done', async () => {
		const home = tempDir('osc-failures-cli-');
		const file = writeProfile(tempDir('osc-failures-profile-'), profile as unknown as ProfileInput);
		fs.chmodSync(file, 0o600);
		const r = await runCli(
			['run', '--profile', file, '--step', 'environment/hosts', '--yes', '--known-hosts', knownHosts],
			{
				home,
				env: { SSH_AUTH_SOCK: undefined },
				timeoutMs: 60_000,
			},
		);
		expect(r.code).toBe(1);
		expect(r.stdout).toMatch(/controller\s+\| ── succeeded/);
		for (const node of profile.nodes.slice(1)) {
			const line = r.stderr
				.split('\n')
				.find((l) => l.startsWith(`os-console: environment/hosts on ${node.name}: failed`));
			expect(line, `${node.name} in:\n${r.stderr}`).toBeDefined();
			expect(line).toMatch(EXPECTED[node.name]!);
			expect(line).toContain(`log: ${home}/state/failures/logs/environment/hosts/${node.name}/attempt-1.log`);
		}
		const status = JSON.parse((await runCli(['status', '--profile', file, '--json'], { home })).stdout);
		const step = status.sections[0].steps.find((s: { key: string }) => s.key === 'environment/hosts');
		expect(step.nodes.controller.status).toBe('succeeded');
		expect(step.status).toBe('failed');
	});
});
