/**
 * State that survives kill -9: a child process (the built ProgressStore and Journal) writes step states and
 * journal lines in a loop; the test SIGKILLs it at a random moment, hundreds of times. After every kill the
 * progress file and the journal load, and every step the child reported complete is there, in both.
 * Children are started ahead of time (they wait for "go"), so the loop costs the kill, not node's startup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { ProfileError, stateDir } from '../../source/profile/store.js';
import { ensureBuilt, FIXTURES, tempDir } from './helpers.js';

const ITERATIONS = 300;
/**
 * Each kill costs a node startup (~0.1-0.2 s of CPU): 300 take ~30 s on an idle two-CPU machine. A loaded
 * machine starts node more slowly, so the loop stops at the budget, but never with fewer than MIN_KILLS.
 */
const BUDGET_MS = 52_000;
const MIN_KILLS = 100;
const POOL = 3;
const SLOTS = 40;
const PROFILE = 'killed';

interface Writer {
	child: ChildProcess;
	ready: Promise<void>;
	writing: Promise<void>;
	acked: number[];
	exited: Promise<void>;
	output: string;
}

let home: string;
const live: ChildProcess[] = [];

beforeAll(() => {
	ensureBuilt();
	home = tempDir('osc-kill-home-');
	process.env.OS_CONSOLE_HOME = home;
});
afterAll(() => {
	for (const c of live) c.kill('SIGKILL');
});

