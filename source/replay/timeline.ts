/**
 * A run played back: its events on a clock that starts at the run's first event, and what the run had done
 * after any number of them (each attempt's status, exit code and reason per step and node, the operator's
 * actions per step). Pure: the headless replay folds every event to print the outcome, the console's replay
 * screen folds the events played so far.
 *
 * An attempt whose start is in the run but not its end is running while the replay is before the run's end,
 * and unfinished at the end (the console stopped; a later session re-attaches to it). An end without a start
 * in the run is marked re-attached: it started in an earlier session.
 */
import type { JournalEvent } from '../engine/journal.js';
import { eventTime, fieldText, type RunSummary } from './runs.js';

export interface TimedEvent {
	/** 0-based position in the run. */
	index: number;
	/** Milliseconds since the run's first event; never less than the event before (a clock step back is held). */
	at: number;
	event: JournalEvent;
	/** The step key and node it concerns ('' when none). */
	step: string;
	node: string;
}

export interface Timeline {
	run: RunSummary;
	events: TimedEvent[];
	/** Milliseconds from the first to the last event as journaled. */
	span: number;
	/**
	 * The run is still being written (the open console's own, with steps running): an attempt whose end is not
	 * in it yet is running at its end too, not unfinished.
	 */
	live: boolean;
}

export function buildTimeline(run: RunSummary, options: { live?: boolean } = {}): Timeline {
	const first = run.events[0] ? eventTime(run.events[0]) : 0;
	let previous = 0;
	const events = run.events.map((event, index) => {
		const at = Math.max(previous, eventTime(event) - first);
		previous = at;
		return { index, at, event, step: fieldText(event.step), node: fieldText(event.node) };
	});
	const last = run.events.at(-1);
	return { run, events, span: last ? Math.max(0, eventTime(last) - first) : 0, live: options.live ?? false };
}

/** A status as journaled (succeeded, failed, skipped, already-done, interrupted …), or the replay's own two. */
export type CellStatus = string;
export const RUNNING = 'running';
export const UNFINISHED = 'unfinished';
export const UNFINISHED_DETAIL = 'the console stopped before it ended; a later session re-attaches';
export const REATTACHED_DETAIL = 're-attached: started in an earlier session';

/** One step on one node, as far as the replay has come. */
export interface ReplayCell {
	status: CellStatus;
	attempt: number;
	/** Offsets on the run's clock. */
	startedAt?: number;
	endedAt?: number;
	exitCode?: string;
	reason?: string;
	reattached: boolean;
	/** "exit 3; exit code 3 in action 1/1 …; re-attached …" (the headless outcome's words). */
	detail: string;
}

export interface OperatorNote {
	at: number;
	action: string;
	by?: string;
	nodes?: string[];
}

export interface Playback {
	/** Events played so far. */
	applied: number;
	total: number;
	/** step key → node → cell, in the order the run first touched them. */
	cells: Map<string, Map<string, ReplayCell>>;
	/** step key → the operator's actions on it ('*': the whole run, e.g. cancel everything). */
	operator: Map<string, OperatorNote[]>;
	/** The last event played. */
	last?: TimedEvent;
	/** The run's clock at the last event played. */
	clock: number;
	ended: boolean;
}

/** The words after a finished attempt's status: its exit code, the reason, and whether it was re-attached. */
export function detailOf(exitCode: string | undefined, reason: string | undefined, reattached: boolean): string {
	return [exitCode !== undefined ? `exit ${exitCode}` : '', reason ?? '', reattached ? REATTACHED_DETAIL : '']
		.filter(Boolean)
		.join('; ');
}

