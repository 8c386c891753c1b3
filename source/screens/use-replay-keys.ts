/** The replay screen's keys, from the key-binding table, as actions on its state (use-replay-state.ts). */
import type { Dispatch } from 'react';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ReplayAction, Shown } from './use-replay-state.js';

export interface ReplayKeyOptions {
	isActive: boolean;
	dispatch: Dispatch<ReplayAction>;
	/** Events in the run. */
	total: number;
	shown: Shown;
	/** Lines one page scrolls, and how far back the output can scroll. */
	page: number;
	maxBack: number;
	onBack(): void;
	onHelp(): void;
	onQuit(): void;
}

export function useReplayKeys({
	isActive,
	dispatch,
	total,
	shown,
	page,
	maxBack,
	onBack,
	onHelp,
	onQuit,
}: ReplayKeyOptions): void {
	useKeyBindings(
		'replay',
		{
			'move-up': () => dispatch({ type: 'move', delta: -1, shown }),
			'move-down': () => dispatch({ type: 'move', delta: 1, shown }),
			'next-node': () => dispatch({ type: 'node', delta: 1, shown }),
			'prev-node': () => dispatch({ type: 'node', delta: -1, shown }),
			'select-node': ({ input }) => dispatch({ type: 'select-node', index: Number(input) - 1, shown }),
			'page-up': () => dispatch({ type: 'scroll', delta: page, maxBack, shown }),
			'page-down': () => dispatch({ type: 'scroll', delta: -page, maxBack, shown }),
			'replay-pause': () => dispatch({ type: 'toggle-pause', total }),
			'replay-faster': () => dispatch({ type: 'faster' }),
			'replay-slower': () => dispatch({ type: 'slower' }),
			'replay-step': () => dispatch({ type: 'step', total }),
			'replay-end': () => dispatch({ type: 'end', total }),
			'replay-start': () => dispatch({ type: 'start' }),
			'replay-follow': () => dispatch({ type: 'follow' }),
			back: onBack,
			help: onHelp,
			quit: onQuit,
		},
		{ isActive },
	);
}
