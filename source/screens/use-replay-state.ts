/**
 * The replay screen's state and view model. The state is what the operator controls: how many of the run's
 * events have played, playing or paused, the speed, and which step and node are selected (following the
 * events, or where the operator moved). Everything shown is derived from it and the run's timeline
 * (source/replay/timeline.ts). Pure.
 */
import { t } from '../i18n/index.js';
import type { ReplaySection, ReplayStep } from '../replay/source.js';
import {
	fasterSpeed,
	type Playback,
	type ReplayCell,
	RUNNING,
	slowerSpeed,
	type TimedEvent,
	UNFINISHED,
} from '../replay/timeline.js';

export interface ReplayState {
	/** Events played. */
	applied: number;
	playing: boolean;
	/** Recorded gaps are divided by this. */
	speed: number;
	/** The selection moves to each event's step and node as it plays. */
	follow: boolean;
	/** The selection when not following: an index into the flat step list, and into that step's nodes. */
	stepIndex: number;
	nodeIndex: number;
	/** Lines the output pane is scrolled back from its last line (0: at the end). */
	paneBack: number;
}

/** Where the selection is on screen now (followed or chosen): the reducer moves from there. */
export interface Shown {
	stepIndex: number;
	nodeIndex: number;
	steps: number;
	nodes: number;
}

export type ReplayAction =
	/** The clock: `count` more events are due. */
	| { type: 'tick'; count: number; total: number }
	| { type: 'toggle-pause'; total: number }
	| { type: 'faster' }
	| { type: 'slower' }
	/** Play the next event and pause there. */
	| { type: 'step'; total: number }
	| { type: 'end'; total: number }
	| { type: 'start' }
	| { type: 'move'; delta: number; shown: Shown }
	| { type: 'node'; delta: number; shown: Shown }
	| { type: 'select-node'; index: number; shown: Shown }
	| { type: 'follow' }
	| { type: 'scroll'; delta: number; maxBack: number; shown: Shown };

export function initialReplayState(speed = 1): ReplayState {
	return { applied: 0, playing: true, speed, follow: true, stepIndex: 0, nodeIndex: 0, paneBack: 0 };
}

const wrap = (index: number, count: number) => (count <= 0 ? 0 : ((index % count) + count) % count);

/** Stop following, keeping the selection where it is on screen. */
function hold(state: ReplayState, shown: Shown): ReplayState {
	return { ...state, follow: false, stepIndex: shown.stepIndex, nodeIndex: shown.nodeIndex };
}

export function replayReducer(state: ReplayState, action: ReplayAction): ReplayState {
	switch (action.type) {
		case 'tick': {
			if (!state.playing) return state;
			const applied = Math.min(action.total, state.applied + Math.max(1, action.count));
			return { ...state, applied, playing: applied < action.total, paneBack: state.follow ? 0 : state.paneBack };
		}
		case 'toggle-pause':
			// Play at the end starts again from the beginning, as a player does.
			if (!state.playing && state.applied >= action.total) return { ...state, applied: 0, playing: true };
			return { ...state, playing: !state.playing };
		case 'faster':
			return { ...state, speed: fasterSpeed(state.speed) };
		case 'slower':
			return { ...state, speed: slowerSpeed(state.speed) };
		case 'step':
			return { ...state, applied: Math.min(action.total, state.applied + 1), playing: false };
		case 'end':
			return { ...state, applied: action.total, playing: false };
		case 'start':
			return { ...state, applied: 0, paneBack: 0 };
		case 'move':
			if (action.shown.steps === 0) return state;
			return {
				...hold(state, action.shown),
				stepIndex: wrap(action.shown.stepIndex + action.delta, action.shown.steps),
				nodeIndex: 0,
				paneBack: 0,
			};
		case 'node':
			if (action.shown.nodes <= 1) return hold(state, action.shown);
			return {
				...hold(state, action.shown),
				nodeIndex: wrap(action.shown.nodeIndex + action.delta, action.shown.nodes),
				paneBack: 0,
			};
		case 'select-node':
			if (action.index < 0 || action.index >= action.shown.nodes) return state;
			return { ...hold(state, action.shown), nodeIndex: action.index, paneBack: 0 };
		case 'follow':
			return { ...state, follow: true, paneBack: 0 };
		case 'scroll':
			return {
				...hold(state, action.shown),
				paneBack: Math.min(Math.max(0, state.paneBack + action.delta), Math.max(0, action.maxBack)),
			};
	}
}

// --- view model ---------------------------------------------------------------------------------------------

export interface FlatStep extends ReplayStep {
	section: ReplaySection;
	sectionIndex: number;
}

export function flatSteps(sections: ReplaySection[]): FlatStep[] {
	return sections.flatMap((section, sectionIndex) => section.steps.map((step) => ({ ...step, section, sectionIndex })));
}

