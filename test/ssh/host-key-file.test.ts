/**
 * Where accepted host keys go, as OpenSSH users expect (issue 6), against the real sshd harness: the profile's
 * `ssh.knownHostsFile` picks the console's known_hosts, the user's (the ssh config's first UserKnownHostsFile,
 * else ~/.ssh/known_hosts) or a path; the line is OpenSSH's format (hashed when the file or HashKnownHosts says
 * so), `ssh-keygen -F` and the OpenSSH client itself find it, the next connection does not ask, and a changed key
 * is refused with both fingerprints and the `ssh-keygen -R` command for the file that holds the old key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../source/engine/engine.js';
import { type Prompt, PromptQueue } from '../../source/engine/prompts.js';
import { describeIssues, Profile, type ProfileInput } from '../../source/profile/schema.js';
import { fingerprintSha256 } from '../../source/ssh/known-hosts.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { ensureBuilt, runCli, sshdProfile } from '../hardening/helpers.js';
import { tempHome, writeProfile } from '../helpers/profiles.js';
import { sshKeygenFingerprint, startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let consoleHome: string;
let userHome: string;
let root: string;
let otherKeyBlob: Buffer;
const savedHome = process.env.HOME;

beforeAll(async () => {
	ensureBuilt();
	sshd = await startSshd({ addresses: ['127.0.0.2'] });
	const other = path.join(sshd.dir, 'other_host_key');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
	otherKeyBlob = Buffer.from(fs.readFileSync(`${other}.pub`, 'utf8').split(' ')[1] as string, 'base64');
});
afterAll(async () => {
	if (savedHome === undefined) delete process.env.HOME;
	else process.env.HOME = savedHome;
	await sshd?.stop();
});
beforeEach(() => {
	consoleHome = tempHome();
	userHome = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-user-home-'));
	// ~ of the operator: ~/.ssh/known_hosts and ~ in the ssh config are under it
	process.env.HOME = userHome;
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-hostkey-root-'));
});

const hostString = () => `[127.0.0.2]:${sshd.port}`;
const hostKeyB64 = () => sshd.hostPublicKey.split(' ')[1] as string;
const hostFingerprint = () => sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`);

function profileWith(ssh: ProfileInput['ssh'], host = '127.0.0.2'): Profile {
	const input = sshdProfile(sshd, root, { nodes: 1 });
	input.nodes[0]!.host = host;
	if (ssh) input.ssh = ssh;
	return Profile.parse(input);
}

interface Connection {
	outcome?: RunOutcome;
	error?: Error;
	asked: Prompt[];
	/** What the run's stderr got (the step's pane and log). */
	stderr: string;
}

/**
 * One step run on the node through the console's SSH runner. `answer`: the operator's answer to a host key
 * question (the console's prompt queue); without it the run is headless (`strict`, or `accept-new`).
 */
