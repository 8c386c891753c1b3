/**
 * The deploy benchmark's per-step breakdown: the console's steps from its journal, the exported bash's from
 * the step headers as they arrived.
 */
import { describe, expect, it } from 'vitest';
import { bashStepSeconds, consoleStepSeconds } from '../../bench/lib/deploy-breakdown.js';

describe('deploy benchmark breakdown', () => {
	it("times a console step from its first node's start to its last node's end, and the gaps between steps", () => {
		const e = (type: string, step: string, node: string, at: string) =>
			JSON.stringify({ at: `2026-11-26T00:00:${at}Z`, type, step, node });
		const journal = [
			JSON.stringify({ at: '2026-11-26T00:00:00.000Z', type: 'operator', action: 'run', step: 'a/one' }),
			e('step-started', 'a/one', 'controller', '00.000'),
			e('step-started', 'a/one', 'compute1', '00.100'),
			e('step-finished', 'a/one', 'controller', '02.000'),
			e('step-finished', 'a/one', 'compute1', '03.000'),
			e('step-started', 'a/two', 'controller', '03.250'),
			e('step-finished', 'a/two', 'controller', '04.250'),
			'',
		].join('\n');
		const { steps, betweenSeconds } = consoleStepSeconds(journal);
		expect([...steps]).toEqual([
			['a/one', 3],
			['a/two', 1],
		]);
		expect(betweenSeconds).toBeCloseTo(0.25, 5);
	});

	it("times a bash step from its header to the next header or its phase's end, the slowest node's", () => {
		const marks = new Map([
			['controller', [{ step: 'a/one', atMs: 0 }, { step: 'a/two', atMs: 2000 }, { atMs: 2500 }]],
			['compute1', [{ step: 'a/one', atMs: 100 }, { atMs: 3100 }]],
		]);
		expect([...bashStepSeconds(marks)]).toEqual([
			['a/one', 3],
			['a/two', 0.5],
		]);
	});
});
