/**
 * `os-console replay` in a real terminal (tmux) with the built binary: on a terminal it opens the replay in the
 * console (run list, replay screen, keys), and with --plain it prints the text replay. The journal and logs
 * come from real engine runs of the demo runbook (LocalShellRunner). Nothing is written by the replay.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { recordingEngine } from '../helpers/recorded-runs.js';
import { hasTmux, TMUX_TEST_TIMEOUT_MS, TmuxTerminal } from '../helpers/tmux.js';

const CLI = path.resolve('dist/cli.js');

let terminal: TmuxTerminal;
let home: string;
let savedHome: string | undefined;
let profileFile: string;
let profile: Profile;
const runIds: string[] = [];

/** The replay command in a new session of the test's terminal (the previous session ends). */
function start(args: string) {
	terminal.start(`CI=true node ${CLI} replay --profile ${profileFile} ${args}`, {
		env: { OS_CONSOLE_HOME: home },
		width: 130,
		height: 32,
	});
}
/** The run list's pointer on this run. */
const pointerOn = (runId: string) => new RegExp(`› .*${runId.replaceAll('.', '\\.')}`);

function listing(dir: string): string[] {
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile())
		.map(
			(e) =>
				`${path.relative(dir, path.join(e.parentPath, e.name))} ${fs.statSync(path.join(e.parentPath, e.name)).size}`,
		)
		.sort();
}

describe.skipIf(!hasTmux)('os-console replay in a real terminal', () => {
	beforeAll(async () => {
		if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
		terminal = new TmuxTerminal('replay-tty');
		savedHome = process.env.OS_CONSOLE_HOME;
		home = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-replay-tty-'));
		process.env.OS_CONSOLE_HOME = home;
		const root = path.join(home, 'demo-root');
		const input = demoProfile({ demoRoot: root, name: 'replay-tty' });
		profileFile = writeProfile(home, input);
		profile = Profile.parse(input);
		fs.mkdirSync(path.join(root, 'compute1'), { recursive: true });
		fs.writeFileSync(path.join(root, 'compute1', 'fail'), '');
		for (const [index, wanted] of [false, true].entries()) {
			if (index === 1) fs.rmSync(path.join(root, 'compute1', 'fail'));
			const runId = new Date(Date.now() + index).toISOString();
			const engine = recordingEngine(profile, runId, 'tester@tty');
			expect(await engine.runAll()).toBe(wanted);
			await engine.close();
			runIds.push(runId);
			await new Promise((r) => setTimeout(r, 20));
		}
	});

	afterAll(() => {
		terminal?.close();
		if (savedHome === undefined) delete process.env.OS_CONSOLE_HOME;
		else process.env.OS_CONSOLE_HOME = savedHome;
		fs.rmSync(home, { recursive: true, force: true });
	});

	it(
		'opens the run list and the replay screen; the keys play it; q leaves; nothing is written',
		async () => {
			const state = path.join(home, 'state', profile.name);
			const before = listing(state);
			start('--speed 0.5');
			let text = await terminal.waitForScreen('Past runs · replay-tty (demo)');
			expect(text).toContain('2 runs in the journal');
			expect(text).toMatch(/✔ \d+ ✘ 1/);
			await terminal.press('Down', pointerOn(runIds[0]!));
			text = await terminal.press('Enter', `REPLAY of run ${runIds[0]}`);
			expect(text).toContain('nothing connects, nothing is written');
			expect(text).toMatch(/▶ playing 0\.5×/);
			await terminal.press('p', '⏸ paused 0.5×');
			text = await terminal.press('e', '■ end of the run');
			expect(text).toMatch(/compute1 ✘/);
			await terminal.press('q', 'EXITED:0');
			expect(listing(state)).toEqual(before);
		},
		TMUX_TEST_TIMEOUT_MS,
	);

	it(
		'--run opens that run directly over the list; --plain prints the text replay on a terminal',
		async () => {
			start(`--run ${runIds[1]} --speed 64`);
			await terminal.waitForScreen(`REPLAY of run ${runIds[1]}`);
			await terminal.waitForScreen('■ end of the run');
			await terminal.press('Escape', 'Past runs · replay-tty (demo)');
			await terminal.press('q', 'EXITED:0');

			start(`--run ${runIds[0]} --plain`);
			const text = await terminal.waitForScreen('EXITED:0');
			expect(text).toContain(`outcome of run ${runIds[0]}`);
			expect(text).not.toContain('REPLAY of run');
		},
		TMUX_TEST_TIMEOUT_MS,
	);
});
