/** What every benchmark gets, and how samples are taken. */
import type { Farm } from './hosts.js';
import type { BenchResult } from './stats.js';

export interface Context {
	/** Measured runs per variant (after the warm-up). */
	runs: number;
	warmup: number;
	/** Fewer/smaller runs where a run takes minutes (Ansible sequences, the 50 MB flood). */
	quick: boolean;
	farm: Farm;
	/** References that could not be installed, with why. */
	missing: Map<string, string>;
	log(message: string): void;
}

export interface Benchmark {
	name: string;
	title: string;
	run(ctx: Context): Promise<BenchResult>;
}

export interface Variant {
	label: string;
	/** One run; returns the sample (ms unless said otherwise). */
	once(run: number): Promise<number>;
	/** Runs for this variant (default ctx.runs). */
	runs?: number;
	warmup?: number;
}

/**
 * Warm up every variant, then take the runs interleaved (A B C A B C ...), so that a slow minute on the
 * machine hits every variant alike instead of one of them.
 */
export async function sampleInterleaved(ctx: Context, variants: Variant[]): Promise<Map<string, number[]>> {
	const samples = new Map<string, number[]>(variants.map((v) => [v.label, []]));
	for (const v of variants) {
		const warm = v.warmup ?? ctx.warmup;
		for (let i = 0; i < warm; i++) {
			const ms = await v.once(-1 - i);
			ctx.log(`  warm-up ${v.label}: ${ms.toFixed(0)}`);
		}
	}
	const most = Math.max(...variants.map((v) => v.runs ?? ctx.runs));
	for (let i = 0; i < most; i++) {
		for (const v of variants) {
			if (i >= (v.runs ?? ctx.runs)) continue;
			const ms = await v.once(i);
			samples.get(v.label)!.push(ms);
			ctx.log(`  run ${i + 1} ${v.label}: ${ms.toFixed(0)}`);
		}
	}
	return samples;
}
