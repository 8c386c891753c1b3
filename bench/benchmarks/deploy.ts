/**
 * 5. The two-node deploy through the console against the same steps exported to bash (`os-console export`)
 * and run over one SSH session per node (target ≤ 1.05×).
 *
 * Not measured by this harness, which only ever talks to loopback sshd processes: the real deploy needs the
 * acceptance's LXC nodes (two Debian 12 system containers on an LXC bridge, 10.0.3.0/24) and takes tens of
 * minutes per variant. `node bench/deploy.js` measures it (bench/deploy.ts, one run of each variant on fresh
 * nodes); this entry reports where to find that.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Benchmark } from '../lib/context.js';
import { ROOT } from '../lib/paths.js';
import type { BenchResult } from '../lib/stats.js';

/** The acceptance test this benchmark would build on. */
export const DEPLOY_ACCEPTANCE = path.join('test', 'acceptance', 'deploy.test.ts');

export const deploy: Benchmark = {
	name: 'deploy',
	title: 'two-node deploy: console vs exported bash over one SSH session per node',
	async run(): Promise<BenchResult> {
		const exists = fs.existsSync(path.join(ROOT, DEPLOY_ACCEPTANCE));
		return {
			name: this.name,
			title: this.title,
			measures: [],
			checks: [],
			notes: [],
			skipped: exists
				? 'measured apart: `node bench/deploy.js` (LXC nodes on 10.0.3.0/24, not loopback; tens of minutes per deploy); results in bench/deploy-results.json and BENCHMARKS.md'
				: `pending: the real-deploy acceptance (${DEPLOY_ACCEPTANCE}) does not exist yet`,
		};
	},
};
