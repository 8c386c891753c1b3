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

const CLI = path.resolve('dist/cli.js');
const hasTmux = (() => {
	try {
		execFileSync('tmux', ['-V']);
		return true;
	} catch {
		return false;
	}
})();

let sshd: TestSshd;
const session = `osc-e2e-${process.pid}`;

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
	await new Promise((r) => setTimeout(r, 150));
}

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
		tmux(
			'new-session',
			'-d',
			'-s',
			session,
			'-x',
			'140',
			'-y',
			'40',
			`CI=true OS_CONSOLE_HOME=${home} node ${CLI} --profile ${profileFile} --known-hosts ${knownHosts}; echo EXITED:$?; sleep 30`,
		);
	});

	afterAll(async () => {
		try {
			tmux('kill-session', '-t', session);
		} catch {
			/* already gone */
		}
		await sshd?.stop();
	});

	it('opens the profile, runs a step with key presses, shows its output, and quits', async () => {
		let s = await waitForScreen('Environment');
		expect(s).toContain('controller');
		expect(s).toContain('compute1');
		// Open the first section, run its first step.
		await keys('Enter');
		s = await waitForScreen('Write the hosts file');
		await keys('r');
		s = await waitForScreen(/controller ✔ compute1 ✔ compute2 ✔/);
		expect(s).toContain('1/2 done');
		expect(fs.readFileSync(path.join(root, 'controller', 'hosts'), 'utf8')).toContain('127.0.0.3 compute1');
		// Open the step view: the output of the run is there.
		await keys('Enter');
		s = await waitForScreen('wrote:');
		expect(s).toContain('hosts');
		// Back out and quit.
		await keys('Escape');
		await keys('Escape');
		await keys('q');
		s = await waitForScreen('EXITED:0');
		const progress = JSON.parse(fs.readFileSync(path.join(home, 'state', 'e2e', 'progress.json'), 'utf8'));
		expect(progress.steps['environment/hosts'].compute2.status).toBe('succeeded');
	});
});
