/**
 * A real terminal for tests: the console in a tmux pane, read with capture-pane and driven with send-keys.
 *
 * Each TmuxTerminal is a tmux server of its own (a socket in a temp directory, `-f /dev/null` so no user or
 * system config applies), started with an explicit environment: nothing of the operator's tmux, shell or
 * the test runner's environment leaks in, and one test file ending its sessions cannot take down another
 * file's server. The server stays up without sessions (exit-empty off), and a pane stays after its command
 * ends, so a test reads the last screen and the `EXITED:<code>` line that start() appends. Waits are generous (60 s): the CI machine may be loaded, and a wait that fails shows the
 * last screen.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** How long a wait for the screen lasts before the test fails with the last screen. */
export const SCREEN_TIMEOUT_MS = 60_000;

/** Long enough for several screen waits in one test, so a failing wait reports its screen before vitest times out. */
export const TMUX_TEST_TIMEOUT_MS = 240_000;

const POLL_MS = 100;

export interface StartOptions {
	/** Variables for this session's command, on top of the server's environment. */
	env?: Record<string, string>;
	width?: number;
	height?: number;
}

export class TmuxTerminal {
	private readonly dir: string;
	private readonly socket: string;
	/** The server's environment, given to every tmux command (the first one starts the server). */
	private readonly env: NodeJS.ProcessEnv;
	private session = '';
	private starts = 0;
	private serverStarted = false;

	/**
	 * `env` adds to the base environment: PATH and HOME of this process, a UTF-8 locale (the console draws
	 * ✔ and box characters), and OS_CONSOLE_SSH_CONFIG=none (never the operator's ~/.ssh/config).
	 */
	constructor(name: string, env: Record<string, string> = {}) {
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `osc-tmux-${name}-`));
		this.socket = path.join(this.dir, 'socket');
		this.env = {
			PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
			HOME: process.env.HOME ?? os.homedir(),
			LANG: 'C.UTF-8',
			LC_ALL: 'C.UTF-8',
			TERM: 'xterm-256color',
			SHELL: '/bin/sh',
			OS_CONSOLE_SSH_CONFIG: 'none',
			...env,
		};
	}

	private tmux(...args: string[]): string {
		return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', '-u', ...args], {
			encoding: 'utf8',
			env: this.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
	}

	/**
	 * Runs `command` (a /bin/sh command line) in a new session of this server, `EXITED:<code>` printed when it
	 * ends; the previous session, if any, is ended.
	 */
	start(command: string, options: StartOptions = {}): void {
		if (!this.serverStarted) {
			this.tmux('start-server', ';', 'set-option', '-s', 'exit-empty', 'off');
			this.serverStarted = true;
		}
		const previous = this.session;
		this.session = `s${++this.starts}`;
		const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
		this.tmux(
			'new-session',
			'-d',
			'-s',
			this.session,
			'-x',
			String(options.width ?? 140),
			'-y',
			String(options.height ?? 40),
			...env,
			// The pane stays (and its last screen readable) after the command: the sleep ends with the server.
			`${command}; echo EXITED:$?; exec sleep 86400`,
		);
		if (previous) this.tmux('kill-session', '-t', `=${previous}`);
	}

	/** The visible text of the current session's pane. */
	screen(): string {
		if (!this.session) throw new Error('no tmux session: call start() first');
		return this.tmux('capture-pane', '-p', '-t', `=${this.session}:`);
	}

	/** Waits until the screen shows `text`; fails with the last screen after `timeoutMs`. */
	waitForScreen(text: string | RegExp, timeoutMs = SCREEN_TIMEOUT_MS): Promise<string> {
		const test = typeof text === 'string' ? (s: string) => s.includes(text) : (s: string) => text.test(s);
		return this.waitUntil(test, `the screen to show ${text}`, timeoutMs);
	}

	/**
	 * Sends keys (tmux key names: Enter, Escape, Down, or characters), then waits for `until` on the screen,
	 * or, when the test cannot name what follows, for the screen to change. Returns that screen.
	 */
	async press(keys: string | string[], until?: string | RegExp): Promise<string> {
		const before = this.screen();
		const list = Array.isArray(keys) ? keys : [keys];
		this.tmux('send-keys', '-t', `=${this.session}:`, ...list);
		if (until !== undefined) return this.waitForScreen(until);
		return this.waitUntil((s) => s !== before, `the screen to change after ${list.join(' ')}`, SCREEN_TIMEOUT_MS);
	}

	private async waitUntil(test: (screen: string) => boolean, what: string, timeoutMs: number): Promise<string> {
		const started = Date.now();
		let last = '';
		for (;;) {
			last = this.screen();
			if (test(last)) return last;
			if (Date.now() - started > timeoutMs) {
				throw new Error(`waited ${Math.round((Date.now() - started) / 1000)} s for ${what}; last screen:\n${last}`);
			}
			await new Promise((resolve) => setTimeout(resolve, POLL_MS));
		}
	}

	/** Ends the server (and every session of it) and removes its socket directory. */
	close(): void {
		try {
			this.tmux('kill-server');
		} catch {
			/* never started, or already gone */
		}
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
