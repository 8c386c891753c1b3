/**
 * `os-console run`'s line prefixing as a small WebAssembly function, assembled here from the instructions below
 * (no binary blob, no build step). cpu-prof of the 50 MB flood (6.4 million 8-byte lines): the JavaScript byte
 * loop was the largest cost of `run`'s data phase (~40%); this copies the bytes 8 at a time and finds the newline
 * in each 8-byte word with one bit trick, so a short line costs one or two loads and stores instead of a loop
 * turn per byte.
 *
 * The function, in text form:
 *
 *   prefix(src, len, pre, width, dst) -> end of the output
 *     while src < src + len (the input's end):
 *       copy the prefix from pre to dst in 8-byte words; dst += width
 *       repeat: w = the 8 bytes at src, stored at dst as they are;
 *               m = the newline bytes of w ((x - 0x01…) & ~x & 0x80…, x = w ^ 0x0a…: exact for the lowest one);
 *               no newline: src += 8, dst += 8, again (at the input's end: stop there)
 *               else: n = the lowest newline's index + 1; src += n; dst += n; next line
 *
 * It reads up to 8 bytes past the input and writes up to 8 bytes past the output (and the prefix in whole words):
 * the caller leaves that much room, and only the output's own bytes are copied out. Bytes after the input's last
 * newline (never there: `run` hands over whole lines) are copied with a prefix before them, like the JS loop does.
 */

const I32 = 0x7f;
const I64 = 0x7e;
const VOID = 0x40;

const op = {
	block: 0x02,
	loop: 0x03,
	if: 0x04,
	end: 0x0b,
	br: 0x0c,
	brIf: 0x0d,
	localGet: 0x20,
	localSet: 0x21,
	localTee: 0x22,
	i64Load: 0x29,
	i64Store: 0x37,
	i32Const: 0x41,
	i64Const: 0x42,
	i64Eqz: 0x50,
	i32LtU: 0x49,
	i32GtU: 0x4b,
	i32GeU: 0x4f,
	i64Ctz: 0x7a,
	i32Add: 0x6a,
	i32Sub: 0x6b,
	i32ShrU: 0x76,
	i64Sub: 0x7d,
	i64And: 0x83,
	i64Xor: 0x85,
	i32WrapI64: 0xa7,
} as const;

function unsignedLeb(value: number): number[] {
	const out: number[] = [];
	do {
		let byte = value & 0x7f;
		value >>>= 7;
		if (value !== 0) byte |= 0x80;
		out.push(byte);
	} while (value !== 0);
	return out;
}

function signedLeb(value: bigint): number[] {
	const out: number[] = [];
	for (;;) {
		const byte = Number(value & 0x7fn);
		value >>= 7n;
		const signClear = (byte & 0x40) === 0;
		if ((value === 0n && signClear) || (value === -1n && !signClear)) {
			out.push(byte);
			return out;
		}
		out.push(byte | 0x80);
	}
}

/** An i64 constant from its 64 bits. */
const i64 = (bits: bigint): number[] => [op.i64Const, ...signedLeb(BigInt.asIntN(64, bits))];
const i32 = (value: number): number[] => [op.i32Const, ...signedLeb(BigInt(value))];
const get = (local: number): number[] => [op.localGet, local];
const set = (local: number): number[] => [op.localSet, local];
const tee = (local: number): number[] => [op.localTee, local];
/** memarg: alignment hint 1 (unaligned access is allowed and as fast), offset 0. */
const MEM = [0, 0];

// parameters
const SRC = 0;
const LEN = 1;
const PRE = 2;
const WIDTH = 3;
const DST = 4;
// locals
const END = 5;
const K = 6;
const N = 7;
const WORD = 8;
const NEWLINES = 9;

/** dst -= src - end; src = end (the last line ran to the input's end, or a newline was found past it). */
const clampToEnd = [...get(DST), ...get(SRC), ...get(END), op.i32Sub, op.i32Sub, ...set(DST), ...get(END), ...set(SRC)];

