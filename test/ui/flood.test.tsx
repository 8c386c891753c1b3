/**
 * A flood of output through the whole console: a step prints hundreds of thousands of lines (really, via
 * sh and seq) while keys are pressed in the step view. Renders stay bounded by the frame rate, keys are
 * answered promptly, memory stays bounded (the ring keeps the last lines; the log file has them all).
 * The benchmark in bench/ measures the same path at full size; this keeps a regression from landing.
 */
import { describe, expect, it } from 'vitest';
import { registerRunbook } from '../../source/runbook/registry.js';
import { demoRunbook } from '../../source/steps/demo/index.js';
import { consoleTestBed, openDashboard, waitUntil } from '../helpers/render.js';

const LINES = 300_000;

registerRunbook({
	id: 'ui-flood',
	title: 'Output flood',
	description: 'one step that prints a great many lines',
	os: demoRunbook.os,
	sqlAuth: 'socket',
	credentials: demoRunbook.credentials,
	settings: [{ name: 'FLOOD_LINES', default: '1000', describe: 'lines to print', pattern: '^[0-9]+$' }],
	sections: [
		{
			id: 'flood',
			title: 'Flood',
			guide: 'benchmark',
			steps: [
				{
					id: 'lines',
					title: 'Print many lines',
					on: 'controller',
					actions: [
						{
							kind: 'shell',
							describe: 'print lines like a package manager does',
							script: "seq -f 'Unpacking flood-package-%g (1.2.3-1) over (1.2.2-4) ...' 1 {{FLOOD_LINES}}",
						},
					],
					timeoutSec: 600,
				},
			],
		},
	],
});

const { services } = consoleTestBed({
	savedProfile: {
		name: 'flood',
		runbook: 'ui-flood',
		nodes: [{ name: 'controller', host: '127.0.0.2', roles: ['controller', 'compute'], managementIp: '127.0.0.2' }],
		settings: { FLOOD_LINES: String(LINES) },
	},
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('output flood', () => {
	it('keeps key→frame latency and renders bounded while a step prints 300k lines', async () => {
		const app = await openDashboard(services, 'flood');
		await app.press('return');
		await app.waitFor('1. Print many lines');
		await app.press('return');
		await app.waitFor('output ·');
		const heapBefore = process.memoryUsage().heapUsed;
		const framesBefore = app.frames.length;
		const started = Date.now();
		await app.press('r');
		await app.waitFor('Unpacking flood-package');
		const engine = services.engine();
		let maxStall = 0;
		let lastTick = performance.now();
		const monitor = setInterval(() => {
			const now = performance.now();
			maxStall = Math.max(maxStall, now - lastTick);
			lastTick = now;
		}, 5);

		// Measure: a key changes the pane's mode; how long until a frame shows it?
		const latencies: number[] = [];
		const measure = async (spec: string, shows: string) => {
			const t = performance.now();
			app.stdin.write(spec);
			while (!app.frame().includes(shows)) {
				if (performance.now() - t > 5000) throw new Error(`no frame with "${shows}" after ${spec}`);
				await nextTurn();
			}
			latencies.push(performance.now() - t);
		};
		while (engine.isRunning() && latencies.length < 40) {
			await measure('\u001b[5~', 'scrolled (f follows)');
			await measure('f', 'following');
		}
		await waitUntil(() => engine.state('flood/lines', 'controller').status !== 'running', 'the flood to end', 60_000);
		clearInterval(monitor);
		const elapsed = Date.now() - started;
		const frame = await app.waitFor(`flood-package-${LINES} `);
		const frames = app.frames.length - framesBefore;
		const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

		latencies.sort((a, b) => a - b);
		const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
		const max = latencies[latencies.length - 1] ?? 0;
		console.info(
			`flood: ${LINES} lines in ${elapsed} ms, ${frames} frames (${((frames * 1000) / elapsed).toFixed(1)}/s), ` +
				`${latencies.length} key→frame samples p50 ${p50.toFixed(1)} ms max ${max.toFixed(1)} ms, longest event-loop stall ${maxStall.toFixed(0)} ms, heap +${(heapGrowth / 1e6).toFixed(1)} MB`,
		);

		expect(engine.state('flood/lines', 'controller').status).toBe('succeeded');
		expect(frame).toMatch(/following · lines \d+-\d+ of 300003/);
		// Only the ring is in memory, and only a window of it is drawn.
		expect(engine.output('flood/lines', 'controller').length).toBeLessThanOrEqual(2000);
		expect(latencies.length).toBeGreaterThan(0);
		// Generous bounds for shared machines; the benchmark holds the 100 ms target. The worst case follows
		// the longest event-loop stall (printed above), which is the engine's and the GC's, not the screen's.
		// (Alone on this 2-CPU machine: p50 15-35 ms; with the whole suite and other work running: 30-80 ms.)
		expect(p50).toBeLessThan(250);
		expect(max).toBeLessThan(2000);
		// Frames: at most one per engine frame interval (50 ms), one per spinner tick (120 ms) and one per
		// key press; never one per line.
		expect(frames).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + Math.ceil(elapsed / 120) + latencies.length + 10);
		expect(heapGrowth).toBeLessThan(150e6);
	}, 120_000);
});
