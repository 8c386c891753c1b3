/**
 * `os-console replay`: a past run, headless, from the profile's journal and attempt logs. Nothing connects anywhere
 * and nothing is written.
 *
 * A "run" is one console or headless session: the journal stamps every event with the id of the session that wrote
 * it (Journal.runId). Replay prints the run's events in order with their time since the run began, waiting between
 * them by the recorded gaps divided by --speed (default: no waiting; long idle gaps are cut to --max-wait), each
 * finished attempt with its output from its log file (masked when it was written), and at the end the outcome of
 * every step on every node in that run. An attempt whose start is in the run but not its end is reported as
 * unfinished (the console stopped; a later session re-attaches to it), and an end without a start in the run as
 * re-attached.
 *
 * Attempt logs are kept per (step, node, attempt): if a profile's progress was reset, a later attempt with the same
 * number appends to the same file, and replay shows the whole file.
 */
import fs from 'node:fs';
import { Journal, type JournalEvent } from '../engine/journal.js';
import { attemptLogFile } from '../engine/logs.js';
import { loadProfile, stateDir } from '../profile/store.js';
import { getRunbook } from '../runbook/registry.js';
import { EXIT_FAILED, EXIT_OK, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';

export const usage = `Usage: os-console replay --profile NAME_OR_PATH [--list] [--run ID] [--speed N] [--max-wait SECONDS] [--lines N]

Replays a past run of the profile from its journal: the events in order with their timing, each attempt's
output from its log file, and the outcome per step and node. Nothing connects anywhere.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --list                  list the runs in the journal (id, start, duration, attempts, outcome) and stop
  --run ID                the run to replay: its id or a unique prefix of it (default: the last run)
  --speed N               replay the recorded gaps between events N times faster (0.5 = half speed);
                          default: no waiting
  --max-wait SECONDS      with --speed, wait at most this long between two events (default 5)
  --lines N               show only the last N lines of each attempt's output (default: all)

Exit codes: 0 replayed or listed, 1 no runs recorded, 2 bad flags, profile or run id.`;

type Status = 'succeeded' | 'failed' | 'skipped' | 'already-done' | 'interrupted' | string;

export interface RunSummary {
	id: string;
	started: string;
	ended: string;
	events: JournalEvent[];
	attempts: number;
	finished: Record<string, number>;
}

const MARK: Record<string, string> = {
	succeeded: '✔',
	'already-done': '✔',
	skipped: '⊘',
	failed: '✖',
	interrupted: '!',
};

function text(value: unknown): string {
	return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

function time(event: JournalEvent): number {
	const t = Date.parse(text(event.at));
	return Number.isNaN(t) ? 0 : t;
}

/** The journal's events grouped by the session (run id) that wrote them, in the order the runs began. */
export function journalRuns(events: JournalEvent[]): RunSummary[] {
	const runs = new Map<string, RunSummary>();
	for (const event of events) {
		const id = text(event.run) || '(no run id)';
		let run = runs.get(id);
		if (!run) {
			run = { id, started: text(event.at), ended: text(event.at), events: [], attempts: 0, finished: {} };
			runs.set(id, run);
		}
		run.events.push(event);
		run.ended = text(event.at);
		if (event.type === 'step-started') run.attempts++;
		if (event.type === 'step-finished') {
			const status = text(event.status);
			run.finished[status] = (run.finished[status] ?? 0) + 1;
		}
	}
	return [...runs.values()].sort((a, b) => Date.parse(a.started) - Date.parse(b.started));
}

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(3)}s`;
}

function outcomeWords(finished: Record<string, number>): string {
	const parts = Object.entries(finished).map(([status, n]) => `${n} ${status}`);
	return parts.length ? parts.join(', ') : 'no step finished';
}

function pickRun(runs: RunSummary[], wanted: string | undefined): RunSummary {
	if (wanted === undefined) return runs.at(-1)!;
	const exact = runs.find((r) => r.id === wanted);
	if (exact) return exact;
	const matches = runs.filter((r) => r.id.startsWith(wanted));
	if (matches.length === 1) return matches[0]!;
	throw new UsageError(
		`--run ${wanted}: ${matches.length ? 'more than one run starts so' : 'no such run'}; runs: ${runs.map((r) => r.id).join(', ')}`,
	);
}

function positive(value: string | undefined, flag: string, fallback: number): number {
	if (value === undefined) return fallback;
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number (got "${value}")`);
	return n;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function run(argv: string[]): Promise<number> {
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				list: { type: 'boolean' },
				run: { type: 'string' },
				speed: { type: 'string' },
				'max-wait': { type: 'string' },
				lines: { type: 'string' },
			},
			'replay',
		);
		const { profile, file: profileFile } = loadProfile(requireProfileFlag(flags.profile, 'replay'));
		const speed = flags.speed === undefined ? Number.POSITIVE_INFINITY : positive(flags.speed, '--speed', 1);
		const maxWait = positive(flags['max-wait'], '--max-wait', 5) * 1000;
		const tail = flags.lines === undefined ? undefined : Math.floor(positive(flags.lines, '--lines', 1));
		const write = (line: string) => process.stdout.write(`${line}\n`);

		// Read-only: a profile that never ran has no state directory, and replay does not make one.
		if (!fs.existsSync(stateDir(profile.name))) {
			write(`no runs recorded for profile ${profile.name} (${profileFile})`);
			return flags.list ? EXIT_OK : EXIT_FAILED;
		}
		const journal = new Journal(profile.name);
		const runs = journalRuns(journal.read());
		if (journal.tornTail) {
			process.stderr.write(
				`os-console: note: the last line of ${journal.file} is incomplete (a run still writing, or a crash); it is left out\n`,
			);
		}
		if (runs.length === 0) {
			write(`no runs recorded for profile ${profile.name} (journal ${journal.file})`);
			return flags.list ? EXIT_OK : EXIT_FAILED;
		}

		if (flags.list) {
			write(`runs of profile ${profile.name} (journal ${journal.file}):`);
			const width = Math.max(...runs.map((r) => r.id.length), 6);
			write(
				`  ${'RUN'.padEnd(width)}  ${'DURATION'.padStart(10)}  ${'EVENTS'.padStart(6)}  ${'ATTEMPTS'.padStart(8)}  OUTCOME`,
			);
			for (const r of runs) {
				const duration = seconds(Date.parse(r.ended) - Date.parse(r.started));
				write(
					`  ${r.id.padEnd(width)}  ${duration.padStart(10)}  ${String(r.events.length).padStart(6)}  ${String(r.attempts).padStart(8)}  ${outcomeWords(r.finished)}`,
				);
			}
			return EXIT_OK;
		}

		const chosen = pickRun(runs, flags.run);
		let titles = new Map<string, string>();
		try {
			const runbook = getRunbook(profile.runbook);
			titles = new Map(runbook.sections.flatMap((s) => s.steps.map((st) => [`${s.id}/${st.id}`, st.title] as const)));
		} catch {
			/* a runbook this console no longer has: keys only */
		}
		const start = time(chosen.events[0]!);
		const span = time(chosen.events.at(-1)!) - start;
		const nodeWidth = Math.max(8, ...profile.nodes.map((n) => n.name.length));
		write(
			`replay of run ${chosen.id}: profile ${profile.name}, runbook ${profile.runbook}; ${chosen.events.length} events over ${seconds(span)}; ${
				Number.isFinite(speed)
					? `speed ${speed}x (gaps over ${maxWait / 1000}s cut)`
					: 'no waiting (--speed N to replay the timing)'
			}`,
		);

		const started = new Set<string>();
		const outcome = new Map<string, Map<string, { status: Status; detail: string }>>();
		const setOutcome = (step: string, node: string, status: Status, detail = '') => {
			const row = outcome.get(step) ?? new Map();
			row.set(node, { status, detail });
			outcome.set(step, row);
		};
		let previous = start;
		for (const event of chosen.events) {
			const at = time(event);
			if (Number.isFinite(speed) && at > previous) await sleep(Math.min((at - previous) / speed, maxWait));
			previous = Math.max(previous, at);
			const when = `+${seconds(at - start)}`.padStart(10);
			const step = text(event.step);
			const node = text(event.node);
			const attempt = Number(event.attempt);
			switch (event.type) {
				case 'operator': {
					const action = text(event.action);
					const nodes = Array.isArray(event.nodes) ? ` on ${(event.nodes as unknown[]).map(text).join(', ')}` : '';
					const by = event.by ? ` (by ${text(event.by)})` : '';
					write(`${when}  ${'operator'.padEnd(nodeWidth)}  ${action} ${step}${nodes}${by}`);
					break;
				}
				case 'step-started': {
					started.add(`${step}|${node}|${attempt}`);
					setOutcome(step, node, 'unfinished', 'the console stopped before it ended; a later session re-attaches');
					const title = titles.get(step);
					write(`${when}  ${node.padEnd(nodeWidth)}  ▶ ${step} attempt ${attempt}${title ? `: ${title}` : ''}`);
					break;
				}
				case 'step-finished': {
					const status = text(event.status);
					const reattached = !started.has(`${step}|${node}|${attempt}`);
					const file = attemptLogFile(profile.name, step, node, attempt);
					let lines: string[] | undefined;
					try {
						lines = fs.readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
					} catch {
						lines = undefined;
					}
					if (lines === undefined) write(`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | (no output log: ${file})`);
					else {
						const shown = tail !== undefined && lines.length > tail ? lines.slice(-tail) : lines;
						if (shown.length < lines.length) {
							write(
								`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | … ${lines.length - shown.length} earlier lines in ${file}`,
							);
						}
						for (const line of shown) write(`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | ${line}`);
					}
					const detail = [
						event.exitCode !== undefined && event.exitCode !== null ? `exit ${text(event.exitCode)}` : '',
						event.reason ? text(event.reason) : '',
						reattached ? 're-attached: started in an earlier session' : '',
					]
						.filter(Boolean)
						.join('; ');
					setOutcome(step, node, status, detail);
					write(
						`${when}  ${node.padEnd(nodeWidth)}  ${MARK[status] ?? '•'} ${step} attempt ${attempt}: ${status}${detail ? ` (${detail})` : ''}`,
					);
					break;
				}
				default: {
					const rest = Object.entries(event)
						.filter(([k]) => !['at', 'run', 'type'].includes(k))
						.map(([k, v]) => `${k}=${text(v)}`)
						.join(' ');
					write(`${when}  ${(node || '*').padEnd(nodeWidth)}  ${event.type}${rest ? ` ${rest}` : ''}`);
				}
			}
		}

		write('');
		write(`outcome of run ${chosen.id} (per step and node, as this run left it):`);
		if (outcome.size === 0) write('  no step ran in this run');
		const order = [...titles.keys()];
		const rank = (key: string) => {
			const i = order.indexOf(key);
			return i < 0 ? order.length : i;
		};
		const keyWidth = Math.max(...[...outcome.keys()].map((k) => k.length), 4);
		for (const step of [...outcome.keys()].sort((a, b) => rank(a) - rank(b))) {
			const cells = [...outcome.get(step)!.entries()].map(
				([node, o]) => `${node}=${o.status}${o.status !== 'succeeded' && o.detail ? ` (${o.detail})` : ''}`,
			);
			write(`  ${step.padEnd(keyWidth)}  ${cells.join('  ')}`);
		}
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
