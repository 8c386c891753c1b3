import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NodeSession } from '../../source/ssh/node-session.js';
import { closedPort, sessionFor, sshKeygenFingerprint, startSshd, type TestSshd } from '../helpers/sshd.js';
import { execCollected, sshRejection } from './helpers.js';

let sshd: TestSshd;
const open: NodeSession[] = [];

async function track<T extends { session: NodeSession }>(p: Promise<T>): Promise<T> {
	const r = await p;
	open.push(r.session);
	return r;
}

function acceptedLogins(): number {
	return (readFileSync(sshd.logPath, 'utf8').match(/Accepted publickey/g) ?? []).length;
}

beforeAll(async () => {
	sshd = await startSshd();
});
afterEach(async () => {
	await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
	await sshd?.stop();
});

describe('connecting', () => {
	it('connects with a key to a known host and reuses one connection for every exec', async () => {
		const { session, rec } = await track(sessionFor(sshd));
		const before = acceptedLogins();
		for (let i = 0; i < 5; i++) {
			const r = await execCollected(session, `echo hello ${i}`);
			expect(r).toMatchObject({ code: 0, out: `hello ${i}\n`, err: '' });
		}
		expect(acceptedLogins() - before).toBe(1);
		expect(rec.states).toEqual(['connecting', 'connected']);
		expect(rec.hostKeyPrompts).toEqual([]);
		expect(rec.secretPrompts).toEqual([]);
	});

	it("turns Nagle's algorithm off on the connection's socket (each exec channel waited ~40 ms for an ACK)", async () => {
		const spy = vi.spyOn(net.Socket.prototype, 'setNoDelay');
		try {
			const { session } = await track(sessionFor(sshd));
			expect((await execCollected(session, 'echo ok')).out).toBe('ok\n');
			expect(spy.mock.calls.some(([on]) => on === true)).toBe(true);
		} finally {
			spy.mockRestore();
		}
	});

	it('unknown host key: asks, and appends it when accepted; the next session does not ask', async () => {
		const empty = path.join(sshd.dir, 'empty_known_hosts');
		const accepted = path.join(sshd.dir, 'acc', 'known_hosts');
		const { session, rec } = await track(
			sessionFor(sshd, { knownHostsFiles: [empty], acceptedKnownHostsFile: accepted, verifyHostKey: async () => true }),
		);
		expect((await execCollected(session, 'echo ok')).out).toBe('ok\n');
		expect(rec.hostKeyPrompts).toEqual([
			{
				node: `node-${sshd.host}`,
				host: sshd.host,
				port: sshd.port,
				keyType: 'ssh-ed25519',
				fingerprint: sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`),
				status: 'unknown',
			},
		]);
		expect(readFileSync(accepted, 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
		expect(
			execFileSync('ssh-keygen', ['-F', `[${sshd.host}]:${sshd.port}`, '-f', accepted], { encoding: 'utf8' }),
		).toContain(sshd.hostPublicKey.split(' ')[1]);

		const again = await track(sessionFor(sshd, { knownHostsFiles: [empty], acceptedKnownHostsFile: accepted }));
		expect((await execCollected(again.session, 'echo again')).out).toBe('again\n');
		expect(again.rec.hostKeyPrompts).toEqual([]);
	});

	it('unknown host key declined: host-key-rejected, nothing written', async () => {
		const accepted = path.join(sshd.dir, 'declined_known_hosts');
		const { session, rec } = await track(
			sessionFor(sshd, {
				knownHostsFiles: [],
				acceptedKnownHostsFile: accepted,
				verifyHostKey: async () => false,
			}),
		);
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('host-key-rejected');
		expect(err.message).toContain(sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`));
		expect(rec.hostKeyPrompts).toHaveLength(1);
		expect(existsSync(accepted)).toBe(false);
		expect(rec.states).toEqual(['connecting', 'failed']);
	});

	it('changed host key: refused without asking; the message names both fingerprints and ssh-keygen -R', async () => {
		const otherKey = path.join(sshd.dir, 'other_host_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
		const [t, b64] = readFileSync(`${otherKey}.pub`, 'utf8').split(' ');
		const kh = path.join(sshd.dir, 'changed_known_hosts');
		writeFileSync(kh, `# old key\n[${sshd.host}]:${sshd.port} ${t} ${b64}\n`);
		const { session, rec } = await track(sessionFor(sshd, { knownHostsFiles: [kh], verifyHostKey: async () => true }));
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('host-key-changed');
		expect(rec.hostKeyPrompts).toEqual([]);
		expect(err.message).toContain(sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`));
		expect(err.message).toContain(sshKeygenFingerprint(`${otherKey}.pub`));
		expect(err.message).toContain(`ssh-keygen -R '[${sshd.host}]:${sshd.port}' -f '${kh}'`);
		expect(err.message).toContain('line 2');
	});

	it('wrong key: auth-failed naming the method tried and the user', async () => {
		const wrong = path.join(sshd.dir, 'wrong_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrong]);
		const { session } = await track(sessionFor(sshd, { auth: { type: 'key', keyFile: wrong } }));
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('auth-failed');
		expect(err.message).toContain(`publickey (${wrong})`);
		expect(err.message).toContain('"root"');
		expect(err.message).toMatch(/authorized_keys/);
	});

	it('missing key file: auth-failed telling to fix the path', async () => {
		const { session } = await track(sessionFor(sshd, { auth: { type: 'key', keyFile: '/nonexistent/key' } }));
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('auth-failed');
		expect(err.message).toContain('/nonexistent/key');
	});

	it('encrypted key: asks the passphrase once; without it: key-passphrase-needed', async () => {
		const enc = path.join(sshd.dir, 'enc_key');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass phrase', '-f', enc]);
		appendFileSync(path.join(sshd.dir, 'authorized_keys'), readFileSync(`${enc}.pub`));

		const none = await track(sessionFor(sshd, { auth: { type: 'key', keyFile: enc } }));
		const err = await sshRejection(none.session.ensureConnected());
		expect(err.code).toBe('key-passphrase-needed');
		expect(none.rec.secretPrompts).toEqual(['passphrase']);

		const bad = await track(sessionFor(sshd, { auth: { type: 'key', keyFile: enc }, secrets: { passphrase: 'nope' } }));
		expect((await sshRejection(bad.session.ensureConnected())).code).toBe('key-passphrase-needed');

		const good = await track(
			sessionFor(sshd, { auth: { type: 'key', keyFile: enc }, secrets: { passphrase: 'pass phrase' } }),
		);
		expect((await execCollected(good.session, 'echo in')).out).toBe('in\n');
		// reconnect uses the cached passphrase
		await sshd.killConnectionChildren();
		expect((await execCollected(good.session, 'echo again')).out).toBe('again\n');
		expect(good.rec.secretPrompts).toEqual(['passphrase']);
	});

	it('agent auth without SSH_AUTH_SOCK: auth-failed explaining what to do', async () => {
		const { session } = await track(sessionFor(sshd, { auth: { type: 'agent' }, options: { agentSocket: '' } }));
		const saved = process.env.SSH_AUTH_SOCK;
		delete process.env.SSH_AUTH_SOCK;
		try {
			const err = await sshRejection(session.ensureConnected());
			expect(err.code).toBe('auth-failed');
			expect(err.message).toContain('SSH_AUTH_SOCK');
		} finally {
			if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
		}
	});

	it('agent auth through a real ssh-agent', async () => {
		const out = execFileSync('ssh-agent', ['-s'], { encoding: 'utf8' });
		const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(out)?.[1] as string;
		const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(out)?.[1]);
		try {
			execFileSync('ssh-add', [sshd.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
			const { session } = await track(sessionFor(sshd, { auth: { type: 'agent' }, options: { agentSocket: sock } }));
			expect((await execCollected(session, 'echo via agent')).out).toBe('via agent\n');
		} finally {
			process.kill(pid, 'SIGTERM');
		}
	});

	it('closed port: unreachable, quickly', async () => {
		const port = await closedPort();
		const { session } = await track(sessionFor(sshd));
		(session.target as { port: number }).port = port;
		const t0 = Date.now();
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('unreachable');
		expect(err.message).toContain(`127.0.0.1:${port}`);
		expect(err.message).toMatch(/refused/);
		expect(Date.now() - t0).toBeLessThan(2000);
	});

	it('a silent TCP peer: unreachable after connectTimeoutMs', async () => {
		const net = await import('node:net');
		const sockets: import('node:net').Socket[] = [];
		const server = net.createServer((s) => sockets.push(s));
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		const port = (server.address() as import('node:net').AddressInfo).port;
		try {
			const { session } = await track(sessionFor(sshd, { options: { connectTimeoutMs: 500 } }));
			(session.target as { port: number }).port = port;
			const err = await sshRejection(session.ensureConnected());
			expect(err.code).toBe('unreachable');
			expect(err.message).toContain('500 ms');
		} finally {
			for (const s of sockets) s.destroy();
			server.close();
		}
	});

	it('a peer that closes during the handshake: connection-closed', async () => {
		const net = await import('node:net');
		const server = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		const port = (server.address() as import('node:net').AddressInfo).port;
		try {
			const { session } = await track(sessionFor(sshd));
			(session.target as { port: number }).port = port;
			const err = await sshRejection(session.ensureConnected());
			expect(err.code).toBe('connection-closed');
		} finally {
			server.close();
		}
	});
});

describe('exec', () => {
	it('streams stdout and stderr as they come, passes stdin, returns exit codes', async () => {
		const { session } = await track(sessionFor(sshd));
		const events: string[] = [];
		const at: number[] = [];
		const r = await session.exec('echo one; sleep 0.5; echo two >&2; sleep 0.3; echo three; exit 3', {
			onStdout: (c) => {
				at.push(Date.now());
				events.push(`out:${c}`);
			},
			onStderr: (c) => {
				at.push(Date.now());
				events.push(`err:${c}`);
			},
		});
		expect(r).toEqual({ code: 3 });
		expect(events).toEqual(['out:one\n', 'err:two\n', 'out:three\n']);
		// streamed as produced, not buffered to the end
		expect((at[1] as number) - (at[0] as number)).toBeGreaterThan(350);
		expect((at[2] as number) - (at[1] as number)).toBeGreaterThan(200);

		expect(await execCollected(session, 'cat; echo done', 'from stdin\n')).toMatchObject({
			code: 0,
			out: 'from stdin\ndone\n',
		});
		const big = 'x'.repeat(300_000);
		expect((await execCollected(session, 'wc -c', big)).out.trim()).toBe('300000');
		expect((await execCollected(session, 'exit 0')).code).toBe(0);
	});

	it('reports a signal death', async () => {
		const { session } = await track(sessionFor(sshd));
		expect(await session.exec('kill -TERM $$')).toEqual({ code: null, signal: 'SIGTERM' });
	});

	it('runs execs in parallel on the one connection', async () => {
		const { session } = await track(sessionFor(sshd));
		const t0 = Date.now();
		const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => execCollected(session, `sleep 0.5; echo ${i}`)));
		expect(rs.map((r) => r.out)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
		expect(Date.now() - t0).toBeLessThan(2500);
	});

	it('abort signal stops the command', async () => {
		const { session } = await track(sessionFor(sshd));
		const ac = new AbortController();
		setTimeout(() => ac.abort(), 300);
		const t0 = Date.now();
		await expect(session.exec('sleep 20', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
		expect(Date.now() - t0).toBeLessThan(3000);
		expect((await execCollected(session, 'echo still usable')).out).toBe('still usable\n');
	});

	it('a dropped connection fails the running exec with connection-closed, then reconnects', async () => {
		const { session, rec } = await track(sessionFor(sshd));
		await execCollected(session, 'true');
		const p = session.exec('sleep 10');
		await new Promise((r) => setTimeout(r, 300));
		expect(await sshd.killConnectionChildren()).toBeGreaterThan(0);
		const err = await sshRejection(p);
		expect(err.code).toBe('connection-closed');
		expect((await execCollected(session, 'echo back')).out).toBe('back\n');
		expect(rec.states).toEqual(['connecting', 'connected', 'disconnected', 'reconnecting', 'connected']);
	});

	it('reconnect gives up with the last error when the node stays away', async () => {
		const { session, rec } = await track(
			sessionFor(sshd, { options: { reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 3 } } }),
		);
		await execCollected(session, 'true');
		(session.target as { port: number }).port = await closedPort();
		await sshd.killConnectionChildren();
		await new Promise((r) => setTimeout(r, 100));
		const err = await sshRejection(session.ensureConnected());
		expect(err.code).toBe('unreachable');
		expect(err.message).toMatch(/could not reconnect/);
		expect(rec.states.filter((s) => s === 'reconnecting')).toHaveLength(3);
		expect(rec.states.at(-1)).toBe('failed');
	});
});