async function connect(
	profile: Profile,
	options: { answer?: boolean; mode?: 'strict' | 'accept-new'; sshConfig?: string | null } = {},
): Promise<Connection> {
	const asked: Prompt[] = [];
	let prompts: PromptQueue | undefined;
	if (options.answer !== undefined) {
		const queue = new PromptQueue();
		queue.on('change', () => {
			const current = queue.current();
			if (current?.kind !== 'host-key') return;
			asked.push(current);
			queue.answer(options.answer);
		});
		prompts = queue;
	}
	const runner = new SshStepRunner({
		profile,
		prompts,
		hostKeys: { mode: options.answer !== undefined ? 'ask' : (options.mode ?? 'strict') },
		sshConfig: options.sshConfig ?? null,
		session: { connectTimeoutMs: 10_000, reconnect: { initialDelayMs: 100, maxDelayMs: 200, maxTotalMs: 1000 } },
	});
	const result: Connection = { asked, stderr: '' };
	try {
		result.outcome = await runner.run(profile.nodes[0]!, {
			runId: `hostkey-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
			script: 'echo connected',
			secretsEnv: '',
			timeoutMs: 20_000,
			signal: new AbortController().signal,
			onStdout: () => {},
			onStderr: (chunk) => {
				result.stderr += chunk.toString();
			},
		});
	} catch (error) {
		result.error = error as Error;
	} finally {
		await runner.close();
	}
	return result;
}

function keygenFind(file: string): { found: boolean; stdout: string } {
	const r = spawnSync('ssh-keygen', ['-F', hostString(), '-f', file], { encoding: 'utf8' });
	return { found: r.status === 0 && r.stdout.includes(hostKeyB64()), stdout: r.stdout };
}

/** The OpenSSH client, strict and batch mode, trusting only `file`: connects only if the entry is right. */
function opensshConnects(file: string): boolean {
	const r = spawnSync(
		'ssh',
		[
			'-F',
			'/dev/null',
			'-o',
			'BatchMode=yes',
			'-o',
			'StrictHostKeyChecking=yes',
			'-o',
			`UserKnownHostsFile=${file}`,
			'-o',
			'GlobalKnownHostsFile=/dev/null',
			'-o',
			'ConnectTimeout=10',
			'-i',
			sshd.clientKeyPath,
			'-p',
			String(sshd.port),
			'root@127.0.0.2',
			'echo openssh-ok',
		],
		{ encoding: 'utf8', timeout: 20_000 },
	);
	return r.status === 0 && r.stdout.includes('openssh-ok');
}

describe('ssh.knownHostsFile in the profile', () => {
	it('is optional, and refuses anything but console, user or an absolute or ~/ path with a clear message', () => {
		expect(profileWith(undefined).ssh).toBeUndefined();
		expect(profileWith({ knownHostsFile: 'user' }).ssh).toEqual({ knownHostsFile: 'user' });
		expect(profileWith({ knownHostsFile: '~/.ssh/osc_hosts' }).ssh).toEqual({ knownHostsFile: '~/.ssh/osc_hosts' });
		for (const bad of ['relative/known_hosts', 'users', '', '/etc/x\nssh-ed25519 AAAA']) {
			const input = sshdProfile(sshd, root, { nodes: 1 });
			input.ssh = { knownHostsFile: bad };
			const parsed = Profile.safeParse(input);
			expect(parsed.success, bad).toBe(false);
			const lines = parsed.success ? [] : describeIssues(parsed.error, 'p.json');
			expect(lines.join('\n'), bad).toMatch(/^p\.json: ssh\.knownHostsFile: .*"console", "user", or the path/m);
		}
		const unknownField = sshdProfile(sshd, root, { nodes: 1 });
		(unknownField as { ssh?: unknown }).ssh = { knownHostFile: 'user' };
		expect(Profile.safeParse(unknownField).success).toBe(false);
	});
});

describe('accepted host keys are recorded where the profile says', () => {
	it('default (console): the console known_hosts; the user file is left alone; the next run does not ask', async () => {
		const first = await connect(profileWith(undefined), { answer: true });
		expect(first.error).toBeUndefined();
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		const file = path.join(consoleHome, 'known_hosts');
		expect(first.asked).toEqual([
			expect.objectContaining({
				kind: 'host-key',
				keyType: 'ssh-ed25519',
				fingerprint: hostFingerprint(),
				knownHostsFile: file,
			}),
		]);
		expect(fs.readFileSync(file, 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
		expect(keygenFind(file).found).toBe(true);
		expect(fs.existsSync(path.join(userHome, '.ssh', 'known_hosts'))).toBe(false);
		const again = await connect(profileWith(undefined), { answer: true });
		expect(again.asked).toEqual([]);
		expect(again.outcome).toEqual({ kind: 'exited', code: 0 });
	});

	it('user: ~/.ssh/known_hosts, plain like the file; ssh-keygen -F and OpenSSH find it; headless next run connects', async () => {
		const file = path.join(userHome, '.ssh', 'known_hosts');
		fs.mkdirSync(path.dirname(file), { mode: 0o700 });
		const existing = `# the operator's own entries\nexample.org ssh-ed25519 ${otherKeyBlob.toString('base64')}\n`;
		fs.writeFileSync(file, existing, { mode: 0o644 });
		const profile = profileWith({ knownHostsFile: 'user' });
		const first = await connect(profile, { answer: true });
		expect(first.error).toBeUndefined();
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		expect(first.asked).toEqual([expect.objectContaining({ kind: 'host-key', knownHostsFile: file })]);
		expect(fs.readFileSync(file, 'utf8')).toBe(`${existing}${sshd.knownHostsLine()}\n`);
		expect(fs.statSync(file).mode & 0o777).toBe(0o644);
		expect(keygenFind(file).found).toBe(true);
		expect(opensshConnects(file)).toBe(true);
		expect(fs.existsSync(path.join(consoleHome, 'known_hosts'))).toBe(false);
		// headless and strict: it would refuse an unknown key, so connecting proves the key is known now
		const headless = await connect(profile, { mode: 'strict' });
		expect(headless.error).toBeUndefined();
		expect(headless.outcome).toEqual({ kind: 'exited', code: 0 });
	});

	it('user with an ssh config: its first UserKnownHostsFile, hashed by HashKnownHosts yes', async () => {
		const config = path.join(userHome, 'ssh_config');
		fs.writeFileSync(
			config,
			[
				'Host lab-node',
				'  HostName 127.0.0.2',
				'  UserKnownHostsFile ~/.ssh/lab_known_hosts ~/.ssh/second_known_hosts',
				'  HashKnownHosts yes',
				'',
			].join('\n'),
		);
		const profile = profileWith({ knownHostsFile: 'user' }, 'lab-node');
		const first = await connect(profile, { mode: 'accept-new', sshConfig: config });
		expect(first.error).toBeUndefined();
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		const file = path.join(userHome, '.ssh', 'lab_known_hosts');
		const text = fs.readFileSync(file, 'utf8');
		expect(text).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
		expect(text).not.toContain('127.0.0.2');
		expect(keygenFind(file).found).toBe(true);
		expect(opensshConnects(file)).toBe(true);
		expect(fs.existsSync(path.join(userHome, '.ssh', 'second_known_hosts'))).toBe(false);
		expect(fs.existsSync(path.join(userHome, '.ssh', 'known_hosts'))).toBe(false);
		const headless = await connect(profile, { mode: 'strict', sshConfig: config });
		expect(headless.error).toBeUndefined();
		expect(headless.outcome).toEqual({ kind: 'exited', code: 0 });
	});

	it("user through a jump host: each question names the file its key goes to, the hop's and the node's", async () => {
		const config = path.join(userHome, 'ssh_config');
		fs.writeFileSync(
			config,
			[
				'Host lab-jump',
				'  HostName 127.0.0.2',
				`  Port ${sshd.port}`,
				'  User root',
				'  UserKnownHostsFile ~/.ssh/jump_known_hosts',
				'',
				'Host lab-node',
				'  HostName 127.0.0.2',
				'  ProxyJump lab-jump',
				'  UserKnownHostsFile ~/.ssh/node_known_hosts',
				'',
			].join('\n'),
		);
		const profile = profileWith({ knownHostsFile: 'user' }, 'lab-node');
		const first = await connect(profile, { answer: true, sshConfig: config });
		expect(first.error).toBeUndefined();
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		const jumpFile = path.join(userHome, '.ssh', 'jump_known_hosts');
		const nodeFile = path.join(userHome, '.ssh', 'node_known_hosts');
		expect(first.asked).toEqual([
			expect.objectContaining({ node: 'controller (jump host lab-jump)', knownHostsFile: jumpFile }),
			expect.objectContaining({ node: 'controller', knownHostsFile: nodeFile }),
		]);
		// what the questions said is where the keys went
		expect(keygenFind(jumpFile).found).toBe(true);
		expect(keygenFind(nodeFile).found).toBe(true);
		expect(fs.existsSync(path.join(consoleHome, 'known_hosts'))).toBe(false);
	});

	it('a path: written there, hashed because the file already uses hashed entries, every old line kept', async () => {
		const file = path.join(userHome, 'team', 'known_hosts');
		fs.mkdirSync(path.dirname(file));
		fs.writeFileSync(file, `bastion.example.org ssh-ed25519 ${otherKeyBlob.toString('base64')}\n`);
		execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
		const before = fs.readFileSync(file, 'utf8');
		const profile = profileWith({ knownHostsFile: '~/team/known_hosts' });
		const first = await connect(profile, { answer: true });
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		expect(first.asked).toEqual([expect.objectContaining({ kind: 'host-key', knownHostsFile: file })]);
		const after = fs.readFileSync(file, 'utf8');
		expect(after.startsWith(before)).toBe(true);
		expect(after.slice(before.length)).toMatch(/^\|1\|\S+ ssh-ed25519 \S+\n$/);
		expect(keygenFind(file).found).toBe(true);
		expect(opensshConnects(file)).toBe(true);
		const again = await connect(profile, { answer: true });
		expect(again.asked).toEqual([]);
		expect(again.outcome).toEqual({ kind: 'exited', code: 0 });
	});

	it('a file that cannot be written: the accepted key still connects (as ssh does), with a warning; asked again next time', async () => {
		const blocker = path.join(userHome, 'not-a-directory');
		fs.writeFileSync(blocker, 'x\n');
		const profile = profileWith({ knownHostsFile: `${blocker}/known_hosts` });
		const first = await connect(profile, { answer: true });
		expect(first.outcome).toEqual({ kind: 'exited', code: 0 });
		expect(first.asked).toEqual([
			expect.objectContaining({ kind: 'host-key', knownHostsFile: path.join(blocker, 'known_hosts') }),
		]);
		expect(first.stderr).toMatch(
			/^os-console: warning: the host key of node controller was accepted but not recorded in \S*not-a-directory\/known_hosts \(\S*not-a-directory, or a directory above it, is not a directory\)/m,
		);
		expect(fs.readFileSync(blocker, 'utf8')).toBe('x\n');
		const again = await connect(profile, { answer: true });
		expect(again.asked).toHaveLength(1);
	});
});

