import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSession } from '../../source/ssh/node-session.js';
import { attach, runDetached } from '../../source/ssh/remote-run.js';
import { hasSudo, type SessionForOptions, sessionFor, startSshd, type TestSshd } from '../helpers/sshd.js';
import { execCollected, sshRejection } from './helpers.js';

// Distinct names per test file: users are global to the machine.
const NOPW = 'osc-t-sudo-nopw';
const PW = 'osc-t-sudo-pw';
const NONE = 'osc-t-nosudo';
const password = `Pw-${randomBytes(9).toString('hex')}`;

let sshd: TestSshd;
let runsDir: string;
const open: NodeSession[] = [];

async function session(o: SessionForOptions) {
	const r = await sessionFor(sshd, o);
	open.push(r.session);
	return r;
}

/** Polls `ps -eo args` (every process's argv) until stopped; returns the lines containing `needle`. */
function watchArgv(needle: string) {
	const hits: string[] = [];
	let polls = 0;
	let running = true;
	const done = (async () => {
		while (running) {
			const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
			for (const l of out.split('\n')) if (l.includes(needle)) hits.push(l);
			polls++;
			await new Promise((r) => setTimeout(r, 20));
		}
	})();
	return {
		async stop() {
			running = false;
			await done;
			return { hits, polls };
		},
	};
}

