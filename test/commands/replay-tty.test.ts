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

const CLI = path.resolve('dist/cli.js');
const hasTmux = (() => {
	try {
		execFileSync('tmux', ['-V']);
		return true;
	} catch {
		return false;
	}
})();

/** The tmux session of the current start(); each start gets its own. */
let session = '';
let starts = 0;
let home: string;
let savedHome: string | undefined;
let profileFile: string;
let profile: Profile;
const runIds: string[] = [];

function tmux(...args: string[]): string {
	return execFileSync('tmux', args, { encoding: 'utf8' });
}
function screen(): string {
	return tmux('capture-pane', '-p', '-t', session);
}
async function waitForScreen(text: string | RegExp, timeoutMs = 20_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		last = screen();
		if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`screen never showed ${text}; last screen:\n${last}`);
}
async function keys(...k: string[]) {
	tmux('send-keys', '-t', session, ...k);
	await new Promise((r) => setTimeout(r, 200));
}
/**
 * A new session running the replay. The previous one is ended after the new one exists: ending a server's
 * last session stops the server, and a session started right then can meet the server on its way out.
 */
async function start(args: string) {
	const previous = session;
	session = `osc-replay-${process.pid}-${++starts}`;
	const command = `CI=true OS_CONSOLE_HOME=${home} node ${CLI} replay --profile ${profileFile} ${args}; echo EXITED:$?; sleep 30`;
	// Other test files share the tmux server: one may end its last session (and so the server) right now.
	for (let attempt = 1; ; attempt++) {
		try {
			tmux('new-session', '-d', '-s', session, '-x', '130', '-y', '32', command);
			break;
		} catch (error) {
			if (attempt >= 5) throw error;
			await new Promise((r) => setTimeout(r, 300));
		}
	}
	if (previous) {
		try {
			tmux('kill-session', '-t', previous);
		} catch {
			/* already gone */
		}
	}
}
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
		try {
			tmux('kill-session', '-t', session);
		} catch {
			/* already gone */
		}
		if (savedHome === undefined) delete process.env.OS_CONSOLE_HOME;
		else process.env.OS_CONSOLE_HOME = savedHome;
		fs.rmSync(home, { recursive: true, force: true });
	});

	it('opens the run list and the replay screen; the keys play it; q leaves; nothing is written', async () => {
		const state = path.join(home, 'state', profile.name);
		const before = listing(state);
		await start('--speed 0.5');
		let text = await waitForScreen('Past runs · replay-tty (demo)');
		expect(text).toContain('2 runs in the journal');
		expect(text).toMatch(/✔ \d+ ✘ 1/);
		await keys('Down', 'Enter');
		text = await waitForScreen(`REPLAY of run ${runIds[0]}`);
		expect(text).toContain('nothing connects, nothing is written');
		expect(text).toMatch(/▶ playing 0\.5×/);
		await keys('p');
		await waitForScreen('⏸ paused 0.5×');
		await keys('e');
		text = await waitForScreen('■ end of the run');
		expect(text).toMatch(/compute1 ✘/);
		await keys('q');
		await waitForScreen('EXITED:0');
		expect(listing(state)).toEqual(before);
	});

	it('--run opens that run directly over the list; --plain prints the text replay on a terminal', async () => {
		await start(`--run ${runIds[1]} --speed 64`);
		await waitForScreen(`REPLAY of run ${runIds[1]}`);
		await waitForScreen('■ end of the run');
		await keys('Escape');
		await waitForScreen('Past runs · replay-tty (demo)');
		await keys('q');
		await waitForScreen('EXITED:0');

		await start(`--run ${runIds[0]} --plain`);
		const text = await waitForScreen('EXITED:0');
		expect(text).toContain(`outcome of run ${runIds[0]}`);
		expect(text).not.toContain('REPLAY of run');
	});
});
