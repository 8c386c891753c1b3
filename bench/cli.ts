/**
 * The built console (dist/) with the benchmark runbooks registered: `node cli.js [command] ...` behaves
 * exactly like `node dist/cli.js`. With OSC_BENCH_RSS_FILE set, the process writes its peak RSS (bytes)
 * there when it exits.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './lib/paths.js';
import { benchRunbooks } from './runbooks.js';

type Registry = typeof import('../source/runbook/registry.js');

const rssFile = process.env.OSC_BENCH_RSS_FILE;
if (rssFile) {
	process.on('exit', () => writeFileSync(rssFile, `${process.resourceUsage().maxRSS * 1024}\n`));
}
const registryUrl = pathToFileURL(path.join(ROOT, 'dist', 'runbook', 'registry.js')).href;
const registry = (await import(registryUrl)) as Registry;
for (const runbook of benchRunbooks()) {
	registry.registerRunbook(runbook);
	registry.getRunbook(runbook.id); // validated now: a mistake fails here, not in a measurement
}
await import(pathToFileURL(CLI).href);
