/**
 * Text every character of which takes exactly one terminal column and stands alone (no combining marks, no
 * joiners, no variation selectors, no escape sequences): its width is its length.
 *
 * Why: string-width, which ink measures every text node with, segments graphemes with Intl.Segmenter and
 * tests emoji regexes for any non-ASCII string; with the console's own symbols (○ · … ↑ ─ ⠋) on every row,
 * measuring the first dashboard frame took ~30 ms, and string-width's set-up (two versions: ink's and
 * wrap-ansi's) ~20 ms more, of a ~250 ms start (issue #8, benchmark 1). The bundle (scripts/bundle.mjs) answers
 * such text from its length and loads string-width for anything else, e.g. CJK, emoji, ANSI codes.
 *
 * The ranges are the code points of ASCII, Latin-1, general punctuation, arrows, mathematical operators, box
 * drawing, block elements, geometric shapes, dingbats and braille for which both string-width versions say one
 * column, alone and between letters (test/ui/narrow-text.test.ts checks every one against them).
 */
export const NARROW_TEXT =
	/^[\u0020-\u007e\u00a0-\u00a8\u00aa-\u00ac\u00af-\u00ff\u2010-\u2027\u2030-\u203b\u203d-\u2048\u204a-\u205e\u2190-\u2193\u219a-\u21a8\u21ab-\u22ff\u2500-\u25a9\u25ac-\u25b5\u25b7-\u25bf\u25c1-\u25fa\u25ff\u2700-\u2701\u2703-\u2704\u2706-\u2707\u270e\u2710-\u2711\u2713\u2715\u2717-\u271c\u271e-\u2720\u2722-\u2727\u2729-\u2732\u2735-\u2743\u2745-\u2746\u2748-\u274b\u274d\u274f-\u2752\u2756\u2758-\u2762\u2765-\u2794\u2798-\u27a0\u27a2-\u27af\u27b1-\u27be\u2800-\u28ff]*$/;

/** The column width of `text` when every character is narrow and alone; undefined when that takes string-width. */
export function narrowTextWidth(text: string): number | undefined {
	return NARROW_TEXT.test(text) ? text.length : undefined;
}

export type StringWidth = (text: string, options?: object) => number;

/**
 * string-width as the bundle gives it to ink and the console: narrow text (escape sequences stripped, as
 * string-width strips them, with the strip-ansi it uses) is measured by its length; anything else, or a call
 * with options, loads string-width (`load`) the first time and asks it.
 */
export function withNarrowTextPath(load: () => StringWidth, stripAnsi: (text: string) => string): StringWidth {
	let stringWidth: StringWidth | undefined;
	return (text, options) => {
		// As string-width: no string, or an empty one, is 0 columns.
		if (typeof text !== 'string' || text.length === 0) return 0;
		if (options === undefined) {
			const width = narrowTextWidth(text.includes('\u001B') || text.includes('\u009B') ? stripAnsi(text) : text);
			if (width !== undefined) return width;
		}
		stringWidth ??= load();
		return stringWidth(text, options);
	};
}

/** Narrow text with escape sequences in it (ESC, CSI, BEL ending a link): one grapheme per code point. */
const NARROW_OR_ESCAPES = new RegExp(`${NARROW_TEXT.source.slice(0, -3)}\\u001b\\u009b\\u0007]*$`);

/** What ink's output tokenizer (@alcalzone/ansi-tokenize) and slice-ansi read of Intl.Segmenter's segments. */
export interface GraphemeSegments extends Iterable<{ segment: string; index: number; input: string }> {
	containing(index: number): { segment: string; index: number; input: string } | undefined;
}

/**
 * Intl.Segmenter's grapheme segments of `text`, as ink's output tokenizer and slice-ansi (cli-truncate) use them:
 * narrow text, escape sequences included, is one grapheme per code point (none of its characters joins another;
 * control characters always stand alone), so the segmenter, and the ICU break data it loads on first use
 * (~8 ms), is needed only for other text.
 */
export function graphemeSegments(text: string, segmenter: () => Intl.Segmenter): GraphemeSegments {
	if (!NARROW_OR_ESCAPES.test(text)) return segmenter().segment(text);
	const at = (index: number) => ({ segment: text[index]!, index, input: text });
	return {
		containing: (index) => (index >= 0 && index < text.length ? at(Math.trunc(index)) : undefined),
		*[Symbol.iterator]() {
			for (let index = 0; index < text.length; index++) yield at(index);
		},
	};
}