/** The selected step and node: the last event's when following, else the operator's choice. */
export function selection(state: ReplayState, steps: FlatStep[], playback: Playback): Shown {
	if (steps.length === 0) return { stepIndex: 0, nodeIndex: 0, steps: 0, nodes: 0 };
	let stepIndex = Math.min(state.stepIndex, steps.length - 1);
	let nodeIndex = state.nodeIndex;
	if (state.follow) {
		const last = lastStepEvent(playback);
		const found = last ? steps.findIndex((s) => s.key === last.step) : -1;
		stepIndex = found >= 0 ? found : firstTouched(steps, playback);
		const nodes = steps[stepIndex]!.nodes;
		nodeIndex = last && found >= 0 && last.node ? Math.max(0, nodes.indexOf(last.node)) : 0;
	}
	const nodes = steps[stepIndex]!.nodes.length;
	return { stepIndex, nodeIndex: Math.min(nodeIndex, Math.max(0, nodes - 1)), steps: steps.length, nodes };
}

/** The last event played that names a step (an operator's cancel of everything names none). */
function lastStepEvent(playback: Playback): TimedEvent | undefined {
	const last = playback.last;
	return last?.step && last.step !== '*' ? last : undefined;
}

function firstTouched(steps: FlatStep[], playback: Playback): number {
	const index = steps.findIndex((s) => playback.cells.has(s.key));
	return Math.max(0, index);
}

/** A cell's status for its icon: a journaled status, running, unfinished, or absent (not in this run so far). */
export type CellView = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'already-done' | 'interrupted';

export function cellView(cell: ReplayCell | undefined): CellView | 'unfinished' | 'other' {
	if (!cell) return 'pending';
	if (cell.status === RUNNING) return 'running';
	if (cell.status === UNFINISHED) return 'unfinished';
	const known = ['succeeded', 'failed', 'skipped', 'already-done', 'interrupted'] as const;
	return (known as readonly string[]).includes(cell.status) ? (cell.status as CellView) : 'other';
}

/** A step's status over its nodes in this run so far. */
export function rowView(cells: (ReplayCell | undefined)[]): ReturnType<typeof cellView> {
	const views = cells.map(cellView);
	if (views.includes('running')) return 'running';
	if (views.includes('failed') || views.includes('other')) return 'failed';
	if (views.includes('unfinished')) return 'unfinished';
	if (views.includes('interrupted')) return 'interrupted';
	const touched = views.filter((v) => v !== 'pending');
	if (touched.length === 0) return 'pending';
	return touched.every((v) => v === 'already-done') ? 'already-done' : 'succeeded';
}

/** 1.2s, +12.345s: a point on the run's clock. */
export function clockLabel(ms: number): string {
	return `+${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/** "2×", "0.5×". */
export function speedLabel(speed: number): string {
	return `${Number.isInteger(speed) ? speed : speed.toFixed(2).replace(/0+$/, '')}×`;
}

/** A status in words: the catalogue's for the ones the console knows, the journal's own word otherwise. */
export function statusWords(status: string): string {
	switch (status) {
		case 'succeeded':
			return t('status.succeededWord');
		case 'failed':
		case 'skipped':
		case 'already-done':
		case 'interrupted':
		case 'running':
			return t(`status.${status}`);
		case UNFINISHED:
			return t('replay.unfinished');
		default:
			return status;
	}
}

/** An operator's action in words. */
export function operatorWords(action: string): string {
	switch (action) {
		case 'run':
		case 'skip':
		case 'cancel':
			return t(`replay.operator.${action}`);
		default:
			return action;
	}
}

/** What an event was, in one line (without its time). */
export function describeEvent(timed: TimedEvent, titles: Map<string, string>): string {
	const { event, step, node } = timed;
	const attempt = Number(event.attempt);
	switch (event.type) {
		case 'operator': {
			const nodes = Array.isArray(event.nodes) ? (event.nodes as unknown[]).map(String).join(', ') : '';
			const who = typeof event.by === 'string' ? event.by : '';
			return t('replay.event.operator', {
				action: operatorWords(String(event.action ?? '')),
				step: step === '*' ? t('replay.everything') : step,
			})
				.concat(nodes ? ` ${t('replay.event.onNodes', { nodes })}` : '')
				.concat(who ? ` ${t('replay.event.by', { who })}` : '');
		}
		case 'step-started':
			return t('replay.event.started', { node, step: titles.get(step) ?? step, attempt });
		case 'step-finished': {
			const status = typeof event.status === 'string' ? event.status : String(event.status);
			const reason = typeof event.reason === 'string' ? ` (${event.reason})` : '';
			return `${t('replay.event.finished', { node, step: titles.get(step) ?? step, attempt, status: statusWords(status) })}${reason}`;
		}
		default:
			return `${event.type}${step ? ` ${step}` : ''}${node ? ` ${node}` : ''}`;
	}
}
