/**
 * ProxyJump through a bastion, for real: a jump sshd on 127.0.0.5 and the target sshd on 127.0.0.9, each with its
 * own host key and client key. The node's host in the profile is an ~/.ssh/config alias (a temp config file, never
 * the real one) whose ProxyJump names the bastion. The path is proven from the kernel's socket table: the TCP
 * connection the target sshd accepted belongs to a process of the jump sshd, and the console's process has no
 * connection to the target's port at all. A detached step runs through the jump, and survives the jump host
 * dropping every connection (the session reconnects through it and re-attaches).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { SshError } from '../../source/ssh/errors.js';
import { type HostKeyPrompt, NodeSession } from '../../source/ssh/node-session.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { demoProfile, tempHome } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let jump: TestSshd;
let target: TestSshd;
let work: string;
let jumpKnownHosts: string;
let targetKnownHosts: string;

beforeAll(async () => {
	[jump, target] = await Promise.all([
		startSshd({ addresses: ['127.0.0.5'] }),
		startSshd({ addresses: ['127.0.0.9'] }),
	]);
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-proxyjump-'));
	jumpKnownHosts = path.join(work, 'jump_known_hosts');
	targetKnownHosts = path.join(work, 'target_known_hosts');
	fs.writeFileSync(jumpKnownHosts, `${jump.knownHostsLine()}\n`);
	fs.writeFileSync(targetKnownHosts, `${target.knownHostsLine()}\n`);
});
afterAll(async () => {
	await Promise.all([jump?.stop(), target?.stop()]);
	if (work) fs.rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
	tempHome();
});

function writeSshConfig(name: string, text: string): string {
	const file = path.join(work, name);
	fs.writeFileSync(file, text, { mode: 0o600 });
	return file;
}

/** The config an operator would write: the bastion by alias, the node behind it by alias. */
function aliasConfig(): string {
	return writeSshConfig(
		'config-alias',
		`Host bastion
    HostName 127.0.0.5
    Port ${jump.port}
    User root
    IdentityFile ${jump.clientKeyPath}
    UserKnownHostsFile ${jumpKnownHosts}

Host lab-*
    ProxyJump bastion
    UserKnownHostsFile ${targetKnownHosts}

Host lab-controller
    HostName 127.0.0.9
    Port ${target.port}
`,
	);
}

function profile(host: string, settings: Record<string, string> = {}) {
	const root = fs.mkdtempSync(path.join(work, 'demo-'));
	return Profile.parse(
		demoProfile({
			name: 'proxy-jump',
			demoRoot: root,
			nodes: [
				{
					name: 'controller',
					host,
					roles: ['controller', 'compute'],
					managementIp: '127.0.0.9',
					auth: { type: 'key', keyFile: target.clientKeyPath },
				},
			],
			settings: { DEMO_ROOT: root, ...settings },
		}),
	);
}

function runner(p: Profile, sshConfig: string, knownHostsFiles: string[] = []) {
	return new SshStepRunner({
		profile: p,
		sshConfig,
		hostKeys: { mode: 'strict', knownHostsFiles },
		session: {
			connectTimeoutMs: 5000,
			keepaliveIntervalMs: 1000,
			reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxTotalMs: 15000 },
		},
	});
}

async function capture(session: NodeSession, command: string): Promise<{ code: number | null; out: string }> {
	let out = '';
	const r = await session.exec(command, { onStdout: (c) => (out += c.toString()) });
	return { code: r.code, out };
}

// ----- who owns a TCP connection (from /proc) -------------------------------------------------------------

