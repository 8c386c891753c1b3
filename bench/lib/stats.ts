/** Samples, summaries and the printed table. */

export interface Summary {
	n: number;
	median: number;
	min: number;
	max: number;
}

export function summarize(samples: number[]): Summary {
	const sorted = [...samples].sort((a, b) => a - b);
	const n = sorted.length;
	if (n === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
	const mid = Math.floor(n / 2);
	const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
	return { n, median, min: sorted[0]!, max: sorted[n - 1]! };
}

/** One measured thing: a subject or a reference. */
export interface Measure {
	/** What ran, e.g. "os-console run" or "ssh (ControlMaster)". */
	label: string;
	unit: 'ms' | 'MB' | 'lines' | 'x';
	samples: number[];
	summary: Summary;
	/** Free-form facts worth keeping next to the figure (command line, sizes). */
	note?: string;
}

/** A comparison against a target: `value` is the subject's median over the reference's median (or a bound). */
export interface Check {
	name: string;
	/** e.g. "≤ 1.2× ssh (ControlMaster)". */
	target: string;
	value: number;
	/** How the value reads, e.g. "1.08×" or "143 MB". */
	shown: string;
	pass: boolean;
}

export interface BenchResult {
	name: string;
	title: string;
	measures: Measure[];
	checks: Check[];
	notes: string[];
	/** Set when the benchmark could not run (and why). */
	skipped?: string;
	/** When it ran (ISO time): with --only, results.json mixes runs of different invocations. */
	measuredAt?: string;
}

export function measure(label: string, unit: Measure['unit'], samples: number[], note?: string): Measure {
	const m: Measure = { label, unit, samples, summary: summarize(samples) };
	if (note) m.note = note;
	return m;
}

/** subject / reference (medians), checked against `limit` (≤). */
export function ratioCheck(name: string, subject: Measure, reference: Measure, limit: number): Check {
	const value = subject.summary.median / reference.summary.median;
	return {
		name,
		target: `≤ ${limit}× ${reference.label}`,
		value,
		shown: `${value.toFixed(2)}×`,
		pass: value <= limit,
	};
}

export function boundCheck(name: string, value: number, limit: number, unit: string): Check {
	return {
		name,
		target: `≤ ${limit} ${unit}`,
		value,
		shown: `${fmt(value)} ${unit}`,
		pass: value <= limit,
	};
}

export function fmt(v: number): string {
	if (!Number.isFinite(v)) return String(v);
	if (Math.abs(v) >= 100) return v.toFixed(0);
	if (Math.abs(v) >= 10) return v.toFixed(1);
	return v.toFixed(2);
}

function pad(cells: string[][]): string {
	const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
	return cells
		.map((row) =>
			row
				.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
				.join('  ')
				.trimEnd(),
		)
		.join('\n');
}

export function formatResult(r: BenchResult): string {
	const lines = [`== ${r.name}: ${r.title}`];
	if (r.skipped) {
		lines.push(`   skipped: ${r.skipped}`);
		return lines.join('\n');
	}
	const rows = [['   measure', 'unit', 'n', 'median', 'min', 'max']];
	for (const m of r.measures) {
		rows.push([
			`   ${m.label}`,
			m.unit,
			String(m.summary.n),
			fmt(m.summary.median),
			fmt(m.summary.min),
			fmt(m.summary.max),
		]);
	}
	lines.push(pad(rows));
	if (r.checks.length) {
		const checkRows = [['   check', 'target', 'value', '']];
		for (const c of r.checks) checkRows.push([`   ${c.name}`, c.target, c.shown, c.pass ? 'PASS' : 'MISS']);
		lines.push(pad(checkRows));
	}
	for (const n of r.notes) lines.push(`   note: ${n}`);
	return lines.join('\n');
}

/** The summary table of every check. */
export function formatChecks(results: BenchResult[]): string {
	const rows = [['benchmark', 'check', 'target', 'value', '']];
	for (const r of results) {
		if (r.skipped) rows.push([r.name, '(skipped)', '', '', r.skipped.slice(0, 60)]);
		for (const c of r.checks) rows.push([r.name, c.name, c.target, c.shown, c.pass ? 'PASS' : 'MISS']);
	}
	return pad(rows);
}
