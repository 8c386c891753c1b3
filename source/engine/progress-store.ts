/**
 * Progress of one profile: the state of every (step, node), saved atomically on every change (temp file,
 * fsync, rename) so that a console closed or killed at any moment resumes where it stopped: the file on disk
 * is always either the state before a change or after it, never a mix. Temp files of writers killed
 * between write and rename are removed when the next store opens.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../profile/schema.js';
import {
	ensurePrivateDir,
	ProfileError,
	readJsonFile,
	removeStaleTempFiles,
	stateDir,
	writePrivateFileAtomic,
	writePrivateFileAtomicAsync,
} from '../profile/store.js';
import { type NodeStepState, STEP_STATUSES } from './types.js';

export const PROGRESS_VERSION = 1;

const NodeStepStateSchema = z
	.object({
		status: z.enum(STEP_STATUSES),
		attempt: z.number().int().min(0),
		runId: z.string().optional(),
		startedAt: z.string().optional(),
		endedAt: z.string().optional(),
		exitCode: z.number().int().optional(),
		signal: z.string().optional(),
		reason: z.string().optional(),
		skippedBy: z.string().optional(),
		skippedAt: z.string().optional(),
		lastLine: z.string().optional(),
		action: z.string().optional(),
		lastOutputAt: z.string().optional(),
	})
	.strict();

const ProgressFile = z
	.object({
		version: z.literal(PROGRESS_VERSION, { error: `must be ${PROGRESS_VERSION} (this console's progress format)` }),
		profile: z.string(),
		runbook: z.string(),
		steps: z.record(z.string(), z.record(z.string(), NodeStepStateSchema)),
	})
	.strict();
type ProgressFile = z.infer<typeof ProgressFile>;

export class ProgressStore {
	readonly file: string;
	private data: ProgressFile;

	constructor(
		readonly profileName: string,
		readonly runbookId: string,
	) {
		const dir = ensurePrivateDir(stateDir(profileName));
		this.file = path.join(dir, 'progress.json');
		this.data = { version: PROGRESS_VERSION, profile: profileName, runbook: runbookId, steps: {} };
		removeStaleTempFiles(this.file);
		if (fs.existsSync(this.file)) {
			const parsed = ProgressFile.safeParse(readJsonFile(this.file, 'progress file'));
			if (!parsed.success) {
				throw new ProfileError(
					`progress file ${this.file} is not valid; it was left as it is (move it aside to start over):`,
					this.file,
					describeIssues(parsed.error),
				);
			}
			if (parsed.data.runbook !== runbookId) {
				throw new ProfileError(
					`progress file ${this.file} belongs to runbook "${parsed.data.runbook}", but the profile now uses "${runbookId}"; move the file aside to start over with the new runbook`,
					this.file,
				);
			}
			this.data = parsed.data;
		}
	}

	get(stepKey: string, node: string): NodeStepState {
		const shown = this.untilSaved.get(`${stepKey}|${node}`);
		if (shown) return shown.state;
		return this.data.steps[stepKey]?.[node] ?? { status: 'pending', attempt: 0 };
	}

	/**
	 * What get() shows for a (step, node) whose save() is still on its way to disk: the state before it. A start or
	 * end is reported (the engine's event, and every screen that reads the state) only once it is on disk, and
	 * the operation that made it is over by then: a frame drawn meanwhile must not say "succeeded" while quitting
	 * would still say a step is running.
	 */
	private readonly untilSaved = new Map<string, { state: NodeStepState; saves: number }>();

	all(): Readonly<Record<string, Record<string, NodeStepState>>> {
		return this.data.steps;
	}

	/**
	 * Record a state. By default it is on disk (fsynced, renamed, directory fsynced) when this returns: a step's
	 * start, end or skip, which must survive a crash the moment it is reported. `durable: false` is for what
	 * only describes a running step (its last line, the action it is in): that is written within a second, with
	 * the next durable save if one comes first (which writes the whole state anyway), or by flushPending(). Under
	 * a flood, or 100 short steps in a row, that saves a synchronous write and two fsyncs per change on the
	 * event loop; a crash can lose only those descriptions, never a status.
	 */
	set(stepKey: string, node: string, state: NodeStepState, options: { durable?: boolean } = {}): void {
		this.apply(stepKey, node, state);
		if (options.durable === false) this.schedule();
		else this.flush();
	}

	/**
	 * Record a state durably, like set(), but without blocking the event loop: the promise resolves once the file
	 * holding this state is on disk (written, fsynced, renamed, directory fsynced), and rejects when that write
	 * failed. Saves asked for while a write is in flight, or in the same turn of the event loop, share the next
	 * write (group commit): 50 nodes ending a step together cost a few writes, not 50 fsync pairs in a row on the
	 * event loop that also serves their connections. get() shows the state once this resolves (see untilSaved).
	 */
	save(stepKey: string, node: string, state: NodeStepState): Promise<void> {
		const id = `${stepKey}|${node}`;
		const shown = this.untilSaved.get(id) ?? { state: this.get(stepKey, node), saves: 0 };
		shown.saves++;
		this.untilSaved.set(id, shown);
		this.apply(stepKey, node, state);
		const saved = new Promise<void>((resolve, reject) => {
			this.waiting.push({ resolve, reject });
			this.startCommit();
		});
		const settled = () => {
			if (--shown.saves === 0) this.untilSaved.delete(id);
		};
		saved.then(settled, settled);
		return saved;
	}

	/** Write what non-durable changes or saves in flight left pending (when the profile is closed). */
	flushPending(): void {
		if (this.pending || this.onDisk < this.generation) this.flush();
	}

	/** Bumped by every change in memory; `onDisk` is the generation the file holds. */
	private generation = 0;
	private onDisk = 0;
	private waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
	private committing = false;

	private apply(stepKey: string, node: string, state: NodeStepState): void {
		const forStep = this.data.steps[stepKey] ?? {};
		forStep[node] = state;
		this.data.steps[stepKey] = forStep;
		this.generation++;
	}

	private startCommit(): void {
		if (this.committing) return; // the commit in flight starts the next one when it ends
		this.committing = true;
		// The next turn: every save asked for in this one joins the same write.
		setImmediate(() => void this.commit());
	}

	private async commit(): Promise<void> {
		const waiters = this.waiting;
		this.waiting = [];
		const generation = this.generation;
		try {
			if (this.onDisk < generation) {
				if (this.pending) clearTimeout(this.pending); // the pending descriptions are in this write
				this.pending = undefined;
				const text = this.serialize();
				// A synchronous flush() meanwhile wrote a newer state: this one is not renamed over it.
				await writePrivateFileAtomicAsync(this.file, text, () => this.onDisk < generation);
				this.onDisk = Math.max(this.onDisk, generation);
			}
			for (const w of waiters) w.resolve();
		} catch (error) {
			for (const w of waiters) w.reject(error);
		} finally {
			this.committing = false;
			if (this.waiting.length > 0) this.startCommit();
		}
	}

	private serialize(): string {
		return `${JSON.stringify(this.data, undefined, '\t')}\n`;
	}

	private pending: NodeJS.Timeout | undefined;

	private schedule(): void {
		if (this.pending) return;
		this.pending = setTimeout(() => {
			try {
				this.flush();
			} catch {
				// Only descriptions were pending; the next durable save writes them again (and reports its error).
			}
		}, PENDING_WRITE_MS);
		this.pending.unref();
	}

	private flush(): void {
		if (this.pending) clearTimeout(this.pending);
		this.pending = undefined;
		const generation = this.generation;
		writePrivateFileAtomic(this.file, this.serialize());
		this.onDisk = Math.max(this.onDisk, generation);
	}
}

/** How long a non-durable change may wait for its write. */
const PENDING_WRITE_MS = 1000;
