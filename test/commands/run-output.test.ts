import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { wasmPrefixer } from '../../source/commands/prefix-wasm.js';
import { BatchedStdout, prefixLines, prefixLinesJs } from '../../source/commands/run-output.js';

/** What `run` printed before plain chunks were prefixed as bytes: the prefix joined in front of every line. */
function asStrings(prefix: string, lines: string[]): string {
	return `${prefix}${lines.join(`\n${prefix}`)}\n`;
}

function bytesOf(lines: string[]): Buffer {
	return Buffer.from(lines.map((l) => `${l}\n`).join(''));
}

/** A writable that keeps what it is given (written synchronously, like process.stdout to a file or a pipe). */
function sink() {
	const chunks: Buffer[] = [];
	const stream = new Writable({
		write(chunk: Buffer, _encoding, done) {
			chunks.push(Buffer.from(chunk));
			done();
		},
	});
	return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('prefixLines', () => {
	it('puts the prefix before every line, short lines or long, as joining strings did', () => {
		const prefix = 'compute1   | ';
		const cases: string[][] = [
			[''],
			['', '', ''],
			['1', '2', '3'],
			Array.from({ length: 500 }, (_, i) => String(i)),
			['€ ✓ 中文', 'x'.repeat(200), '', 'é'],
			Array.from({ length: 50 }, (_, i) => `${'long line '.repeat(i % 9)}${i}`),
		];
		for (const lines of cases) {
			const bytes = bytesOf(lines);
			const prefixBytes = Buffer.from(prefix);
			const out = Buffer.alloc(bytes.length + lines.length * prefixBytes.length + 10, 0x23);
			const end = prefixLines(bytes, lines.length, prefixBytes, out, 3);
			expect(end).toBe(3 + bytes.length + lines.length * prefixBytes.length);
			expect(out.subarray(3, end).toString('utf8')).toBe(asStrings(prefix, lines));
			// nothing written outside its part
			expect(out.subarray(0, 3).toString()).toBe('###');
			expect(out.subarray(end).every((b) => b === 0x23)).toBe(true);
		}
	});
});

describe('prefixLines: the WebAssembly function against the JS loop', () => {
	/** Both ways into a buffer filled with '#'; each must touch only its own part. */
	function both(bytes: Buffer, count: number, prefix: Buffer) {
		const size = bytes.length + count * prefix.length + 40;
		const results = [prefixLines, prefixLinesJs].map((f) => {
			const out = Buffer.alloc(size, 0x23);
			const end = f(bytes, count, prefix, out, 7);
			expect(out.subarray(0, 7).every((b) => b === 0x23)).toBe(true);
			expect(out.subarray(end).every((b) => b === 0x23)).toBe(true);
			return out.subarray(7, end);
		});
		return { wasm: results[0]!, js: results[1]! };
	}

	it('runs here (Node 20 has WebAssembly): the fast path is the one tested', () => {
		expect(wasmPrefixer()).not.toBeNull();
	});

	it('lines of every length around its 8-byte words, prefixes of 1 to 40 bytes', () => {
		for (const width of [1, 2, 6, 7, 8, 9, 13, 16, 17, 40]) {
			const prefix = Buffer.from('p|'.repeat(width).slice(0, width));
			const lines = Array.from({ length: 60 }, (_, i) => 'x'.repeat(i % 30) + (i % 7 === 0 ? '€' : ''));
			const bytes = bytesOf(lines);
			const { wasm, js } = both(bytes, lines.length, prefix);
			expect(wasm.toString('utf8')).toBe(asStrings(prefix.toString(), lines));
			expect(wasm.equals(js)).toBe(true);
		}
	});

	it('any byte that is not a newline stays in its line (bytes next to 0x0a, high bytes, zeros)', () => {
		const prefix = Buffer.from('node-a | ');
		for (let round = 0; round < 20; round++) {
			const bytes = randomBytes(4096 + round);
			// every byte value occurs; lines of random length end where 0x0a happens to be
			for (let i = 0; i < bytes.length; i += 1 + (bytes[i]! % 23)) if (bytes[i]! % 5 === 0) bytes[i] = 0x0a;
			bytes[bytes.length - 1] = 0x0a;
			const count = bytes.filter((b) => b === 0x0a).length;
			const { wasm, js } = both(bytes, count, prefix);
			expect(wasm.length).toBe(bytes.length + count * prefix.length);
			expect(wasm.equals(js)).toBe(true);
		}
	});

	it('a block larger than its first memory (grown), and one larger than its limit (the JS loop)', () => {
		const prefix = Buffer.from('n01 | ');
		for (const lines of [300_000, 2_200_000]) {
			const text = Array.from({ length: lines }, (_, i) => String(i));
			const bytes = bytesOf(text);
			const { wasm, js } = both(bytes, lines, prefix);
			expect(wasm.equals(js)).toBe(true);
			expect(wasm.subarray(-20).toString()).toBe(`${asStrings('n01 | ', text.slice(-3))}`.slice(-20));
		}
		// a prefix too long for its memory's prefix room also takes the JS loop
		const long = Buffer.from(`${'n'.repeat(300)} | `);
		const { wasm, js } = both(bytesOf(['a', 'b']), 2, long);
		expect(wasm.toString()).toBe(asStrings(long.toString(), ['a', 'b']));
		expect(wasm.equals(js)).toBe(true);
	});
});

describe('BatchedStdout', () => {
	it('keeps text and prefixed lines in order, across flushes and batches larger than its buffer', async () => {
		const { stream, text } = sink();
		const out = new BatchedStdout(stream);
		let expected = '';
		const big = Array.from({ length: 60_000 }, (_, i) => `line ${i} €`);
		for (let round = 0; round < 3; round++) {
			out.write(`* | round ${round}\n`);
			expected += `* | round ${round}\n`;
			const lines = round === 1 ? big : ['a', 'bb', '', 'ccc'];
			out.writeLines(bytesOf(lines), lines.length, Buffer.from('n1 | '));
			expected += asStrings('n1 | ', lines);
		}
		out.flush();
		expect(text()).toBe(expected);
		// a write is flushed on the next turn of the event loop without asking
		out.write('later\n');
		await new Promise((resolve) => setImmediate(resolve));
		expect(text()).toBe(`${expected}later\n`);
	});
});
