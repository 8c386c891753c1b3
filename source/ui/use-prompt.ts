/** The prompt at the head of the PromptQueue (host key, password), or undefined. */
import { useCallback, useSyncExternalStore } from 'react';
import type { Prompt, PromptQueue } from '../engine/prompts.js';

const ids = new WeakMap<Prompt, number>();
let nextId = 0;

/** A stable id per asked prompt, so a second identical question starts with an empty field. */
export function promptId(prompt: Prompt): number {
	let id = ids.get(prompt);
	if (id === undefined) {
		id = ++nextId;
		ids.set(prompt, id);
	}
	return id;
}

export function usePrompt(queue: PromptQueue | undefined): Prompt | undefined {
	const subscribe = useCallback(
		(listener: () => void) => {
			if (!queue) return () => {};
			queue.on('change', listener);
			return () => {
				queue.off('change', listener);
			};
		},
		[queue],
	);
	return useSyncExternalStore(subscribe, () => queue?.current());
}
