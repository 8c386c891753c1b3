/**
 * 4. Output flood: a step printing 500 000 numbered lines (3.4 MB) and one printing 6.4 million (50 MB), on
 * one node, against `ssh host 'seq 1 N' > /dev/null` (a new connection, like the console's first step).
 *
 * - headless: `os-console run --step flood/SIZE --yes` (its per-node prefixed lines to /dev/null): wall
 *   time from spawn to exit, peak RSS of the process (getrusage maxRSS, written at exit by bench/cli.ts);
 * - TUI: the console in a pseudo-terminal (120×40), on the step view: wall from the `r` key to the frame
 *   that says the node succeeded, key→frame latency while the flood runs (PageUp, then the first frame
 *   that shows "scrolled"; `f`, then the first frame that shows "following"), peak RSS of the process;
 * - after every console run: the step's log file holds every line 1..N, in order, nothing else but the
 *   console's own "── " notes.
 */
import { createReadStream, readFileSync } from 'node:fs';
import readline from 'node:readline';
import {
	attemptLog,
	consoleRun,
	freshHome,
	PROFILE_PREFIX,
	profileFor,
	removeBenchRuns,
	removeDir,
	writeProfileFile,
} from '../lib/console.js';
import type { Benchmark, Context, Variant } from '../lib/context.js';
import { sampleInterleaved } from '../lib/context.js';
import type { Host } from '../lib/hosts.js';
import { BENCH_CLI } from '../lib/paths.js';
import { sleep, within } from '../lib/proc.js';
import { Pty } from '../lib/pty.js';
import { sshOnce } from '../lib/references.js';
import {
	type BenchResult,
	boundCheck,
	type Check,
	type Measure,
	measure,
	ratioCheck,
	summarize,
} from '../lib/stats.js';
import { FLOOD_LARGE_LINES, FLOOD_SMALL_LINES, RUNBOOK_FLOOD, seqBytes } from '../runbooks.js';

const WALL_LIMIT = 1.5;
const RSS_LIMIT_MB = 200;
const KEY_LIMIT_MS = 100;
const PAGE_UP = '\u001b[5~';

interface Size {
	id: 'small' | 'large';
	lines: number;
	/** Row in the checklist (j presses from the first step). */
	row: number;
}

const SIZES: Size[] = [
	{ id: 'small', lines: FLOOD_SMALL_LINES, row: 0 },
	{ id: 'large', lines: FLOOD_LARGE_LINES, row: 1 },
];

/** Every line 1..n in order in the attempt's log, and only the console's "── " notes besides. */
async function checkLog(file: string, n: number): Promise<{ ok: boolean; numbered: number; problem?: string }> {
	const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
	let next = 1;
	let problem: string | undefined;
	for await (const line of rl) {
		if (line.startsWith('── ')) continue;
		if (problem) continue;
		if (line !== String(next)) problem = `line ${next} expected, found ${JSON.stringify(line.slice(0, 80))}`;
		else next++;
	}
	const numbered = next - 1;
	if (!problem && numbered !== n) problem = `${numbered} of ${n} lines`;
	return problem ? { ok: false, numbered, problem } : { ok: true, numbered };
}

interface TuiRun {
	wallMs: number;
	rssMb: number;
	latencies: number[];
	log: Awaited<ReturnType<typeof checkLog>>;
}

