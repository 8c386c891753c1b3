import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SshError, shQuote } from '../../source/ssh/errors.js';
import type { NodeSession } from '../../source/ssh/node-session.js';
import {
	attach,
	cancelRun,
	cleanupRun,
	DEFAULT_RUNS_DIR,
	launchCommand,
	PAYLOAD_END,
	PAYLOAD_MARKER,
	type RunOutcome,
	runDetached,
	validateRunId,
} from '../../source/ssh/remote-run.js';
import { sessionFor, startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let runsDir: string;
const open: NodeSession[] = [];
let seq = 0;
const newRunId = (name: string) => `${name}.${process.pid}.${Date.now()}.${++seq}`;

async function session(address?: string) {
	const r = await sessionFor(sshd, address ? { address } : {});
	open.push(r.session);
	return r;
}

function collector() {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	return {
		onStdout: (c: Buffer) => out.push(c),
		onStderr: (c: Buffer) => err.push(c),
		out: () => Buffer.concat(out).toString(),
		err: () => Buffer.concat(err).toString(),
	};
}

/** Non-zombie processes whose command line contains `needle`. */
function liveProcesses(needle: string): string[] {
	const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
	return out.split('\n').filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l) && !l.includes('ps -eo'));
}

const numbered = (n: number) => `${Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
	sshd = await startSshd({ addresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'] });
	runsDir = path.join(sshd.dir, 'runs');
});
afterEach(async () => {
	await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
	await sshd?.stop();
});

describe('runDetached', () => {
	it('delivers the complete output in order and the exit code; secrets reach the script, not argv', async () => {
		const { session: s } = await session();
		const c = collector();
		const runId = newRunId('ok');
		const script = `set -e
. "$OSC_SECRETS"
echo "run dir: $OSC_RUN_DIR"
echo "secret: $DB_PASS"
sleep 0.3
i=1
while [ $i -le 3000 ]; do echo "out $i"; [ $((i % 1000)) -eq 0 ] && echo "err $i" >&2; i=$((i + 1)); done
exit 0
`;
		let polls = 0;
		const leaks: string[] = [];
		let polling = true;
		const poller = (async () => {
			while (polling) {
				leaks.push(...liveProcesses('s3cr'));
				polls++;
				await sleep(20);
			}
		})();
		const outcome = await runDetached(s, {
			runId,
			runsDir,
			script,
			secretsEnv: { DB_PASS: "s3cr'et value" },
			...c,
		});
		polling = false;
		await poller;
		expect(outcome).toEqual({ kind: 'exited', code: 0 });
		expect(polls).toBeGreaterThan(3);
		expect(leaks).toEqual([]);
		const lines = c.out().split('\n');
		expect(lines[0]).toBe(`run dir: ${runsDir}/${runId}`);
		expect(lines[1]).toBe("secret: s3cr'et value");
		expect(lines.slice(2, -1)).toEqual(Array.from({ length: 3000 }, (_, i) => `out ${i + 1}`));
		expect(c.err()).toBe('err 1000\nerr 2000\nerr 3000\n');
		// run dir is private, the secrets file is gone after the run, the output files are complete
		const rd = path.join(runsDir, runId);
		expect(statSync(rd).mode & 0o777).toBe(0o700);
		expect(existsSync(path.join(rd, 'secrets.env'))).toBe(false);
		expect(readFileSync(path.join(rd, 'stdout'), 'utf8')).toBe(c.out());
		expect(readFileSync(path.join(rd, 'exit'), 'utf8').trim()).toBe('0');
		expect(await cleanupRun(s, runId, { runsDir })).toBe(true);
		expect(existsSync(rd)).toBe(false);
	});

	it('a run that has printed and goes on streams at once (not after the 0.2 s end check); quiet short runs still end', async () => {
		const { session: s } = await session();
		// The script prints the time it printed, then waits for the test's answer: its first line must arrive while
		// it runs, and soon (the follower used to wait 0.2 s for the end before following any run).
		const script = `echo "printed $(date +%s%N)"