describe.skipIf(!hasSudo())(
	'sudo as a non-root user (skipped when the sudo binary is missing: apt-get install sudo)',
	() => {
		beforeAll(async () => {
			sshd = await startSshd({
				passwordAuth: true,
				users: [
					{ name: NOPW, sudo: 'nopasswd' },
					{ name: PW, password, sudo: 'password' },
					{ name: NONE, password, sudo: 'none' },
				],
			});
			runsDir = path.join(sshd.dir, 'runs');
		});
		afterEach(async () => {
			await Promise.all(open.splice(0).map((s) => s.close()));
		});
		afterAll(async () => {
			await sshd?.stop();
		});

		it('NOPASSWD: commands and detached runs run as root, no password asked, stdin intact', async () => {
			const { session: s, rec } = await session({ user: NOPW, sudo: true });
			expect(await execCollected(s, 'id -un; whoami')).toMatchObject({ code: 0, out: 'root\nroot\n' });
			expect((await execCollected(s, 'cat', 'line one\nline two\n')).out).toBe('line one\nline two\n');
			expect((await execCollected(s, 'exit 9')).code).toBe(9);
			let out = '';
			const o = await runDetached(s, {
				runId: `sudo-nopw-${Date.now()}`,
				runsDir,
				script: 'id -un\n. "$OSC_SECRETS"\necho "$X"\nexit 6\n',
				secretsEnv: { X: 'from secrets' },
				onStdout: (c) => {
					out += c.toString();
				},
			});
			expect(o).toEqual({ kind: 'exited', code: 6 });
			expect(out).toBe('root\nfrom secrets\n');
			expect(rec.secretPrompts).toEqual([]);
			expect(statSync(runsDir).uid).toBe(0);
		});

		it('with a password: asked once, given on stdin only (never in any argv), stdin of the command intact', async () => {
			const watch = watchArgv(password);
			const { session: s, rec } = await session({ user: PW, sudo: true, secrets: { 'sudo-password': password } });
			try {
				expect((await execCollected(s, 'id -un')).out).toBe('root\n');
				// the password line (consumed by sudo or not) never reaches the command's stdin
				expect((await execCollected(s, 'cat', 'user stdin\n')).out).toBe('user stdin\n');
				expect((await execCollected(s, 'cat')).out).toBe('');
				let out = '';
				const runId = `sudo-pw-${Date.now()}`;
				const o = await runDetached(s, {
					runId,
					runsDir,
					script: 'id -un\ni=1\nwhile [ $i -le 15 ]; do echo "tick $i"; sleep 0.10; i=$((i + 1)); done\nexit 2\n',
					onStdout: (c) => {
						out += c.toString();
					},
				});
				expect(o).toEqual({ kind: 'exited', code: 2 });
				expect(out).toBe(`root\n${Array.from({ length: 15 }, (_, i) => `tick ${i + 1}\n`).join('')}`);
				// re-attach under sudo too
				let again = '';
				expect(
					await attach(s, {
						runId,
						runsDir,
						onStdout: (c) => {
							again += c.toString();
						},
					}),
				).toEqual({ kind: 'exited', code: 2 });
				expect(again).toBe(out);
				// a reconnect keeps the password in memory: not asked again
				await sshd.killConnectionChildren();
				await new Promise((r) => setTimeout(r, 200));
				expect((await execCollected(s, 'id -u')).out).toBe('0\n');
				expect(rec.secretPrompts).toEqual(['sudo-password']);
			} finally {
				const { hits, polls } = await watch.stop();
				expect(polls).toBeGreaterThan(10);
				expect(hits).toEqual([]);
			}
		});

		it('timeout under sudo kills the root-owned process group', async () => {
			const { session: s } = await session({ user: PW, sudo: true, secrets: { 'sudo-password': password } });
			const o = await runDetached(s, {
				runId: `sudo-timeout-${Date.now()}`,
				runsDir,
				script: 'echo go\nsleep 1238.5\n',
				timeoutMs: 800,
				cancelGraceMs: 1000,
			});
			expect(o).toEqual({ kind: 'timeout', code: 143 });
			const ps = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
			expect(ps.split('\n').filter((l) => l.includes('sleep 1238.5') && !l.startsWith('Z'))).toEqual([]);
		});

		it('a password is needed but none given: sudo-password-needed', async () => {
			const { session: s, rec } = await session({ user: PW, sudo: true });
			const err = await sshRejection(execCollected(s, 'true'));
			expect(err.code).toBe('sudo-password-needed');
			expect(err.message).toContain(PW);
			expect(err.message).toMatch(/NOPASSWD|enter it/);
			expect(rec.secretPrompts).toEqual(['sudo-password']);
			// detached runs fail the same way, before anything is sent
			const err2 = await sshRejection(runDetached(s, { runId: `sudo-none-${Date.now()}`, runsDir, script: 'true' }));
			expect(err2.code).toBe('sudo-password-needed');
		});

		it('a wrong sudo password: sudo-failed, forgotten, and asked again next time', async () => {
			const secrets: Record<string, string> = { 'sudo-password': 'wrong' };
			const { session: s, rec } = await session({ user: PW, sudo: true, secrets });
			const err = await sshRejection(execCollected(s, 'true'));
			expect(err.code).toBe('sudo-failed');
			expect(err.message).toMatch(/rejected the password/);
			secrets['sudo-password'] = password; // the operator types it again
			expect((await execCollected(s, 'id -un')).out).toBe('root\n');
			expect(rec.secretPrompts).toEqual(['sudo-password', 'sudo-password']);
		});

		it('a user without sudo rights: sudo-failed saying how to fix it', async () => {
			const { session: s } = await session({
				user: NONE,
				sudo: true,
				auth: { type: 'password' },
				secrets: { password, 'sudo-password': password },
			});
			const err = await sshRejection(execCollected(s, 'true'));
			expect(err.code).toBe('sudo-failed');
			expect(err.message).toContain(NONE);
			expect(err.message).toMatch(/sudoers|root/);
		});

		it('SSH password authentication: works with the right password, auth-failed (and asked again) with a wrong one', async () => {
			const ok = await session({ user: PW, auth: { type: 'password' }, secrets: { password } });
			expect((await execCollected(ok.session, 'id -un')).out).toBe(`${PW}\n`);
			expect(ok.rec.secretPrompts).toEqual(['password']);

			const bad = await session({ user: PW, auth: { type: 'password' }, secrets: { password: 'nope' } });
			const err = await sshRejection(bad.session.ensureConnected());
			expect(err.code).toBe('auth-failed');
			expect(err.message).toContain('password');
			expect(err.message).toContain(`"${PW}"`);
			await sshRejection(bad.session.ensureConnected());
			expect(bad.rec.secretPrompts).toEqual(['password', 'password']);
		});
	},
);
