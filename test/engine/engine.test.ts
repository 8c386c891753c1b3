import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
	countNewlines,
	Engine,
	LineRing,
	type RunOutcome,
	type StepRunner,
	type StepRunRequest,
} from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import type { OutputBatch } from '../../source/engine/types.js';
import { Profile, type ProfileNode } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { MARKER_ACTION } from '../../source/runbook/prelude.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { MASK } from '../../source/runbook/render.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome } from '../helpers/profiles.js';

let root: string;

function makeEngine<R extends StepRunner = LocalShellRunner>(
	runner: R = new LocalShellRunner() as StepRunner as R,
	settings: Record<string, string> = {},
) {
	const profile = Profile.parse(demoProfile({ demoRoot: root, settings: { DEMO_ROOT: root, ...settings } } as never));
	const runbook = getRunbook('demo');
	const engine = new Engine({
		runbook,
		profile,
		secrets: loadOrCreateSecrets(profile.name),
		progress: new ProgressStore(profile.name, runbook.id),
		runner,
		journal: new Journal(profile.name),
		operator: 'tester@host',
	});
	return { engine, runner, profile };
}

beforeEach(() => {
	tempHome();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-demo-'));
});

describe('engine', () => {
	it('runs a step on every node it targets and records success, timing and output', async () => {
		const { engine } = makeEngine();
		expect(engine.stepStatus('environment/hosts')).toBe('pending');
		expect(await engine.runStep('environment/hosts')).toBe(true);
		for (const node of ['controller', 'compute1', 'compute2']) {
			const s = engine.state('environment/hosts', node);
			expect(s.status).toBe('succeeded');
			expect(s.exitCode).toBe(0);
			expect(s.attempt).toBe(1);
			expect(Date.parse(s.endedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt!));
			expect(fs.readFileSync(path.join(root, node, 'hosts'), 'utf8')).toContain('127.0.0.2 controller');
		}
		expect(engine.output('environment/hosts', 'compute1').join('\n')).toContain('wrote:');
		expect(engine.sectionProgress('environment')).toEqual({ done: 1, total: 2, failed: 0, running: 0 });
	});

	it('targets roles: controller-only and compute-only steps', async () => {
		const { engine, runner } = makeEngine();
		await engine.runStep('environment/config');
		expect(runner.runs.map((r) => r.node)).toEqual(['controller']);
		await engine.runStep('services/compute-only');
		expect(
			runner.runs
				.slice(1)
				.map((r) => r.node)
				.sort(),
		).toEqual(['compute1', 'compute2']);
	});

	it('fails with the exit code, and a retry re-runs only the failed node', async () => {
		const { engine, runner } = makeEngine();
		fs.mkdirSync(path.join(root, 'compute1'), { recursive: true });
		fs.writeFileSync(path.join(root, 'compute1', 'fail'), '');
		expect(await engine.runStep('services/flaky')).toBe(false);
		const failed = engine.state('services/flaky', 'compute1');
		expect(failed.status).toBe('failed');
		expect(failed.exitCode).toBe(3);
		expect(failed.reason).toContain('exit code 3');
		expect(engine.stderrTail('services/flaky', 'compute1')).toContain('flag file present: failing');
		expect(engine.state('services/flaky', 'controller').status).toBe('succeeded');
		expect(engine.stepStatus('services/flaky')).toBe('failed');

		fs.rmSync(path.join(root, 'compute1', 'fail'));
		const before = runner.runs.length;
		expect(await engine.runStep('services/flaky')).toBe(true);
		expect(runner.runs.slice(before).map((r) => r.node)).toEqual(['compute1']);
		expect(engine.state('services/flaky', 'compute1')).toMatchObject({ status: 'succeeded', attempt: 2 });
		expect(engine.state('services/flaky', 'controller').attempt).toBe(1);
	});

	it('skips a step and records who skipped it and when', () => {
		const { engine } = makeEngine();
		engine.skipStep('services/count');
		const s = engine.state('services/count', 'compute2');
		expect(s.status).toBe('skipped');
		expect(s.skippedBy).toBe('tester@host');
		expect(Number.isNaN(Date.parse(s.skippedAt!))).toBe(false);
		expect(engine.stepStatus('services/count')).toBe('skipped');
	});

	it('reports already-done when the step check passes', async () => {
		const { engine } = makeEngine();
		expect(await engine.runStep('services/compute-only')).toBe(true);
		expect(engine.state('services/compute-only', 'compute1').status).toBe('succeeded');
		expect(await engine.runStep('services/compute-only', { force: true })).toBe(true);
		expect(engine.state('services/compute-only', 'compute1').status).toBe('already-done');
	});

	it('runs a section in order and stops at the first failure; runAll continues after a fix', async () => {
		const { engine } = makeEngine();
		fs.mkdirSync(path.join(root, 'controller'), { recursive: true });
		fs.writeFileSync(path.join(root, 'controller', 'fail'), '');
		expect(await engine.runAll()).toBe(false);
		expect(engine.stepStatus('services/count')).toBe('succeeded');
		expect(engine.stepStatus('services/flaky')).toBe('failed');
		expect(engine.stepStatus('services/compute-only')).toBe('pending');
		expect(engine.stepStatus('finish/secret-file')).toBe('pending');
		fs.rmSync(path.join(root, 'controller', 'fail'));
		expect(await engine.runAll()).toBe(true);
		for (const s of engine.steps) expect(['succeeded', 'already-done']).toContain(engine.stepStatus(s.key));
	});

	it('keeps progress across a restart (a new engine reads the saved state)', async () => {
		const first = makeEngine();
		await first.engine.runStep('environment/hosts');
		first.engine.skipStep('services/count');
		const second = makeEngine();
		expect(second.engine.stepStatus('environment/hosts')).toBe('succeeded');
		expect(second.engine.state('services/count', 'controller').skippedBy).toBe('tester@host');
		const journal = new Journal('test-demo').read();
		expect(journal.filter((e) => e.type === 'step-finished')).toHaveLength(3);
		expect(journal.some((e) => e.type === 'operator' && e.action === 'skip')).toBe(true);
	});

	it('marks a running step whose run left no trace as interrupted on resume', async () => {
		const { engine, profile } = makeEngine();
		const store = new ProgressStore(profile.name, 'demo');
		store.set('services/count', 'controller', {
			status: 'running',
			attempt: 1,
			runId: 'gone',
			startedAt: new Date().toISOString(),
		});
		const restarted = makeEngine();
		await restarted.engine.resume();
		expect(restarted.engine.state('services/count', 'controller').status).toBe('interrupted');
		void engine;
	});

	it('times out a step and cancels on request, stopping the process group', async () => {
		const { engine } = makeEngine(new LocalShellRunner(), { DEMO_LINES: '100', DEMO_DELAY: '0.1' });
		const run = engine.runStep('services/count', { nodes: ['controller'] });
		await new Promise((r) => setTimeout(r, 400));
		expect(engine.isRunning()).toBe(true);
		engine.cancel('services/count');
		expect(await run).toBe(false);
		const s = engine.state('services/count', 'controller');
		expect(s.status).toBe('failed');
		expect(s.reason).toContain('cancelled');
	});

	it('masks secrets in output, logs and state', async () => {
		const { engine, profile } = makeEngine();
		const secrets = loadOrCreateSecrets(profile.name);
		const seen: string[] = [];
		engine.on('output', (batch) => seen.push(...batch.lines));
		await engine.runStep('finish/secret-file');
		const node = 'controller';
		// The step writes the secret into a file; print it through the engine to see masking.
		const logFile = engine.logFile('finish/secret-file', node, 1);
		expect(fs.readFileSync(logFile, 'utf8')).not.toContain(secrets.ADMIN_PASS);
		expect(engine.mask(`pw=${secrets.ADMIN_PASS}!`)).toBe('pw=••••••••!');
		expect(seen.join('\n')).not.toContain(secrets.ADMIN_PASS);
		expect(seen).toContain('export OS_PASSWORD=••••••••');
		expect(fs.readFileSync(logFile, 'utf8')).toContain('export OS_PASSWORD=••••••••');
	});
});

