#!/usr/bin/env node
/**
 * dist/cli.js, the `os-console` binary: runs the bundled console (dist/cli.cjs, built from source/cli.tsx by
 * scripts/bundle.mjs) through a V8 code cache.
 *
 * Why: Node 20 has no module compile cache (`module.enableCompileCache` came with Node 22). Compiling the
 * bundle, and then each function the first frame calls, was about 65 ms of CPU of the ~300 ms before the
 * first dashboard frame (issue #8, benchmark 1). V8 takes a code cache only for classic scripts
 * (`vm.Script`'s cachedData), not for ES modules: hence a CommonJS bundle, run here in a function wrapper
 * like Node's own CommonJS loader does.
 *
 * The cache is written once, when the process exits after a run without a usable one (so it holds the
 * functions that run actually compiled), to $XDG_CACHE_HOME/os-console (default ~/.cache/os-console), 0600 in
 * a 0700 directory, named by the bundle's content hash, the command, Node's version and the architecture: a rebuilt or
 * upgraded console never reads another build's cache, and V8 rejects a cache from other flags (then it is
 * rewritten). Without a writable cache directory, or with OS_CONSOLE_CODE_CACHE=off, the console runs the same
 * without one. OS_CONSOLE_DEBUG=code-cache prints what happened to stderr.
 *
 * Built by scripts/bundle.mjs, which defines __OSC_BUNDLE__ (not part of the tsc build).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

declare const __OSC_BUNDLE__: { file: string; hash: string };

/** Caches kept per cache directory (other builds and Node versions); the least recently written go first. */
const KEEP_CACHES = 40;

function cacheDirectory(): string | undefined {
	if (process.env.OS_CONSOLE_CODE_CACHE === 'off') return undefined;
	const base = process.env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : undefined);
	return base ? path.join(base, 'os-console') : undefined;
}

function debug(message: string): void {
	if (process.env.OS_CONSOLE_DEBUG?.split(',').includes('code-cache')) {
		process.stderr.write(`os-console: code cache: ${message}\n`);
	}
}

function writeCache(script: vm.Script, file: string): void {
	try {
		const data = script.createCachedData();
		const dir = path.dirname(file);
		mkdirSync(dir, { recursive: true, mode: 0o700 });
		const temporary = `${file}.${process.pid}.tmp`;
		writeFileSync(temporary, data, { mode: 0o600 });
		renameSync(temporary, file);
		debug(`wrote ${file} (${data.length} bytes)`);
		const others = readdirSync(dir)
			.filter((name) => name.endsWith('.v8') && path.join(dir, name) !== file)
			.map((name) => ({ file: path.join(dir, name), mtime: statSync(path.join(dir, name)).mtimeMs }))
			.sort((a, b) => b.mtime - a.mtime);
		for (const old of others.slice(KEEP_CACHES - 1)) unlinkSync(old.file);
	} catch (error) {
		// A cache is an optimisation: a full disk or a read-only home only costs the next start its speed.
		debug(`not written: ${(error as Error).message}`);
	}
}

const bundleFile = fileURLToPath(new URL(__OSC_BUNDLE__.file, import.meta.url));
// The shebang line esbuild keeps from source/cli.tsx is not JavaScript inside the wrapper; `//` keeps the line count.
const source = readFileSync(bundleFile, 'utf8').replace(/^#!/, '//');
const directory = cacheDirectory();
// One cache per command: each holds the functions its own runs compiled (a `--version` run's cache would lack
// the console's), and the console's is the one its first frame needs.
const first = process.argv[2];
const command = ['--version', '-v', '--help', '-h', 'help'].includes(first ?? '')
	? 'help'
	: first && /^[a-z]+$/.test(first)
		? first
		: first === undefined || first.startsWith('-')
			? 'console'
			: 'other';
const cacheFile =
	directory && path.join(directory, `${__OSC_BUNDLE__.hash}-${command}-${process.version}-${process.arch}.v8`);
let cachedData: Buffer | undefined;
if (cacheFile) {
	try {
		cachedData = readFileSync(cacheFile);
	} catch {
		cachedData = undefined;
	}
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
	filename: bundleFile,
	cachedData,
});
const state = !cacheFile ? 'off' : !cachedData ? 'none yet' : script.cachedDataRejected ? 'rejected' : 'used';
debug(`${state}${cacheFile ? ` (${cacheFile})` : ''}`);
if (cacheFile && (state === 'none yet' || state === 'rejected')) {
	process.once('exit', () => writeCache(script, cacheFile));
}
const bundleModule = { exports: {} };
script
	.runInThisContext()
	.call(
		bundleModule.exports,
		bundleModule.exports,
		createRequire(bundleFile),
		bundleModule,
		bundleFile,
		path.dirname(bundleFile),
	);
