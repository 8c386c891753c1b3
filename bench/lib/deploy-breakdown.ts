/**
 * The deploy benchmark's per-step breakdown (no side effects: tests import it): the console's steps from its
 * journal, the exported bash's from its step headers as they arrived.
 */

/** A step's wall time on the nodes that ran it: the longest node's, as the slowest node holds the step up. */
export function bashStepSeconds(marks: Map<string, { step?: string; atMs: number }[]>): Map<string, number> {
	const steps = new Map<string, number>();
	for (const list of marks.values()) {
		list.forEach((mark, i) => {
			const next = list[i + 1];
			if (!mark.step || !next) return;
			const seconds = (next.atMs - mark.atMs) / 1000;
			steps.set(mark.step, Math.max(steps.get(mark.step) ?? 0, seconds));
		});
	}
	return steps;
}

/**
 * The console's steps from its journal: a step's wall time from its first node's start to its last node's end,
 * and the time between the end of one step and the start of the next (the console's own work between steps).
 */
export function consoleStepSeconds(journal: string): { steps: Map<string, number>; betweenSeconds: number } {
	const spans = new Map<string, { start: number; end: number }>();
	for (const line of journal.split('\n')) {
		if (!line.trim()) continue;
		const e = JSON.parse(line) as { type: string; step?: string; at: string };
		if (!e.step || (e.type !== 'step-started' && e.type !== 'step-finished')) continue;
		const at = Date.parse(e.at);
		const span = spans.get(e.step) ?? { start: at, end: at };
		span.start = Math.min(span.start, at);
		span.end = Math.max(span.end, at);
		spans.set(e.step, span);
	}
	const ordered = [...spans.entries()].sort((a, b) => a[1].start - b[1].start);
	let betweenMs = 0;
	ordered.forEach(([, span], i) => {
		if (i > 0) betweenMs += Math.max(0, span.start - ordered[i - 1]![1].end);
	});
	return {
		steps: new Map(ordered.map(([step, span]) => [step, (span.end - span.start) / 1000])),
		betweenSeconds: betweenMs / 1000,
	};
}
