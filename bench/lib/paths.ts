/** Where things are: the repository (found from this file, compiled or not) and the built console. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (;;) {
		try {
			const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
			if (pkg.name === 'os-console') return dir;
		} catch {
			// no package.json here
		}
		const up = path.dirname(dir);
		if (up === dir) throw new Error('bench: cannot find the os-console repository above this file');
		dir = up;
	}
}

export const ROOT = findRoot();
/** The console as built by `npm run build`. */
export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** The console bundled with the benchmark runbooks registered (bench/cli.ts, bundled by bench/run.js). */
export const BENCH_CLI = path.join(ROOT, 'node_modules', '.cache', 'os-console-bench', 'bundle', 'cli.js');
/** Where the detached runs live on a node (source/ssh/remote-run.ts DEFAULT_RUNS_DIR). */
export const RUNS_DIR = '/var/lib/os-console/runs';
