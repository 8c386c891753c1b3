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
import { initLanguage } from '../i18n/index.js';
import { loadProfile } from '../profile/store.js';
import { matchRun, outcomeWords, type RunSummary, fieldText as text } from '../replay/runs.js';
import { loadReplaySource, readAttemptOutput } from '../replay/source.js';
import { buildTimeline, detailOf, playbackAt } from '../replay/timeline.js';
import { EXIT_FAILED, EXIT_OK, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';

export const usage = `Usage: os-console replay --profile NAME_OR_PATH [--list] [--run ID] [--speed N] [--max-wait SECONDS]
                        [--lines N] [--plain] [--lang zh|en]

Replays a past run of the profile from its journal: the events in order with their timing, each attempt's
output from its log file, and the outcome per step and node. Nothing connects anywhere and nothing is written.

On a terminal it opens the replay in the console: the run list when the journal has several runs (--run
opens that one), then the sections and steps with each node's status as the events play back, the output
of the selected node's attempt (from its log, when the attempt's end has played), and keys to pause (p),
go faster (+) or slower (-), play the next event (n) or jump to the end (e); ? lists every key. Without a
terminal, or with --plain, --list or --lines, it prints the replay as text.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --list                  list the runs in the journal (id, start, duration, attempts, outcome) and stop
  --run ID                the run to replay: its id or a unique prefix of it (default: the last run)
  --speed N               replay the recorded gaps between events N times faster (0.5 = half speed);
                          default: no waiting in text, 1 in the console
  --max-wait SECONDS      wait at most this long between two events (default 5)
  --lines N               text: show only the last N lines of each attempt's output (default: all)
  --plain                 print the replay as text even on a terminal
  --lang zh|en            the console's language (as for the console)

Exit codes: 0 replayed or listed, 1 no runs recorded, 2 bad flags, profile or run id.`;

const MARK: Record<string, string> = {
	succeeded: '✔',
	'already-done': '✔',
	skipped: '⊘',
	failed: '✖',
	interrupted: '!',
};

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(3)}s`;
}

function pickRun(runs: RunSummary[], wanted: string | undefined): RunSummary {
	const match = matchRun(runs, wanted);
	if ('problem' in match) throw new UsageError(match.problem);
	return match.run;
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
				plain: { type: 'boolean' },
				lang: { type: 'string' },
			},
			'replay',
		);
		try {
			initLanguage(flags.lang);
		} catch (error) {
			throw new UsageError((error as Error).message);
		}
		const { profile, file: profileFile } = loadProfile(requireProfileFlag(flags.profile, 'replay'));
		const speed = flags.speed === undefined ? Number.POSITIVE_INFINITY : positive(flags.speed, '--speed', 1);
		const maxWait = positive(flags['max-wait'], '--max-wait', 5) * 1000;
		const tail = flags.lines === undefined ? undefined : Math.floor(positive(flags.lines, '--lines', 1));
		const write = (line: string) => process.stdout.write(`${line}\n`);

		// Read-only: a profile that never ran has no state directory, and replay does not make one.
		const source = loadReplaySource(profile);
		if (!source.hasState) {
			write(`no runs recorded for profile ${profile.name} (${profileFile})`);
			return flags.list ? EXIT_OK : EXIT_FAILED;
		}
		const { runs } = source;
		if (source.tornTail) {
			process.stderr.write(
				`os-console: note: the last line of ${source.journalFile} is incomplete (a run still writing, or a crash); it is left out\n`,
			);
		}
		if (runs.length === 0) {
			write(`no runs recorded for profile ${profile.name} (journal ${source.journalFile})`);
			return flags.list ? EXIT_OK : EXIT_FAILED;
		}

		if (flags.list) {
			write(`runs of profile ${profile.name} (journal ${source.journalFile}):`);
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
		const interactive = process.stdout.isTTY && process.stdin.isTTY && !flags.plain && tail === undefined;
		if (interactive) {
			// Loaded only here: the text replay does not pay for Ink and React.
			const { openReplayConsole } = await import('../screens/replay-console.js');
			return await openReplayConsole(source, {
				runId: flags.run === undefined ? undefined : chosen.id,
				speed: Number.isFinite(speed) ? speed : 1,
				maxWaitMs: maxWait,
			});
		}

		const titles = new Map<string, string>(
			(source.runbook?.sections ?? []).flatMap((s) => s.steps.map((st) => [`${s.id}/${st.id}`, st.title] as const)),
		);
		const timeline = buildTimeline(chosen);
		const nodeWidth = Math.max(8, ...profile.nodes.map((n) => n.name.length));
		write(
			`replay of run ${chosen.id}: profile ${profile.name}, runbook ${profile.runbook}; ${chosen.events.length} events over ${seconds(timeline.span)}; ${
				Number.isFinite(speed)
					? `speed ${speed}x (gaps over ${maxWait / 1000}s cut)`
					: 'no waiting (--speed N to replay the timing)'
			}`,
		);

		const started = new Set<string>();
		for (const timed of timeline.events) {
			const { event, step, node } = timed;
			if (Number.isFinite(speed)) {
				const gap = timed.index > 0 ? timed.at - timeline.events[timed.index - 1]!.at : 0;
				if (gap > 0) await sleep(Math.min(gap / speed, maxWait));
			}
			const when = `+${seconds(timed.at)}`.padStart(10);
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
					const title = titles.get(step);
					write(`${when}  ${node.padEnd(nodeWidth)}  ▶ ${step} attempt ${attempt}${title ? `: ${title}` : ''}`);
					break;
				}
				case 'step-finished': {
					const status = text(event.status);
					const output = readAttemptOutput(profile.name, step, node, attempt);
					const lines = output.lines;
					if (lines === undefined)
						write(`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | (no output log: ${output.file})`);
					else {
						const shown = tail !== undefined && lines.length > tail ? lines.slice(-tail) : lines;
						if (shown.length < lines.length) {
							write(
								`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | … ${lines.length - shown.length} earlier lines in ${output.file}`,
							);
						}
						for (const line of shown) write(`${' '.repeat(10)}  ${node.padEnd(nodeWidth)}  | ${line}`);
					}
					const detail = detailOf(
						event.exitCode !== undefined && event.exitCode !== null ? text(event.exitCode) : undefined,
						event.reason ? text(event.reason) : undefined,
						!started.has(`${step}|${node}|${attempt}`),
					);
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

		const outcome = playbackAt(timeline, timeline.events.length).cells;
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
