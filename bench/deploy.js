#!/usr/bin/env node
/**
 * Benchmark 5, the two-node deploy: `node bench/deploy.js [--option provider|selfservice]` (root; after
 * `npm run build`). Compiles the benchmarks like bench/run.js, then runs bench/deploy.ts (see there).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareBench } from './prepare.js';

const out = prepareBench();
const { main } = await import(pathToFileURL(path.join(out, 'bench', 'deploy.js')).href);
process.exitCode = await main(process.argv.slice(2));
