/** Shared pieces of the hardening tests: the built CLI, profiles for the test sshd, file walks. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileInput } from '../../source/profile/schema.js';
import { demoProfile } from '../helpers/profiles.js';
import type { TestSshd } from '../helpers/sshd.js';

export const CLI = path.resolve('dist/cli.js');
export const FIXTURES = path.resolve('test/hardening/fixtures');

/** The tests run the built CLI and built modules: build once if dist is missing. */
export function ensureBuilt(): void {
	if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
}

export function tempDir(prefix: string): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export interface CliOptions {
	home: string;
	input?: string;
	env?: Record<string, string | undefined>;
	timeoutMs?: number;
	cwd?: string;
}

/** Run `node dist/cli.js ARGS` with OS_CONSOLE_HOME=home; stdin gets `input` (or nothing). */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
	const child = spawnCli(args, options);
	return collect(child, options.input, options.timeoutMs ?? 60_000);
}

export function spawnCli(args: string[], options: Omit<CliOptions, 'input' | 'timeoutMs'>) {
	return spawn(process.execPath, [CLI, ...args], {
		cwd: options.cwd,
		env: { ...process.env, OS_CONSOLE_HOME: options.home, SSH_AUTH_SOCK: '', ...options.env },
		stdio: ['pipe', 'pipe', 'pipe'],
	});
}

export function collect(
	child: ReturnType<typeof spawn>,
	input: string | undefined,
	timeoutMs: number,
): Promise<CliResult> {
	let stdout = '';
	let stderr = '';
	child.stdout?.on('data', (c: Buffer) => {
		stdout += c.toString();
	});
	child.stderr?.on('data', (c: Buffer) => {
		stderr += c.toString();
	});
	child.stdin?.on('error', () => {});
	child.stdin?.end(input ?? '');
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`CLI timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
		}, timeoutMs);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

/** Resolves when `text` shows up in the child's stdout. */
export function waitForOutput(
	child: ReturnType<typeof spawn>,
	text: string | RegExp,
	timeoutMs = 30_000,
): Promise<string> {
	return new Promise((resolve, reject) => {
		let seen = '';
		const timer = setTimeout(() => reject(new Error(`did not see ${text} in: ${seen}`)), timeoutMs);
		const onData = (c: Buffer) => {
			seen += c.toString();
			if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
				clearTimeout(timer);
				child.stdout?.off('data', onData);
				resolve(seen);
			}
		};
		child.stdout?.on('data', onData);
	});
}

/** A known_hosts file trusting the test sshd on all its addresses. */
export function knownHostsFile(sshd: TestSshd, dir: string): string {
	const file = path.join(dir, 'known_hosts');
	fs.writeFileSync(file, `${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n`);
	return file;
}

/** The demo profile against the test sshd: nodes on its addresses, its client key, DEMO_ROOT under root. */
export function sshdProfile(
	sshd: TestSshd,
	root: string,
	options: { name?: string; settings?: Record<string, string>; nodes?: 1 | 2 | 3 } = {},
): ProfileInput {
	const input = demoProfile({
		demoRoot: root,
		port: sshd.port,
		keyFile: sshd.clientKeyPath,
		settings: { DEMO_ROOT: root, ...options.settings },
		...(options.name ? { name: options.name } : {}),
	} as never);
	input.nodes = input.nodes.slice(0, options.nodes ?? 3).map((n, i) => ({
		...n,
		host: sshd.addresses[i] ?? sshd.host,
	}));
	return input;
}

/** Every file and directory under `dir` (not following symlinks). */
export function walk(dir: string): { file: string; dir: boolean; mode: number }[] {
	const out: { file: string; dir: boolean; mode: number }[] = [];
	const visit = (p: string) => {
		const st = fs.lstatSync(p);
		out.push({ file: p, dir: st.isDirectory(), mode: st.mode & 0o777 });
		if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
	};
	visit(dir);
	return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
