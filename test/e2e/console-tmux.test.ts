/**
 * End to end: the built binary in a real pseudo-terminal (tmux), driven with key presses like an operator,
 * against the private test sshd. Opens a profile, runs a step, reads the screen, quits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { hasTmux, TMUX_TEST_TIMEOUT_MS, TmuxTerminal } from '../helpers/tmux.js';

const CLI = path.resolve('dist/cli.js');

let sshd: TestSshd;
let terminal: TmuxTerminal;

describe.skipIf(!hasTmux)('the console in a real terminal', () => {
	let home: string;
	let root: string;
	let profileFile: string;
	let knownHosts: string;

	beforeAll(async () => {
		if (!fs.existsSync(CLI)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
		sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
		home = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-e2e-home-'));
		root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-e2e-root-'));
		knownHosts = path.join(sshd.dir, 'known_hosts.e2e');
		fs.writeFileSync(knownHosts, `${sshd.addresses.map((a) => sshd.knownHostsLine(a)).join('\n')}\n`);
		const input = demoProfile({ demoRoot: root, port: sshd.port, keyFile: sshd.clientKeyPath, name: 'e2e' } as never);
		profileFile = writeProfile(home, Profile.parse(input) as ProfileInput);
		terminal = new TmuxTerminal('e2e');
		// CI=true in the command itself: the console draws live even when CI=true is exported.
		terminal.start(`CI=true node ${CLI} --profile ${profileFile} --known-hosts ${knownHosts}`, {
			env: { OS_CONSOLE_HOME: home },
		});
	});

	afterAll(async () => {
		terminal?.close();
		await sshd?.stop();
	});

	it(
		'opens the profile, runs a step with key presses, shows its output, and quits',
		async () => {
			let s = await terminal.waitForScreen('Environment');
			expect(s).toContain('controller');
			expect(s).toContain('compute1');
			// Open the first section (its step list, the pointer on its first step), run that step.
			s = await terminal.press('Enter', /› ○ 1\. Write the hosts file/);
			s = await terminal.press('r', /controller ✔ compute1 ✔ compute2 ✔/);
			expect(s).toContain('1/2 done');
			expect(fs.readFileSync(path.join(root, 'controller', 'hosts'), 'utf8')).toContain('127.0.0.3 compute1');
			// Open the step view: the output of the run is there (the section view shows 'wrote:' too, in the
			// step's row, so the wait is for the output pane's title).
			s = await terminal.press('Enter', 'output · controller · attempt 1');
			expect(s).toContain('wrote:');
			expect(s).toContain('hosts');
			// Back out (to the section, then the dashboard) and quit.
			await terminal.press('Escape', 'enter: output and commands');
			await terminal.press('Escape', /Sections +step \d+ of \d+/);
			s = await terminal.press('q', 'EXITED:0');
			const progress = JSON.parse(fs.readFileSync(path.join(home, 'state', 'e2e', 'progress.json'), 'utf8'));
			expect(progress.steps['environment/hosts'].compute2.status).toBe('succeeded');
		},
		TMUX_TEST_TIMEOUT_MS,
	);
});
