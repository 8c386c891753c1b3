/** A cursor over a list: a pure reducer shared by the picker, the dashboard and the checklist. */
export type CursorAction = { type: 'up' } | { type: 'down' } | { type: 'set'; index: number };

export function clampIndex(index: number, length: number): number {
	if (length <= 0) return 0;
	return Math.min(Math.max(index, 0), length - 1);
}

/** Up from the first item wraps to the last and down from the last to the first. */
export function cursorReducer(index: number, action: CursorAction, length: number): number {
	if (length <= 0) return 0;
	switch (action.type) {
		case 'up':
			return index <= 0 ? length - 1 : index - 1;
		case 'down':
			return index >= length - 1 ? 0 : index + 1;
		case 'set':
			return clampIndex(action.index, length);
	}
}
