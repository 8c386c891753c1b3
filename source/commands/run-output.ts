/**
 * `os-console run`'s stdout: batched writes, and a node's prefix put before every line of a plain chunk's bytes
 * without a string per line.
 */
import { wasmPrefixer } from './prefix-wasm.js';

/** Lines shorter than this on average are copied byte by byte; longer ones a line at a time (native copies). */
const SHORT_LINES = 32;
/** Room for the prefix at the start of the WebAssembly memory (longer prefixes take the JS path). */
const PREFIX_ROOM = 256;
/** The WebAssembly memory grows to at most this; a larger block (one huge line) takes the JS path. */
const MAX_WASM_BYTES = 16 * 1024 * 1024;
const PAGE = 65536;

/**
 * prefixLines through the WebAssembly function (prefix-wasm.ts): the lines are copied into its memory, prefixed
 * there and the result copied into `out`. Returns -1 when the block or the prefix does not fit.
 */
function prefixLinesWasm(lines: Buffer, count: number, prefix: Uint8Array, out: Buffer, at: number): number {
	const wasm = wasmPrefixer();
	if (!wasm || prefix.length > PREFIX_ROOM - 8) return -1;
	const length = lines.length;
	// the function reads and writes up to 8 bytes past its input and output, and the prefix in whole words
	const dst = PREFIX_ROOM + ((length + 16 + 7) & ~7);
	const need = dst + length + count * prefix.length + prefix.length + 16;
	if (need > MAX_WASM_BYTES) return -1;
	const have = wasm.memory.buffer.byteLength;
	if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
	const memory = new Uint8Array(wasm.memory.buffer);
	memory.set(prefix, 0);
	memory.set(lines, PREFIX_ROOM);
	let end: number;
	try {
		end = wasm.prefix(PREFIX_ROOM, length, 0, prefix.length, dst);
	} catch {
		return -1; // out of its memory: `count` was short of the lines (the JS loop then does what it can)
	}
	out.set(memory.subarray(dst, end), at);
	return at + end - dst;
}

/**
 * Writes `prefix` then each line of `lines` (UTF-8, every line ending in a newline; `count` lines) into `out` from
 * `at`; returns where it stopped. `out` needs `lines.length + count * prefix.length` bytes from `at`.
 * Done by the WebAssembly function in prefix-wasm.ts (8 bytes at a time: ~5× faster than the JS byte loop on the
 * 50 MB flood's 8-byte lines), or by prefixLinesJs where that cannot run.
 */
export function prefixLines(lines: Buffer, count: number, prefix: Uint8Array, out: Buffer, at: number): number {
	const done = prefixLinesWasm(lines, count, prefix, out, at);
	return done >= 0 ? done : prefixLinesJs(lines, count, prefix, out, at);
}

/**
 * prefixLines in JavaScript: where WebAssembly cannot run, and for blocks too large for its memory.
 * Short lines are copied byte by byte (one native call per line costs more than the line); long ones with one
 * indexOf and one copy each. cpu-prof of the 50 MB flood (8-byte lines): decoding, splitting into strings, joining
 * them with the prefix and encoding the result again took about twice as long as the byte loop.
 */
export function prefixLinesJs(lines: Buffer, count: number, prefix: Uint8Array, out: Buffer, at: number): number {
	const width = prefix.length;
	const length = lines.length;
	let o = at;
	if (length < count * SHORT_LINES) {
		let lineStart = true;
		for (let i = 0; i < length; i++) {
			if (lineStart) {
				for (let j = 0; j < width; j++) out[o + j] = prefix[j]!;
				o += width;
			}
			const byte = lines[i]!;
			out[o++] = byte;
			lineStart = byte === 10;
		}
		return o;
	}
	let start = 0;
	while (start < length) {
		const newline = lines.indexOf(10, start);
		const end = newline < 0 ? length : newline + 1;
		for (let j = 0; j < width; j++) out[o + j] = prefix[j]!;
		o += width;
		o += lines.copy(out, o, start, end);
		start = end;
	}
	return o;
}

/**
 * A batch is written once this full (or at the end of the event loop's turn). One write per 64 KB cost the 50 MB
 * flood ~1,400 writes and ~15-20 ms of stream and system call overhead; per 192 KB a third of that.
 */
const FLUSH_AT = 192 * 1024;

/**
 * stdout, written in batches: a step's lines are collected in one buffer and written once per turn of the event
 * loop (or every 192 KB). process.stdout writes synchronously to files and pipes, and one write per line made a
 * 50 MB flood cost 6.4 million system calls (bench/: 4.4 s of a 9.7 s run in writeBuffer). Anything written to
 * stderr or asked on the terminal first flushes what is pending, so the two streams stay in order.
 */
export class BatchedStdout {
	private buffer = Buffer.allocUnsafe(256 * 1024);
	private used = 0;
	private scheduled = false;

	constructor(private readonly stream: NodeJS.WritableStream & { writableLength: number } = process.stdout) {}

	write(text: string): void {
		const need = Buffer.byteLength(text);
		this.reserve(need);
		this.used += this.buffer.write(text, this.used);
		this.written();
	}

	/** `prefix` before each of `count` lines (UTF-8, every line ending in a newline). */
	writeLines(lines: Buffer, count: number, prefix: Uint8Array): void {
		this.reserve(lines.length + count * prefix.length);
		this.used = prefixLines(lines, count, prefix, this.buffer, this.used);
		this.written();
	}

	flush = (): void => {
		this.scheduled = false;
		if (this.used === 0) return;
		this.stream.write(this.buffer.subarray(0, this.used));
		this.used = 0;
		// A stream that could not write it at once holds on to the buffer: the next bytes go to a new one.
		if (this.stream.writableLength > 0) this.buffer = Buffer.allocUnsafe(this.buffer.length);
	};

	private reserve(bytes: number): void {
		if (this.used + bytes <= this.buffer.length) return;
		this.flush();
		if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
	}

	private written(): void {
		if (this.used >= FLUSH_AT) this.flush();
		else if (!this.scheduled) {
			this.scheduled = true;
			setImmediate(this.flush);
		}
	}
}