describe('a changed host key in the chosen file', () => {
	const hostileDir = `it's $(touch PWNED) \`touch PWNED\`; x`;
	const cases = [
		{ setting: 'user', relative: '.ssh/known_hosts' },
		{ setting: '~/chosen_known_hosts', relative: 'chosen_known_hosts' },
		// a path with quotes and command substitutions: data in the message, nothing runs when it is pasted
		{ setting: `~/${hostileDir}/known_hosts`, relative: `${hostileDir}/known_hosts` },
	];
	for (const { setting, relative } of cases) {
		it(`${setting}: refused with both fingerprints and the ssh-keygen -R command for that file, which works`, async () => {
			const file = path.join(userHome, relative);
			fs.mkdirSync(path.dirname(file), { recursive: true });
			const keep = `keep.example.org ssh-ed25519 ${otherKeyBlob.toString('base64')}`;
			const original = `${keep}\n${hostString()} ssh-ed25519 ${otherKeyBlob.toString('base64')}\n`;
			fs.writeFileSync(file, original);
			const profile = profileWith({ knownHostsFile: setting });
			for (const options of [{ answer: true }, { mode: 'accept-new' as const }]) {
				const refused = await connect(profile, options);
				expect(refused.asked).toEqual([]);
				const reason = refused.error?.message ?? '';
				expect(refused.outcome).toBeUndefined();
				expect(reason).toContain('CHANGED');
				expect(reason).toContain(hostFingerprint());
				expect(reason).toContain(fingerprintSha256(otherKeyBlob));
				expect(reason).toContain(`ssh-keygen -R '${hostString()}' -f '${file.replaceAll("'", "'\\''")}'`);
			}
			expect(fs.readFileSync(file, 'utf8')).toBe(original);
			// the operator runs the command the message gives, exactly as printed
			const reason = (await connect(profile, { mode: 'strict' })).error?.message ?? '';
			const command = /ssh-keygen -R '[^']+' -f '(?:[^']|'\\'')+'(?= and connect again)/.exec(reason)?.[0];
			expect(command, reason).toBeDefined();
			execFileSync('sh', ['-c', command as string], { stdio: 'ignore', cwd: userHome });
			expect(fs.readFileSync(file, 'utf8')).toBe(`${keep}\n`);
			expect(fs.readdirSync(userHome)).not.toContain('PWNED');
			// now the key is unknown: asked, accepted, recorded in the same file
			const after = await connect(profile, { answer: true });
			expect(after.asked).toHaveLength(1);
			expect(after.outcome).toEqual({ kind: 'exited', code: 0 });
			expect(keygenFind(file).found).toBe(true);
			expect(fs.readFileSync(file, 'utf8')).toBe(`${keep}\n${sshd.knownHostsLine()}\n`);
		});
	}
});

describe('os-console run with the setting in a saved profile file', () => {
	it('--accept-new records in ~/.ssh/known_hosts ("user"); the next run without it connects', async () => {
		const input = sshdProfile(sshd, root, { nodes: 1 });
		input.ssh = { knownHostsFile: 'user' };
		const file = writeProfile(fs.mkdtempSync(path.join(os.tmpdir(), 'osc-hostkey-profile-')), input);
		fs.chmodSync(file, 0o600);
		const env = { HOME: userHome };
		const args = ['run', '--profile', file, '--step', 'environment/hosts', '--yes'];
		const refused = await runCli(args, { home: consoleHome, env });
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain('--accept-new');
		const first = await runCli([...args, '--accept-new'], { home: consoleHome, env });
		expect(first.stderr).toBe('');
		expect(first.code).toBe(0);
		const known = path.join(userHome, '.ssh', 'known_hosts');
		expect(fs.readFileSync(known, 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
		expect(keygenFind(known).found).toBe(true);
		expect(fs.existsSync(path.join(consoleHome, 'known_hosts'))).toBe(false);
		const again = await runCli([...args, '--force'], { home: consoleHome, env });
		expect(again.stderr).toBe('');
		expect(again.code).toBe(0);
	});
});
