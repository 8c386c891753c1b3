/**
 * 1. Startup: from process start to the first dashboard frame, in a real pseudo-terminal (util-linux
 * `script`, 120×40), against `node -e 0` started the same way.
 *
 * The console is `node dist/cli.js --profile FILE --known-hosts FILE` on a two-node debian12-zed profile (the
 * biggest runbook; nothing connects before a step runs). "First dashboard frame" is the moment the bytes
 * of the dashboard's "Sections" heading reach the terminal's reader. The pty wrapper itself (script, sh,
 * stty) costs a few milliseconds, measured as `true` started the same way; the checked ratio is over the
 * times without it, (console − wrapper) / (node −e 0 − wrapper), which is the stricter of the two.
 */
import { freshHome, profileFor, removeDir, writeProfileFile } from '../lib/console.js';
import type { Benchmark, Context } from '../lib/context.js';
import { sampleInterleaved } from '../lib/context.js';
import { CLI } from '../lib/paths.js';
import { timeOk, within } from '../lib/proc.js';
import { Pty } from '../lib/pty.js';
import { type BenchResult, type Check, measure } from '../lib/stats.js';

const LIMIT = 2.5;

async function ptyUntilExit(command: string[]): Promise<number> {
	const pty = new Pty(command);
	const code = await pty.exited;
	if (code !== 0) throw new Error(`${command.join(' ')} exited ${code} in the pty`);
	return performance.now() - pty.startedAt;
}

export const startup: Benchmark = {
	name: 'startup',
	title: 'process start to the first dashboard frame (pty)',
	async run(ctx: Context): Promise<BenchResult> {
		const home = freshHome('startup');
		const profile = profileFor(ctx.farm, ctx.farm.hosts.slice(0, 2), {
			name: 'startup',
			runbook: 'debian12-zed',
			nodeNames: ['controller', 'compute1'],
			settings: { UWSGI_PROCESSES: '2' },
		});
		const file = writeProfileFile(home, profile);
		const env = { ...process.env, OS_CONSOLE_HOME: home };
		const consoleOnce = async () => {
			const pty = new Pty([process.execPath, CLI, '--profile', file, '--known-hosts', ctx.farm.knownHosts], { env });
			try {
				const shown = await pty.waitFor('Sections', 0, 30_000);
				const ms = shown - pty.startedAt;
				pty.write('q');
				const code = await within(pty.exited, 5000, 'timeout');
				if (code !== 0) throw new Error(`the console did not quit cleanly on q (${String(code)}):\n${pty.tail(2000)}`);
				return ms;
			} finally {
				await pty.kill();
			}
		};
		const samples = await sampleInterleaved(ctx, [
			{ label: 'os-console → dashboard', once: consoleOnce, runs: ctx.runs * 2 },
			{ label: 'node -e 0', once: () => ptyUntilExit([process.execPath, '-e', '0']), runs: ctx.runs * 2 },
			{ label: 'pty wrapper (true)', once: () => ptyUntilExit(['true']), runs: ctx.runs * 2 },
			{
				label: 'node -e 0 (no pty)',
				once: async () => (await timeOk(process.execPath, ['-e', '0'])).ms,
				runs: ctx.runs * 2,
			},
		]);
		removeDir(home);
		const consoleM = measure('os-console → dashboard', 'ms', samples.get('os-console → dashboard')!);
		const nodeM = measure('node -e 0', 'ms', samples.get('node -e 0')!);
		const wrapper = measure('pty wrapper (true)', 'ms', samples.get('pty wrapper (true)')!);
		const bare = measure('node -e 0 (no pty)', 'ms', samples.get('node -e 0 (no pty)')!);
		const w = wrapper.summary.median;
		const net = (consoleM.summary.median - w) / (nodeM.summary.median - w);
		const raw = consoleM.summary.median / nodeM.summary.median;
		const checks: Check[] = [
			{
				name: 'startup vs node -e 0',
				target: `≤ ${LIMIT}× node -e 0 (pty wrapper subtracted)`,
				value: net,
				shown: `${net.toFixed(2)}×`,
				pass: net <= LIMIT,
			},
		];
		return {
			name: this.name,
			title: this.title,
			measures: [consoleM, nodeM, wrapper, bare],
			checks,
			notes: [
				`ratio with the wrapper left in both: ${raw.toFixed(2)}×`,
				`first frame minus node -e 0 (what the console adds): ${(consoleM.summary.median - nodeM.summary.median).toFixed(0)} ms`,
			],
		};
	},
};
