/**
 * The replay's pure parts: runs of a journal, the timeline and what a run had done after N events (running,
 * unfinished, re-attached, the operator's actions), the clock's waits, the screen's reducer and the sections
 * it shows (steps the runbook no longer has included). Journals here are written as the engine writes them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../source/engine/journal.js';
import { attemptLogFile } from '../../source/engine/logs.js';
import { Profile } from '../../source/profile/schema.js';
import { journalRuns, matchRun } from '../../source/replay/runs.js';
import { type ReplaySource, readAttemptOutput, replaySections } from '../../source/replay/source.js';
import {
	buildTimeline,
	delayBeforeNext,
	eventsDue,
	fasterSpeed,
	playbackAt,
	REATTACHED_DETAIL,
	slowerSpeed,
} from '../../source/replay/timeline.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { initialReplayState, replayReducer, type Shown } from '../../source/screens/use-replay-state.js';
import { tempConsoleHome } from '../commands/helpers.js';
import { demoProfile } from '../helpers/profiles.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString();

function ev(run: string, ms: number, event: JournalEvent): JournalEvent {
	return { at: at(ms), run, ...event };
}

const journal: JournalEvent[] = [
	ev('A', 0, { type: 'operator', action: 'run', step: 'services/count', nodes: ['controller', 'compute1'] }),
	ev('A', 10, { type: 'step-started', step: 'services/count', node: 'controller', attempt: 1 }),
	ev('A', 10, { type: 'step-started', step: 'services/count', node: 'compute1', attempt: 1 }),
	ev('A', 900, {
		type: 'step-finished',
		step: 'services/count',
		node: 'controller',
		attempt: 1,
		status: 'succeeded',
		exitCode: 0,
	}),
	// compute1's end is not in run A: the console stopped.
	ev('B', 60_000, {
		type: 'step-finished',
		step: 'services/count',
		node: 'compute1',
		attempt: 1,
		status: 'failed',
		exitCode: 3,
		reason: 'exit code 3',
	}),
	ev('B', 61_000, { type: 'operator', action: 'skip', step: 'services/compute-only', by: 'ops@lab' }),
	ev('B', 61_500, { type: 'step-started', step: 'gone/old-step', node: 'compute9', attempt: 1 }),
];

describe('runs and their timeline', () => {
	it('groups events by run, in the order the runs began, and picks one by id or unique prefix', () => {
		const runs = journalRuns(journal);
		expect(runs.map((r) => [r.id, r.events.length, r.attempts])).toEqual([
			['A', 4, 2],
			['B', 3, 1],
		]);
		expect(matchRun(runs, undefined)).toEqual({ run: runs[1] });
		expect(matchRun(runs, 'A')).toEqual({ run: runs[0] });
		expect(matchRun(runs, 'C')).toEqual({ problem: '--run C: no such run; runs: A, B' });
		expect(matchRun([], undefined)).toEqual({ problem: 'no runs recorded' });
	});

	it('plays a run: running while the replay is before its end, unfinished at the end; a lone end is re-attached', () => {
		const [a, b] = journalRuns(journal);
		const timeline = buildTimeline(a!);
		expect(timeline.events.map((e) => e.at)).toEqual([0, 10, 10, 900]);
		expect(timeline.span).toBe(900);
		const middle = playbackAt(timeline, 3);
		expect(middle.cells.get('services/count')?.get('compute1')?.status).toBe('running');
		expect(middle.ended).toBe(false);
		expect(middle.clock).toBe(10);
		const end = playbackAt(timeline, 4);
		expect(end.ended).toBe(true);
		expect(end.cells.get('services/count')?.get('controller')).toMatchObject({
			status: 'succeeded',
			startedAt: 10,
			endedAt: 900,
			detail: 'exit 0',
		});
		expect(end.cells.get('services/count')?.get('compute1')?.status).toBe('unfinished');
		// The open console's own run, still going: its attempt without an end is running at the end too.
		const live = playbackAt(buildTimeline(a!, { live: true }), 4);
		expect(live.ended).toBe(true);
		expect(live.cells.get('services/count')?.get('compute1')?.status).toBe('running');
		expect(end.operator.get('services/count')).toEqual([
			{ at: 0, action: 'run', by: undefined, nodes: ['controller', 'compute1'] },
		]);

		const later = playbackAt(buildTimeline(b!), 3);
		expect(later.cells.get('services/count')?.get('compute1')).toMatchObject({
			status: 'failed',
			reattached: true,
			detail: `exit 3; exit code 3; ${REATTACHED_DETAIL}`,
		});
		expect(later.operator.get('services/compute-only')?.[0]).toMatchObject({ action: 'skip', by: 'ops@lab' });
	});

	it('waits the recorded gap divided by the speed, never longer than the cap, and plays a burst as one', () => {
		const [, b] = journalRuns(journal);
		const timeline = buildTimeline(b!);
		expect(delayBeforeNext(timeline, 0, 1, 5000)).toBe(0);
		expect(delayBeforeNext(timeline, 1, 1, 5000)).toBe(1000);
		expect(delayBeforeNext(timeline, 1, 4, 5000)).toBe(250);
		expect(delayBeforeNext(timeline, 1, 0.1, 5000)).toBe(5000);
		expect(delayBeforeNext(timeline, 3, 1, 5000)).toBe(0);
		// at 1× the second event is 1 s away: one event; at 128× the 1 s and 0.5 s gaps are 8 ms and 4 ms: all.
		expect(eventsDue(timeline, 0, 1, 5000)).toBe(1);
		expect(eventsDue(timeline, 0, 128, 5000)).toBe(3);
		expect(fasterSpeed(1)).toBe(2);
		expect(fasterSpeed(3)).toBe(4);
		expect(fasterSpeed(128)).toBe(128);
		expect(slowerSpeed(1)).toBe(0.5);
		expect(slowerSpeed(0.25)).toBe(0.25);
	});
});

describe('the replay screen reducer', () => {
	const shown: Shown = { stepIndex: 2, nodeIndex: 1, steps: 6, nodes: 3 };

	it('ticks to the end and stops there; p at the end plays again from the start; n plays one and pauses', () => {
		let state = initialReplayState(2);
		expect(state).toMatchObject({ applied: 0, playing: true, speed: 2, follow: true });
		state = replayReducer(state, { type: 'tick', count: 3, total: 4 });
		expect(state).toMatchObject({ applied: 3, playing: true });
		state = replayReducer(state, { type: 'tick', count: 3, total: 4 });
		expect(state).toMatchObject({ applied: 4, playing: false });
		state = replayReducer(state, { type: 'toggle-pause', total: 4 });
		expect(state).toMatchObject({ applied: 0, playing: true });
		state = replayReducer(state, { type: 'toggle-pause', total: 4 });
		expect(state.playing).toBe(false);
		// a tick that was already scheduled does nothing once paused
		expect(replayReducer(state, { type: 'tick', count: 1, total: 4 })).toBe(state);
		state = replayReducer({ ...state, playing: true }, { type: 'step', total: 4 });
		expect(state).toMatchObject({ applied: 1, playing: false });
		state = replayReducer(state, { type: 'end', total: 4 });
		expect(state).toMatchObject({ applied: 4, playing: false });
		state = replayReducer(state, { type: 'start' });
		expect(state.applied).toBe(0);
	});

	it('moving holds the selection where it was shown and wraps; f follows again; scrolling is clamped', () => {
		let state = initialReplayState();
		state = replayReducer(state, { type: 'move', delta: 1, shown });
		expect(state).toMatchObject({ follow: false, stepIndex: 3, nodeIndex: 0 });
		state = replayReducer(state, { type: 'move', delta: -4, shown: { ...shown, stepIndex: 3 } });
		expect(state.stepIndex).toBe(5);
		state = replayReducer(state, { type: 'node', delta: 1, shown: { ...shown, nodeIndex: 2 } });
		expect(state.nodeIndex).toBe(0);
		state = replayReducer(state, { type: 'select-node', index: 2, shown });
		expect(state.nodeIndex).toBe(2);
		expect(replayReducer(state, { type: 'select-node', index: 7, shown })).toBe(state);
		state = replayReducer(state, { type: 'scroll', delta: 10, maxBack: 4, shown });
		expect(state.paneBack).toBe(4);
		state = replayReducer(state, { type: 'scroll', delta: -10, maxBack: 4, shown });
		expect(state.paneBack).toBe(0);
		state = replayReducer(state, { type: 'follow' });
		expect(state.follow).toBe(true);
	});
});

describe('the sections a replay shows', () => {
	it("are the runbook's, with the run's nodes for each step, and the steps the runbook does not have after them", () => {
		const profile = Profile.parse(demoProfile({ demoRoot: '/tmp/osc-replay-state' }));
		const source: ReplaySource = {
			profile,
			runbook: getRunbook('demo'),
			journalFile: '/nonexistent',
			runs: journalRuns(journal),
			tornTail: false,
			hasState: true,
		};
		const sections = replaySections(source, source.runs[1]!);
		expect(sections.map((s) => s.id)).toEqual(['environment', 'services', 'finish', '']);
		const services = sections.find((s) => s.id === 'services')!;
		expect(services.steps.map((s) => [s.key, s.nodes])).toEqual([
			['services/count', ['controller', 'compute1', 'compute2']],
			['services/flaky', ['controller', 'compute1', 'compute2']],
			['services/compute-only', ['compute1', 'compute2']],
		]);
		expect(sections.at(-1)).toEqual({
			id: '',
			title: '',
			inRunbook: false,
			steps: [{ key: 'gone/old-step', number: 1, title: 'gone/old-step', nodes: ['compute9'] }],
		});
		// Without the runbook (one this console no longer has): only the run's own steps.
		expect(replaySections({ ...source, runbook: undefined }, source.runs[0]!).map((s) => s.steps.length)).toEqual([1]);
	});
});

describe('attempt logs as the replay reads them', () => {
	const home = tempConsoleHome('osc-replay-logs-');

	it('reads the whole log, or of a large one the whole lines of its tail, saying how much it left out', () => {
		const file = attemptLogFile('logs', 'services/count', 'controller', 1);
		fs.mkdirSync(path.dirname(file), { recursive: true });
		const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1} ∑`);
		fs.writeFileSync(file, `${lines.join('\n')}\n`);
		expect(file.startsWith(home.dir)).toBe(true);
		const whole = readAttemptOutput('logs', 'services/count', 'controller', 1);
		expect(whole).toEqual({ file, lines, skippedBytes: 0 });
		const tail = readAttemptOutput('logs', 'services/count', 'controller', 1, { tailBytes: 100 });
		// 100 bytes hold 7 whole lines of 12-14 bytes after the cut; the cut line is left out with the rest.
		expect(tail.lines).toEqual(lines.slice(-tail.lines!.length));
		expect(tail.lines!.length).toBeGreaterThan(5);
		expect(tail.lines!.length).toBeLessThan(9);
		const size = fs.statSync(file).size;
		expect(tail.skippedBytes).toBe(size - Buffer.byteLength(`${tail.lines!.join('\n')}\n`));
		expect(readAttemptOutput('logs', 'services/count', 'controller', 2)).toMatchObject({ problem: 'ENOENT' });
	});
});