const body = [
	...get(SRC),
	...get(LEN),
	op.i32Add,
	...set(END),
	op.block,
	VOID,
	op.loop,
	VOID, // one line per turn
	...get(SRC),
	...get(END),
	op.i32GeU,
	op.brIf,
	1, // input done
	...i32(0),
	...set(K),
	op.loop,
	VOID, // the prefix, 8 bytes at a time
	...get(DST),
	...get(K),
	op.i32Add,
	...get(PRE),
	...get(K),
	op.i32Add,
	op.i64Load,
	...MEM,
	op.i64Store,
	...MEM,
	...get(K),
	...i32(8),
	op.i32Add,
	...tee(K),
	...get(WIDTH),
	op.i32LtU,
	op.brIf,
	0,
	op.end,
	...get(DST),
	...get(WIDTH),
	op.i32Add,
	...set(DST),
	op.loop,
	VOID, // the line, 8 bytes at a time
	...get(DST),
	...get(SRC),
	op.i64Load,
	...MEM,
	...tee(WORD),
	op.i64Store,
	...MEM,
	...get(WORD),
	...i64(0x0a0a0a0a0a0a0a0an),
	op.i64Xor,
	...tee(NEWLINES),
	...i64(0x0101010101010101n),
	op.i64Sub,
	...get(NEWLINES),
	...i64(-1n),
	op.i64Xor,
	op.i64And,
	...i64(0x8080808080808080n),
	op.i64And,
	...tee(NEWLINES),
	op.i64Eqz,
	op.if,
	VOID, // no newline in these 8 bytes
	...get(SRC),
	...i32(8),
	op.i32Add,
	...set(SRC),
	...get(DST),
	...i32(8),
	op.i32Add,
	...set(DST),
	...get(SRC),
	...get(END),
	op.i32LtU,
	op.brIf,
	1, // the line goes on
	...clampToEnd,
	op.br,
	3, // input done
	op.end,
	...get(NEWLINES),
	op.i64Ctz,
	op.i32WrapI64,
	...i32(3),
	op.i32ShrU,
	...i32(1),
	op.i32Add,
	...set(N),
	...get(SRC),
	...get(N),
	op.i32Add,
	...set(SRC),
	...get(DST),
	...get(N),
	op.i32Add,
	...set(DST),
	op.end, // the line's newline was found
	...get(SRC),
	...get(END),
	op.i32GtU,
	op.if,
	VOID, // ...in the bytes past the input
	...clampToEnd,
	op.end,
	op.br,
	0, // next line
	op.end,
	op.end,
	...get(DST),
	op.end,
];

function section(id: number, content: number[]): number[] {
	return [id, ...unsignedLeb(content.length), ...content];
}

function vector(items: number[][]): number[] {
	return [...unsignedLeb(items.length), ...items.flat()];
}

function name(text: string): number[] {
	const bytes = [...Buffer.from(text)];
	return [...unsignedLeb(bytes.length), ...bytes];
}

/** 64 KB pages the memory starts with (grown by the caller for larger blocks). */
export const INITIAL_PAGES = 16;

function moduleBytes(): Uint8Array<ArrayBuffer> {
	const locals = vector([
		[3, I32], // END, K, N
		[2, I64], // WORD, NEWLINES
	]);
	const code = [...locals, ...body];
	return new Uint8Array([
		...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
		...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), ...vector([[I32]])]])),
		...section(3, vector([[0]])),
		...section(5, vector([[0x00, ...unsignedLeb(INITIAL_PAGES)]])),
		...section(
			7,
			vector([
				[...name('memory'), 0x02, 0],
				[...name('prefix'), 0x00, 0],
			]),
		),
		...section(10, vector([[...unsignedLeb(code.length), ...code]])),
	]);
}

export interface WasmPrefixer {
	memory: WebAssembly.Memory;
	prefix(src: number, len: number, pre: number, width: number, dst: number): number;
}

let instance: WasmPrefixer | null | undefined;

/** The compiled function, or null where WebAssembly cannot run (the caller then uses its JS loop). */
export function wasmPrefixer(): WasmPrefixer | null {
	if (instance !== undefined) return instance;
	try {
		const exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports;
		instance = exports as unknown as WasmPrefixer;
	} catch {
		instance = null;
	}
	return instance;
}
