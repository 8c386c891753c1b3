/**
 * One stdin subscription for the whole console, mounted once with the App. Screens register their key
 * handlers in a layout effect, which runs in the same commit that draws them: a key typed right after a
 * screen appears (type-ahead, a benchmark, a paste of keys) reaches it instead of falling into the gap
 * before a passive effect would subscribe.
 */
import { type Key, useInput } from 'ink';
import { createContext, type ReactNode, useCallback, useMemo } from 'react';

export type KeyListener = (input: string, key: Key) => void;

export interface KeyRouter {
	subscribe(listener: KeyListener): () => void;
}

export const KeyRouterContext = createContext<KeyRouter | null>(null);

export function KeyRouterProvider({ children }: { children: ReactNode }) {
	const router = useMemo(() => {
		const listeners = new Set<KeyListener>();
		const queue: [string, Key][] = [];
		let draining = false;
		const drain = () => {
			const next = queue.shift();
			if (!next) {
				draining = false;
				return;
			}
			try {
				// A snapshot: a handler that opens another screen must not hand it this same key.
				for (const listener of [...listeners]) listener(next[0], next[1]);
			} finally {
				// React commits what this key changed in a microtask. Keys that arrive before that (a paste,
				// type-ahead in one read) wait for the commit, so they reach the screen this key opened.
				setImmediate(drain);
			}
		};
		return {
			subscribe(listener: KeyListener) {
				listeners.add(listener);
				return () => {
					listeners.delete(listener);
				};
			},
			push(input: string, key: Key) {
				queue.push([input, key]);
				if (draining) return;
				draining = true;
				drain();
			},
		};
	}, []);
	// A stable handler: ink re-subscribes (in a passive effect, leaving a gap) whenever it changes.
	const dispatch = useCallback((input: string, key: Key) => router.push(input, key), [router]);
	useInput(dispatch);
	return <KeyRouterContext.Provider value={router}>{children}</KeyRouterContext.Provider>;
}
