/**
 * The engine: runs a runbook's steps on the profile's nodes through a StepRunner (SSH in the console,
 * anything that honours the interface in tests of the engine's own logic), keeps the state of every
 * (step, node), saves it on every change, writes each attempt's output to a log file, and masks secrets
 * in everything it emits. No React here: screens subscribe to its events.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { Profile, ProfileNode } from '../profile/schema.js';
import { type ActionInput, type Runbook, type RunbookSection, RunbookStep, stepKey } from '../runbook/model.js';
import { MARKER_ACTION, MARKER_ALREADY_DONE, MARKER_PREFIX } from '../runbook/prelude.js';
import { MASK, nodesForStep, renderSecretsEnv, renderStep } from '../runbook/render.js';
import type { Secrets } from '../runbook/variables.js';
import type { Journal } from './journal.js';
import { AttemptLog, attemptLogFile } from './logs.js';
import type { ProgressStore } from './progress-store.js';
import { type EngineEvents, isDone, type NodeConnection, type NodeStepState, type OutputStream } from './types.js';

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
}

export interface AttachRequest extends StreamHandlers {
	runId: string;
	offsets: { stdout: number; stderr: number };
	timeoutMs: number;
	signal: AbortSignal;
}

/** Runs rendered scripts on nodes, detached from the connection (see ssh/remote-run.ts). */
export interface StepRunner {
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
 * Splits a byte stream into lines, decoding UTF-8 across chunk boundaries. `inspect` sees the text the lines of
 * one call are cut from (every line is a substring of it), so per-line work can be decided once per chunk.
 */
class LineSplitter {
	private decoder = new StringDecoder('utf8');
	private partial = '';
	/**
	 * `emitAll`, when given, is offered the chunk's complete lines as one array first (only when the text has no
	 * carriage return); when it returns true it took them all and `emit` is not called.
	 */
	push(
		chunk: Buffer,
		emit: (line: string) => void,
		inspect?: (text: string, complete: boolean) => void,
		emitAll?: (lines: string[]) => boolean,
	): void {
		const text = this.partial + this.decoder.write(chunk);
		inspect?.(text, false);
		const lines = text.split('\n');
		this.partial = lines.pop() ?? '';
		if (emitAll?.(lines)) return;
		if (text.includes('\r')) {
			for (const line of lines) emit(line.endsWith('\r') ? line.slice(0, -1) : line);
		} else for (const line of lines) emit(line);
	}
	/** The last line, when the stream ended without a newline (`inspect` is told that `text` is one whole line). */
	flush(emit: (line: string) => void, inspect?: (text: string, complete: boolean) => void): void {
		const rest = this.partial + this.decoder.end();
		this.partial = '';
		if (rest === '') return;
		inspect?.(rest, true);
		emit(rest);
	}
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escape sequences is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A ring of the last N lines. */
export class LineRing {
	private lines: string[] = [];
	private start = 0;
	total = 0;
	constructor(readonly capacity: number) {}
	push(line: string): void {
		this.total++;
		if (this.lines.length < this.capacity) this.lines.push(line);
		else {
			this.lines[this.start] = line;
			this.start = (this.start + 1) % this.capacity;
		}
	}
	/** push() for each line; lines that would be overwritten within the same call are only counted. */
	pushAll(lines: readonly string[]): void {
		const skip = Math.max(0, lines.length - this.capacity);
		this.total += skip;
		for (let i = skip; i < lines.length; i++) this.push(lines[i]!);
	}
	toArray(): string[] {
		return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
	}
	clear(): void {
		this.lines = [];
		this.start = 0;
		this.total = 0;
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
	/** The secret values that are masked, longest first. */
	private readonly secretValues: string[];
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
		const out = new LineSplitter();
		const err = new LineSplitter();
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
		// Read once per chunk too: the time for "persist the last line at most once a second".
		let chunkAt = 0;
		// A plain stdout chunk without markers or carriage returns is logged as it came (its complete lines are the
		// text up to its last newline): no per-line array to fill and join.
		let logAsIs: string | undefined;
		const inspect = (stream: 'stdout' | 'stderr') => (text: string, complete: boolean) => {
			plain = !text.includes('\u001b') && !this.secretValues.some((v) => text.includes(v));
			chunkAt = Date.now();
			const end = complete ? -1 : text.lastIndexOf('\n');
			logAsIs =
				plain && stream === 'stdout' && end >= 0 && !text.includes('\r') && !text.includes(MARKER_PREFIX)
					? text.slice(0, end)
					: undefined;
		};
		const inspectStdout = inspect('stdout');
		const inspectStderr = inspect('stderr');
		// Lines are gathered into one batch per chunk (and stream) and emitted by flushOutput() once the chunk is
		// split: listeners (the TUI's store, `run`'s writer) do their per-event work once per read, not per line.
		let batch: string[] = [];
		let batchStream: OutputStream = 'stdout';
		const flushOutput = () => {
			if (batch.length === 0) return;
			const lines = batch;
			batch = [];
			this.version += lines.length;
			this.emit('output', { stepKey: planned.key, node: node.name, attempt, stream: batchStream, lines });
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
			if (logAsIs === undefined || stream === 'console') logLines.push(stream === 'stderr' ? `[stderr] ${text}` : text);
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
		// A chunk that is logged as it came (plain stdout: no escape, no secret, no marker, no carriage return) needs
		// none of emitLine's per-line decisions: its lines go to the ring and the batch as the array split made
		// (cpu-prof of the 50 MB flood: emitLine's per-line calls were ~15% of `run`'s time).
		const emitPlainStdout = (lines: string[]): boolean => {
			if (logAsIs === undefined || lines.length === 0) return false;
			ring.pushAll(lines);
			seen.lastLine = lines[lines.length - 1];
			if (batchStream !== 'stdout') {
				flushOutput();
				batchStream = 'stdout';
			}
			if (batch.length === 0) batch = lines;
			else for (const line of lines) batch.push(line);
			if (chunkAt - lastPersist > 1000) persistRunning();
			return true;
		};
		const emitStdout = (line: string) => emitLine('stdout', line, plain);
		const emitStderr = (line: string) => emitLine('stderr', line, plain);
		const out = new LineSplitter();
		const err = new LineSplitter();
		return {
			seen,
			ring,
			stderrRing,
			streams: {
				onStdout: (chunk: Buffer) => {
					out.push(chunk, emitStdout, inspectStdout, emitPlainStdout);
					flushOutput();
					flushLog();
					if (logAsIs !== undefined) log.write(logAsIs);
					logAsIs = undefined;
				},
				onStderr: (chunk: Buffer) => {
					err.push(chunk, emitStderr, inspectStderr);
					flushOutput();
					flushLog();
					logAsIs = undefined;
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
				out.flush(emitStdout, inspectStdout);
				flushOutput();
				err.flush(emitStderr, inspectStderr);
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
		try {
			// Saved before anything reaches the node: after a crash, the next start knows what to look for.
			await this.record(key, node.name, state);
		} catch (error) {
			this.controllers.delete(`${key}|${node.name}`);
			throw error;
		}
		this.journal?.append({ type: 'step-started', step: key, node: node.name, attempt, runId });
		h.note(`── ${planned.step.title}: attempt ${attempt} on ${node.name} (${node.host})`);
		let outcome: RunOutcome | { kind: 'error'; message: string };
		try {
			outcome = await this.runner.run(node, {
				runId,
				script: rendered.script,
				secretsEnv: renderSecretsEnv(this.secrets, rendered.secrets),
				timeoutMs: planned.step.timeoutSec * 1000,
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
		await import('node:fs').then((fs) => fs.rmSync(file, { force: true }));
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
