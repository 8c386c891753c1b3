/**
 * The engine: runs a runbook's steps on the profile's nodes through a StepRunner (SSH in the console,
 * anything that honours the interface in tests of the engine's own logic), keeps the state of every
 * (step, node), saves it on every change, writes each attempt's output to a log file, and masks secrets
 * in everything it emits. No React here: screens subscribe to its events.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import type { Profile, ProfileNode } from '../profile/schema.js';
import { type ActionInput, type Runbook, type RunbookSection, RunbookStep, stepKey } from '../runbook/model.js';
import { MARKER_ACTION, MARKER_ALREADY_DONE, MARKER_PREFIX } from '../runbook/prelude.js';
import { MASK, nodesForStep, renderSecretsEnv, renderStep } from '../runbook/render.js';
import type { Secrets } from '../runbook/variables.js';
import type { Journal } from './journal.js';
import { AttemptLog, attemptLogFile } from './logs.js';
import type { ProgressStore } from './progress-store.js';
import {
	type EngineEvents,
	isDone,
	type NodeConnection,
	type NodeStepState,
	type OutputBatch,
	type OutputStream,
} from './types.js';

export type RunOutcome =
	| { kind: 'exited'; code: number }
	| { kind: 'signaled'; signal: string }
	| { kind: 'no-trace' }
	| { kind: 'timeout' }
	| { kind: 'cancelled'; code?: number };

export interface ExecResult {
	ok: boolean;
	code?: number;
	outcome: RunOutcome | { kind: 'error'; message: string };
	/** Masked output, marker lines removed. */
	stdout: string;
	stderr: string;
	/** The script that ran (no secret values in it). */
	script: string;
}

export interface StreamHandlers {
	onStdout(chunk: Buffer): void;
	onStderr(chunk: Buffer): void;
	onConnection?(connection: NodeConnection): void;
}

export interface StepRunRequest extends StreamHandlers {
	runId: string;
	script: string;
	secretsEnv: string;
	timeoutMs: number;
	signal: AbortSignal;
	/**
	 * Resolves once the step's start is saved; a runner with `holdsUntilSaved` sends the script only then. Absent
	 * when there is nothing to save (an ad-hoc command).
	 */
	saved?: Promise<void>;
}

export interface AttachRequest extends StreamHandlers {
	runId: string;
	offsets: { stdout: number; stderr: number };
	timeoutMs: number;
	signal: AbortSignal;
}

/** Runs rendered scripts on nodes, detached from the connection (see ssh/remote-run.ts). */
export interface StepRunner {
	/**
	 * true: run() sends nothing to the node before `request.saved` resolves (and fails when it rejects), so the
	 * engine calls it without waiting for the start save. Otherwise run() is called once the start is saved.
	 */
	readonly holdsUntilSaved?: boolean;
	/**
	 * true: a chunk given to onStdout/onStderr is never reused or changed afterwards (like a stream's 'data'
	 * chunks), so the engine keeps its lines without copying it. Otherwise the engine copies what it keeps.
	 */
	readonly handsOverChunks?: boolean;
	run(node: ProfileNode, request: StepRunRequest): Promise<RunOutcome>;
	attach(node: ProfileNode, request: AttachRequest): Promise<RunOutcome>;
	close?(): Promise<void>;
}

export interface EngineOptions {
	runbook: Runbook;
	profile: Profile;
	secrets: Secrets;
	progress: ProgressStore;
	runner: StepRunner;
	journal?: Journal;
	/** How many nodes run a step at once. */
	concurrency?: number;
	/** Lines kept in memory per (step, node) for the output panes; the log file has everything. */
	bufferLines?: number;
	/** Who is at the keyboard, recorded with skips. */
	operator?: string;
}

export interface PlannedStep {
	key: string;
	section: RunbookSection;
	step: RunbookStep;
	nodes: ProfileNode[];
}

/**
 * Splits a byte stream into lines. It keeps the bytes after the last newline until the next one arrives, so what
 * it hands on is always whole lines: a character, an escape sequence or a secret cut by a chunk boundary is whole
 * again (decoding each block of whole lines gives the text a streaming UTF-8 decoder gives, invalid bytes
 * included). `inspect` sees the text the lines of one call are cut from, so per-line work can be decided once.
 */
/** A block of lines emitBytes refuses is split in halves while it is at least this long (LineSplitter.lines). */
const SPLIT_BELOW = 4096;

