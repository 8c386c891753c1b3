/** Small pure formatting helpers shared by the screens. */

/** 0.4s, 12s, 2m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) ms = 0;
	if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
	const s = Math.floor(ms / 1000);
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
	const h = Math.floor(m / 60);
	return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** "2m", "45s": coarse, for "no output for 2m". */
export function formatSilence(ms: number): string {
	const s = Math.floor(Math.max(0, ms) / 1000);
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m}m`;
	return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function millisSince(iso: string | undefined, now: number): number | undefined {
	if (!iso) return undefined;
	const t = Date.parse(iso);
	return Number.isNaN(t) ? undefined : now - t;
}

export function millisBetween(start: string | undefined, end: string | undefined): number | undefined {
	if (!start || !end) return undefined;
	const a = Date.parse(start);
	const b = Date.parse(end);
	return Number.isNaN(a) || Number.isNaN(b) ? undefined : b - a;
}

/**
 * One output line made safe for a single terminal row: tabs expanded, carriage-return progress bars
 * reduced to their last frame, other control characters dropped (the engine already strips ANSI).
 */
export function sanitizeLine(text: string): string {
	const lastFrame = text.includes('\r')
		? (text
				.split('\r')
				.filter((p) => p !== '')
				.pop() ?? '')
		: text;
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being removed
	return lastFrame.replace(/\t/g, '    ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/** Cut to a width with an ellipsis. */
export function truncate(text: string, width: number): string {
	if (width <= 0) return '';
	if (text.length <= width) return text;
	if (width === 1) return '…';
	return `${text.slice(0, width - 1)}…`;
}
