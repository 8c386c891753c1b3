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
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareBench, root } from './prepare.js';

const out = prepareBench({ compile: !process.argv.includes('--no-compile') });
// The console the benchmarks run: bench/cli.ts (the console plus the benchmark runbooks), bundled like dist/cli.js.
const { bundle } = await import(pathToFileURL(path.join(root, 'scripts', 'bundle.mjs')).href);
await bundle({ entry: 'bench/cli.ts', outfile: path.join(out, 'bundle', 'cli.js') });
const { main } = await import(pathToFileURL(path.join(out, 'bench', 'main.js')).href);
process.exitCode = await main(process.argv.slice(2).filter((a) => a !== '--no-compile'));