class LineSplitter {
	/** The bytes of the line not ended yet (copies, unless the runner hands its chunks over). */
	private pending: Buffer[] = [];
	/**
	 * `handedOver`: the runner never reuses or changes a chunk after handing it over (StepRunner.handsOverChunks),
	 * so the lines can be kept as parts of it, without a copy. cpu-prof of the 50 MB flood: copying every chunk
	 * (into newly allocated memory) was ~8% of `run`'s data phase.
	 */
	constructor(private readonly handedOver = false) {}
	/**
	 * `emitBytes`, when given, is offered the chunk's whole lines first, as bytes (each line ends in a newline;
	 * the buffer is the splitter's own, or a part of a handed-over chunk). When it returns true it took them all
	 * and `emit` is not called. A handed-over chunk that ends a pending line is offered as two blocks: that line
	 * (joined with its start) and the chunk's other whole lines, in that order.
	 */
	push(
		chunk: Buffer,
		emit: (line: string) => void,
		inspect?: (text: string) => void,
		emitBytes?: (lines: Buffer) => boolean,
	): void {
		const end = chunk.lastIndexOf(10);
		if (end < 0) {
			if (chunk.length > 0) this.pending.push(this.handedOver ? chunk : Buffer.from(chunk));
			return;
		}
		const head = chunk.subarray(0, end + 1);
		const rest = end + 1 < chunk.length ? chunk.subarray(end + 1) : undefined;
		const started = this.pending;
		this.pending = rest ? [this.handedOver ? rest : Buffer.from(rest)] : [];
		if (started.length === 0) this.lines(this.handedOver ? head : Buffer.from(head), emit, inspect, emitBytes);
		else if (!this.handedOver) this.lines(Buffer.concat([...started, head]), emit, inspect, emitBytes);
		else {
			const first = chunk.indexOf(10);
			this.lines(Buffer.concat([...started, chunk.subarray(0, first + 1)]), emit, inspect, emitBytes);
			if (first < end) this.lines(chunk.subarray(first + 1, end + 1), emit, inspect, emitBytes);
		}
	}
	/**
	 * Whole lines (`block` ends in a newline) to emitBytes, or else one by one to emit. A block emitBytes refuses
	 * (something in it needs the per-line path: a marker, an escape, a secret) is tried again in halves down to
	 * SPLIT_BELOW bytes, so only the part around that goes line by line. cpu-prof of the 50 MB flood: the step's
	 * action marker, printed first, sent the whole first 32 KB chunk (~5,000 lines) through the per-line path.
	 */
	private lines(
		block: Buffer,
		emit: (line: string) => void,
		inspect?: (text: string) => void,
		emitBytes?: (lines: Buffer) => boolean,
	): void {
		if (emitBytes) {
			if (emitBytes(block)) return;
			if (block.length >= SPLIT_BELOW) {
				const middle = block.length >> 1;
				let cut = block.lastIndexOf(10, middle - 1);
				if (cut < 0) cut = block.indexOf(10, middle);
				if (cut >= 0 && cut < block.length - 1) {
					this.lines(block.subarray(0, cut + 1), emit, inspect, emitBytes);
					this.lines(block.subarray(cut + 1), emit, inspect, emitBytes);
					return;
				}
			}
		}
		const text = block.toString('utf8', 0, block.length - 1);
		inspect?.(text);
		const lines = text.split('\n');
		if (text.includes('\r')) {
			for (const line of lines) emit(line.endsWith('\r') ? line.slice(0, -1) : line);
		} else for (const line of lines) emit(line);
	}
	/** The last line, when the stream ended without a newline. */
	flush(emit: (line: string) => void, inspect?: (text: string) => void): void {
		if (this.pending.length === 0) return;
		const rest = Buffer.concat(this.pending).toString('utf8');
		this.pending = [];
		inspect?.(rest);
		emit(rest);
	}
}

/**
 * Newline bytes in a buffer: four bytes at a time (a zero-byte test on the word XOR "\n\n\n\n", exact per byte),
 * the unaligned ends one by one. A third of the time of a Buffer.indexOf loop over a 50 MB flood. The words' 0/1
 * per byte are added up in the four byte lanes of one number and those summed every 255 words (a lane holds
 * 255 at most): 15 ms for the 50 MB flood instead of 26 when each word's four were summed.
 */
export function countNewlines(bytes: Uint8Array): number {
	let count = 0;
	let i = 0;
	const length = bytes.length;
	while (i < length && ((bytes.byteOffset + i) & 3) !== 0) if (bytes[i++] === 10) count++;
	const words = (length - i) >> 2;
	if (words > 0) {
		const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
		let w = 0;
		while (w < words) {
			const end = Math.min(words, w + 255);
			let lanes = 0;
			for (; w < end; w++) {
				const x = view[w]! ^ 0x0a0a0a0a;
				// 0x80 in each byte of x that is zero, nothing elsewhere (no carries between bytes); then 1 per such byte
				lanes = (lanes + ((~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f) >>> 7) & 0x01010101)) >>> 0;
			}
			count += (lanes & 0xff) + ((lanes >>> 8) & 0xff) + ((lanes >>> 16) & 0xff) + (lanes >>> 24);
		}
		i += words * 4;
	}
	while (i < length) if (bytes[i++] === 10) count++;
	return count;
}

