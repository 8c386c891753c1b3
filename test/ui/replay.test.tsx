/**
 * The replay in the console: a journal and attempt logs written by real engine runs (the demo runbook through
 * LocalShellRunner: the step scripts really execute), played back on the replay screens as `os-console
 * replay` opens them on a terminal: the run list, playing with the recorded timing, pause, the next event,
 * the end; every step's outcome on every node as the journal has it, and the output as the log has it.
 * Then from the dashboard: p opens the open profile's runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../source/app.js';
import type { JournalEvent } from '../../source/engine/journal.js';
import { attemptLogFile } from '../../source/engine/logs.js';
import { missingMessages, setLanguage } from '../../source/i18n/index.js';
import { Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets, loadProfile } from '../../source/profile/store.js';
import { loadReplaySource, type ReplaySource } from '../../source/replay/source.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { replayOnlyServices, replayRoutes } from '../../source/screens/replay-console.js';
import { bindingsFor } from '../../source/ui/keybindings.js';
import { symbols } from '../../source/ui/theme.js';
import { registeredHandlers } from '../../source/ui/use-key-bindings.js';
import { DEFAULT_ROWS } from '../../source/ui/use-terminal-size.js';
import { tempConsoleHome } from '../commands/helpers.js';
import { demoProfile } from '../helpers/profiles.js';
import { recordTwoSessions } from '../helpers/recorded-runs.js';
import { lineWith, withFrameHelpers } from '../helpers/render.js';

let root: string;
let profileFile: string;
let profile: Profile;
let runIds: string[] = [];
const home = tempConsoleHome('osc-ui-replay-');

beforeAll(async () => {
	({ demoRoot: root, profileFile, profile, runIds } = await recordTwoSessions(home.dir, 'replay-ui', 'tester@ci'));
});

afterEach(() => {
	cleanup();
	setLanguage('en');
});

/** `os-console replay` on a terminal: the console on the replay screens alone, as openReplayConsole renders it. */
function renderReplay(options: { runId?: string; speed?: number; maxWaitMs?: number } = {}) {
	const exits: number[] = [];
	const source = loadReplaySource(loadProfile(profileFile).profile);
	const routes = replayRoutes(
		source,
		{ speed: options.speed ?? 1, maxWaitMs: options.maxWaitMs ?? 5000 },
		options.runId,
	);
	const app = withFrameHelpers(
		render(<App services={replayOnlyServices((code) => exits.push(code))} initialRoutes={routes} />),
	);
	return Object.assign(app, { source, exits });
}

/** n until `target` events have played: one key at a time, each once the frame shows the one before. */
async function playTo(app: ReturnType<typeof renderReplay>, target: number): Promise<void> {
	for (let played = eventsPlayed(app.frame()); played < target; played++) {
		await app.press('n');
		await app.waitFor((f) => eventsPlayed(f) === played + 1, { what: `event ${played + 1} to play` });
	}
}

/** "event 12 of 25" → 12. */
function eventsPlayed(frame: string): number {
	const match = / event (\d+) of (\d+) /.exec(frame);
	if (!match) throw new Error(`no position in the frame:\n${frame}`);
	return Number(match[1]);
}

/** The run's events as the journal file has them (read here directly, not through the replay's code). */
function journalEventsOf(runId: string): JournalEvent[] {
	const file = path.join(home.dir, 'state', profile.name, 'journal.jsonl');
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.filter(Boolean)
		.map((l) => JSON.parse(l) as JournalEvent)
		.filter((e) => e.run === runId);
}

/** Each (step, node)'s last status in the run, from the journal: the outcome the replay must end on. */
function outcomeOf(runId: string): Map<string, Map<string, string>> {
	const outcome = new Map<string, Map<string, string>>();
	for (const event of journalEventsOf(runId)) {
		if (event.type !== 'step-started' && event.type !== 'step-finished') continue;
		const row = outcome.get(String(event.step)) ?? new Map<string, string>();
		row.set(String(event.node), event.type === 'step-started' ? 'running' : String(event.status));
		outcome.set(String(event.step), row);
	}
	return outcome;
}

/** The icons after each node's name on a step's row: "controller ✔ compute1 ✔ compute2 ✘". */
function nodeIcons(row: string, nodes: string[]): Map<string, string> {
	const icons = new Map<string, string>();
	for (const node of nodes) {
		const match = new RegExp(`${node} (\\S)`).exec(row);
		if (match) icons.set(node, match[1]!);
	}
	return icons;
}

const ICON: Record<string, string> = { ...symbols.status };

