#!/usr/bin/env node
/**
 * Benchmark 5, the two-node deploy: `node bench/deploy.js [--option provider|selfservice]` (root; after
 * `npm run build`). Compiles the benchmarks like bench/run.js, then runs bench/deploy.ts (see there).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'node_modules', '.cache', 'os-console-bench');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

if (!existsSync(path.join(root, 'dist', 'cli.js'))) {
	process.stderr.write('bench: dist/cli.js is missing: run "npm run build" first\n');
	process.exit(2);
}
try {
	execFileSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
} catch {
	process.stderr.write('bench: the benchmarks do not compile (see above)\n');
	process.exit(2);
}
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
const { main } = await import(pathToFileURL(path.join(out, 'bench', 'deploy.js')).href);
process.exitCode = await main(process.argv.slice(2));
