import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BatchedStdout, prefixLines } from '../../source/commands/run-output.js';

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
