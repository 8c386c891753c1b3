/**
 * One stdin subscription for the whole console, mounted once with the App. Screens register their key
 * handlers in a layout effect, which runs in the same commit that draws them.
 *
 * Keys are handled one at a time, each after React has committed what the previous one changed: a key
 * that opens a screen and the key typed right after it (type-ahead, a benchmark driving the console, keys
 * arriving in one read) reach the new screen, not the one that was just replaced. The router learns of the
 * commit from its own layout effect, bumped in the same batch as the key's handlers.
 */
import { type Key, useInput } from 'ink';
import { createContext, type ReactNode, useCallback, useLayoutEffect, useMemo, useState } from 'react';

export type KeyListener = (input: string, key: Key) => void;

export interface KeyRouter {
	subscribe(listener: KeyListener): () => void;
}

/** If no commit follows a key (nothing changed), the next key goes ahead after this long. */
const COMMIT_WAIT_MS = 100;

export function createKeyRouter(requestCommit: () => void) {
	const listeners = new Set<KeyListener>();
	const queue: [string, Key][] = [];
	let waiting = false;
	let fallback: NodeJS.Timeout | undefined;

	const handleNext = () => {
		const next = queue.shift();
		if (!next) return;
		waiting = true;
		try {
			// A snapshot: a handler that opens another screen must not hand it this same key.
			for (const listener of [...listeners]) listener(next[0], next[1]);
		} finally {
			requestCommit();
			fallback = setTimeout(committed, COMMIT_WAIT_MS);
		}
	};

	const committed = () => {
		if (!waiting) return;
		waiting = false;
		if (fallback) clearTimeout(fallback);
		fallback = undefined;
		// Out of the commit phase before the next key's handlers change state again.
		if (queue.length > 0) queueMicrotask(() => !waiting && handleNext());
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
			if (!waiting) handleNext();
		},
		committed,
	};
}

export const KeyRouterContext = createContext<KeyRouter | null>(null);

export function KeyRouterProvider({ children }: { children: ReactNode }) {
	const [generation, setGeneration] = useState(0);
	const router = useMemo(() => createKeyRouter(() => setGeneration((g) => g + 1)), []);
	// Runs after the children's layout effects of the same commit: new screens have subscribed.
	useLayoutEffect(() => {
		if (generation > 0) router.committed();
	}, [generation, router]);
	// A stable handler: ink re-subscribes (in a passive effect, leaving a gap) whenever it changes.
	const onInput = useCallback((input: string, key: Key) => router.push(input, key), [router]);
	useInput(onInput);
	return <KeyRouterContext.Provider value={router}>{children}</KeyRouterContext.Provider>;
}
