/**
 * 2. Sequential steps: 100 trivial steps (`true`) on one node through the console (`os-console run
 * --section seq`: a new process, one SSH connection, 100 detached runs), against 100 `ssh host true` over
 * one multiplexed OpenSSH master (ControlMaster=auto; the first opens it) and against 100 Ansible ad-hoc
 * commands (`ansible -m command -a true`, ControlPersist reuses the connection between them).
 * Every variant starts without a connection and ends when the 100th command returned.
 */
import { consoleRun, freshHome, profileFor, removeDir, writeProfileFile } from '../lib/console.js';
import type { Benchmark, Context, Variant } from '../lib/context.js';
import { sampleInterleaved } from '../lib/context.js';
import { ansibleAdHoc, sshMuxSequence } from '../lib/references.js';
import { type BenchResult, measure, ratioCheck } from '../lib/stats.js';
import { RUNBOOK_SEQ, SEQUENTIAL_STEPS } from '../runbooks.js';

export const sequential: Benchmark = {
	name: 'sequential',
	title: `${SEQUENTIAL_STEPS} trivial steps on one node, in sequence`,
	async run(ctx: Context): Promise<BenchResult> {
		const host = ctx.farm.hosts[0]!;
		const dir = freshHome('seq-profile');
		const profile = profileFor(ctx.farm, [host], { name: 'seq', runbook: RUNBOOK_SEQ });
		const file = writeProfileFile(dir, profile);
		const variants: Variant[] = [
			{
				label: 'os-console run',
				once: async () => {
					const home = freshHome('seq');
					try {
						const args = ['--profile', file, '--section', 'seq', '--yes', '--known-hosts', ctx.farm.knownHosts];
						return (await consoleRun(home, args)).ms;
					} finally {
						removeDir(home);
					}
				},
			},
			{
				label: 'ssh (ControlMaster)',
				once: () => sshMuxSequence(ctx.farm, host, 'true', SEQUENTIAL_STEPS),
			},
		];
		const notes: string[] = [];
		const ansibleMissing = ctx.missing.get('ansible');
		if (ansibleMissing) notes.push(`Ansible not measured: ${ansibleMissing}`);
		else {
			// A run takes minutes: fewer of them, and a short warm-up (Python's caches, the inventory parse).
			variants.push({
				label: 'ansible ad-hoc',
				runs: ctx.quick ? 1 : Math.min(ctx.runs, 3),
				warmup: 0,
				once: () => ansibleAdHoc(ctx.farm, [host], 'true', { count: ctx.quick ? 20 : SEQUENTIAL_STEPS, forks: 1 }),
			});
			if (ctx.quick) notes.push('--quick: Ansible ran 20 commands, scaled ×5 to 100');
		}
		const samples = await sampleInterleaved(ctx, variants);
		removeDir(dir);
		const consoleM = measure('os-console run', 'ms', samples.get('os-console run')!);
		const mux = measure('ssh (ControlMaster)', 'ms', samples.get('ssh (ControlMaster)')!);
		const measures = [consoleM, mux];
		const checks = [ratioCheck('vs OpenSSH multiplexed', consoleM, mux, 1.2)];
		if (!ansibleMissing) {
			const scale = ctx.quick ? SEQUENTIAL_STEPS / 20 : 1;
			const ansible = measure(
				'ansible ad-hoc',
				'ms',
				samples.get('ansible ad-hoc')!.map((v) => v * scale),
			);
			measures.push(ansible);
			// ≥ 10× faster than Ansible: console / ansible ≤ 0.1
			checks.push(ratioCheck('vs Ansible ad-hoc', consoleM, ansible, 0.1));
		}
		measures.push(
			measure(
				'os-console per step',
				'ms',
				consoleM.samples.map((v) => v / SEQUENTIAL_STEPS),
				'whole run / 100, start-up and connection included',
			),
			measure(
				'ssh mux per command',
				'ms',
				mux.samples.map((v) => v / SEQUENTIAL_STEPS),
			),
		);
		return { name: this.name, title: this.title, measures, checks, notes };
	},
};
