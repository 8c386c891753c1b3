/**
 * One console per profile: a second console refuses and names the holder; a stale lock (dead holder, or a
 * pid now used by another process) is taken over, by exactly one of several consoles starting at once; the
 * lock goes away on exit and on signals; and two real `os-console run` processes on one profile over the
 * test sshd, including a SIGKILLed one whose lock the next run takes over.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openProfile } from '../../source/console/open-profile.js';
import { acquireProfileLock, isStale, lockFile, ProfileLockedError, readLock } from '../../source/profile/lock.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { ensurePrivateDir, stateDir } from '../../source/profile/store.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import {
	collect,
	ensureBuilt,
	FIXTURES,
	knownHostsFile,
	runCli,
	sleep,
	spawnCli,
	sshdProfile,
	tempDir,
	waitForOutput,
} from './helpers.js';

let home: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
	home = tempDir('osc-lock-home-');
	process.env.OS_CONSOLE_HOME = home;
});

function holdLock(profile: string, mode?: 'graceful') {
	const child = spawn(
		process.execPath,
		[path.join(FIXTURES, 'hold-lock.mjs'), home, profile, ...(mode ? [mode] : [])],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	const first = new Promise<Record<string, unknown>>((resolve, reject) => {
		let buf = '';
		child.stdout.on('data', (c: Buffer) => {
			buf += c.toString();
			const nl = buf.indexOf('\n');
			if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
		});
		child.on('error', reject);
	});
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.on('close', (code, signal) => resolve({ code, signal })),
	);
	return { child, first, exited };
}

/** A pid that certainly belongs to no process now. */
function deadPid(): number {
	const pid = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim());
	expect(pid).toBeGreaterThan(0);
	return pid;
}

