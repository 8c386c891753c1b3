/**
 * The package as an operator gets it: `npm pack`, installed into an empty directory with its production
 * dependencies only, then the installed `os-console` binary runs: --version, --help, and a real step over SSH
 * against the test sshd (so the launcher dist/cli.js, the bundled dist/cli.cjs, and ssh2 loaded lazily from the installed
 * node_modules all work outside this repository).
 *
 * Packs the dist/ that `npm test` built (--ignore-scripts: rebuilding here would rewrite dist/ under the other
 * tests' feet); installs from npm's cache (--offline), which the repository's own `npm install` filled.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');

let sshd: TestSshd;
let dir: string;
let bin: string;

beforeAll(async () => {
	if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) await run('npm', ['run', 'build'], { cwd: ROOT });
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-pack-'));
	const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
	const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
	expect(info!.files.map((f) => f.path)).toEqual(
		expect.arrayContaining(['dist/cli.js', 'dist/cli.cjs', 'package.json']),
	);
	const prefix = path.join(dir, 'install');
	fs.mkdirSync(prefix);
	await run(
		'npm',
		[
			'install',
			'--offline',
			'--omit=dev',
			'--no-audit',
			'--no-fund',
			'--ignore-scripts',
			path.join(dir, info!.filename),
		],
		{ cwd: prefix, timeout: 240_000 },
	);
	bin = path.join(prefix, 'node_modules', '.bin', 'os-console');
	sshd = await startSshd({ addresses: ['127.0.0.2'] });
}, 300_000);

afterAll(async () => {
	await sshd?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
	it('installs a binary that prints its version and help', async () => {
		expect(fs.realpathSync(bin)).toBe(path.join(dir, 'install', 'node_modules', 'os-console', 'dist', 'cli.js'));
		const version = await run(bin, ['--version'], { cwd: dir });
		expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
		const help = await run(bin, ['--help'], { cwd: dir });
		expect(help.stdout).toContain('Usage: os-console [command] [options]');
	});

	it('runs a step over SSH from the installed package', async () => {
		const home = path.join(dir, 'home');
		fs.mkdirSync(home, { mode: 0o700 });
		const profile = demoProfile({
			demoRoot: path.join(dir, 'demo-root'),
			port: sshd.port,
			keyFile: sshd.clientKeyPath,
		});
		profile.nodes = profile.nodes.slice(0, 1);
		const file = writeProfile(dir, profile);
		const knownHosts = path.join(dir, 'known_hosts');
		fs.writeFileSync(knownHosts, `${sshd.knownHostsLine('127.0.0.2')}\n`);
		const r = await run(
			bin,
			['run', '--profile', file, '--step', 'environment/hosts', '--yes', '--known-hosts', knownHosts],
			{ cwd: dir, env: { ...process.env, OS_CONSOLE_HOME: home }, timeout: 120_000 },
		);
		expect(r.stdout).toMatch(/done: 1 step\(s\)/);
	}, 150_000);
});
