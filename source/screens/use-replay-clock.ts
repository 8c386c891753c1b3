/**
 * The replay's clock: while playing (and on screen), wait the recorded gap before the next event (divided by
 * the speed, at most maxWaitMs), then play it with any that follow within a frame. Returns the run's clock
 * now (for the position and running steps' times between events), which the caller reads on each render.
 */
import { type Dispatch, useEffect, useRef } from 'react';
import { delayBeforeNext, eventsDue, type Timeline } from '../replay/timeline.js';
import type { ReplayAction, ReplayState } from './use-replay-state.js';

export function useReplayClock(
	timeline: Timeline,
	state: ReplayState,
	dispatch: Dispatch<ReplayAction>,
	maxWaitMs: number,
	running: boolean,
): (now: number) => number {
	const { playing, applied, speed } = state;
	const total = timeline.events.length;
	/** When the wait for the event after `applied` began. */
	const waiting = useRef<{ applied: number; since: number } | undefined>(undefined);
	useEffect(() => {
		waiting.current = undefined;
		if (!running || !playing || applied >= total) return;
		waiting.current = { applied, since: Date.now() };
		const delay = delayBeforeNext(timeline, applied, speed, maxWaitMs);
		const timer = setTimeout(() => {
			dispatch({ type: 'tick', count: eventsDue(timeline, applied, speed, maxWaitMs), total });
		}, delay);
		return () => clearTimeout(timer);
	}, [timeline, running, playing, applied, speed, maxWaitMs, total, dispatch]);
	return (now: number) => {
		const at = applied > 0 ? timeline.events[applied - 1]!.at : 0;
		const next = timeline.events[applied];
		const wait = waiting.current;
		if (!next || !wait || wait.applied !== applied) return at;
		return Math.min(next.at, at + (now - wait.since) * speed);
	};
}
