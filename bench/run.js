#!/usr/bin/env node
/**
 * The benchmarks' one entry point: `node bench/run.js [--only NAME[,NAME]] [--runs N] [--warmup N] [--quick]`.
 *
 * The benchmarks are TypeScript under bench/ (type-checked with the project); this launcher compiles them,
 * with the sources they import and the test sshd harness, into node_modules/.cache/os-console-bench
 * (incremental: a few seconds when nothing changed), bundles bench/cli.ts (the console with the benchmark
 * runbooks) the way `npm run build` bundles dist/cli.js, then runs them with plain node. The start-up benchmark
 * measures dist/cli.js itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'node_modules', '.cache', 'os-console-bench');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

if (!existsSync(path.join(root, 'dist', 'cli.js'))) {
	process.stderr.write('bench: dist/cli.js is missing: run "npm run build" first (npm run bench does)\n');
	process.exit(2);
}
if (!process.argv.includes('--no-compile')) {
	try {
		execFileSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
	} catch {
		process.stderr.write('bench: the benchmarks do not compile (see above)\n');
		process.exit(2);
	}
}
mkdirSync(out, { recursive: true });
// The console the benchmarks run: bench/cli.ts (the console plus the benchmark runbooks), bundled like dist/cli.js.
const { bundle } = await import(pathToFileURL(path.join(root, 'scripts', 'bundle.mjs')).href);
await bundle({ entry: 'bench/cli.ts', outfile: path.join(out, 'bundle', 'cli.js') });
// The compiled files live under node_modules: say explicitly that they are ES modules.
writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
const { main } = await import(pathToFileURL(path.join(out, 'bench', 'main.js')).href);
process.exitCode = await main(process.argv.slice(2).filter((a) => a !== '--no-compile'));