const ESC = 0x1b;
const CR = 0x0d;
const MARKER_BYTES = Buffer.from(MARKER_PREFIX);

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escape sequences is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Lines a ring appends to one run of single lines before it starts the next (runs are dropped whole). */
const RING_RUN = 256;

/**
 * The last N lines. Held as runs, oldest first: single lines pushed one by one, and whole chunks of lines pushed
 * as the bytes they came as, decoded and split only when the pane asks for the lines (toArray: once per change,
 * however often a frame asks). A run is dropped when the newer runs hold N lines without it, so at most N lines
 * plus one run are kept.
 */
export class LineRing {
	private runs: { lines?: string[]; bytes?: Buffer; count: number }[] = [];
	private cached: string[] | undefined;
	/** Lines in `runs` (can exceed the capacity by less than the oldest run). */
	private held = 0;
	total = 0;
	constructor(readonly capacity: number) {}
	push(line: string): void {
		const last = this.runs.at(-1);
		if (last?.lines && last.count < RING_RUN) {
			last.lines.push(line);
			last.count++;
		} else this.runs.push({ lines: [line], count: 1 });
		this.added(1);
	}
	/** push() for each line; lines that would be overwritten within the same call are only counted. */
	pushAll(lines: readonly string[]): void {
		const skip = Math.max(0, lines.length - this.capacity);
		this.total += skip;
		for (let i = skip; i < lines.length; i++) this.push(lines[i]!);
	}
	/** `count` lines as UTF-8, each ending in a newline, as one run (the ring keeps the buffer: not to be reused). */
	pushBytes(bytes: Buffer, count: number): void {
		if (count <= 0) return;
		this.runs.push({ bytes, count });
		this.added(count);
	}
	private added(count: number): void {
		this.cached = undefined;
		this.held += count;
		this.total += count;
		while (this.runs.length > 0 && this.held - this.runs[0]!.count >= this.capacity)
			this.held -= this.runs.shift()!.count;
	}
	/** The lines, oldest first (the same array until the ring changes: not to be modified). */
	toArray(): string[] {
		if (this.cached) return this.cached;
		const lines: string[] = [];
		for (const run of this.runs) {
			if (run.lines) for (const line of run.lines) lines.push(line);
			else for (const line of run.bytes!.toString('utf8', 0, run.bytes!.length - 1).split('\n')) lines.push(line);
		}
		this.cached = lines.length > this.capacity ? lines.slice(lines.length - this.capacity) : lines;
		return this.cached;
	}
	clear(): void {
		this.cached = undefined;
		this.runs = [];
		this.held = 0;
		this.total = 0;
	}
}

/** An output event's batch: built from lines (split path) or from a plain chunk's bytes; the other forms on demand. */
class LineBatch implements OutputBatch {
	private joined: string | undefined;
	private split: string[] | undefined;
	readonly bytes: Buffer | undefined;
	constructor(
		readonly stepKey: string,
		readonly node: string,
		readonly attempt: number,
		readonly stream: OutputStream,
		readonly count: number,
		from: { bytes: Buffer } | { lines: string[] },
	) {
		if ('bytes' in from) this.bytes = from.bytes;
		else this.split = from.lines;
	}
	get text(): string {
		this.joined ??= this.split ? this.split.join('\n') : this.bytes!.toString('utf8', 0, this.bytes!.length - 1);
		return this.joined;
	}
	get lines(): string[] {
		this.split ??= this.text.split('\n');
		return this.split;
	}
}

export function operatorName(): string {
	try {
		return `${os.userInfo().username}@${os.hostname()}`;
	} catch {
		return `unknown@${os.hostname()}`;
	}
}

function now(): string {
	return new Date().toISOString();
}

export class Engine extends EventEmitter<EngineEvents> {
	readonly runbook: Runbook;
	readonly profile: Profile;
	readonly steps: PlannedStep[];
	private readonly secrets: Secrets;
	private readonly progress: ProgressStore;
	private readonly runner: StepRunner;
	private readonly journal?: Journal;
	private readonly concurrency: number;
	private readonly bufferLines: number;
	private readonly operator: string;
	private readonly maskPattern?: RegExp;
	/** The secret values that are masked, longest first; and as UTF-8, for the byte search of plain chunks. */
	private readonly secretValues: string[];
	private readonly secretBytes: Buffer[];
	private readonly buffers = new Map<string, LineRing>();
	private readonly stderrTails = new Map<string, LineRing>();
	private readonly controllers = new Map<string, AbortController>();
	private readonly connections = new Map<string, NodeConnection>();
	/** Incremented on every change; screens use it as their snapshot. */
	version = 0;
	/** Set by close(): outcomes that arrive because the connections were closed are not results. */
	private closing = false;

