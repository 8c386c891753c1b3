/**
 * A program in a real pseudo-terminal, driven from here: util-linux `script` allocates the pty, copies
 * what the program draws to our pipe as it is written, and what we write to the program's terminal.
 * Time stamps are taken when the bytes reach this process, so "the frame showed X" is measured at the
 * operator's side of the terminal, give or take a pipe hop.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { shQuote } from './sh.js';

/** Needles are shorter than this: a search may resume this far before the end of what was searched. */
const OVERLAP = 256;

export interface PtyOptions {
	cols?: number;
	rows?: number;
	env?: NodeJS.ProcessEnv;
	/** Keep at most this many characters of output (older ones are dropped). Default 4 MB. */
	keep?: number;
}

export class Pty {
	readonly child: ChildProcessWithoutNullStreams;
	readonly startedAt: number;
	/** Output so far (the last `keep` characters) and how many characters came before it. */
	private text = '';
	private dropped = 0;
	private readonly keep: number;
	private waiters: {
		/** Search from here (absolute output position): after `from`, and only what was not searched yet. */
		from: number;
		needle: string | RegExp;
		resolve: (t: number) => void;
		reject: (e: Error) => void;
	}[] = [];
	exited: Promise<number | null>;

	constructor(command: string[], opts: PtyOptions = {}) {
		const cols = opts.cols ?? 120;
		const rows = opts.rows ?? 40;
		this.keep = opts.keep ?? 4_000_000;
		const inner = `stty cols ${cols} rows ${rows} && exec ${command.map(shQuote).join(' ')}`;
		this.startedAt = performance.now();
		this.child = spawn('script', ['-qfec', inner, '/dev/null'], {
			env: { TERM: 'xterm-256color', ...(opts.env ?? process.env) },
			stdio: ['pipe', 'pipe', 'pipe'],
			detached: true,
		});
		this.child.stdout.setEncoding('utf8');
		this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
		this.child.stderr.resume();
		this.exited = new Promise((resolve) =>
			this.child.once('close', (code) => {
				// nothing more will be shown: whoever still waits is told so now (and their timers go)
				for (const w of this.waiters.splice(0)) {
					w.reject(new Error(`the terminal closed (exit ${code}) before it showed ${String(w.needle)}`));
				}
				resolve(code);
			}),
		);
	}

	/** Position in the output stream (characters), to wait for what comes after it. */
	get position(): number {
		return this.dropped + this.text.length;
	}

	private onData(chunk: string): void {
		const now = performance.now();
		this.text += chunk;
		if (this.text.length > this.keep) {
			const cut = this.text.length - this.keep;
			this.text = this.text.slice(cut);
			this.dropped += cut;
		}
		if (this.waiters.length === 0) return;
		const end = this.position;
		this.waiters = this.waiters.filter((w) => {
			if (this.shows(w.needle, w.from)) {
				w.resolve(now);
				return false;
			}
			// next time, search only the new output (with an overlap for a needle cut between chunks)
			w.from = Math.max(w.from, end - OVERLAP);
			return true;
		});
	}

	/** Whether the output after position `from` holds `needle`. */
	private shows(needle: string | RegExp, from: number): boolean {
		const start = Math.max(0, from - this.dropped);
		if (typeof needle === 'string') return this.text.indexOf(needle, start) >= 0;
		return needle.test(this.text.slice(start));
	}

	/** Time (performance.now()) at which `needle` appeared in the output after position `from`. */
	waitFor(needle: string | RegExp, from = 0, timeoutMs = 30_000): Promise<number> {
		if (this.shows(needle, from)) return Promise.resolve(performance.now());
		if (this.child.exitCode !== null || this.child.signalCode !== null) {
			return Promise.reject(new Error(`the terminal has closed; it never showed ${String(needle)}`));
		}
		return new Promise((resolve, reject) => {
			const waiter = {
				from,
				needle,
				resolve: (t: number) => {
					clearTimeout(timer);
					resolve(t);
				},
				reject: (e: Error) => {
					clearTimeout(timer);
					reject(e);
				},
			};
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter((w) => w !== waiter);
				reject(new Error(`the terminal never showed ${String(needle)}; last output:\n${this.tail(3000)}`));
			}, timeoutMs);
			this.waiters.push(waiter);
		});
	}

	/** Type into the terminal; returns the output position just before. */
	write(keys: string): number {
		const at = this.position;
		this.child.stdin.write(keys);
		return at;
	}

	tail(chars: number): string {
		// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what we strip
		return this.text.slice(-chars).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
	}

	/** Stop the terminal and its program (the whole process group), waiting up to `ms` for a clean exit. */
	async kill(ms = 3000): Promise<void> {
		const pid = this.child.pid;
		if (pid === undefined || this.child.exitCode !== null) return;
		const timer = setTimeout(() => {
			try {
				process.kill(-pid, 'SIGKILL');
			} catch {
				// gone
			}
		}, ms);
		try {
			process.kill(-pid, 'SIGTERM');
		} catch {
			// gone
		}
		await this.exited;
		clearTimeout(timer);
	}
}