async function tuiFlood(ctx: Context, file: string, profileName: string, size: Size): Promise<TuiRun> {
	const home = freshHome(`flood-tui-${size.id}`);
	const rssFile = `${home}/peak-rss`;
	const pty = new Pty([process.execPath, BENCH_CLI, '--profile', file, '--known-hosts', ctx.farm.knownHosts], {
		env: { ...process.env, OS_CONSOLE_HOME: home, OSC_BENCH_RSS_FILE: rssFile },
	});
	try {
		await pty.waitFor('Sections', 0, 30_000);
		// dashboard → the flood section's checklist → the step's view
		let at = pty.write('\r');
		await pty.waitFor('numbered lines', at, 10_000);
		for (let i = 0; i < size.row; i++) {
			pty.write('j');
			await sleep(150);
		}
		at = pty.write('\r');
		await pty.waitFor('r runs it', at, 10_000);
		await sleep(200);
		const runAt = pty.write('r');
		const t0 = performance.now();
		let done = 0;
		// the node's status line says how the step ended
		const finished = Promise.race([
			pty.waitFor(': succeeded', runAt, 900_000),
			pty.waitFor(': failed', runAt, 900_000).then(() => {
				throw new Error(`the flood step failed:\n${pty.tail(3000)}`);
			}),
		]).then((t) => {
			done = t;
			return t;
		});
		finished.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
		// the flood is under way: the pane holds more lines than it shows (so PageUp can leave follow mode)
		await Promise.race([pty.waitFor(/ of \d{4,}/, runAt, 60_000), finished]);
		const latencies: number[] = [];
		const press = async (key: string, shows: string) => {
			const sentAt = performance.now();
			const from = pty.write(key);
			const shown = await pty.waitFor(shows, from, 10_000);
			// a sample counts only if the flood was still running when the key was sent
			if (!done || sentAt < done) latencies.push(shown - sentAt);
		};
		while (!done && latencies.length < 200) {
			await press(PAGE_UP, 'scrolled (f follows)');
			if (done) break;
			await sleep(40);
			await press('f', 'following');
			await sleep(40);
		}
		const wallMs = (await finished) - t0;
		pty.write('q');
		const code = await within(pty.exited, 10_000, 'timeout');
		if (code !== 0) throw new Error(`the console did not quit on q (${String(code)}):\n${pty.tail(2000)}`);
		const rssMb = Number(readFileSync(rssFile, 'utf8').trim()) / 1024 / 1024;
		const log = await checkLog(attemptLog(home, profileName, `flood/${size.id}`, 'n01'), size.lines);
		return { wallMs, rssMb, latencies, log };
	} finally {
		await pty.kill();
		removeDir(home);
		removeBenchRuns();
	}
}

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return Number.NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const flood: Benchmark = {
	name: 'flood',
	title: 'a step printing 500 000 lines (3.4 MB) and 6.4 M lines (50 MB)',
	async run(ctx: Context): Promise<BenchResult> {
		const host: Host = ctx.farm.hosts[0]!;
		const dir = freshHome('flood-profile');
		const profile = profileFor(ctx.farm, [host], { name: 'flood', runbook: RUNBOOK_FLOOD });
		const profileName = `${PROFILE_PREFIX}-flood`;
		const file = writeProfileFile(dir, profile);
		const measures: Measure[] = [];
		const checks: Check[] = [];
		const notes: string[] = [];
		try {
			for (const size of SIZES) {
				const bytes = seqBytes(size.lines);
				const tag = `${size.id} ${(bytes / 1e6).toFixed(1)} MB`;
				const runs = size.id === 'large' ? (ctx.quick ? 1 : Math.min(ctx.runs, 3)) : ctx.runs;
				const warmup = size.id === 'large' ? 0 : ctx.warmup;
				const rss: Record<'headless' | 'tui', number[]> = { headless: [], tui: [] };
				const latencies: number[] = [];
				const logs: string[] = [];
				let logsOk = true;
				const noteLog = (what: string, log: Awaited<ReturnType<typeof checkLog>>) => {
					if (!log.ok) {
						logsOk = false;
						logs.push(`${what}: ${log.problem}`);
					}
				};
				const variants: Variant[] = [
					{
						label: `ssh > /dev/null (${tag})`,
						runs,
						warmup,
						once: () => sshOnce(ctx.farm, host, `seq 1 ${size.lines}`),
					},
					{
						label: `os-console run (${tag})`,
						runs,
						warmup,
						once: async (run) => {
							const home = freshHome(`flood-${size.id}`);
							try {
								const r = await consoleRun(home, [
									'--profile',
									file,
									'--step',
									`flood/${size.id}`,
									'--yes',
									'--known-hosts',
									ctx.farm.knownHosts,
								]);
								if (run >= 0) {
									rss.headless.push(r.rssMb);
									noteLog(
										'headless',
										await checkLog(attemptLog(home, profileName, `flood/${size.id}`, 'n01'), size.lines),
									);
								}
								return r.ms;
							} finally {
								removeDir(home);
								removeBenchRuns();
							}
						},
					},
					{
						label: `console TUI (${tag})`,
						runs,
						warmup,
						once: async (run) => {
							const r = await tuiFlood(ctx, file, profileName, size);
							if (run >= 0) {
								rss.tui.push(r.rssMb);
								latencies.push(...r.latencies);
								noteLog('TUI', r.log);
							}
							return r.wallMs;
						},
					},
				];
				const samples = await sampleInterleaved(ctx, variants);
				const [ref, headless, tui] = variants.map((v) => measure(v.label, 'ms', samples.get(v.label)!)) as [
					Measure,
					Measure,
					Measure,
				];
				const rssHeadless = measure(`peak RSS, os-console run (${size.id})`, 'MB', rss.headless);
				const rssTui = measure(`peak RSS, console TUI (${size.id})`, 'MB', rss.tui);
				const keys = measure(`key→frame during the flood (${size.id})`, 'ms', latencies);
				measures.push(ref, headless, tui, rssHeadless, rssTui, keys);
				checks.push(
					ratioCheck(`${size.id}: wall, run`, headless, ref, WALL_LIMIT),
					ratioCheck(`${size.id}: wall, TUI`, tui, ref, WALL_LIMIT),
					boundCheck(
						`${size.id}: peak RSS (max of runs)`,
						Math.max(rssHeadless.summary.max, rssTui.summary.max),
						RSS_LIMIT_MB,
						'MB',
					),
					{
						name: `${size.id}: all ${size.lines} lines in the log`,
						target: 'every line, in order',
						value: logsOk ? 1 : 0,
						shown: logsOk ? 'all' : 'MISSING',
						pass: logsOk,
					},
					boundCheck(`${size.id}: key→frame p95`, percentile(latencies, 95), KEY_LIMIT_MS, 'ms'),
				);
				const k = summarize(latencies);
				notes.push(
					`${size.id}: ${latencies.length} key→frame samples, median ${k.median.toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${k.max.toFixed(0)} ms`,
				);
				notes.push(...logs);
			}
		} finally {
			removeDir(dir);
		}
		return { name: this.name, title: this.title, measures, checks, notes };
	},
};
