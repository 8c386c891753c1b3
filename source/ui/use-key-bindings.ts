/**
 * The one input hook every screen uses: keys go through the key-binding table to a handler named by
 * action id. Only the top layer (modal, confirmation, help or the screen) is active, so a key is handled
 * once. `onText` receives typed characters the table does not bind (text fields).
 */
import { type Key, useInput } from 'ink';
import { useContext, useLayoutEffect, useRef } from 'react';
import { KeyRouterContext } from './key-router.js';
import { dispatchKey, type KeyHandlers, type ScreenId, typedText } from './keybindings.js';

/** Which actions each screen registered handlers for: read by the table ↔ handler consistency test. */
export const registeredHandlers = new Map<ScreenId, Set<string>>();

export interface KeyBindingOptions {
	isActive?: boolean;
	/** Typed characters, offered before the table so that letters reach a focused text field. */
	onText?: (text: string) => boolean;
}

export function useKeyBindings<S extends ScreenId>(
	screen: S,
	handlers: KeyHandlers<S>,
	options: KeyBindingOptions = {},
): void {
	const latest = useRef({ handlers, options });
	latest.current = { handlers, options };
	const known = registeredHandlers.get(screen) ?? new Set<string>();
	for (const action of Object.keys(handlers)) known.add(action);
	registeredHandlers.set(screen, known);

	const listener = useRef((input: string, key: Key) => {
		const { handlers: current, options: opts } = latest.current;
		if (opts.onText) {
			const text = typedText(input, key);
			if (text !== undefined && opts.onText(text)) return;
		}
		dispatchKey(screen, current, input, key);
	});

	const router = useContext(KeyRouterContext);
	const isActive = options.isActive ?? true;
	useLayoutEffect(() => {
		if (!router || !isActive) return;
		return router.subscribe(listener.current);
	}, [router, isActive]);
	// Outside the App's router (a component rendered on its own), listen to stdin directly.
	useInput(listener.current, { isActive: isActive && !router });
}