function hexAddress(ip: string, port: number): string {
	const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
	const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
	return `${hex(d)}${hex(c)}${hex(b)}${hex(a)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Socket inodes of established connections from local → remote (remote given; local port optional). */
function connectionInodes(remoteIp: string, remotePort: number, localPort?: number): string[] {
	const remote = hexAddress(remoteIp, remotePort);
	const out: string[] = [];
	for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
		const f = line.trim().split(/\s+/);
		if (f.length < 10 || f[2] !== remote || f[3] !== '01') continue;
		if (localPort !== undefined && !f[1]!.endsWith(`:${localPort.toString(16).toUpperCase().padStart(4, '0')}`))
			continue;
		out.push(f[9]!);
	}
	return out;
}

function socketOwners(inode: string): number[] {
	const owners: number[] = [];
	for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
		let fds: string[];
		try {
			fds = fs.readdirSync(`/proc/${pid}/fd`);
		} catch {
			continue;
		}
		for (const fd of fds) {
			try {
				if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) owners.push(Number(pid));
			} catch {
				/* gone */
			}
		}
	}
	return owners;
}

function ancestors(pid: number): number[] {
	const chain: number[] = [];
	let current = pid;
	for (let i = 0; i < 64 && current > 1; i++) {
		chain.push(current);
		try {
			const stat = fs.readFileSync(`/proc/${current}/stat`, 'utf8');
			current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
		} catch {
			break;
		}
	}
	return chain;
}

describe('ProxyJump from ~/.ssh/config', () => {
	it('reaches the node through the bastion: the target sees a connection owned by the jump sshd, none from the console', async () => {
		const p = profile('lab-controller');
		const r = runner(p, aliasConfig());
		const session = r.session(p.nodes[0]!);
		try {
			expect(session.target).toMatchObject({ host: '127.0.0.9', port: target.port, alias: 'lab-controller' });
			const { code, out } = await capture(session, 'echo "$SSH_CONNECTION"');
			expect(code).toBe(0);
			// "client-ip client-port server-ip server-port" as the target's sshd saw it
			const [clientIp, clientPort, serverIp, serverPort] = out.trim().split(' ');
			expect([serverIp, Number(serverPort)]).toEqual(['127.0.0.9', target.port]);
			const inodes = connectionInodes('127.0.0.9', target.port, Number(clientPort));
			expect(inodes).toHaveLength(1);
			const owners = socketOwners(inodes[0]!);
			expect(owners.length).toBeGreaterThan(0);
			for (const owner of owners) expect(ancestors(owner)).toContain(jump.pid);
			expect(owners).not.toContain(process.pid);
			// this process holds no connection to the target's port: only to the bastion
			const mine = connectionInodes('127.0.0.9', target.port).flatMap(socketOwners);
			expect(mine).not.toContain(process.pid);
			const toJump = connectionInodes('127.0.0.5', jump.port).flatMap(socketOwners);
			expect(toJump).toContain(process.pid);
			expect(clientIp).toMatch(/^127\./);
			expect(fs.readFileSync(jump.logPath, 'utf8')).toMatch(/Accepted publickey for root from 127\.0\.0\.\d+/);
		} finally {
			await r.close();
		}
	});

	it('runs a detached step through the jump, and re-attaches through it after the bastion drops every connection', async () => {
		const p = profile('lab-controller', { DEMO_LINES: '12', DEMO_DELAY: '0.25' });
		const runbook = getRunbook('demo');
		const r = runner(p, aliasConfig());
		const engine = new Engine({
			runbook,
			profile: p,
			secrets: loadOrCreateSecrets(p.name),
			progress: new ProgressStore(p.name, runbook.id),
			runner: r,
			journal: new Journal(p.name),
			operator: 'tester@ci',
		});
		const states: string[] = [];
		engine.on('connection', (_node, c) => states.push(c.state));
		try {
			expect(await engine.runStep('environment/hosts')).toBe(true);
			expect(fs.readFileSync(path.join(p.settings.DEMO_ROOT!, 'controller', 'hosts'), 'utf8')).toContain(
				'127.0.0.9 controller',
			);
			const running = engine.runStep('services/count');
			// wait for the first lines, then drop everything the bastion holds
			for (
				let i = 0;
				i < 100 && !engine.output('services/count', 'controller').some((l) => l.startsWith('line 2 '));
				i++
			) {
				await new Promise((res) => setTimeout(res, 50));
			}
			expect(await jump.killConnectionChildren()).toBeGreaterThan(0);
			expect(await running).toBe(true);
			expect(states).toContain('reconnecting');
			expect(engine.output('services/count', 'controller').filter((l) => l.startsWith('line '))).toEqual(
				Array.from({ length: 12 }, (_, i) => `line ${i + 1} of 12 on controller`),
			);
			expect(engine.state('services/count', 'controller')).toMatchObject({ status: 'succeeded', exitCode: 0 });
		} finally {
			await engine.close();
		}
	});

	it('takes a user@host:port hop, checks its host key against the console known_hosts, and offers it the node key', async () => {
		// the node's key is authorized on the bastion too (a common setup); the hop's key comes from --known-hosts
		const authorized = path.join(jump.dir, 'authorized_keys');
		const nodeKey = fs.readFileSync(`${target.clientKeyPath}.pub`, 'utf8');
		if (!fs.readFileSync(authorized, 'utf8').includes(nodeKey)) fs.appendFileSync(authorized, nodeKey);
		const config = writeSshConfig(
			'config-inline',
			`Host inline-target
    HostName 127.0.0.9
    Port ${target.port}
    ProxyJump root@127.0.0.5:${jump.port}
`,
		);
		const p = profile('inline-target');
		const r = runner(p, config, [jumpKnownHosts, targetKnownHosts]);
		try {
			const session = r.session(p.nodes[0]!);
			expect(session.target.jump).toMatchObject([{ host: '127.0.0.5', port: jump.port, user: 'root' }]);
			expect(await capture(session, 'hostname >/dev/null && echo ok')).toEqual({ code: 0, out: 'ok\n' });
		} finally {
			await r.close();
		}
	});

	it('asks about an unknown jump host key (naming the jump host), records it, and refuses a changed one', async () => {
		const accepted = path.join(work, 'accepted_known_hosts');
		fs.rmSync(accepted, { force: true });
		const prompts: HostKeyPrompt[] = [];
		const make = (answer: boolean) =>
			new NodeSession(
				{
					name: 'controller',
					host: '127.0.0.9',
					port: target.port,
					user: 'root',
					auth: { type: 'key', keyFile: target.clientKeyPath },
					sudo: false,
					jump: [
						{
							label: 'bastion',
							host: '127.0.0.5',
							port: jump.port,
							user: 'root',
							identityFiles: [jump.clientKeyPath],
							useAgent: false,
						},
					],
				},
				{
					verifyHostKey: async (info) => {
						prompts.push(info);
						return answer;
					},
					askSecret: async () => undefined,
				},
				{ knownHostsFiles: [targetKnownHosts], acceptedKnownHostsFile: accepted, connectTimeoutMs: 5000 },
			);
		const refused = make(false);
		const error = await refused.connect().then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SshError);
		expect((error as SshError).code).toBe('host-key-rejected');
		expect((error as SshError).message).toContain('jump host bastion (for node controller)');
		expect(prompts).toMatchObject([{ node: 'controller', jumpHost: 'bastion', host: '127.0.0.5', port: jump.port }]);

		const session = make(true);
		try {
			await session.connect();
			expect(await capture(session, 'echo through')).toEqual({ code: 0, out: 'through\n' });
			expect(fs.readFileSync(accepted, 'utf8')).toContain(`[127.0.0.5]:${jump.port} ssh-ed25519 `);
		} finally {
			await session.close();
		}

		// The bastion "reinstalled": another key recorded for it is a changed key, refused without asking.
		const other = path.join(work, 'other_host_key');
		fs.rmSync(other, { force: true });
		fs.rmSync(`${other}.pub`, { force: true });
		const { execFileSync } = await import('node:child_process');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
		const [type, b64] = fs.readFileSync(`${other}.pub`, 'utf8').split(' ');
		fs.writeFileSync(accepted, `[127.0.0.5]:${jump.port} ${type} ${b64}\n`);
		prompts.length = 0;
		const changed = await make(true)
			.connect()
			.then(
				() => undefined,
				(e: unknown) => e as SshError,
			);
		expect(changed?.code).toBe('host-key-changed');
		expect(changed?.message).toContain('REFUSING to connect to jump host bastion');
		expect(prompts).toEqual([]);
	});

	it('with agent authentication and no agent, logs in with the IdentityFile the config names', async () => {
		const config = writeSshConfig(
			'config-identity',
			`Host keyed
    HostName 127.0.0.9
    Port ${target.port}
    IdentityFile ${path.join(work, 'no-such-key')}
    IdentityFile ${target.clientKeyPath}
    UserKnownHostsFile ${targetKnownHosts}
`,
		);
		const p = Profile.parse(
			demoProfile({
				name: 'identity-file',
				demoRoot: work,
				nodes: [
					{
						name: 'controller',
						host: 'keyed',
						roles: ['controller'],
						managementIp: '127.0.0.9',
						auth: { type: 'agent' },
					},
				],
			}),
		);
		const saved = process.env.SSH_AUTH_SOCK;
		delete process.env.SSH_AUTH_SOCK;
		const r = runner(p, config);
		try {
			const session = r.session(p.nodes[0]!);
			expect(session.target.identityFiles).toEqual([path.join(work, 'no-such-key'), target.clientKeyPath]);
			expect(await capture(session, 'echo keyed')).toEqual({ code: 0, out: 'keyed\n' });
		} finally {
			await r.close();
			if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
		}
	});

	it('says which hop failed when the bastion cannot reach the target', async () => {
		const config = writeSshConfig(
			'config-dead-end',
			`Host dead-end
    HostName 127.0.0.9
    Port 1
    ProxyJump bastion
Host bastion
    HostName 127.0.0.5
    Port ${jump.port}
    User root
    IdentityFile ${jump.clientKeyPath}
    UserKnownHostsFile ${jumpKnownHosts}
`,
		);
		const p = profile('dead-end');
		const r = runner(p, config);
		try {
			const error = await r
				.session(p.nodes[0]!)
				.connect()
				.then(
					() => undefined,
					(e: unknown) => e as SshError,
				);
			expect(error?.code).toBe('unreachable');
			expect(error?.message).toContain('the jump host bastion (127.0.0.5:');
			expect(error?.message).toContain('could not open a connection to 127.0.0.9:1');
		} finally {
			await r.close();
		}
	});
});
