/**
 * What every benchmark launcher does first: check that dist/cli.js is built, compile the benchmark TypeScript
 * (with the sources it imports and the test sshd harness) into node_modules/.cache/os-console-bench, and mark that
 * folder as ES modules. Returns the folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {{ compile?: boolean }} [options] compile: false reuses the last compile (--no-compile) */
export function prepareBench({ compile = true } = {}) {
	const out = path.join(root, 'node_modules', '.cache', 'os-console-bench');
	if (!existsSync(path.join(root, 'dist', 'cli.js'))) {
		process.stderr.write('bench: dist/cli.js is missing: run "npm run build" first (npm run bench does)\n');
		process.exit(2);
	}
	if (compile) {
		const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
		try {
			execFileSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
		} catch {
			process.stderr.write('bench: the benchmarks do not compile (see above)\n');
			process.exit(2);
		}
	}
	mkdirSync(out, { recursive: true });
	// The compiled files live under node_modules: say explicitly that they are ES modules.
	writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
	return out;
}
