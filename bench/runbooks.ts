/**
 * The benchmark runbooks: steps whose cost is the console's, not the work's. Validated like every runbook
 * (source/runbook/registry.ts) and registered by bench/cli.ts into the built console.
 */
import type { RunbookInput } from '../source/runbook/model.js';

/** 500 000 numbered lines: `seq 1 500000` is 3 388 895 bytes. */
export const FLOOD_SMALL_LINES = 500_000;
/** `seq 1 6388888` is 50 000 000 bytes (6.4 million lines). */
export const FLOOD_LARGE_LINES = 6_388_888;
export const SEQUENTIAL_STEPS = 100;

/** Bytes `seq 1 n` prints. */
export function seqBytes(n: number): number {
	let bytes = 0;
	for (let digits = 1, lo = 1; lo <= n; digits++, lo *= 10) {
		const hi = Math.min(n, lo * 10 - 1);
		bytes += (hi - lo + 1) * (digits + 1);
	}
	return bytes;
}

export const RUNBOOK_SEQ = 'bench-seq';
export const RUNBOOK_FAN = 'bench-fan';
export const RUNBOOK_FLOOD = 'bench-flood';

function runbook(id: string, title: string, sections: RunbookInput['sections']): RunbookInput {
	return {
		id,
		title,
		description: `benchmark runbook: ${title}`,
		os: { id: 'debian', version: '', packageManager: 'apt', python: 'python3' },
		sqlAuth: 'socket',
		credentials: {
			admin: { OS_USERNAME: 'admin', OS_PASSWORD: '{{ADMIN_PASS}}', OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3' },
			demo: { OS_USERNAME: 'demo', OS_PASSWORD: '{{DEMO_PASS}}', OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3' },
		},
		settings: [],
		sections,
	};
}

/** One runbook per benchmark, so the console opens each on the section it measures. */
export function benchRunbooks(): RunbookInput[] {
	return [
		runbook(RUNBOOK_SEQ, `${SEQUENTIAL_STEPS} trivial steps`, [
			{
				id: 'seq',
				title: 'Sequential',
				guide: `${SEQUENTIAL_STEPS} trivial steps`,
				steps: Array.from({ length: SEQUENTIAL_STEPS }, (_, i) => ({
					id: `s${String(i + 1).padStart(3, '0')}`,
					title: `true #${i + 1}`,
					on: 'controller' as const,
					actions: [{ kind: 'shell' as const, describe: 'true', script: 'true' }],
					timeoutSec: 60,
				})),
			},
		]),
		runbook(RUNBOOK_FAN, 'one trivial step on every node', [
			{
				id: 'fan',
				title: 'Fan-out',
				guide: 'one trivial step on every node',
				steps: [
					{
						id: 'true',
						title: 'true on every node',
						on: 'all',
						actions: [{ kind: 'shell', describe: 'true', script: 'true' }],
						timeoutSec: 120,
					},
				],
			},
		]),
		runbook(RUNBOOK_FLOOD, 'output floods', [
			{
				id: 'flood',
				title: 'Output flood',
				guide: 'numbered lines as fast as seq prints them',
				steps: [
					{
						id: 'small',
						title: `${FLOOD_SMALL_LINES} numbered lines`,
						on: 'controller',
						actions: [{ kind: 'shell', describe: 'seq', script: `seq 1 ${FLOOD_SMALL_LINES}` }],
						timeoutSec: 600,
					},
					{
						id: 'large',
						title: `${FLOOD_LARGE_LINES} numbered lines (50 MB)`,
						on: 'controller',
						actions: [{ kind: 'shell', describe: 'seq', script: `seq 1 ${FLOOD_LARGE_LINES}` }],
						timeoutSec: 900,
					},
				],
			},
		]),
	];
}
