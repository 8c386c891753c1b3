/**
 * POSIX shell quoting. Every profile value that reaches a node passes through here or through a heredoc
 * escaper, so that no value can ever become code.
 */

/** Quote a string as one POSIX shell word (single quotes; embedded quotes closed, escaped and reopened). */
export function shellQuote(value: string): string {
	if (value === '') return "''";
	if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) && !value.startsWith('-')) return value;
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Always single-quoted, even for "safe" words: used for assignments so plan output is uniform. */
export function shellQuoteAlways(value: string): string {
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Escape literal text for the body of an unquoted heredoc: only \ $ and ` are special there. */
export function heredocEscape(literal: string): string {
	return literal.replace(/[\\$`]/g, (c) => `\\${c}`);
}

/** A heredoc delimiter that does not occur as a line of the body. */
export function heredocDelimiter(body: string, base = 'OSC_EOF'): string {
	const lines = new Set(body.split('\n'));
	let delimiter = base;
	for (let i = 1; lines.has(delimiter); i++) delimiter = `${base}_${i}`;
	return delimiter;
}

/** Names usable as shell variables. */
export function isShellName(name: string): boolean {
	return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
