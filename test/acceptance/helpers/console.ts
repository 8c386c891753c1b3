/**
 * Drives the built console (`node dist/cli.js ...`) as an operator would, headless: every command runs as a
 * child process with its own OS_CONSOLE_HOME. Output is streamed to a log file (and, prefixed, to stdout
 * when OSC_ACC_VERBOSE=1) and kept in memory for the assertions.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

export interface ConsoleResult {
	code: number | null;
	stdout: string;
	stderr: string;
	seconds: number;
}

export interface RunEvent {
	type: 'output' | 'state' | 'connection' | 'summary';
	step?: string;
	node?: string;
	stream?: string;
	text?: string;
	status?: string;
	reason?: string;
	ok?: boolean;
	seconds?: number;
	failed?: { step: string; node: string; status: string; reason?: string; attempt?: number }[];
	[key: string]: unknown;
}

export function runConsole(
	args: string[],
	options: { home: string; log: string; label: string; timeoutMs?: number },
): Promise<ConsoleResult> {
	const started = performance.now();
	const log = fs.createWriteStream(options.log, { flags: 'a' });
	log.write(`\n===== ${new Date().toISOString()} os-console ${args.join(' ')}\n`);
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], {
			env: { ...process.env, OS_CONSOLE_HOME: options.home, NO_COLOR: '1' },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		let partial = '';
		const timer = options.timeoutMs
			? setTimeout(() => {
					log.write(`\n===== timed out after ${options.timeoutMs} ms: stopping the console (SIGTERM)\n`);
					child.kill('SIGTERM');
				}, options.timeoutMs)
			: undefined;
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			stdout += chunk;
			log.write(chunk);
			if (process.env.OSC_ACC_VERBOSE === '1') {
				const lines = (partial + chunk).split('\n');
				partial = lines.pop() ?? '';
				for (const line of lines) process.stdout.write(`[${options.label}] ${summarizeLine(line)}\n`);
			}
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			stderr += chunk;
			log.write(chunk);
		});
		child.on('error', reject);
		child.on('close', (code) => {
			if (timer) clearTimeout(timer);
			log.end();
			resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
		});
	});
}

function summarizeLine(line: string): string {
	try {
		const e = JSON.parse(line) as RunEvent;
		if (e.type === 'output') return `${e.node} ${e.step}: ${e.text}`;
		if (e.type === 'state') return `${e.node} ${e.step}: ${e.status}${e.reason ? ` (${e.reason})` : ''}`;
		return line;
	} catch {
		return line;
	}
}

export function parseEvents(stdout: string): RunEvent[] {
	const events: RunEvent[] = [];
	for (const line of stdout.split('\n')) {
		if (!line.startsWith('{')) continue;
		try {
			events.push(JSON.parse(line) as RunEvent);
		} catch {
			/* not an event */
		}
	}
	return events;
}

/** The final state of every (step, node) a run reported. */
export function finalStates(events: RunEvent[]): Map<string, RunEvent> {
	const states = new Map<string, RunEvent>();
	for (const e of events) if (e.type === 'state' && e.step && e.node) states.set(`${e.step}@${e.node}`, e);
	return states;
}

/** Output lines of one step on one node, in order. */
export function stepOutput(events: RunEvent[], step: string, node: string): string[] {
	return events.filter((e) => e.type === 'output' && e.step === step && e.node === node).map((e) => e.text ?? '');
}

export function writeJson(file: string, value: unknown): string {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
	return file;
}