	constructor(options: EngineOptions) {
		super();
		this.runbook = options.runbook;
		this.profile = options.profile;
		this.secrets = options.secrets;
		this.progress = options.progress;
		this.runner = options.runner;
		this.journal = options.journal;
		this.concurrency = options.concurrency ?? 16;
		this.bufferLines = options.bufferLines ?? 2000;
		this.operator = options.operator ?? operatorName();
		const values = Object.values(this.secrets)
			.filter((v) => v.length >= 4)
			.sort((a, b) => b.length - a.length);
		this.secretValues = values;
		this.secretBytes = values.map((v) => Buffer.from(v));
		if (values.length) this.maskPattern = new RegExp(values.map(escapeRegExp).join('|'), 'g');
		this.steps = this.runbook.sections.flatMap((section) =>
			section.steps.map((step) => ({
				key: stepKey(section, step),
				section,
				step,
				nodes: nodesForStep(this.runbook, step, this.profile),
			})),
		);
		for (const node of this.profile.nodes) this.connections.set(node.name, { state: 'idle' });
	}

	// ----- reading state -------------------------------------------------------------------------------

	planned(key: string): PlannedStep {
		const planned = this.steps.find((s) => s.key === key);
		if (!planned) throw new Error(`no step "${key}" in runbook ${this.runbook.id}`);
		return planned;
	}

	stepsOf(sectionId: string): PlannedStep[] {
		return this.steps.filter((s) => s.section.id === sectionId);
	}

	state(key: string, node: string): NodeStepState {
		return this.progress.get(key, node);
	}

	/** Summary status of a step across its nodes. */
	stepStatus(key: string): NodeStepState['status'] | 'not-applicable' {
		const planned = this.planned(key);
		if (planned.nodes.length === 0) return 'not-applicable';
		const statuses = planned.nodes.map((n) => this.state(key, n.name).status);
		for (const s of ['running', 'failed', 'interrupted'] as const) if (statuses.includes(s)) return s;
		if (statuses.every((s) => isDone(s))) {
			if (statuses.every((s) => s === 'skipped')) return 'skipped';
			if (statuses.every((s) => s === 'already-done')) return 'already-done';
			return 'succeeded';
		}
		return 'pending';
	}

	sectionProgress(sectionId: string): { done: number; total: number; failed: number; running: number } {
		let done = 0;
		let total = 0;
		let failed = 0;
		let running = 0;
		for (const planned of this.stepsOf(sectionId)) {
			const status = this.stepStatus(planned.key);
			if (status === 'not-applicable') continue;
			total++;
			if (isDone(status)) done++;
			if (status === 'failed' || status === 'interrupted') failed++;
			if (status === 'running') running++;
		}
		return { done, total, failed, running };
	}

	output(key: string, node: string): string[] {
		return this.buffers.get(`${key}|${node}`)?.toArray() ?? [];
	}

	/** The last lines a failing attempt wrote to stderr (for triage). */
	stderrTail(key: string, node: string): string[] {
		return this.stderrTails.get(`${key}|${node}`)?.toArray() ?? [];
	}

	connection(node: string): NodeConnection {
		return this.connections.get(node) ?? { state: 'idle' };
	}

	isRunning(): boolean {
		return this.controllers.size > 0;
	}

	logFile(key: string, node: string, attempt: number): string {
		return attemptLogFile(this.profile.name, key, node, attempt);
	}

	/** Mask every secret value of the profile. */
	mask(text: string): string {
		return this.maskPattern ? text.replace(this.maskPattern, MASK) : text;
	}

	// ----- operator actions ----------------------------------------------------------------------------

	/**
	 * Run a step. By default it runs on the nodes where it is not done yet (so a retry touches only the
	 * nodes that failed); when it is done everywhere, it runs again everywhere (steps are idempotent).
	 */
	async runStep(key: string, options: { nodes?: string[]; force?: boolean } = {}): Promise<boolean> {
		const planned = this.planned(key);
		let targets = planned.nodes.filter((n) => !options.nodes || options.nodes.includes(n.name));
		if (targets.length === 0) return true;
		if (!options.force) {
			const notDone = targets.filter((n) => !isDone(this.state(key, n.name).status));
			if (notDone.length > 0) targets = notDone;
		}
		targets = targets.filter((n) => !this.controllers.has(`${key}|${n.name}`));
		this.journal?.append({ type: 'operator', action: 'run', step: key, nodes: targets.map((n) => n.name) });
		const results = await this.pool(targets, (node) => this.runOnNode(planned, node));
		return results.every(Boolean);
	}

