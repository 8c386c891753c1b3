/**
 * The runs of a profile's journal. A "run" is one console or headless session: the journal stamps every event
 * with the id of the session that wrote it (Journal.runId). Pure: no files, no React; the headless
 * `os-console replay` and the console's replay screen both group and pick runs here.
 */
import type { JournalEvent } from '../engine/journal.js';

export interface RunSummary {
	id: string;
	/** The first and last event's time (ISO, as journaled). */
	started: string;
	ended: string;
	events: JournalEvent[];
	/** Attempts started in this run. */
	attempts: number;
	/** Attempts finished in this run, by status. */
	finished: Record<string, number>;
}

/** A journal field as text ('' when absent; JSON for anything that is not a string). */
export function fieldText(value: unknown): string {
	return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

/** An event's time in ms since the epoch (0 when it has none or it does not parse). */
export function eventTime(event: JournalEvent): number {
	const t = Date.parse(fieldText(event.at));
	return Number.isNaN(t) ? 0 : t;
}

/** The journal's events grouped by the session (run id) that wrote them, in the order the runs began. */
export function journalRuns(events: JournalEvent[]): RunSummary[] {
	const runs = new Map<string, RunSummary>();
	for (const event of events) {
		const id = fieldText(event.run) || '(no run id)';
		let run = runs.get(id);
		if (!run) {
			run = { id, started: fieldText(event.at), ended: fieldText(event.at), events: [], attempts: 0, finished: {} };
			runs.set(id, run);
		}
		run.events.push(event);
		run.ended = fieldText(event.at);
		if (event.type === 'step-started') run.attempts++;
		if (event.type === 'step-finished') {
			const status = fieldText(event.status);
			run.finished[status] = (run.finished[status] ?? 0) + 1;
		}
	}
	return [...runs.values()].sort((a, b) => Date.parse(a.started) - Date.parse(b.started));
}

/** How long a run took, first to last event, in ms (0 when its times do not parse). */
export function runDuration(run: RunSummary): number {
	const d = Date.parse(run.ended) - Date.parse(run.started);
	return Number.isNaN(d) ? 0 : Math.max(0, d);
}

/** "9 succeeded, 1 failed" (English: the headless listing's words). */
export function outcomeWords(finished: Record<string, number>): string {
	const parts = Object.entries(finished).map(([status, n]) => `${n} ${status}`);
	return parts.length ? parts.join(', ') : 'no step finished';
}

/**
 * The run an operator asked for: its id, or a prefix only one run has; the last run when nothing was asked.
 * A problem is returned in words (with the ids there are), for the caller to report as bad input.
 */
export function matchRun(runs: RunSummary[], wanted: string | undefined): { run: RunSummary } | { problem: string } {
	if (runs.length === 0) return { problem: 'no runs recorded' };
	if (wanted === undefined) return { run: runs.at(-1)! };
	const exact = runs.find((r) => r.id === wanted);
	if (exact) return { run: exact };
	const matches = runs.filter((r) => r.id.startsWith(wanted));
	if (matches.length === 1) return { run: matches[0]! };
	return {
		problem: `--run ${wanted}: ${matches.length ? 'more than one run starts so' : 'no such run'}; runs: ${runs.map((r) => r.id).join(', ')}`,
	};
}
