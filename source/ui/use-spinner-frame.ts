/**
 * One clock for every spinner on screen: they advance together in one commit (not one commit per spinner
 * per tick), and the clock runs only while a spinner is mounted.
 */
import { useSyncExternalStore } from 'react';

export const SPINNER_INTERVAL_MS = 120;

let frame = 0;
let timer: NodeJS.Timeout | undefined;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
	listeners.add(listener);
	if (!timer) {
		timer = setInterval(() => {
			frame++;
			for (const l of listeners) l();
		}, SPINNER_INTERVAL_MS);
		timer.unref();
	}
	return () => {
		listeners.delete(listener);
		if (listeners.size === 0 && timer) {
			clearInterval(timer);
			timer = undefined;
		}
	};
}

export function useSpinnerFrame(): number {
	return useSyncExternalStore(subscribe, () => frame);
}