describe('the replay screens (os-console replay on a terminal)', () => {
	it('lists the runs newest first with their outcome; enter replays one; the banner says it is a replay', async () => {
		const app = renderReplay();
		let frame = await app.waitFor('Past runs · replay-ui (demo)');
		expect(frame).toContain('2 runs in the journal');
		expect(frame).toContain('nothing connects, nothing is written');
		const lines = frame.split('\n');
		const newest = lines.findIndex((l) => l.includes(runIds[1]!));
		const oldest = lines.findIndex((l) => l.includes(runIds[0]!));
		expect(newest).toBeGreaterThan(0);
		expect(newest).toBeLessThan(oldest);
		// session 1: 10 attempts, 9 succeeded and 1 failed; session 2: 3 succeeded
		expect(lines[oldest]).toMatch(/ 25 +10 +✔ 9 ✘ 1/);
		expect(lines[newest]).toMatch(/ 9 +3 +✔ 3/);
		expect(lines[newest]).toMatch(/^\s*›/);
		await app.press('down', 'return');
		frame = await app.waitFor(`REPLAY of run ${runIds[0]}`);
		expect(frame).toContain('nothing connects, nothing is written');
		expect(frame.split('\n').length).toBeLessThanOrEqual(DEFAULT_ROWS - 1);
		// The footer's hints fit 100 columns with the keys that matter most: pause, speed, next, end, back.
		expect(frame).toContain('p pause · +/- speed · n next · e end · esc back · ? help · q quit');
		// esc returns to the list, esc there (the bottom screen) leaves the console
		await app.press('escape');
		await app.waitFor('Past runs · replay-ui (demo)');
		await app.press('escape');
		expect(app.exits).toEqual([0]);
	});

	it('plays the events with their recorded timing and ends on the outcome the journal has, step by step and node by node', async () => {
		const started = Date.now();
		const app = renderReplay({ runId: runIds[0] });
		await app.waitFor(/▶ playing 1×/);
		let frame = await app.waitFor('■ end of the run', { timeout: 20_000 });
		const took = Date.now() - started;
		const journal = journalEventsOf(runIds[0]!);
		const span = Date.parse(String(journal.at(-1)!.at)) - Date.parse(String(journal[0]!.at));
		// The count step sleeps 0.3 s between its lines: the run took over a second, and so does its replay.
		expect(span).toBeGreaterThan(900);
		expect(took).toBeGreaterThanOrEqual(span - 50);
		expect(frame).toContain(`event ${journal.length} of ${journal.length}`);
		// The last event: the operator's skip, which the step's row shows.
		expect(frame).toContain('operator: skip services/compute-only (by tester@ci)');
		expect(lineWith(frame, '3. Mark compute nodes')).toContain('skipped by tester@ci');

		// Every step of the runbook, every node: the icon is the journal's last status in this run, or
		// pending (○) where the run did not run it. Up from the first step wraps to the last.
		const outcome = outcomeOf(runIds[0]!);
		const runbook = getRunbook('demo');
		const checked = new Set<string>();
		for (let i = 0; i < 12 && checked.size < 6; i++) {
			frame = app.frame();
			for (const section of runbook.sections) {
				for (const [index, step] of section.steps.entries()) {
					const row = lineWith(frame, `${index + 1}. ${step.title}`);
					if (!row) continue;
					const key = `${section.id}/${step.id}`;
					const nodes = profile.nodes.map((n) => n.name).filter((n) => row.includes(`${n} `));
					const icons = nodeIcons(row, nodes);
					for (const node of nodes) {
						const status = outcome.get(key)?.get(node) ?? 'pending';
						expect(icons.get(node), `${key} on ${node}`).toBe(ICON[status]);
					}
					checked.add(key);
				}
			}
			await app.press('up');
		}
		expect([...checked].sort()).toEqual([
			'environment/config',
			'environment/hosts',
			'finish/secret-file',
			'services/compute-only',
			'services/count',
			'services/flaky',
		]);
		expect(outcome.get('services/flaky')?.get('compute2')).toBe('failed');
	});

	it('pauses, plays the next event, jumps to the end, and changes speed', async () => {
		const app = renderReplay({ runId: runIds[0], speed: 0.25 });
		await app.waitFor(/▶ playing 0\.25×/);
		await app.press('p');
		let frame = await app.waitFor('⏸ paused');
		const at = eventsPlayed(frame);
		await new Promise((r) => setTimeout(r, 400));
		expect(eventsPlayed(app.frame())).toBe(at);
		const journal = journalEventsOf(runIds[0]!);
		// n plays exactly one event, the journal's next one, and stays paused
		for (let i = 1; i <= 3; i++) {
			await app.press('n');
			frame = await app.waitFor(`event ${at + i} of ${journal.length}`);
			expect(frame).toContain('⏸ paused');
			const event = journal[at + i - 1]!;
			const described = frame.split('\n').find((l) => /^\s+\+\d+\.\ds /.test(l)) ?? '';
			if (event.type === 'operator') expect(described).toContain(`operator: ${String(event.action)}`);
			else expect(described).toContain(`${String(event.node)} `);
		}
		await app.press('+');
		await app.waitFor('⏸ paused 0.5×');
		await app.press('+', '+');
		await app.waitFor('⏸ paused 2×');
		await app.press('-');
		await app.waitFor('⏸ paused 1×');
		await app.press('e');
		frame = await app.waitFor('■ end of the run');
		expect(frame).toContain(`event ${journal.length} of ${journal.length}`);
		// b goes back to the start: nothing played, every step pending again
		await app.press('b');
		frame = await app.waitFor(`event 0 of ${journal.length}`);
		expect(frame).toContain('no event played yet');
		// at the end, p plays the run again from its start
		await app.press('e', 'p');
		await app.waitFor(/▶ playing 1×/);
	});

	it("shows a node's output from its attempt log once the attempt's end has played", async () => {
		const app = renderReplay({ runId: runIds[0], speed: 0.25 });
		await app.press('p');
		await app.waitFor('⏸ paused');
		// From the start, whatever played before the pause (a loaded machine may be slow to take the key).
		await app.press('b');
		await app.waitFor(/ event 0 of /);
		const journal = journalEventsOf(runIds[0]!);
		const failedAt = journal.findIndex(
			(e) => e.type === 'step-finished' && e.step === 'services/flaky' && e.node === 'compute2',
		);
		const startedAt = journal.findIndex(
			(e) => e.type === 'step-started' && e.step === 'services/flaky' && e.node === 'compute2',
		);
		// Up to the attempt's start: it is running, its output not shown yet.
		await playTo(app, startedAt + 1);
		await app.press('f');
		let frame = await app.waitFor(`event ${startedAt + 1} of`);
		expect(frame).toContain('services/flaky');
		// the selection follows the last event: compute2 on services/flaky
		await app.press('3');
		frame = await app.waitFor('compute2: attempt 1 running since');
		expect(frame).toContain('its output shows when it ends: the log has no per-line times');
		expect(frame).not.toContain('flag file present: failing');
		expect(frame.split('\n').length).toBeLessThanOrEqual(DEFAULT_ROWS - 1);
		// Its end: the log's lines, in order, with their numbers.
		await playTo(app, failedAt + 1);
		frame = await app.waitFor('output · compute2 · attempt 1');
		const log = fs
			.readFileSync(attemptLogFile(profile.name, 'services/flaky', 'compute2', 1), 'utf8')
			.trimEnd()
			.split('\n');
		expect(log).toContain('[stderr] flag file present: failing');
		const rows = frame.split('\n');
		let previous = -1;
		for (const [index, line] of log.entries()) {
			const row = rows.findIndex((r) => r.includes(`${index + 1} ${line}`));
			expect(row, `log line ${index + 1} "${line}" on screen`).toBeGreaterThan(previous);
			previous = row;
		}
		expect(frame).toContain(`lines 1-${log.length} of ${log.length}`);
		expect(lineWith(frame, '2. Fail while a flag file exists')).toContain('compute2: exit 3');

		// The second run's secret-file output: as logged, masked.
		const secret = loadOrCreateSecrets(profile.name).ADMIN_PASS!;
		const second = renderReplay({ runId: runIds[1], speed: 64 });
		frame = await second.waitFor('■ end of the run');
		await second.waitFor('output · controller · attempt 1');
		expect(second.frame()).toContain('export OS_PASSWORD=••••••••');
		expect(second.frame()).not.toContain(secret);
	});

	it('registers exactly the keys the table gives the run list and the replay, and reads in Chinese', async () => {
		registeredHandlers.clear();
		setLanguage('zh');
		missingMessages(true);
		const app = renderReplay({ speed: 64 });
		await app.waitFor('历史运行 · replay-ui（demo）');
		await app.press('return');
		const frame = await app.waitFor('■ 运行已结束');
		expect(frame).toContain('不连接任何节点，也不写入任何内容');
		expect(missingMessages()).toEqual([]);
		for (const screen of ['runs', 'replay'] as const) {
			const expected = [...new Set(bindingsFor(screen).map((r) => r.action))].sort();
			expect([...(registeredHandlers.get(screen) ?? [])].sort(), screen).toEqual(expected);
		}
	});
});

describe('replay reads and writes nothing else', () => {
	it('a profile that never ran has nothing to replay, and no state directory is made for it', () => {
		const fresh = Profile.parse(demoProfile({ demoRoot: root, name: 'never-ran-ui' }));
		const source: ReplaySource = loadReplaySource(fresh);
		expect(source.runs).toEqual([]);
		expect(source.hasState).toBe(false);
		expect(fs.existsSync(path.join(home.dir, 'state', 'never-ran-ui'))).toBe(false);
	});
});