function writeLock(profile: string, holder: Record<string, unknown>): string {
	ensurePrivateDir(stateDir(profile));
	const file = lockFile(profile);
	fs.writeFileSync(file, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
	return file;
}

describe('the profile lock', () => {
	it('is exclusive across processes: the second refuses and names the holder (pid, host, since, command) and what to do', async () => {
		const holder = holdLock('lab');
		const info = await holder.first;
		expect(info.held).toBe(lockFile('lab'));
		expect((fs.statSync(lockFile('lab')).mode & 0o777).toString(8)).toBe('600');
		const recorded = readLock(lockFile('lab'));
		expect(recorded).toMatchObject({ pid: holder.child.pid, host: os.hostname(), command: 'hold-lock' });
		try {
			acquireProfileLock('lab', 'test');
			throw new Error('expected a refusal');
		} catch (error) {
			expect(error).toBeInstanceOf(ProfileLockedError);
			const message = (error as Error).message;
			expect(message).toContain(`pid ${holder.child.pid} on ${os.hostname()}`);
			expect(message).toContain(`since ${(recorded as { since: string }).since}`);
			expect(message).toContain('running "hold-lock"');
			expect(message).toMatch(/Close that console .* and try again/);
			expect(message).toContain('os-console status --profile lab');
		}
		// Other profiles are not affected.
		acquireProfileLock('other', 'test').release();
		holder.child.kill('SIGKILL');
		await holder.exited;
	});

	it('is re-entrant within one process and released by the last holder', () => {
		const a = acquireProfileLock('lab', 'a');
		const b = acquireProfileLock('lab', 'b');
		a.release();
		expect(fs.existsSync(lockFile('lab'))).toBe(true);
		b.release();
		expect(fs.existsSync(lockFile('lab'))).toBe(false);
	});

	it('takes over a stale lock: dead pid on this host, or a live pid that started at another time', () => {
		const dead = deadPid();
		writeLock('lab', { pid: dead, host: os.hostname(), since: '2020-01-01T00:00:00.000Z', command: 'os-console run' });
		const lock = acquireProfileLock('lab', 'test');
		expect(lock.tookOverFrom).toMatchObject({ pid: dead, since: '2020-01-01T00:00:00.000Z' });
		expect(readLock(lockFile('lab'))).toMatchObject({ pid: process.pid, command: 'test' });
		lock.release();

		// pid 1 is alive, but it is not the process that took this lock (its start time differs).
		writeLock('lab', { pid: 1, host: os.hostname(), since: '2020-01-01T00:00:00.000Z', command: 'x', startTime: '1' });
		expect(isStale(readLock(lockFile('lab')) as never)).toBe(true);
		acquireProfileLock('lab', 'test').release();
	});

	it('refuses a lock held on another host (it cannot tell), and a lock file it cannot read, naming the file', () => {
		const file = writeLock('lab', {
			pid: 1234,
			host: 'other-host.example',
			since: '2020-01-01T00:00:00.000Z',
			command: 'os-console',
		});
		expect(() => acquireProfileLock('lab', 'test')).toThrow(
			/pid 1234 on other-host\.example.*Close it on other-host\.example.*remove .*console\.lock/s,
		);
		expect(readLock(file)).toMatchObject({ host: 'other-host.example' });
		fs.writeFileSync(file, 'garbage');
		expect(() => acquireProfileLock('lab', 'test')).toThrow(/does not say who holds it.*remove that file/s);
		expect(fs.readFileSync(file, 'utf8')).toBe('garbage');
	});

	it('a stale lock is taken over by exactly one of many consoles starting at the same moment', async () => {
		for (let round = 0; round < 2; round++) {
			writeLock('race', {
				pid: deadPid(),
				host: os.hostname(),
				since: `2020-01-0${round + 1}T00:00:00.000Z`,
				command: 'x',
			});
			const startAt = Date.now() + 1500;
			const racers = Array.from({ length: 6 }, () =>
				collect(
					spawn(process.execPath, [path.join(FIXTURES, 'race-lock.mjs'), home, 'race', String(startAt)]),
					undefined,
					30_000,
				),
			);
			const results = await Promise.all(racers);
			const outputs = results.map((r) => r.stdout.trim());
			expect(outputs.filter((o) => o.startsWith('won'))).toHaveLength(1);
			expect(outputs.filter((o) => o === 'lost ProfileLockedError')).toHaveLength(5);
			expect(fs.existsSync(lockFile('race'))).toBe(false);
			expect(fs.readdirSync(stateDir('race')).filter((n) => n.includes('lock'))).toEqual([]);
		}
	});

	it('is released when the holder is terminated by a signal, and the process still ends by that signal', async () => {
		for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
			const holder = holdLock('lab');
			await holder.first;
			expect(fs.existsSync(lockFile('lab'))).toBe(true);
			holder.child.kill(signal);
			expect(await holder.exited).toEqual({ code: null, signal });
			expect(fs.existsSync(lockFile('lab'))).toBe(false);
		}
	});

	it('when the process handles SIGINT itself (run cancelling its steps), the lock stays until it exits', async () => {
		const holder = holdLock('lab', 'graceful');
		await holder.first;
		holder.child.kill('SIGINT');
		await waitForOutput(holder.child, 'cancelling');
		expect(fs.existsSync(lockFile('lab'))).toBe(true);
		expect(await holder.exited).toEqual({ code: 0, signal: null });
		expect(fs.existsSync(lockFile('lab'))).toBe(false);
	});

	it('after kill -9 the lock stays and the next console takes it over', async () => {
		const holder = holdLock('lab');
		await holder.first;
		holder.child.kill('SIGKILL');
		await holder.exited;
		expect(readLock(lockFile('lab'))).toMatchObject({ pid: holder.child.pid });
		const next = holdLock('lab');
		expect((await next.first).tookOverFrom).toMatchObject({ pid: holder.child.pid });
		next.child.kill('SIGTERM');
		await next.exited;
	});

	it('openProfile takes it for consoles that run steps, releases it on close and on a failed open; status-like opens skip it', async () => {
		const dir = tempDir('osc-lock-profile-');
		const file = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'lab' }) as ProfileInput);
		const opened = await openProfile(file, { hostKeys: { mode: 'strict' } });
		expect(opened.lock?.file).toBe(lockFile('lab'));
		expect(fs.existsSync(lockFile('lab'))).toBe(true);
		// A read-only open (its own runner, or lock: false) does not need it.
		const reader = await openProfile(file, { hostKeys: { mode: 'strict' }, runner: new LocalShellRunner() });
		expect(reader.lock).toBeUndefined();
		await reader.engine.close();
		expect(fs.existsSync(lockFile('lab'))).toBe(true);
		await opened.engine.close();
		expect(fs.existsSync(lockFile('lab'))).toBe(false);
		// A broken progress file: the open fails with its message, and the lock is not left behind.
		fs.writeFileSync(path.join(stateDir('lab'), 'progress.json'), '{');
		await expect(openProfile(file, { hostKeys: { mode: 'strict' } })).rejects.toThrow(
			/progress file .* is not valid JSON/,
		);
		expect(fs.existsSync(lockFile('lab'))).toBe(false);
		expect(Profile.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).name).toBe('lab');
	});
});