	skipStep(key: string, options: { nodes?: string[] } = {}): void {
		const planned = this.planned(key);
		for (const node of planned.nodes) {
			if (options.nodes && !options.nodes.includes(node.name)) continue;
			const current = this.state(key, node.name);
			if (current.status === 'running' || isDone(current.status)) continue;
			this.update(key, node.name, {
				...current,
				status: 'skipped',
				skippedBy: this.operator,
				skippedAt: now(),
				reason: undefined,
			});
		}
		this.journal?.append({ type: 'operator', action: 'skip', step: key, by: this.operator });
	}

	/** Run a section's steps in order until one fails. */
	async runSection(sectionId: string): Promise<boolean> {
		for (const planned of this.stepsOf(sectionId)) {
			const status = this.stepStatus(planned.key);
			if (status === 'not-applicable' || isDone(status as NodeStepState['status'])) continue;
			const ok = await this.runStep(planned.key);
			if (!ok) return false;
		}
		return true;
	}

	/** Run everything not done yet, in order, until the next failure. */
	async runAll(): Promise<boolean> {
		for (const section of this.runbook.sections) {
			if (!(await this.runSection(section.id))) return false;
		}
		return true;
	}

	/** Cancel a running step (or everything): the remote process group is stopped. */
	cancel(key?: string): void {
		for (const [id, controller] of this.controllers) {
			if (!key || id.startsWith(`${key}|`)) controller.abort();
		}
		this.journal?.append({ type: 'operator', action: 'cancel', step: key ?? '*' });
	}

	/** After a restart: re-attach to steps the progress file says were running. */
	async resume(): Promise<void> {
		const work: Promise<unknown>[] = [];
		for (const planned of this.steps) {
			for (const node of planned.nodes) {
				const state = this.state(planned.key, node.name);
				if (state.status !== 'running') continue;
				work.push(this.attachOnNode(planned, node, state));
			}
		}
		await Promise.all(work);
	}

	/**
	 * Close the connections. Steps still running stay "running" in the progress file: they go on on their
	 * nodes, and the next start re-attaches to them.
	 */
	async close(): Promise<void> {
		this.closing = true;
		await this.runner.close?.();
		this.progress.flushPending();
	}

	/**
	 * Run ad-hoc actions on one node through the same renderer and runner as steps (verification checks,
	 * the launch form, the doctor), without touching the checklist's progress. Output is masked; marker
	 * lines are removed from stdout.
	 */
	async exec(
		nodeName: string,
		request: {
			title: string;
			actions: ActionInput[];
			timeoutSec?: number;
			signal?: AbortSignal;
			onLine?: (stream: 'stdout' | 'stderr', text: string) => void;
		},
	): Promise<ExecResult> {
		const node = this.profile.nodes.find((n) => n.name === nodeName);
		if (!node) throw new Error(`no node "${nodeName}" in profile ${this.profile.name}`);
		const step = RunbookStep.parse({
			id: 'adhoc',
			title: request.title,
			on: 'all',
			actions: request.actions,
			timeoutSec: request.timeoutSec ?? 300,
		});
		const section: RunbookSection = { id: 'adhoc', title: request.title, guide: 'ad hoc', steps: [step] };
		const rendered = renderStep(this.runbook, section, step, this.profile, node);
		const collected = { stdout: [] as string[], stderr: [] as string[] };
		const out = new LineSplitter(this.runner.handsOverChunks);
		const err = new LineSplitter(this.runner.handsOverChunks);
		const take = (stream: 'stdout' | 'stderr') => (line: string) => {
			if (stream === 'stdout' && line.startsWith(MARKER_PREFIX)) return;
			const text = this.mask(line.replace(ANSI, ''));
			collected[stream].push(text);
			request.onLine?.(stream, text);
		};
		const controller = new AbortController();
		request.signal?.addEventListener('abort', () => controller.abort(), { once: true });
		const runId = `adhoc.${this.profile.name}.${nodeName}.${randomBytes(6).toString('hex')}`.replace(
			/[^A-Za-z0-9._-]/g,
			'_',
		);
		let outcome: RunOutcome | { kind: 'error'; message: string };
		try {
			outcome = await this.runner.run(node, {
				runId,
				script: rendered.script,
				secretsEnv: renderSecretsEnv(this.secrets, rendered.secrets),
				timeoutMs: step.timeoutSec * 1000,
				signal: controller.signal,
				onStdout: (c) => out.push(c, take('stdout')),
				onStderr: (c) => err.push(c, take('stderr')),
				onConnection: (c) => this.setConnection(node.name, c),
			});
		} catch (error) {
			outcome = { kind: 'error', message: this.mask((error as Error).message) };
		}
		out.flush(take('stdout'));
		err.flush(take('stderr'));
		const code = outcome.kind === 'exited' ? outcome.code : undefined;
		return {
			ok: code === 0,
			code,
			outcome,
			stdout: collected.stdout.join('\n'),
			stderr: collected.stderr.join('\n'),
			script: rendered.script,
		};
	}

	// ----- internals -----------------------------------------------------------------------------------

