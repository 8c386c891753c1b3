/**
 * The verification panel in ink-testing-library: saved results on open, re-running one check and a section
 * through the real pipeline (LocalShellRunner), navigation, and the reducer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProfile } from '../../source/console/open-profile.js';
import type { Engine } from '../../source/engine/engine.js';
import { formatRanAt, initialVerifyState, verifyPanelReducer } from '../../source/screens/use-verify-panel-state.js';
import { VerifyPanel } from '../../source/screens/verify-panel.js';
import { VerifyStore } from '../../source/verify/store.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { selectedLine, waitUntil, withFrameHelpers } from '../helpers/render.js';

let engine: Engine;
let runner: LocalShellRunner;

beforeEach(async () => {
	tempHome();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-panel-'));
	runner = new LocalShellRunner();
	const file = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'panel-lab' }));
	engine = (await openProfile(file, { hostKeys: { mode: 'strict' }, runner })).engine;
});

afterEach(async () => {
	await engine.close();
});

function mount(props: Partial<Parameters<typeof VerifyPanel>[0]> = {}) {
	const app = withFrameHelpers(
		render(<VerifyPanel engine={engine} isActive height={60} onBack={() => {}} {...props} />),
		// checks run real commands through the LocalShellRunner: room for a loaded machine
		{ timeout: 20_000 },
	);
	return Object.assign(app, { pointerLine: () => selectedLine(app.frame()) });
}

describe('verification panel', () => {
	it('lists every check per node as not yet run, grouped by section', async () => {
		const p = mount();
		const frame = await p.waitFor('Verify operation · panel-lab (demo)');
		expect(frame).toContain('0 passed · 0 failed · 14 not yet run');
		for (const heading of [
			'Environment',
			'Identity (Keystone)',
			'Image (Glance)',
			'Placement',
			'Compute (Nova)',
			'Networking (Neutron)',
		]) {
			expect(frame).toContain(heading);
		}
		expect(p.pointerLine()).toMatch(/○ chrony: time sources reachable · controller\s+not yet run/);
		expect(frame).toContain('not yet run: press r to run it');
		p.unmount();
	});

	it('shows saved results with when they ran, the detail and the hint; opens on a section', async () => {
		const store = new VerifyStore('panel-lab', 'demo');
		store.set({
			check: 'nova.services',
			section: 'nova',
			title: 'compute services enabled and up, one nova-compute per compute node',
			node: 'controller',
			status: 'fail',
			detail: 'nova-compute on compute1: down since 12:03 UTC on 2024-05-10',
			hint: 'look at nova-compute on compute1: systemctl status nova-compute; log /var/log/nova/nova-compute.log',
			ranAt: '2024-05-10T12:14:41.000Z',
			durationMs: 1800,
		});
		const p = mount({ section: 'nova' });
		const frame = await p.waitFor('0 passed · 1 failed · 13 not yet run');
		expect(p.pointerLine()).toContain('✘ compute services enabled and up');
		expect(frame).toMatch(/│ nova-compute on compute1: down since 12:03 UTC on 2024-05-10\s*│/);
		expect(frame).toContain('→ look at nova-compute on compute1: systemctl status nova-compute; log');
		expect(frame).toContain('/var/log/nova/nova-compute.log');
		expect(frame).toMatch(/ran \d{4}-\d{2}-\d{2} \d{2}:\d{2} in 1\.8s/);
		p.unmount();
	});

	it('r re-runs the selected check; s runs its section; results are saved', async () => {
		const p = mount();
		await p.waitFor('14 not yet run');
		// environment.memcached@controller is the 6th row.
		await p.press('down', 'down', 'down', 'down', 'down');
		expect(p.pointerLine()).toContain('memcached answers on the management address');
		await p.press('r');
		let frame = await p.waitFor('memcached does not answer on 127.0.0.2:11211');
		expect(frame).toMatch(/environment\.memcached on controller: 1 passed|0 passed, 1 failed/);
		expect(new VerifyStore('panel-lab', 'demo').get('environment.memcached', 'controller')?.status).toBe('fail');
		await p.press('down');
		expect(p.pointerLine()).toContain('token issue as admin');
		await p.press('s');
		frame = await p.waitFor('Identity (Keystone) checks: 0 passed, 2 failed');
		expect(frame).toContain('0 passed · 3 failed · 11 not yet run');
		expect(runner.runs).toHaveLength(3);
		p.unmount();
	});

	it('opens by itself at the end of a section and runs it; esc goes back', async () => {
		let backs = 0;
		const p = mount({ section: 'keystone', autoRun: true, onBack: () => backs++ });
		await p.waitFor('Identity (Keystone) checks: 0 passed, 2 failed');
		expect(p.pointerLine()).toContain('token issue as admin');
		await p.press('escape');
		await waitUntil(() => backs > 0, 'esc to call onBack');
		expect(backs).toBe(1);
		p.unmount();
	});
});

describe('verify panel reducer', () => {
	const rows = ['a@x', 'b@x', 'c@y'].map((key, i) => ({
		key,
		check: key.split('@')[0]!,
		section: (i < 2 ? 'environment' : 'nova') as 'environment' | 'nova',
		sectionTitle: '',
		title: key,
		node: key.split('@')[1]!,
	}));
	it('moves with wrap-around, tracks running and results', () => {
		let s = initialVerifyState(rows, [], 'nova');
		expect(s.cursor).toBe(2);
		s = verifyPanelReducer(s, { type: 'move', delta: 1, count: 3 });
		expect(s.cursor).toBe(0);
		s = verifyPanelReducer(s, { type: 'batch', keys: ['a@x', 'b@x'] });
		s = verifyPanelReducer(s, { type: 'started', key: 'a@x' });
		expect(s.running).toEqual(['a@x']);
		const result = {
			check: 'a',
			section: 'environment' as const,
			title: 'a',
			node: 'x',
			status: 'pass' as const,
			detail: 'ok',
			ranAt: new Date().toISOString(),
			durationMs: 5,
		};
		s = verifyPanelReducer(s, { type: 'result', key: 'a@x', result });
		expect(s).toMatchObject({ running: [], batchDone: 1, results: { 'a@x': result } });
		s = verifyPanelReducer(s, { type: 'finished', message: 'done' });
		expect(s).toMatchObject({ batch: [], batchDone: 0, message: 'done' });
	});
	it('formats when a check ran', () => {
		const now = new Date(2024, 4, 10, 15, 0, 0).getTime();
		expect(formatRanAt(new Date(2024, 4, 10, 14, 3, 11).toISOString(), now)).toBe('14:03:11');
		expect(formatRanAt(new Date(2024, 4, 9, 14, 3, 11).toISOString(), now)).toBe('2024-05-09 14:03');
	});
});