i=0
while [ ! -e "$OSC_RUN_DIR/go" ]; do i=$((i + 1)); [ "$i" -gt 1000 ] && exit 7; sleep 0.01; done
echo after
`;
		const latencies: number[] = [];
		for (let round = 0; round < 3; round++) {
			const runId = newRunId('early');
			const c = collector();
			let answered = false;
			const outcome = await runDetached(s, {
				runId,
				runsDir,
				script,
				onStdout: (chunk) => {
					c.onStdout(chunk);
					const m = /^printed (\d+)\n/.exec(c.out());
					if (m && !answered) {
						answered = true;
						latencies.push(Date.now() - Number(BigInt(m[1]!) / 1_000_000n));
						execFileSync('touch', [path.join(runsDir, runId, 'go')]);
					}
				},
				onStderr: c.onStderr,
			});
			expect(outcome).toEqual({ kind: 'exited', code: 0 });
			expect(c.out()).toMatch(/^printed \d+\nafter\n$/);
		}
		// best of three: under load one run may be late; 0.2 s is what the old end check alone cost
		expect(Math.min(...latencies)).toBeLessThan(150);
		// a quiet run that ends after its first 5 ms and within 0.2 s: printed once ended, all of it
		const quiet = collector();
		const outcome = await runDetached(s, {
			runId: newRunId('quiet'),
			runsDir,
			script: 'sleep 0.08\necho out\necho err >&2\nexit 4\n',
			...quiet,
		});
		expect(outcome).toEqual({ kind: 'exited', code: 4 });
		expect(quiet.out()).toBe('out\n');
		expect(quiet.err()).toBe('err\n');
	});

	it('reports a failing exit code and output without trailing newline; #! scripts use their interpreter', async () => {
		const { session: s } = await session();
		const c = collector();
		const o = await runDetached(s, {
			runId: newRunId('fail'),
			runsDir,
			script: 'echo before\nprintf partial\necho oops >&2\nexit 42\n',
			...c,
		});
		expect(o).toEqual({ kind: 'exited', code: 42 });
		expect(c.out()).toBe('before\npartial');
		expect(c.err()).toBe('oops\n');

		const b = collector();
		const o2 = await runDetached(s, {
			runId: newRunId('bash'),
			runsDir,
			script: '#!/bin/bash\nset -euo pipefail\necho "${BASH_VERSION:+bash}"\nfalse | true\necho unreachable\n',
			...b,
		});
		expect(o2).toEqual({ kind: 'exited', code: 1 }); // pipefail: bash ran it
		expect(b.out()).toBe('bash\n');
	});

	it('a payload cut anywhere is refused and leaves no run dir; a whole one runs (no secrets: no secrets file)', async () => {
		const { session: s } = await session();
		const secrets = "K='v'\n";
		const script = 'echo ran\n';
		const whole = `${PAYLOAD_MARKER}\n${secrets.length}\n${secrets}${script.length}\n${script}${PAYLOAD_END}\n`;
		// Cut in the secrets, right after them, in the script, and before the end marker line is complete.
		const cuts = [whole.indexOf(secrets) + 3, whole.indexOf(secrets) + secrets.length, whole.indexOf(script) + 4];
		cuts.push(whole.length - 3);
		for (const cut of cuts) {
			const runId = newRunId('cut');
			const c = collector();
			const r = await s.exec(`sh -c ${shQuote(launchCommand(runId, runsDir))}`, { stdin: whole.slice(0, cut), ...c });
			expect(r.code, `cut at ${cut}: ${c.err()}`).toBe(255);
			expect(c.err()).toMatch(/connection lost during upload/);
			expect(c.out()).not.toContain('ran');
			expect(existsSync(path.join(runsDir, runId))).toBe(false);
		}
		const runId = newRunId('whole');
		const c = collector();
		expect(await runDetached(s, { runId, runsDir, script, ...c })).toEqual({ kind: 'exited', code: 0 });
		expect(c.out()).toBe('ran\n');
		expect(existsSync(path.join(runsDir, runId, 'secrets.env'))).toBe(false);
	});

	it('ready: the payload waits for it (the channel is open meanwhile); rejected: nothing runs, its error is thrown', async () => {
		const { session: s } = await session();
		await s.ensureConnected();
		const counter = path.join(sshd.dir, `${newRunId('ready')}.count`);
		const script = `echo ran >> ${counter}\necho done\n`;
		let release = () => {};
		const ready = new Promise<void>((resolve) => {
			release = resolve;
		});
		const runId = newRunId('ready');
		const c = collector();
		const p = runDetached(s, { runId, runsDir, script, ready, ...c });
		// The launcher is up (it wrote lpid) but has no payload: the script has not run.
		const lpid = path.join(runsDir, runId, 'lpid');
		const deadline = Date.now() + 10_000;
		while (!existsSync(lpid) && Date.now() < deadline) await sleep(5);
		expect(existsSync(lpid)).toBe(true);
		await sleep(300);
		expect(existsSync(counter)).toBe(false);
		expect(existsSync(path.join(runsDir, runId, 'wpid'))).toBe(false);
		release();
		expect(await p).toEqual({ kind: 'exited', code: 0 });
		expect(c.out()).toBe('done\n');
		expect(readFileSync(counter, 'utf8')).toBe('ran\n');

		const refused = newRunId('not-ready');
		const saveFailed = new Error('the start could not be saved');
		const q = runDetached(s, {
			runId: refused,
			runsDir,
			script,
			ready: sleep(200).then(() => Promise.reject(saveFailed)),
		});
		await expect(q).rejects.toBe(saveFailed);
		expect(readFileSync(counter, 'utf8')).toBe('ran\n');
		expect(existsSync(path.join(runsDir, refused))).toBe(false);
	});

	it('uses the default runs dir /var/lib/os-console/runs', async () => {
		const { session: s } = await session();
		const runId = newRunId('default-dir');
		const c = collector();
		expect(await runDetached(s, { runId, script: 'echo hi', ...c })).toEqual({ kind: 'exited', code: 0 });
		expect(c.out()).toBe('hi\n');
		expect(existsSync(path.join(DEFAULT_RUNS_DIR, runId, 'exit'))).toBe(true);
		expect(await cleanupRun(s, runId)).toBe(true);
	});

	it('refuses a reused run id (runner error, exit 255) and invalid ids', async () => {
		const { session: s } = await session();
		const runId = newRunId('dup');
		expect(await runDetached(s, { runId, runsDir, script: 'true' })).toEqual({ kind: 'exited', code: 0 });
		const messages: string[] = [];
		const o = await runDetached(s, {
			runId,
			runsDir,
			script: 'echo must not run',
			onRunnerMessage: (m) => messages.push(m),
		});
		expect(o).toMatchObject({ kind: 'exited', code: 255 });
		expect((o as { runnerError?: string }).runnerError).toMatch(/^os-console-runner: .*exist/);
		expect(messages.join('')).toMatch(/os-console-runner:/);
		for (const bad of ['', '..', 'a/b', 'a b', "x'y", '$(id)']) expect(() => validateRunId(bad)).toThrow();
	});

	it('timeout kills the whole remote process group (nothing survives)', async () => {
		const { session: s } = await session();
		const runId = newRunId('timeout');
		const c = collector();
		const t0 = Date.now();
		const o = await runDetached(s, {
			runId,
			runsDir,
			script: 'echo started\nsleep 1234.5 &\nsh -c "sleep 1235.5"\necho never\n',
			timeoutMs: 700,
			cancelGraceMs: 2000,
			...c,
		});
		expect(o).toEqual({ kind: 'timeout', code: 143 });
		expect(c.out()).toBe('started\n');
		expect(Date.now() - t0).toBeLessThan(5000);
		expect(liveProcesses('sleep 1234.5')).toEqual([]);
		expect(liveProcesses('sleep 1235.5')).toEqual([]);
		expect(liveProcesses(runId)).toEqual([]);
	});

	it('cancel via AbortSignal: TERM, then KILL after the grace period for a script that ignores TERM', async () => {
		const { session: s } = await session();
		const runId = newRunId('cancel');
		const ac = new AbortController();
		const c = collector();
		const p = runDetached(s, {
			runId,
			runsDir,
			script: "trap '' TERM\necho ready\nsleep 1236.5\n",
			signal: ac.signal,
			cancelGraceMs: 500,
			onStdout: (b) => {
				c.onStdout(b);
				if (b.toString().includes('ready')) ac.abort();
			},
		});
		const o: RunOutcome = await p;
		expect(o).toEqual({ kind: 'cancelled', code: 137 });
		expect(liveProcesses('sleep 1236.5')).toEqual([]);
		// a later attach (e.g. after a console restart) still knows it was cancelled
		expect(await attach(s, { runId, runsDir })).toEqual({ kind: 'cancelled', code: 137 });
	});

	it('cancelRun on a separate channel, and on an unknown run', async () => {
		const { session: s } = await session();
		const runId = newRunId('cancel2');
		let started!: () => void;
		const ready = new Promise<void>((r) => {
			started = r;
		});
		const p = runDetached(s, {
			runId,
			runsDir,
			script: 'echo go\nsleep 1237.5\n',
			onStdout: () => started(),
		});
		await ready;
		expect(await cancelRun(s, runId, { runsDir, graceMs: 2000 })).toBe('terminated');
		// not cancelled by this runDetached call, but the run dir says it was: reported as cancelled
		expect(await p).toEqual({ kind: 'cancelled', code: 143 });
		expect(await cancelRun(s, runId, { runsDir })).toBe('finished');
		expect(await cancelRun(s, 'no-such-run', { runsDir })).toBe('no-trace');
	});

	it('survives a lost connection: reconnects and re-attaches, every line exactly once and in order', async () => {
		const { session: s, rec } = await session();
		const runId = newRunId('drop');
		const c = collector();
		const reconnects: { stdout: number; stderr: number }[] = [];
		const reattached: { stdout: number; stderr: number }[] = [];
		let killed = 0;
		const p = runDetached(s, {
			runId,
			runsDir,
			script:
				'i=1\nwhile [ $i -le 100 ]; do echo "line $i"; echo "err $i" >&2; sleep 0.10; i=$((i + 1)); done\nexit 5\n',
			...c,
			onReconnecting: (_d, offsets) => reconnects.push(offsets),
			onReattached: (offsets) => reattached.push(offsets),
		});
		await sleep(3000);
		killed = await sshd.killConnectionChildren();
		const o = await p;
		expect(killed).toBeGreaterThan(0);
		expect(o).toEqual({ kind: 'exited', code: 5 });
		expect(reconnects).toHaveLength(1);
		expect(reattached).toHaveLength(1);
		expect(reconnects[0]?.stdout).toBeGreaterThan(0);
		expect(c.out()).toBe(numbered(100));
		expect(c.err()).toBe(numbered(100).replace(/line/g, 'err'));
		expect(rec.states).toContain('reconnecting');
	});

	it('a connection lost while uploading the payload: the script still runs exactly once', async () => {
		const { session: s } = await session();
		const runId = newRunId('upload-drop');
		const counter = path.join(sshd.dir, `${runId}.count`);
		const c = collector();
		const reconnects: string[] = [];
		// a 40 MB script (mostly a comment) keeps the upload busy long enough to cut it
		const script = `echo ran >> ${counter}\necho done\nexit 4\n#${'x'.repeat(40 * 1024 * 1024)}\n`;
		const relaunches: string[] = [];
		await s.ensureConnected();
		const p = runDetached(s, {
			runId,
			runsDir,
			script,
			...c,
			onReconnecting: (d) => reconnects.push(d),
			onRelaunch: (r) => relaunches.push(r),
		});
		// cut the connection as soon as the script upload has begun (the node is local: watch the file grow)
		const scriptFile = path.join(runsDir, runId, 'script.sh');
		const deadline = Date.now() + 10_000;
		while (!(existsSync(scriptFile) && statSync(scriptFile).size > 0) && Date.now() < deadline) await sleep(2);
		expect(statSync(scriptFile).size).toBeLessThan(script.length);
		await sshd.killConnectionChildren();
		expect(await p).toEqual({ kind: 'exited', code: 4 });
		expect(c.out()).toBe('done\n');
		expect(readFileSync(counter, 'utf8')).toBe('ran\n');
		expect(reconnects).toHaveLength(1);
		// the upload was cut: the launcher removed the incomplete run dir, attach found nothing, launched again
		expect(relaunches).toEqual(['absent']);
	});

	it('re-attach from a new session after the first one died (console killed): full output and exit code', async () => {
		const first = await session();
		const runId = newRunId('reattach');
		const c1 = collector();
		const p = runDetached(first.session, {
			runId,
			runsDir,
			script: 'i=1\nwhile [ $i -le 30 ]; do echo "line $i"; sleep 0.05; i=$((i + 1)); done\necho tail >&2\nexit 3\n',
			...c1,
		});
		await sleep(600);
		first.session.destroy();
		const err = await p.catch((e: unknown) => e);
		expect(err).toBeInstanceOf(SshError);
		expect((err as SshError).code).toBe('connection-closed');
		expect(c1.out().length).toBeGreaterThan(0);
		expect(c1.out().length).toBeLessThan(numbered(30).length);

		const second = await session();
		const c2 = collector();
		const o = await attach(second.session, { runId, runsDir, offsets: { stdout: 0, stderr: 0 }, ...c2 });
		expect(o).toEqual({ kind: 'exited', code: 3 });
		expect(c2.out()).toBe(numbered(30));
		expect(c2.err()).toBe('tail\n');

		// from byte offsets: exactly the rest
		const c3 = collector();
		const half = Buffer.byteLength(c1.out());
		expect(await attach(second.session, { runId, runsDir, offsets: { stdout: half, stderr: 5 }, ...c3 })).toEqual({
			kind: 'exited',
			code: 3,
		});
		expect(c1.out() + c3.out()).toBe(numbered(30));
		expect(c3.err()).toBe('');
	});

	it('a wrapper killed on the node (reboot-like): exit 255 with a runner error, not a hang', async () => {
		const { session: s } = await session();
		const runId = newRunId('vanish');
		const rd = path.join(runsDir, runId);
		const p = runDetached(s, { runId, runsDir, script: 'echo up\nsleep 1239.5\n' });
		const deadline = Date.now() + 10_000;
		while (!existsSync(path.join(rd, 'pgid')) && Date.now() < deadline) await sleep(10);
		const wpid = Number(readFileSync(path.join(rd, 'wpid'), 'utf8'));
		const pgid = Number(readFileSync(path.join(rd, 'pgid'), 'utf8'));
		process.kill(wpid, 'SIGKILL');
		process.kill(-pgid, 'SIGKILL');
		const o = await p;
		expect(o).toMatchObject({ kind: 'exited', code: 255 });
		expect((o as { runnerError?: string }).runnerError).toMatch(/without recording an exit code/);
		expect(await cleanupRun(s, runId, { runsDir })).toBe(false); // not finished: kept unless forced
		expect(await cleanupRun(s, runId, { runsDir, force: true })).toBe(true);
	});

	it('attach to an unknown run id: no-trace', async () => {
		const { session: s } = await session();
		expect(await attach(s, { runId: 'never-started-run', runsDir })).toEqual({ kind: 'no-trace', reason: 'absent' });
	});

	it('runs on three hosts (127.0.0.2-4) in parallel', async () => {
		const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
		const sessions = await Promise.all(hosts.map((h) => session(h)));
		const t0 = Date.now();
		const results = await Promise.all(
			sessions.map(async ({ session: s }, i) => {
				const c = collector();
				const o = await runDetached(s, {
					runId: newRunId(`par${i}`),
					runsDir,
					script: `echo "host ${hosts[i]} via $SSH_CONNECTION"\nsleep 1\necho end ${i}\nexit ${i + 10}\n`,
					...c,
				});
				return { o, out: c.out() };
			}),
		);
		const elapsed = Date.now() - t0;
		results.forEach((r, i) => {
			expect(r.o).toEqual({ kind: 'exited', code: i + 10 });
			expect(r.out).toBe(`host ${hosts[i]} via \nend ${i}\n`);
		});
		expect(elapsed).toBeLessThan(2800);
		// every session really used its own address
		const log = readFileSync(sshd.logPath, 'utf8');
		for (const h of hosts)
			expect(log).toMatch(
				new RegExp(`Connection from 127\\.0\\.0\\.1 port \\d+ on ${h.replace(/\./g, '\\.')} port ${sshd.port}`),
			);
	});

	it('leaves no stray run directories behind for finished runs it cleaned', () => {
		// sanity: all run dirs of this file have an exit file (finished)
		for (const d of readdirSync(runsDir)) {
			expect(existsSync(path.join(runsDir, d, 'exit'))).toBe(true);
		}
	});
});
