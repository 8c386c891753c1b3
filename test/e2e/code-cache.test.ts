/**
 * The launcher's V8 code cache (source/launcher.ts): written once per command after a run without one,
 * used by the next run, rewritten when V8 rejects it (here: a damaged file), never required (an unwritable
 * cache directory or OS_CONSOLE_CODE_CACHE=off only costs speed), and the console's behaviour is the same
 * with and without it. Runs the built dist/cli.js with its own XDG_CACHE_HOME.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, runCli, tempDir } from '../hardening/helpers.js';

const dirs: string[] = [];
function fresh(prefix: string): string {
	const dir = tempDir(prefix);
	dirs.push(dir);
	return dir;
}

beforeAll(() => ensureBuilt());
afterEach(() => {
	for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const home = () => fresh('osc-cc-home-');

async function runWithCache(args: string[], cacheHome: string, env: Record<string, string> = {}, osHome = home()) {
	const result = await runCli(args, {
		home: osHome,
		env: { XDG_CACHE_HOME: cacheHome, OS_CONSOLE_DEBUG: 'code-cache', ...env },
	});
	const notes = result.stderr
		.split('\n')
		.filter((l) => l.startsWith('os-console: code cache: '))
		.map((l) => l.slice('os-console: code cache: '.length));
	return { ...result, notes };
}

function cacheFiles(cacheHome: string): string[] {
	const dir = path.join(cacheHome, 'os-console');
	return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

describe('the launcher code cache', () => {
	it('writes a cache per command on the first run, 0600 in a 0700 directory, and uses it on the next', async () => {
		const cacheHome = fresh('osc-cc-');
		const osHome = home();
		const first = await runWithCache(['profiles'], cacheHome, {}, osHome);
		expect(first.code).toBe(0);
		expect(first.stdout).toContain('Example profiles');
		expect(first.notes[0]).toMatch(/^none yet \(/);
		expect(first.notes[1]).toMatch(/^wrote .*-profiles-v\d+\.\d+\.\d+-\w+\.v8 \(\d+ bytes\)$/);
		const [file] = cacheFiles(cacheHome);
		expect(file).toMatch(/-profiles-/);
		const dir = path.join(cacheHome, 'os-console');
		expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
		expect(fs.statSync(path.join(dir, file!)).mode & 0o777).toBe(0o600);

		const second = await runWithCache(['profiles'], cacheHome, {}, osHome);
		expect(second.code).toBe(0);
		expect(second.stdout).toBe(first.stdout);
		expect(second.notes).toEqual([`used (${path.join(dir, file!)})`]);

		// Another command has its own cache: the profiles run's would lack what `--version` compiles, and the reverse.
		const version = await runWithCache(['--version'], cacheHome);
		expect(version.stdout).toBe('0.1.0\n');
		expect(version.notes[0]).toMatch(/^none yet .*-help-/);
		expect(cacheFiles(cacheHome)).toHaveLength(2);
	});

	it('rewrites a damaged cache, and runs the same meanwhile', async () => {
		const cacheHome = fresh('osc-cc-');
		await runWithCache(['profiles'], cacheHome);
		const [file] = cacheFiles(cacheHome);
		const full = path.join(cacheHome, 'os-console', file!);
		const good = fs.statSync(full).size;
		fs.writeFileSync(full, Buffer.alloc(64, 7));
		const damaged = await runWithCache(['profiles'], cacheHome);
		expect(damaged.code).toBe(0);
		expect(damaged.stdout).toContain('Example profiles');
		expect(damaged.notes[0]).toMatch(/^rejected \(/);
		expect(damaged.notes[1]).toMatch(/^wrote /);
		expect(fs.statSync(full).size).toBeGreaterThan(good / 2);
		const after = await runWithCache(['profiles'], cacheHome);
		expect(after.notes[0]).toMatch(/^used \(/);
	});

	it('runs without a cache when the directory cannot be written or the cache is off', async () => {
		const blocked = fresh('osc-cc-');
		// A file where the cache directory would go: mkdir fails for root too.
		fs.writeFileSync(path.join(blocked, 'os-console'), 'not a directory');
		const result = await runWithCache(['profiles'], blocked);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('Example profiles');
		expect(result.notes.at(-1)).toMatch(/^not written: /);

		const offHome = fresh('osc-cc-');
		const off = await runWithCache(['profiles'], offHome, { OS_CONSOLE_CODE_CACHE: 'off' });
		expect(off.code).toBe(0);
		expect(off.notes).toEqual(['off']);
		expect(cacheFiles(offHome)).toEqual([]);
	});

	it('is run by the package binary (the launcher names its bundle beside it)', () => {
		expect(fs.readFileSync(CLI, 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
		const bundle = fs.readFileSync(path.join(path.dirname(CLI), 'cli.cjs'), 'utf8');
		// vm.Script has no dynamic import callback on Node 20: an import() left in the bundle fails when it runs.
		expect(bundle.match(/\bimport\(\s*["'`]/g) ?? []).toEqual([]);
	});
});
