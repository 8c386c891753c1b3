/**
 * The console with the benchmark runbooks registered: `node cli.js [command] ...` behaves exactly like
 * `node dist/cli.js`. bench/run.js bundles this file like scripts/bundle.mjs bundles source/cli.tsx (same
 * options, so the same start-up and the same code paths), into node_modules/.cache/os-console-bench/bundle/.
 * With OSC_BENCH_RSS_FILE set, the process writes its peak RSS (bytes) there when it exits.
 */
import { writeFileSync } from 'node:fs';
import { getRunbook, registerRunbook } from '../source/runbook/registry.js';
import { benchRunbooks } from './runbooks.js';

const rssFile = process.env.OSC_BENCH_RSS_FILE;
if (rssFile) {
	process.on('exit', () => writeFileSync(rssFile, `${process.resourceUsage().maxRSS * 1024}\n`));
}
for (const runbook of benchRunbooks()) {
	registerRunbook(runbook);
	getRunbook(runbook.id); // validated now: a mistake fails here, not in a measurement
}
// Not awaited: the bundle is CommonJS (see scripts/bundle.mjs), which has no top-level await.
void import('../source/cli.js');
