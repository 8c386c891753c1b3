/**
 * Padding and cutting by terminal columns, not by UTF-16 length: a CJK character takes two columns, so
 * `'环境'.padEnd(8)` would leave a column too wide and misalign every column after it. string-width is
 * what Ink itself measures with.
 */
import stringWidth from 'string-width';

/** Columns a string takes in the terminal. */
export function displayWidth(text: string): number {
	return stringWidth(text);
}

/** Pad with spaces on the right to `width` columns (never cuts). */
export function padEndW(text: string, width: number): string {
	return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** Pad with spaces on the left to `width` columns (never cuts). */
export function padStartW(text: string, width: number): string {
	return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** Cut to at most `width` columns, with an ellipsis when something was cut. */
export function truncateW(text: string, width: number): string {
	if (width <= 0) return '';
	if (displayWidth(text) <= width) return text;
	if (width === 1) return '…';
	let out = '';
	let used = 0;
	for (const char of text) {
		const w = displayWidth(char);
		if (used + w > width - 1) break;
		out += char;
		used += w;
	}
	return `${out}…`;
}

/** Cut to `width` columns (ellipsis when cut), then pad to exactly `width`. */
export function fitW(text: string, width: number): string {
	return padEndW(truncateW(text, width), width);
}

/** The widest of some strings, in columns. */
export function maxWidth(texts: readonly string[], min = 0): number {
	let max = min;
	for (const text of texts) max = Math.max(max, displayWidth(text));
	return max;
}
