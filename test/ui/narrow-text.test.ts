/**
 * NARROW_TEXT (source/ui/narrow-text.ts) answers widths in the bundle instead of string-width: every code
 * point it admits must be one column and stand alone for both string-width versions the bundle holds (ink's
 * and wrap-ansi's), or ink would lay out rows differently from the terminal.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { graphemeSegments, NARROW_TEXT, narrowTextWidth, withNarrowTextPath } from '../../source/ui/narrow-text.js';

const requireFromWrapAnsi = createRequire(path.resolve('node_modules/wrap-ansi/index.js'));

async function stringWidths(): Promise<[(s: string) => number, (s: string) => number]> {
	const ink = (await import('string-width')).default;
	// wrap-ansi's own copy (an older major version) where it has one, else the same package.
	const wrapAnsiPath = requireFromWrapAnsi.resolve('string-width');
	const wrapAnsi = (await import(pathToFileURL(wrapAnsiPath).href)).default as (s: string) => number;
	return [ink, wrapAnsi];
}

describe('NARROW_TEXT', () => {
	it('admits only code points both string-width versions measure as one standalone column', async () => {
		const widths = await stringWidths();
		let admitted = 0;
		for (let cp = 0; cp <= 0x2fff; cp++) {
			if (cp >= 0xd800 && cp <= 0xdfff) continue;
			const c = String.fromCodePoint(cp);
			if (!NARROW_TEXT.test(c)) continue;
			admitted++;
			for (const width of widths) {
				expect([cp.toString(16), width(c), width(`a${c}b`), width(c + c)]).toEqual([cp.toString(16), 1, 3, 2]);
			}
		}
		// ASCII alone is 95; the console's own symbols (· … ○ ● ↑ ─ ⠋ ✘) are in, or the fast path would not pay.
		expect(admitted).toBeGreaterThan(1000);
		for (const symbol of ['·', '…', '○', '●', '↑', '↓', '─', '⠋', '✘', '›', '■', '–']) {
			expect(narrowTextWidth(`${symbol} step`)).toBe(6);
		}
	});

	it('leaves to string-width what it cannot answer from the length', () => {
		for (const text of [
			'环境',
			'\u001b[31mred\u001b[39m',
			'e\u0301',
			'✅',
			'👍🏽',
			'a\u200db',
			'\u2028',
			'\t',
			'\u00ad',
			'✔\ufe0f',
		]) {
			expect(narrowTextWidth(text)).toBeUndefined();
		}
	});

	it('agrees with string-width on random strings of admitted characters', async () => {
		const [ink] = await stringWidths();
		const pool = [...Array(0x2900).keys()].filter(
			(cp) => (cp < 0xd800 || cp > 0xdfff) && NARROW_TEXT.test(String.fromCodePoint(cp)),
		);
		let seed = 7;
		const random = () => {
			seed = (seed * 1103515245 + 12345) % 2 ** 31;
			return seed / 2 ** 31;
		};
		for (let i = 0; i < 300; i++) {
			const text = Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
				String.fromCodePoint(pool[Math.floor(random() * pool.length)]!),
			).join('');
			expect(narrowTextWidth(text)).toBe(ink(text));
		}
	});

	it('as the bundle wraps string-width: the same widths for styled text, and the package loaded only when needed', async () => {
		const [ink] = await stringWidths();
		let loads = 0;
		const wrapped = withNarrowTextPath(() => {
			loads++;
			return ink;
		}, stripAnsi);
		const styled = [
			'\u001b[96m› \u001b[39m\u001b[90m○\u001b[39m \u001b[1m\u001b[96m1. Environment   \u001b[39m\u001b[22m0/6 done',
			'\u001b[36m↑↓\u001b[39m\u001b[90m move\u001b[39m\u001b[90m · \u001b[39m',
			'\u001b]8;;https://docs.openstack.org\u0007guide\u001b]8;;\u0007',
			'',
		];
		for (const text of styled) expect(wrapped(text)).toBe(ink(text));
		expect(wrapped(undefined as unknown as string)).toBe(0);
		expect(loads).toBe(0);
		for (const text of ['\u001b[31m环境\u001b[39m', '✅ done', 'tab\there']) expect(wrapped(text)).toBe(ink(text));
		expect(loads).toBe(1);
		expect(wrapped('○ x', { ambiguousIsNarrow: false })).toBe(
			(ink as (s: string, o: object) => number)('○ x', { ambiguousIsNarrow: false }),
		);
	});

	it('gives the segments Intl.Segmenter gives, for styled narrow text without it and for other text with it', () => {
		const real = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
		let created = 0;
		const segmenter = () => {
			created++;
			return real;
		};
		const plain = (text: string) => [...real.segment(text)].map(({ segment, index }) => ({ segment, index }));
		const ours = (text: string) =>
			[...graphemeSegments(text, segmenter)].map(({ segment, index }) => ({ segment, index }));
		const narrow = [
			'\u001b[96m› \u001b[39m\u001b[90m○\u001b[39m \u001b[1m1. Environment\u001b[22m 0/6 done · ⠋ ─── …',
			'\u001b]8;;https://docs.openstack.org\u0007guide\u001b]8;;\u0007 ← ↑ ✘',
			'',
		];
		for (const text of narrow) {
			expect(ours(text)).toEqual(plain(text));
			const segments = graphemeSegments(text, segmenter);
			for (let i = -1; i <= text.length; i++) {
				const a = segments.containing(i);
				const b = real.segment(text).containing(i);
				expect(a && { segment: a.segment, index: a.index }).toEqual(b && { segment: b.segment, index: b.index });
			}
		}
		expect(created).toBe(0);
		for (const text of ['环境 e\u0301 👍🏽', 'a\r\nb', '✔\ufe0f']) expect(ours(text)).toEqual(plain(text));
		expect(created).toBe(3);
	});
});