	private update(key: string, node: string, state: NodeStepState): void {
		this.progress.set(key, node, state);
		this.version++;
		this.emit('state', key, node, state);
	}

	/**
	 * A step's start or end: like update(), reported once it is on disk, but the write does not block the event
	 * loop and is shared with the saves other nodes ask for meanwhile (ProgressStore.save: group commit).
	 */
	private async record(key: string, node: string, state: NodeStepState): Promise<void> {
		await this.progress.save(key, node, state);
		this.version++;
		this.emit('state', key, node, state);
	}

	private setConnection(node: string, connection: NodeConnection): void {
		this.connections.set(node, connection);
		this.version++;
		this.emit('connection', node, connection);
	}

	private async pool<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
		const results: R[] = new Array(items.length);
		let next = 0;
		const lanes = Array.from({ length: Math.min(this.concurrency, items.length) }, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await work(items[index]!);
			}
		});
		await Promise.all(lanes);
		return results;
	}

	private buffer(map: Map<string, LineRing>, id: string, capacity: number): LineRing {
		let ring = map.get(id);
		if (!ring) {
			ring = new LineRing(capacity);
			map.set(id, ring);
		}
		return ring;
	}

	private newRunId(key: string, node: string, attempt: number): string {
		const safe = `${this.profile.name}.${key.replace('/', '.')}.${node}.a${attempt}`.replace(/[^A-Za-z0-9._-]/g, '_');
		return `${safe}.${randomBytes(4).toString('hex')}`;
	}

	/** Stream handlers that split, mask, buffer, log and emit lines; they track what the step reported. */
	private handlers(planned: PlannedStep, node: ProfileNode, attempt: number, log: AttemptLog) {
		const id = `${planned.key}|${node.name}`;
		const ring = this.buffer(this.buffers, id, this.bufferLines);
		const stderrRing = this.buffer(this.stderrTails, id, 20);
		const seen = {
			alreadyDone: false,
			lastLine: undefined as string | undefined,
			action: undefined as string | undefined,
		};
		let lastPersist = 0;
		// The log gets one write per incoming chunk, not one per line: under a flood, per-line writes queued
		// millions of small buffers in the file stream faster than the disk took them (hundreds of MB).
		let logLines: string[] = [];
		const flushLog = () => {
			if (logLines.length === 0) return;
			log.write(logLines.join('\n'));
			logLines = [];
		};
		// Under a flood most chunks hold neither a terminal escape nor a secret: checked once per chunk (every line
		// is a substring of the chunk's text), the lines of such a chunk skip the ANSI and mask regexes (bench/: the
		// two were ~10% of a 50 MB flood's CPU). A line with an escape is stripped and then masked, as always,
		// because stripping can join the parts of a secret.
		// (String search per secret, not the mask's alternation regex: on a 32 KB chunk it is several times faster.)
		let plain = false;
		const inspect = (text: string) => {
			plain = !text.includes('\u001b') && !this.secretValues.some((v) => text.includes(v));
		};
		// Read once per chunk: the time for "persist the last line at most once a second".
		let chunkAt = 0;
		// Lines are gathered into one batch per chunk (and stream) and emitted by flushOutput() once the chunk is
		// split: listeners (the TUI's store, `run`'s writer) do their per-event work once per read, not per line.
		let batch: string[] = [];
		let batchStream: OutputStream = 'stdout';
		const flushOutput = () => {
			if (batch.length === 0) return;
			const lines = batch;
			batch = [];
			this.version += lines.length;
			this.emit('output', new LineBatch(planned.key, node.name, attempt, batchStream, lines.length, { lines }));
		};
		const emitLine = (stream: OutputStream, raw: string, clean = false) => {
			let text = clean ? raw : raw.replace(ANSI, '');
			const marker = stream === 'stdout' && text.startsWith(MARKER_PREFIX);
			if (marker) {
				if (text === MARKER_ALREADY_DONE) {
					seen.alreadyDone = true;
					text = '── already done on this node: nothing to change';
				} else if (text.startsWith(`${MARKER_ACTION} `)) {
					seen.action = this.mask(text.slice(MARKER_ACTION.length + 1));
					text = `── [${seen.action.replace(' ', '] ')}`;
				}
				stream = 'console';
			}
			if (!clean || marker) text = this.mask(text);
			ring.push(text);
			if (stream === 'stderr') stderrRing.push(text);
			logLines.push(stream === 'stderr' ? `[stderr] ${text}` : text);
			if (stream !== 'console') seen.lastLine = text;
			if (stream !== batchStream) {
				flushOutput();
				batchStream = stream;
			}
			batch.push(text);
			// The checklist shows the last line and "no output for ..."; persist that at most once a second, and
			// a marker (the action that runs) at once. The console's own notes change neither: they are not
			// saved (the attempt's start and end are saved by update() right next to them).
			if (marker || (stream !== 'console' && chunkAt - lastPersist > 1000)) persistRunning();
		};
		const persistRunning = () => {
			const t = Date.now();
			lastPersist = t;
			const current = this.state(planned.key, node.name);
			if (current.status === 'running') {
				// Descriptions of a running step: written with the next durable save or within a second.
				this.progress.set(
					planned.key,
					node.name,
					{ ...current, lastLine: seen.lastLine, action: seen.action, lastOutputAt: new Date(t).toISOString() },
					{ durable: false },
				);
			}
		};
		// A plain stdout chunk (whole lines without an escape, a carriage return, a marker or a secret, in valid UTF-8)
		// needs none of emitLine's per-line work, nor a string per line: its bytes go to the log as they came, and to
		// the ring and the output event as one buffer with its line count; they are decoded and split only where
		// lines are shown (the pane's last lines, once per frame; `run` prefixes the bytes). cpu-prof of the 50 MB
		// flood: splitting into strings, their garbage and re-encoding them for the log were the engine's largest
		// costs. The checks are byte searches over the block; a secret is found in the bytes exactly when it is in
		// the text, because the block is valid UTF-8 (checked) and so are the secrets' encodings.
		const emitPlainStdout = (lines: Buffer): boolean => {
			if (lines.indexOf(ESC) >= 0 || lines.indexOf(CR) >= 0 || lines.indexOf(MARKER_BYTES) >= 0) return false;
			for (const secret of this.secretBytes) if (lines.indexOf(secret) >= 0) return false;
			if (!isUtf8(lines)) return false;
			const count = countNewlines(lines);
			ring.pushBytes(lines, count);
			const last = count > 1 ? lines.lastIndexOf(10, lines.length - 2) + 1 : 0;
			seen.lastLine = lines.toString('utf8', last, lines.length - 1);
			flushOutput();
			this.version += count;
			this.emit('output', new LineBatch(planned.key, node.name, attempt, 'stdout', count, { bytes: lines }));
			flushLog();
			log.writeBytes(lines);
			if (chunkAt - lastPersist > 1000) persistRunning();
			return true;
		};
		const emitStdout = (line: string) => emitLine('stdout', line, plain);
		const emitStderr = (line: string) => emitLine('stderr', line, plain);
		const out = new LineSplitter(this.runner.handsOverChunks);
		const err = new LineSplitter(this.runner.handsOverChunks);
		return {
			seen,
			ring,
			stderrRing,
			streams: {
				onStdout: (chunk: Buffer) => {
					chunkAt = Date.now();
					out.push(chunk, emitStdout, inspect, emitPlainStdout);
					flushOutput();
					flushLog();
				},
				onStderr: (chunk: Buffer) => {
					chunkAt = Date.now();
					err.push(chunk, emitStderr, inspect);
					flushOutput();
					flushLog();
				},
				onConnection: (c: NodeConnection) => {
					this.setConnection(node.name, c);
					if (c.state === 'reconnecting') {
						emitLine('console', `── connection lost: reconnecting (${c.detail ?? ''})`);
						flushOutput();
						flushLog();
					}
				},
			},
			flush: () => {
				chunkAt = Date.now();
				out.flush(emitStdout, inspect);
				flushOutput();
				err.flush(emitStderr, inspect);
				flushOutput();
				flushLog();
			},
			note: (text: string) => {
				emitLine('console', text);
				flushOutput();
				flushLog();
			},
		};
	}

	private async runOnNode(planned: PlannedStep, node: ProfileNode): Promise<boolean> {
		const key = planned.key;
		const previous = this.state(key, node.name);
		const attempt = previous.attempt + 1;
		const runId = this.newRunId(key, node.name, attempt);
		const rendered = renderStep(this.runbook, planned.section, planned.step, this.profile, node);
		const log = new AttemptLog(this.logFile(key, node.name, attempt));
		this.buffer(this.buffers, `${key}|${node.name}`, this.bufferLines).clear();
		this.buffer(this.stderrTails, `${key}|${node.name}`, 20).clear();
		const h = this.handlers(planned, node, attempt, log);
		const startedAt = now();
		const state: NodeStepState = { status: 'running', attempt, runId, startedAt };
		// Registered before the save below: a cancel, or a second run of this step, meanwhile finds it.
		const controller = new AbortController();
		this.controllers.set(`${key}|${node.name}`, controller);
		// Saved before anything reaches the node: after a crash, the next start knows what to look for. A runner that
		// holds the script back until `saved` resolves (SSH: the launch channel opens meanwhile) is called at once.
		const saved = this.record(key, node.name, state).then(() => {
			this.journal?.append({ type: 'step-started', step: key, node: node.name, attempt, runId });
			h.note(`── ${planned.step.title}: attempt ${attempt} on ${node.name} (${node.host})`);
		});
		saved.catch(() => {}); // awaited below
		let outcome: RunOutcome | { kind: 'error'; message: string };
		try {
			if (!this.runner.holdsUntilSaved) await saved;
			outcome = await this.runner.run(node, {
				runId,
				script: rendered.script,
				secretsEnv: renderSecretsEnv(this.secrets, rendered.secrets),
				timeoutMs: planned.step.timeoutSec * 1000,
				signal: controller.signal,
				saved,
				...h.streams,
			});
		} catch (error) {
			outcome = { kind: 'error', message: this.mask((error as Error).message) };
		} finally {
			this.controllers.delete(`${key}|${node.name}`);
		}
		// A start that could not be saved fails the call, as it always did (nothing reached the node).
		await saved;
		return this.finish(planned, node, state, outcome, h, log);
	}

	private async attachOnNode(planned: PlannedStep, node: ProfileNode, state: NodeStepState): Promise<boolean> {
		const key = planned.key;
		if (!state.runId) {
			this.update(key, node.name, {
				...state,
				status: 'interrupted',
				reason: 'the console stopped before the step reached the node',
				endedAt: now(),
			});
			return false;
		}
		// Output is fetched again from the start, so the attempt's log is rewritten whole.
		const file = this.logFile(key, node.name, state.attempt);
		fs.rmSync(file, { force: true });
		const log = new AttemptLog(file);
		const h = this.handlers(planned, node, state.attempt, log);
		h.note(
			`── re-attaching to ${planned.step.title} on ${node.name} (attempt ${state.attempt}, started ${state.startedAt})`,
		);
		const controller = new AbortController();
		this.controllers.set(`${key}|${node.name}`, controller);
		const elapsed = state.startedAt ? Date.now() - Date.parse(state.startedAt) : 0;
		let outcome: RunOutcome | { kind: 'error'; message: string };
		try {
			outcome = await this.runner.attach(node, {
				runId: state.runId,
				offsets: { stdout: 0, stderr: 0 },
				timeoutMs: Math.max(1000, planned.step.timeoutSec * 1000 - elapsed),
				signal: controller.signal,
				...h.streams,
			});
		} catch (error) {
			outcome = { kind: 'error', message: this.mask((error as Error).message) };
		} finally {
			this.controllers.delete(`${key}|${node.name}`);
		}
		return this.finish(planned, node, state, outcome, h, log);
	}

	private async finish(
		planned: PlannedStep,
		node: ProfileNode,
		state: NodeStepState,
		outcome: RunOutcome | { kind: 'error'; message: string },
		h: ReturnType<Engine['handlers']>,
		log: AttemptLog,
	): Promise<boolean> {
		h.flush();
		const key = planned.key;
		if (this.closing && outcome.kind !== 'exited') {
			// The console is closing, not the step: leave it "running" so the next start re-attaches.
			await log.close();
			return false;
		}
		const base: NodeStepState = {
			...this.state(key, node.name),
			attempt: state.attempt,
			runId: state.runId,
			startedAt: state.startedAt,
			endedAt: now(),
			lastLine: h.seen.lastLine,
			action: h.seen.action,
		};
		let next: NodeStepState;
		switch (outcome.kind) {
			case 'exited':
				if (outcome.code === 0) {
					next = { ...base, status: h.seen.alreadyDone ? 'already-done' : 'succeeded', exitCode: 0, reason: undefined };
				} else {
					next = {
						...base,
						status: 'failed',
						exitCode: outcome.code,
						reason: `exit code ${outcome.code}${h.seen.action ? ` in action ${h.seen.action}` : ''}`,
					};
				}
				break;
			case 'signaled':
				next = { ...base, status: 'failed', signal: outcome.signal, reason: `killed by ${outcome.signal}` };
				break;
			case 'timeout':
				next = {
					...base,
					status: 'failed',
					reason: `timed out after ${planned.step.timeoutSec}s (the remote process group was stopped)`,
				};
				break;
			case 'cancelled':
				next = {
					...base,
					status: 'failed',
					exitCode: outcome.code,
					reason: 'cancelled by the operator (the remote process group was stopped)',
				};
				break;
			case 'no-trace':
				next = {
					...base,
					status: 'interrupted',
					reason: 'the node has no trace of this run (the console stopped before it started there)',
				};
				break;
			case 'error':
				next = { ...base, status: 'failed', reason: outcome.message };
				break;
		}
		h.note(`── ${next.status}${next.reason ? `: ${next.reason}` : ''}`);
		await log.close();
		await this.record(key, node.name, next);
		this.journal?.append({
			type: 'step-finished',
			step: key,
			node: node.name,
			attempt: state.attempt,
			status: next.status,
			exitCode: next.exitCode,
			reason: next.reason,
		});
		return isDone(next.status);
	}
}