describe('two os-console processes on one profile (test sshd)', () => {
	let sshd: TestSshd;
	let knownHosts: string;
	beforeAll(async () => {
		sshd = await startSshd({ addresses: ['127.0.0.2'] });
		knownHosts = knownHostsFile(sshd, sshd.dir);
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	function profileFile(settings: Record<string, string>) {
		const root = tempDir('osc-lock-demo-');
		return writeProfile(
			root,
			Profile.parse(sshdProfile(sshd, root, { name: 'locked', nodes: 1, settings })) as ProfileInput,
		);
	}

	const runArgs = (file: string) => [
		'run',
		'--profile',
		file,
		'--step',
		'services/count',
		'--yes',
		'--known-hosts',
		knownHosts,
	];

	it('the second `run` refuses with exit code 2 naming the first (pid, host, since); status still works; after the first ends, runs go on', async () => {
		const file = profileFile({ DEMO_LINES: '30', DEMO_DELAY: '0.1' });
		const first = spawnCli(runArgs(file), { home });
		const firstDone = collect(first, undefined, 60_000);
		await waitForOutput(first, 'line 3 of 30');
		const second = await runCli(runArgs(file), { home });
		expect(second.code).toBe(2);
		expect(second.stderr).toContain(`profile locked is open in another console: pid ${first.pid} on ${os.hostname()}`);
		expect(second.stderr).toMatch(/since \d{4}-\d\d-\d\dT/);
		expect(second.stderr).toContain(`running "os-console ${runArgs(file).join(' ')}"`);
		expect(second.stdout).toBe('');
		// Changing a secret needs the lock too; reading the state does not.
		const set = await runCli(['secrets', '--profile', file, '--set', 'ADMIN_PASS'], {
			home,
			input: 'Another-pass-123\n',
		});
		expect(set.code).toBe(2);
		expect(set.stderr).toContain(`pid ${first.pid}`);
		const status = await runCli(['status', '--profile', file], { home });
		expect(status.code).toBe(0);
		expect(status.stdout).toContain('services/count');
		const done = await firstDone;
		expect(done.code).toBe(0);
		expect(fs.existsSync(path.join(home, 'state', 'locked', 'console.lock'))).toBe(false);
		const third = await runCli([...runArgs(file), '--force'], { home });
		expect(third.code).toBe(0);
	});

	it('a SIGKILLed run leaves its lock; the next run takes it over, says so, re-attaches and finishes the step', async () => {
		const file = profileFile({ DEMO_LINES: '30', DEMO_DELAY: '0.1' });
		const first = spawnCli(runArgs(file), { home });
		const firstDone = collect(first, undefined, 60_000);
		await waitForOutput(first, 'line 3 of 30');
		first.kill('SIGKILL');
		await firstDone;
		const lock = readLock(path.join(home, 'state', 'locked', 'console.lock'));
		expect(lock).toMatchObject({ pid: first.pid });
		await sleep(100);
		const next = await runCli(runArgs(file), { home });
		expect(next.stderr).toContain(`took over the lock of a console that is gone (pid ${first.pid}`);
		expect(next.stdout).toContain('re-attaching');
		expect(next.code).toBe(0);
		expect(fs.existsSync(path.join(home, 'state', 'locked', 'console.lock'))).toBe(false);
	});
});