function startWriter(): Writer {
	const child = spawn(process.execPath, [path.join(FIXTURES, 'state-writer.mjs'), home, PROFILE], {
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	live.push(child);
	const writer: Writer = {
		child,
		acked: [],
		output: '',
		ready: undefined as never,
		writing: undefined as never,
		exited: undefined as never,
	};
	let buffer = '';
	let markWriting = () => {};
	writer.writing = new Promise((resolve) => {
		markWriting = resolve;
	});
	writer.ready = new Promise((resolve, reject) => {
		child.stdout!.on('data', (c: Buffer) => {
			buffer += c.toString();
			let nl = buffer.indexOf('\n');
			while (nl >= 0) {
				const line = buffer.slice(0, nl);
				buffer = buffer.slice(nl + 1);
				writer.output += `${line}\n`;
				if (line === 'ready') resolve();
				else if (line === 'writing') markWriting();
				else if (line.startsWith('done ')) writer.acked.push(Number(line.slice(5)));
				nl = buffer.indexOf('\n');
			}
		});
		child.once('exit', (code, signal) => {
			reject(new Error(`writer exited (${code ?? signal}) before it was ready: ${writer.output}`));
			markWriting();
		});
	});
	writer.ready.catch(() => {}); // awaited in the loop; the spares killed at the end never get ready
	writer.exited = new Promise((resolve) => child.once('close', () => resolve()));
	child.stdin!.on('error', () => {});
	return writer;
}

describe('kill -9 in a loop', () => {
	it(`progress and journal load after every one of ${ITERATIONS} kills, with no completed step lost`, async () => {
		const started = Date.now();
		const pool: Writer[] = Array.from({ length: POOL }, () => startWriter());
		let kills = 0;
		let acknowledged = 0;
		let tornTails = 0;
		let rotations = 0;
		let lastAcked = 0;
		const finishedInJournal = new Set<number>();
		let journalEvents = 0;
		for (let i = 0; i < ITERATIONS && Date.now() - started < BUDGET_MS; i++) {
			const writer = pool.shift()!;
			pool.push(startWriter());
			await writer.ready;
			writer.child.stdin!.write('go\n');
			// Anywhere from "still loading the files" to "dozens of steps in".
			if (Math.random() < 0.2) await new Promise((r) => setTimeout(r, Math.random() * 15));
			else {
				await writer.writing;
				await new Promise((r) => setTimeout(r, Math.random() * 25));
			}
			writer.child.kill('SIGKILL');
			await writer.exited;
			kills++;
			expect(writer.output).not.toContain('damaged');

			// The files load (a torn last journal line is the only damage allowed) ...
			let progress: ProgressStore;
			let events: ReturnType<Journal['read']>;
			const journal = new Journal(PROFILE);
			try {
				progress = new ProgressStore(PROFILE, 'demo');
				events = journal.read();
			} catch (error) {
				throw new Error(`after kill ${kills}: ${(error as ProfileError).message}`);
			}
			if (journal.tornTail) tornTails++;
			// ... and every step the writer reported done is there.
			for (const n of writer.acked) {
				expect(n).toBeGreaterThan(lastAcked);
				lastAcked = n;
				const state = progress.get(`s/${n % SLOTS}`, 'n1');
				expect(state.attempt).toBeGreaterThanOrEqual(n);
				if (state.attempt === n) expect(state.status).toBe('succeeded');
			}
			for (const e of events.slice(journalEvents)) {
				if (e.type === 'step-finished') finishedInJournal.add(e.attempt as number);
			}
			journalEvents = events.length;
			for (const n of writer.acked) expect(finishedInJournal.has(n)).toBe(true);
			acknowledged += writer.acked.length;
			// Keep the journal small enough to read after every kill: rotate it now and then.
			if (i % 10 === 9 && fs.existsSync(journal.file)) {
				fs.renameSync(journal.file, `${journal.file}.${++rotations}`);
				journalEvents = 0;
			}
		}
		for (const w of pool) w.child.kill('SIGKILL');
		await Promise.all(pool.map((w) => w.exited));
		const seconds = (Date.now() - started) / 1000;
		console.log(
			`kill loop: ${kills} kills in ${seconds.toFixed(1)} s, ${acknowledged} steps completed and kept, ${tornTails} torn journal tails seen`,
		);
		expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
		expect(acknowledged).toBeGreaterThan(kills / 10);
		expect(seconds).toBeLessThan(60);
		// Temp files of killed writers were cleaned up when the next store opened.
		new ProgressStore(PROFILE, 'demo');
		expect(fs.readdirSync(stateDir(PROFILE)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
		for (const file of fs.readdirSync(stateDir(PROFILE))) {
			expect((fs.statSync(path.join(stateDir(PROFILE), file)).mode & 0o777).toString(8)).toBe('600');
		}
	}, 90_000);
});

describe('the journal after a crash', () => {
	it('tolerates a torn last line only; the next writer cuts it off (kept aside) so its lines start clean', () => {
		const journal = new Journal('torn', 'run-1');
		journal.append({ type: 'step-started', step: 'a/b', node: 'n1' });
		journal.append({ type: 'step-finished', step: 'a/b', node: 'n1' });
		const whole = fs.readFileSync(journal.file, 'utf8');
		fs.appendFileSync(journal.file, '{"at":"2024-01-01T00:00:00Z","run":"run-1","type":"step-sta');
		expect(new Journal('torn').read().map((e) => e.type)).toEqual(['step-started', 'step-finished']);
		const reader = new Journal('torn');
		reader.read();
		expect(reader.tornTail).toBe(true);

		const next = new Journal('torn', 'run-2');
		next.append({ type: 'operator', action: 'run' });
		const text = fs.readFileSync(journal.file, 'utf8');
		expect(text.startsWith(whole)).toBe(true);
		expect(text.slice(whole.length)).toMatch(/^\{"at":"[^"]+","run":"run-2","type":"operator","action":"run"\}\n$/);
		const aside = fs.readdirSync(stateDir('torn')).filter((n) => n.startsWith('journal.jsonl.torn-'));
		expect(aside).toHaveLength(1);
		expect(fs.readFileSync(path.join(stateDir('torn'), aside[0]!), 'utf8')).toBe(
			'{"at":"2024-01-01T00:00:00Z","run":"run-1","type":"step-sta',
		);
		expect(new Journal('torn').read()).toHaveLength(3);
	});

	it('a last line that is whole but for its newline is kept, not cut', () => {
		const journal = new Journal('whole', 'run-1');
		journal.append({ type: 'a' });
		fs.appendFileSync(journal.file, '{"type":"b"}');
		expect(journal.read().map((e) => e.type)).toEqual(['a', 'b']);
		new Journal('whole', 'run-2').append({ type: 'c' });
		expect(new Journal('whole').read().map((e) => e.type)).toEqual(['a', 'b', 'c']);
	});

	it('a damaged line in the middle is reported with the file and line number, and the file is left as it is', () => {
		const journal = new Journal('middle', 'run-1');
		journal.append({ type: 'a' });
		fs.appendFileSync(journal.file, 'not json at all\n');
		journal.append({ type: 'c' });
		const before = fs.readFileSync(journal.file);
		expect(() => new Journal('middle').read()).toThrow(ProfileError);
		expect(() => new Journal('middle').read()).toThrow(new RegExp(`journal ${journal.file} line 2 is damaged`));
		expect(fs.readFileSync(journal.file)).toEqual(before);
	});
});
