/**
 * One stdin subscription for the whole console, mounted once with the App. Screens register their key
 * handlers in a layout effect, which runs in the same commit that draws them: a key typed right after a
 * screen appears (type-ahead, a benchmark, a paste of keys) reaches it instead of falling into the gap
 * before a passive effect would subscribe.
 */
import { type Key, useInput } from 'ink';
import { createContext, type ReactNode, useMemo } from 'react';

export type KeyListener = (input: string, key: Key) => void;

export interface KeyRouter {
	subscribe(listener: KeyListener): () => void;
}

export const KeyRouterContext = createContext<KeyRouter | null>(null);

export function KeyRouterProvider({ children }: { children: ReactNode }) {
	const router = useMemo(() => {
		const listeners = new Set<KeyListener>();
		return {
			listeners,
			subscribe(listener: KeyListener) {
				listeners.add(listener);
				return () => {
					listeners.delete(listener);
				};
			},
		};
	}, []);
	useInput((input, key) => {
		// A snapshot: a handler that opens another screen must not hand it this same key.
		for (const listener of [...router.listeners]) listener(input, key);
	});
	return <KeyRouterContext.Provider value={router}>{children}</KeyRouterContext.Provider>;
}
