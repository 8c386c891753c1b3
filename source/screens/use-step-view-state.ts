/**
 * The step view's state: which node, output or script, and the scroll position. Output positions are
 * absolute line numbers of the attempt (line 1 is the first line the attempt printed), so scrollback stays
 * on the same lines while the engine's ring keeps rotating under a flood. Pure.
 */

export type StepViewMode = 'output' | 'script' | 'triage';

export interface StepViewState {
	nodeIndex: number;
	/** The pane: live output, the commands (script), or the failure triage. */
	mode: StepViewMode;
	/** Output: show the last lines and move with new ones. */
	follow: boolean;
	/** Output: absolute index (0-based) of the first visible line when not following. */
	top: number;
	/** Script and triage: index of the first visible line. */
	scriptTop: number;
}

/** What the pane holds now: `length` lines kept in memory out of `total` printed; `height` rows visible. */
export interface PaneGeometry {
	total: number;
	length: number;
	height: number;
}

export type StepViewAction =
	| { type: 'next-node'; count: number }
	| { type: 'prev-node'; count: number }
	| { type: 'select-node'; index: number; count: number }
	| { type: 'toggle-script' }
	/** Triage ↔ output. */
	| { type: 'toggle-triage' }
	| { type: 'scroll'; delta: number; pane: PaneGeometry }
	| { type: 'top'; pane: PaneGeometry }
	| { type: 'follow' };

export const initialStepViewState: StepViewState = { nodeIndex: 0, mode: 'output', follow: true, top: 0, scriptTop: 0 };

export interface OutputWindow {
	/** Index into the in-memory lines of the first visible line. */
	start: number;
	end: number;
	/** Absolute 1-based number of the first visible line. */
	firstNumber: number;
	/** Lines printed before the oldest one still in memory (in the log file only). */
	dropped: number;
	atEnd: boolean;
}

function bounds(pane: PaneGeometry): { oldest: number; maxTop: number } {
	const oldest = Math.max(0, pane.total - pane.length);
	const maxTop = Math.max(oldest, pane.total - pane.height);
	return { oldest, maxTop };
}

function effectiveTop(state: StepViewState, pane: PaneGeometry): number {
	const { oldest, maxTop } = bounds(pane);
	if (state.follow) return maxTop;
	return Math.min(Math.max(state.top, oldest), maxTop);
}

export function outputWindow(state: StepViewState, pane: PaneGeometry): OutputWindow {
	const { oldest, maxTop } = bounds(pane);
	const top = effectiveTop(state, pane);
	const start = top - oldest;
	const end = Math.min(pane.length, start + pane.height);
	return { start, end, firstNumber: top + 1, dropped: oldest, atEnd: top >= maxTop };
}

export function scriptWindow(state: StepViewState, length: number, height: number): { start: number; end: number } {
	const maxTop = Math.max(0, length - height);
	const start = Math.min(Math.max(0, state.scriptTop), maxTop);
	return { start, end: Math.min(length, start + height) };
}

export function stepViewReducer(state: StepViewState, action: StepViewAction): StepViewState {
	switch (action.type) {
		case 'next-node':
			if (action.count <= 1) return state;
			return { ...state, nodeIndex: (state.nodeIndex + 1) % action.count, follow: true, scriptTop: 0 };
		case 'prev-node':
			if (action.count <= 1) return state;
			return { ...state, nodeIndex: (state.nodeIndex - 1 + action.count) % action.count, follow: true, scriptTop: 0 };
		case 'select-node':
			if (action.index < 0 || action.index >= action.count || action.index === state.nodeIndex) return state;
			return { ...state, nodeIndex: action.index, follow: true, scriptTop: 0 };
		case 'toggle-script':
			return { ...state, mode: state.mode === 'script' ? 'output' : 'script', scriptTop: 0 };
		case 'toggle-triage':
			return { ...state, mode: state.mode === 'triage' ? 'output' : 'triage', scriptTop: 0 };
		case 'scroll': {
			if (state.mode !== 'output') {
				const maxTop = Math.max(0, action.pane.length - action.pane.height);
				const current = Math.min(state.scriptTop, maxTop);
				return { ...state, scriptTop: Math.min(Math.max(0, current + action.delta), maxTop) };
			}
			const { oldest, maxTop } = bounds(action.pane);
			const top = Math.min(Math.max(effectiveTop(state, action.pane) + action.delta, oldest), maxTop);
			// Scrolling down onto the last line resumes following, like reaching the end of a pager.
			if (action.delta > 0 && top >= maxTop) return { ...state, follow: true, top };
			if (action.delta < 0 || !state.follow) return { ...state, follow: false, top };
			return state;
		}
		case 'top':
			if (state.mode !== 'output') return { ...state, scriptTop: 0 };
			return { ...state, follow: false, top: bounds(action.pane).oldest };
		case 'follow':
			if (state.mode !== 'output') return { ...state, scriptTop: Number.MAX_SAFE_INTEGER };
			return { ...state, follow: true };
	}
}