describe('engine output events', () => {
	/**
	 * Delivers fixed chunks to the engine's stream handlers, as a runner's reads would arrive, so the test controls
	 * where chunks end (the local runner's pipe decides that itself). A test double of the StepRunner interface,
	 * named as such: the engine's splitting and batching is what is under test, not a transport.
	 */
	class ChunkRunner implements StepRunner {
		/**
		 * `handsOverChunks`: each chunk is a buffer of its own (the SSH runner's promise). Otherwise the runner reads
		 * every chunk into one buffer and overwrites it after each call, as a runner that reuses its buffer may: the
		 * engine must copy what it keeps.
		 */
		constructor(
			public chunks: { stream: 'stdout' | 'stderr'; text: string | Buffer }[],
			readonly handsOverChunks = false,
		) {}
		async run(_node: ProfileNode, request: StepRunRequest): Promise<RunOutcome> {
			const reused = Buffer.alloc(65536);
			for (const chunk of this.chunks) {
				let data = Buffer.from(chunk.text);
				if (!this.handsOverChunks) data = reused.subarray(0, data.copy(reused));
				if (chunk.stream === 'stdout') request.onStdout(data);
				else request.onStderr(data);
				if (!this.handsOverChunks) reused.fill(0x58);
			}
			return { kind: 'exited', code: 0 };
		}
		async attach(): Promise<RunOutcome> {
			return { kind: 'no-trace' };
		}
	}

	it('emits one batch per chunk and stream, lines in order, split where a marker line turns into a console line', async () => {
		const numbers = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`);
		const { engine } = makeEngine(
			new ChunkRunner([
				{ stream: 'stdout', text: `${numbers.slice(0, 250).join('\n')}\n` },
				{
					stream: 'stdout',
					text: `${numbers.slice(250).join('\n')}\n${MARKER_ACTION} 2/3 restart\nafter marker\npartial`,
				},
				{ stream: 'stderr', text: 'oops 1\noops 2\n' },
				{ stream: 'stdout', text: ' end\n' },
			]),
		);
		const batches: OutputBatch[] = [];
		engine.on('output', (batch) => {
			if (batch.node === 'controller') batches.push(batch);
		});
		const before = engine.version;
		expect(await engine.runStep('environment/config')).toBe(true);
		const shape = batches.map((b) => [b.stream, b.lines.length]);
		// The attempt's opening note, then the chunks; the ending note last.
		expect(shape[0]).toEqual(['console', 1]);
		expect(shape.slice(1, -1)).toEqual([
			['stdout', 250],
			['stdout', 250],
			['console', 1],
			['stdout', 1],
			['stderr', 2],
			['stdout', 1],
		]);
		expect(shape.at(-1)?.[0]).toBe('console');
		const stdout = batches.filter((b) => b.stream === 'stdout').flatMap((b) => b.lines);
		expect(stdout).toEqual([...numbers, 'after marker', 'partial end']);
		expect(batches[3]!.lines).toEqual(['── [2/3] restart']);
		expect(batches.every((b) => b.stepKey === 'environment/config' && b.attempt === 1 && b.lines.length > 0)).toBe(
			true,
		);
		// The version still counts lines (the TUI's store compares it), not events.
		expect(engine.version - before).toBeGreaterThanOrEqual(batches.reduce((n, b) => n + b.lines.length, 0));
		// The pane's ring has every line too.
		expect(engine.output('environment/config', 'controller')).toContain('line 500');
	});

	it.each([
		['a runner that reuses its buffer', false],
		['a runner that hands its chunks over', true],
	])(
		'gives the same lines, pane and log wherever chunks end: in a line, a UTF-8 character, an escape, a secret (%s)',
		async (_runner, handsOver) => {
			const runner = new ChunkRunner([], handsOver);
			const { engine, profile } = makeEngine(runner);
			const secret = loadOrCreateSecrets(profile.name).ADMIN_PASS;
			const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}`);
			const sent = [
				...numbers(1, 40),
				`pw=${secret} end`,
				'euro € and 中文 ✓',
				'\u001b[31mred\u001b[0m text',
				// Stripping the escapes joins the secret's two halves: masked all the same.
				`colour \u001b[1m${secret.slice(0, 3)}\u001b[0m${secret.slice(3)} joined`,
				...numbers(41, 80),
				`${secret}`,
				...numbers(81, 90),
				// Not UTF-8: a cut-off "€" and a stray byte, decoded to U+FFFD wherever the chunks end.
				Buffer.from([0x62, 0x61, 0x64, 0x20, 0xe2, 0x82, 0x20, 0xff]),
				'',
				'last',
			];
			const expected = [
				...numbers(1, 40),
				`pw=${MASK} end`,
				'euro € and 中文 ✓',
				'red text',
				`colour ${MASK} joined`,
				...numbers(41, 80),
				MASK,
				...numbers(81, 90),
				'bad \ufffd \ufffd',
				'',
				'last',
			];
			const bytes = Buffer.concat(sent.map((line) => Buffer.concat([Buffer.from(line), Buffer.from('\n')])));
			const at = (text: string, offset: number) => bytes.indexOf(text) + offset;
			const cutsAt = (cuts: number[]) =>
				[0, ...cuts].map((from, i) => ({
					stream: 'stdout' as const,
					text: bytes.subarray(from, cuts[i] ?? bytes.length),
				}));
			const chunkings: [string, { stream: 'stdout'; text: Buffer }[]][] = [
				['one chunk', cutsAt([])],
				// Several lines per chunk, cut inside the first secret, inside "€", inside an escape, inside the bare secret.
				['cut inside', cutsAt([at(secret, 4), at('€', 1), at('[31m', 1), at(`\n${secret}\n`, 5)])],
			];
			for (const size of [1, 2, 3, 7, 64]) {
				const chunks = [];
				for (let i = 0; i < bytes.length; i += size)
					chunks.push({ stream: 'stdout' as const, text: bytes.subarray(i, i + size) });
				chunkings.push([`chunks of ${size} bytes`, chunks]);
			}
			for (const [name, chunks] of chunkings) {
				runner.chunks = chunks;
				const batches: OutputBatch[] = [];
				const listen = (batch: OutputBatch) => batches.push(batch);
				engine.on('output', listen);
				const before = engine.version;
				expect(await engine.runStep('environment/config', { nodes: ['controller'], force: true }), name).toBe(true);
				engine.off('output', listen);
				const stdout = batches.filter((b) => b.stream === 'stdout');
				expect(
					stdout.flatMap((b) => b.lines),
					name,
				).toEqual(expected);
				for (const b of batches) {
					expect(b.count, name).toBe(b.lines.length);
					expect(b.text, name).toBe(b.lines.join('\n'));
				}
				expect(engine.version - before, name).toBeGreaterThanOrEqual(expected.length);
				const notNote = (l: string) => !l.startsWith('── ');
				expect(engine.output('environment/config', 'controller').filter(notNote), name).toEqual(expected);
				const attempt = engine.state('environment/config', 'controller').attempt;
				const log = fs.readFileSync(engine.logFile('environment/config', 'controller', attempt), 'utf8');
				expect(log.split('\n').slice(0, -1).filter(notNote), name).toEqual(expected);
				expect(log, name).not.toContain(secret);
				expect(stdout.map((b) => b.text).join('\n'), name).not.toContain(secret);
			}
		},
	);
	it('a large chunk with a marker, an escape and a secret: only the lines around them go line by line', async () => {
		const runner = new ChunkRunner([], true);
		const { engine, profile } = makeEngine(runner);
		const secret = loadOrCreateSecrets(profile.name).ADMIN_PASS;
		const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}`);
		const sent = [
			`${MARKER_ACTION} 1/1 flood`,
			...numbers(1, 20_000),
			'\u001b[32mgreen\u001b[0m',
			...numbers(20_001, 40_000),
			`key ${secret}`,
			...numbers(40_001, 45_000),
		];
		const expected = [
			...numbers(1, 20_000),
			'green',
			...numbers(20_001, 40_000),
			`key ${MASK}`,
			...numbers(40_001, 45_000),
		];
		runner.chunks = [{ stream: 'stdout', text: `${sent.join('\n')}\n` }];
		const batches: OutputBatch[] = [];
		engine.on('output', (batch) => batches.push(batch));
		expect(await engine.runStep('environment/config', { nodes: ['controller'] })).toBe(true);
		const stdout = batches.filter((b) => b.stream === 'stdout');
		expect(stdout.flatMap((b) => b.lines)).toEqual(expected);
		expect(batches.find((b) => b.stream === 'console' && b.lines[0] === '── [1/1] flood')).toBeDefined();
		// most lines went as bytes (the halves without anything special), a few thousand at most line by line
		const asBytes = stdout.filter((b) => b.bytes).reduce((n, b) => n + b.count, 0);
		expect(asBytes).toBeGreaterThan(expected.length - 3000);
		const attempt = engine.state('environment/config', 'controller').attempt;
		const log = fs.readFileSync(engine.logFile('environment/config', 'controller', attempt), 'utf8');
		expect(log.split('\n').filter((l) => !l.startsWith('── ') && l !== '')).toEqual(expected);
		expect(log).not.toContain(secret);
	});
});

describe('LineRing.pushBytes', () => {
	it('keeps what pushing the lines one by one keeps, mixed with single lines, at any capacity', () => {
		for (const capacity of [1, 3, 5, 300]) {
			const one = new LineRing(capacity);
			const runs = new LineRing(capacity);
			let n = 0;
			const line = () => (n % 5 === 0 ? `l${n++} € ✓` : `l${n++}`);
			for (const count of [2, 1, 0, 7, 3, 600, 4, 1, 1]) {
				const lines = Array.from({ length: count }, line);
				for (const l of lines) one.push(l);
				runs.pushBytes(Buffer.from(lines.map((l) => `${l}\n`).join('')), lines.length);
				expect(runs.toArray()).toEqual(one.toArray());
				const single = line();
				one.push(single);
				runs.push(single);
				expect(runs.toArray()).toEqual(one.toArray());
				expect(runs.total).toBe(one.total);
			}
			expect(runs.toArray()).toHaveLength(capacity);
		}
	});
});

describe('countNewlines', () => {
	it('counts every newline byte, at any alignment and length', () => {
		const backing = Buffer.alloc(300);
		for (let i = 0; i < backing.length; i++)
			backing[i] = [10, 0x0a0a, 0x8a, 0x0b, 0x09, 0x2a][(i * 7 + (i >> 3)) % 6]! & 0xff;
		for (let from = 0; from < 9; from++)
			for (const length of [0, 1, 3, 4, 5, 8, 31, 64, 200, 291 - from]) {
				const bytes = backing.subarray(from, from + length);
				let expected = 0;
				for (const b of bytes) if (b === 10) expected++;
				expect(countNewlines(bytes), `from ${from}, ${length} bytes`).toBe(expected);
			}
		expect(countNewlines(Buffer.from('a\nb\n\n€\n'))).toBe(4);
		// every byte a newline, past the 255 words whose counts one number holds, at every alignment
		const newlines = Buffer.alloc(4 * 255 * 3 + 11, 10);
		for (let from = 0; from < 4; from++) expect(countNewlines(newlines.subarray(from))).toBe(newlines.length - from);
	});
});

describe('LineRing.pushAll', () => {
	it('keeps what pushing the lines one by one keeps, and counts them all', () => {
		for (const count of [0, 3, 5, 12]) {
			const lines = Array.from({ length: count }, (_, i) => `l${i}`);
			const one = new LineRing(5);
			const all = new LineRing(5);
			one.push('before');
			all.push('before');
			for (const line of lines) one.push(line);
			all.pushAll(lines);
			expect(all.toArray()).toEqual(one.toArray());
			expect(all.total).toBe(count + 1);
		}
	});
});

describe('engine.exec (ad-hoc actions for checks and forms)', () => {
	it('runs actions on one node without touching progress, masking output', async () => {
		const { engine, profile } = makeEngine();
		const secrets = loadOrCreateSecrets(profile.name);
		const result = await engine.exec('compute1', {
			title: 'probe',
			actions: [
				{
					kind: 'shell',
					describe: 'print',
					script: 'echo "name={{NODE_NAME}} pw={{ADMIN_PASS}}"; echo oops >&2; exit 4',
				},
			],
		});
		expect(result.ok).toBe(false);
		expect(result.code).toBe(4);
		expect(result.stdout).toBe('name=compute1 pw=••••••••');
		expect(result.stderr).toBe('oops');
		expect(result.script).not.toContain(secrets.ADMIN_PASS);
		expect(engine.stepStatus('environment/hosts')).toBe('pending');
	});
});
