/**
 * End to end over real SSH: the built binary runs the demo runbook headless against the private test sshd
 * (three nodes on loopback addresses) twice, the first time with compute2 failing a step; then the same
 * binary replays those runs: as text without a terminal, and in the console in a real terminal (tmux), where
 * the failed node's output on screen is the log the run wrote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLogFile } from '../../source/engine/logs.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { hasTmux, TMUX_TEST_TIMEOUT_MS, TmuxTerminal } from '../helpers/tmux.js';

const CLI = path.resolve('dist/cli.js');

let sshd: TestSshd;
let terminal: TmuxTerminal | undefined;
let home: string;
let savedHome: string | undefined;
let root: string;
let profileFile: string;
let knownHosts: string;
const runIds: string[] = [];

function cli(...args: string[]) {
	return spawnSync('node', [CLI, ...args], {
		encoding: 'utf8',
		env: { ...process.env, OS_CONSOLE_HOME: home },
		stdio: ['ignore', 'pipe', 'pipe'],
		timeout: 120_000,
	});
}

describe('a headless run over SSH, replayed', () => {
	beforeAll(async () => {
		if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
		savedHome = process.env.OS_CONSOLE_HOME;
		home = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-replay-ssh-'));
		process.env.OS_CONSOLE_HOME = home;
		root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-replay-ssh-root-'));
		sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
		knownHosts = path.join(sshd.dir, 'known_hosts.replay');
		fs.writeFileSync(knownHosts, `${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n`);
		const input = demoProfile({
			demoRoot: root,
			port: sshd.port,
			keyFile: sshd.clientKeyPath,
			name: 'replay-ssh',
		} as never);
		profileFile = writeProfile(home, Profile.parse(input) as ProfileInput);

		// Run 1: compute2 fails the flaky step (its flag file), the run stops. Run 2: the flag is gone.
		fs.mkdirSync(path.join(root, 'compute2'), { recursive: true });
		fs.writeFileSync(path.join(root, 'compute2', 'fail'), '');
		const first = cli('run', '--profile', profileFile, '--yes', '--known-hosts', knownHosts);
		expect(first.status, first.stderr).toBe(1);
		fs.rmSync(path.join(root, 'compute2', 'fail'));
		const second = cli('run', '--profile', profileFile, '--yes', '--known-hosts', knownHosts);
		expect(second.status, second.stderr).toBe(0);
		const list = cli('replay', '--profile', profileFile, '--list');
		expect(list.status, list.stderr).toBe(0);
		runIds.push(...[...list.stdout.matchAll(/^ {2}(\d{4}-\S+)/gm)].map((m) => m[1]!));
		expect(runIds).toHaveLength(2);
	}, 180_000);

	afterAll(async () => {
		terminal?.close();
		await sshd?.stop();
		if (savedHome === undefined) delete process.env.OS_CONSOLE_HOME;
		else process.env.OS_CONSOLE_HOME = savedHome;
		fs.rmSync(home, { recursive: true, force: true });
		fs.rmSync(root, { recursive: true, force: true });
	});

	it('without a terminal: the text replay of the failed run, its output from the logs', () => {
		const replay = cli('replay', '--profile', profileFile, '--run', runIds[0]!);
		expect(replay.status, replay.stderr).toBe(0);
		expect(replay.stdout).toMatch(/compute2 +✖ services\/flaky attempt 1: failed \(exit 3; /);
		expect(replay.stdout).toMatch(/compute2 +\| \[stderr\] flag file present: failing/);
		expect(replay.stdout).toMatch(/ services\/flaky +controller=succeeded {2}compute1=succeeded {2}compute2=failed/);
	});

	it.skipIf(!hasTmux)(
		"in a terminal: the run list, the failed run replayed to its end, the failed node's output as logged",
		async () => {
			const state = path.join(home, 'state', 'replay-ssh');
			const journalBefore = fs.readFileSync(path.join(state, 'journal.jsonl'), 'utf8');
			terminal = new TmuxTerminal('replay-ssh');
			terminal.start(`node ${CLI} replay --profile ${profileFile} --speed 8`, {
				env: { OS_CONSOLE_HOME: home },
				width: 130,
				height: 34,
			});
			let screen = await terminal.waitForScreen('Past runs · replay-ssh (demo)');
			expect(screen).toContain(runIds[0]);
			expect(screen).toContain(runIds[1]);
			await terminal.press('Down', new RegExp(`› .*${runIds[0]!.replaceAll('.', '\\.')}`));
			await terminal.press('Enter', `REPLAY of run ${runIds[0]}`);
			screen = await terminal.waitForScreen('■ end of the run');
			// The run stopped at compute2's failure; the selection followed the events to that step, 3 shows compute2.
			expect(screen).toMatch(/› ✘ 2\. Fail while a flag file exists +controller ✔ compute1 ✔ compute2 ✘/);
			screen = await terminal.press('3', 'output · compute2 · attempt 1');
			const log = fs
				.readFileSync(attemptLogFile('replay-ssh', 'services/flaky', 'compute2', 1), 'utf8')
				.trimEnd()
				.split('\n');
			for (const [index, line] of log.entries()) expect(screen).toContain(`${index + 1} ${line}`.slice(0, 100));
			await terminal.press('q', 'EXITED:0');
			expect(fs.readFileSync(path.join(state, 'journal.jsonl'), 'utf8')).toBe(journalBefore);
		},
		TMUX_TEST_TIMEOUT_MS,
	);
});
