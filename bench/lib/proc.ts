/** Timing child processes, bounded in time; reading their memory. */
import { type SpawnOptions, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Timed {
	ms: number;
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export interface TimeOptions {
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** Kill the process (group) after this long; the run then fails. Default 10 minutes. */
	timeoutMs?: number;
	/** Keep stdout (default: discarded, like > /dev/null). */
	captureStdout?: boolean;
	/** Keep at most this much stderr for error messages. Default 64 KiB. */
	stderrLimit?: number;
	stdin?: string;
}

/** Run `cmd args`, time it from spawn to exit. stdout goes to /dev/null unless captured. */
export function timeCommand(cmd: string, args: string[], opts: TimeOptions = {}): Promise<Timed> {
	return new Promise((resolve, reject) => {
		const spawnOpts: SpawnOptions = {
			env: opts.env ?? process.env,
			cwd: opts.cwd,
			stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', opts.captureStdout ? 'pipe' : 'ignore', 'pipe'],
			detached: true,
		};
		const t0 = performance.now();
		const child = spawn(cmd, args, spawnOpts);
		let stdout = '';
		let stderr = '';
		const limit = opts.stderrLimit ?? 65536;
		child.stdout?.on('data', (c: Buffer) => {
			stdout += c.toString();
		});
		child.stderr?.on('data', (c: Buffer) => {
			if (stderr.length < limit) stderr += c.toString();
		});
		if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
		const timeoutMs = opts.timeoutMs ?? 600_000;
		const timer = setTimeout(() => {
			try {
				if (child.pid) process.kill(-child.pid, 'SIGKILL');
			} catch {
				// gone
			}
			reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)}: still running after ${timeoutMs} ms (killed)`));
		}, timeoutMs);
		child.once('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		child.once('close', (code, signal) => {
			const ms = performance.now() - t0;
			clearTimeout(timer);
			resolve({ ms, code, signal, stdout, stderr });
		});
	});
}

/** Like timeCommand, but a non-zero exit is an error (with the command's stderr). */
export async function timeOk(cmd: string, args: string[], opts: TimeOptions = {}): Promise<Timed> {
	const r = await timeCommand(cmd, args, opts);
	if (r.code !== 0) {
		throw new Error(
			`${cmd} ${args.join(' ').slice(0, 300)} exited ${r.code ?? r.signal}:\n${r.stderr.slice(-3000)}${r.stdout.slice(-2000)}`,
		);
	}
	return r;
}

/** Peak resident set (VmHWM) of a live process, in MB. */
export function peakRssMb(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const m = /VmHWM:\s+(\d+) kB/.exec(status);
	if (!m) throw new Error(`no VmHWM for pid ${pid}`);
	return Number(m[1]) / 1024;
}

/** Descendants of `pid` (any depth) whose command name is `comm`. */
export function descendantsNamed(pid: number, comm: string): number[] {
	const parent = new Map<number, number>();
	const names = new Map<number, string>();
	for (const d of readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
			const close = stat.lastIndexOf(')');
			names.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
			parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
		} catch {
			// vanished
		}
	}
	const out: number[] = [];
	for (const [p, name] of names) {
		if (name !== comm) continue;
		for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) {
			if (q === pid) {
				out.push(p);
				break;
			}
		}
	}
	return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or `fallback` after `ms` (the timer is cleared either way). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([promise, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
	} finally {
		clearTimeout(timer);
	}
}