/** What the run had done after its first `applied` events. */
export function playbackAt(timeline: Timeline, applied: number): Playback {
	const total = timeline.events.length;
	const count = Math.min(Math.max(0, Math.floor(applied)), total);
	const cells = new Map<string, Map<string, ReplayCell>>();
	const operator = new Map<string, OperatorNote[]>();
	const started = new Set<string>();
	const set = (step: string, node: string, cell: ReplayCell) => {
		const row = cells.get(step) ?? new Map<string, ReplayCell>();
		row.set(node, cell);
		cells.set(step, row);
	};
	for (const timed of timeline.events.slice(0, count)) {
		const { event, step, node, at } = timed;
		const attempt = Number(event.attempt);
		switch (event.type) {
			case 'step-started':
				started.add(`${step}|${node}|${attempt}`);
				set(step, node, { status: RUNNING, attempt, startedAt: at, reattached: false, detail: UNFINISHED_DETAIL });
				break;
			case 'step-finished': {
				const reattached = !started.has(`${step}|${node}|${attempt}`);
				const exitCode =
					event.exitCode !== undefined && event.exitCode !== null ? fieldText(event.exitCode) : undefined;
				const reason = event.reason ? fieldText(event.reason) : undefined;
				const before = cells.get(step)?.get(node);
				set(step, node, {
					status: fieldText(event.status),
					attempt,
					startedAt: before && before.attempt === attempt ? before.startedAt : undefined,
					endedAt: at,
					exitCode,
					reason,
					reattached,
					detail: detailOf(exitCode, reason, reattached),
				});
				break;
			}
			case 'operator': {
				const key = step || '*';
				const notes = operator.get(key) ?? [];
				notes.push({
					at,
					action: fieldText(event.action),
					by: event.by ? fieldText(event.by) : undefined,
					nodes: Array.isArray(event.nodes) ? (event.nodes as unknown[]).map(fieldText) : undefined,
				});
				operator.set(key, notes);
				break;
			}
		}
	}
	const ended = count >= total;
	if (ended && !timeline.live) {
		for (const row of cells.values()) {
			for (const [node, cell] of row) if (cell.status === RUNNING) row.set(node, { ...cell, status: UNFINISHED });
		}
	}
	const last = count > 0 ? timeline.events[count - 1] : undefined;
	return { applied: count, total, cells, operator, last, clock: last?.at ?? 0, ended };
}

/** The latest attempt of a step on a node the replay has reached (undefined: not in this run so far). */
export function cellOf(playback: Playback, step: string, node: string): ReplayCell | undefined {
	return playback.cells.get(step)?.get(node);
}

// --- the clock --------------------------------------------------------------------------------------------

/** The longest wait between two events unless --max-wait says otherwise (a run can sit idle at a prompt). */
export const DEFAULT_MAX_WAIT_MS = 5000;

/** The speeds the console steps through (faster / slower); a --speed between them is kept as given. */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128] as const;

export function fasterSpeed(speed: number): number {
	return SPEEDS.find((s) => s > speed) ?? speed;
}

export function slowerSpeed(speed: number): number {
	return [...SPEEDS].reverse().find((s) => s < speed) ?? speed;
}

/**
 * How long to wait before the event after the first `applied` ones: the recorded gap divided by the speed,
 * at most `maxWaitMs` (a run can sit idle for an hour at a prompt). 0 at the end.
 */
export function delayBeforeNext(timeline: Timeline, applied: number, speed: number, maxWaitMs: number): number {
	const next = timeline.events[applied];
	if (!next) return 0;
	const previous = applied > 0 ? timeline.events[applied - 1]!.at : 0;
	return Math.min(Math.max(0, next.at - previous) / speed, maxWaitMs);
}

/**
 * How many events are due together: the next one, and those after it that follow within `frameMs` of it
 * at this speed (so a burst of events draws as one frame, not one timer each).
 */
export function eventsDue(timeline: Timeline, applied: number, speed: number, maxWaitMs: number, frameMs = 16): number {
	let count = 0;
	let waited = 0;
	while (applied + count < timeline.events.length) {
		if (count > 0) {
			waited += delayBeforeNext(timeline, applied + count, speed, maxWaitMs);
			if (waited > frameMs) break;
		}
		count++;
	}
	return count;
}
