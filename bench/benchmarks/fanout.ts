/**
 * 3. Fan-out: one trivial step on 50 hosts at once (`os-console run --step fan/true --concurrency 50`),
 * against parallel-ssh with the same parallelism (`-p 50`) and Ansible with forks=50 (`ansible -f 50 -m
 * command -a true`). Every variant starts without connections: 50 SSH handshakes, 50 commands.
 */
import { consoleRun, freshHome, profileFor, removeDir, writeProfileFile } from '../lib/console.js';
import type { Benchmark, Context, Variant } from '../lib/context.js';
import { sampleInterleaved } from '../lib/context.js';
import { ansibleAdHoc, pssh } from '../lib/references.js';
import { type BenchResult, type Check, type Measure, measure, ratioCheck } from '../lib/stats.js';
import { RUNBOOK_FAN } from '../runbooks.js';

export const fanout: Benchmark = {
	name: 'fanout',
	title: 'one trivial step on 50 hosts, 50 at a time',
	async run(ctx: Context): Promise<BenchResult> {
		const hosts = ctx.farm.hosts;
		const parallel = hosts.length;
		const dir = freshHome('fan-profile');
		const profile = profileFor(ctx.farm, hosts, { name: 'fan', runbook: RUNBOOK_FAN });
		const file = writeProfileFile(dir, profile);
		const notes: string[] = [];
		const variants: Variant[] = [
			{
				label: 'os-console run',
				once: async () => {
					const home = freshHome('fan');
					try {
						const args = [
							'--profile',
							file,
							'--step',
							'fan/true',
							'--yes',
							'--concurrency',
							String(parallel),
							'--known-hosts',
							ctx.farm.knownHosts,
						];
						return (await consoleRun(home, args)).ms;
					} finally {
						removeDir(home);
					}
				},
			},
		];
		for (const [bin, label, once] of [
			['parallel-ssh', `parallel-ssh -p ${parallel}`, () => pssh(ctx.farm, hosts, 'true', parallel)],
			['ansible', `ansible -f ${parallel}`, () => ansibleAdHoc(ctx.farm, hosts, 'true', { count: 1, forks: parallel })],
		] as const) {
			const why = ctx.missing.get(bin);
			if (why) notes.push(`${label} not measured: ${why}`);
			else variants.push({ label, once });
		}
		const samples = await sampleInterleaved(ctx, variants);
		removeDir(dir);
		const measures: Measure[] = variants.map((v) => measure(v.label, 'ms', samples.get(v.label)!));
		const consoleM = measures[0]!;
		const checks: Check[] = [];
		const psshM = measures.find((m) => m.label.startsWith('parallel-ssh'));
		const ansibleM = measures.find((m) => m.label.startsWith('ansible'));
		if (psshM) checks.push(ratioCheck('vs parallel-ssh', consoleM, psshM, 1.2));
		if (ansibleM) checks.push(ratioCheck('vs Ansible', consoleM, ansibleM, 0.25));
		return { name: this.name, title: this.title, measures, checks, notes };
	},
};
