import { describe, expect, it } from 'vitest';
import { helpLines } from '../../source/screens/help-overlay.js';
import { bindingsFor, describeBinding, KEY_BINDINGS, keysLabel, SCREENS } from '../../source/ui/keybindings.js';
import { consoleTestBed, openDashboard, type Rendered, renderApp, waitUntil } from '../helpers/render.js';

const { services } = consoleTestBed({
	// The count step prints 200 lines, 0.1 s apart: it runs for about 20 s unless cancelled.
	savedProfile: (env) => ({ settings: { DEMO_ROOT: env.demoRoot, DEMO_LINES: '200', DEMO_DELAY: '0.1' } }),
});

async function startSlowStep(app: Rendered): Promise<void> {
	await app.waitFor('Sections');
	await app.press('down', 'return');
	await app.waitFor('1. Count slowly');
	await app.press('r');
	await app.waitFor(/line \d+ of 200/, { what: 'the slow step to print' });
	expect(services.engine().isRunning()).toBe(true);
}

describe('help overlay', () => {
	it('lists the bindings of the screen it was opened from, from the key table, and closes with esc', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('down', 'return');
		await app.waitFor('1. Count slowly');
		await app.press('?');
		const frame = await app.waitFor('Section checklist (this screen)');
		for (const row of bindingsFor('checklist')) {
			expect(frame).toContain(keysLabel(row.keys));
			expect(frame).toContain(describeBinding(row).slice(0, 60));
		}
		expect(frame).toContain('↑↓ scroll · esc/?/q close');
		// Scrolling reaches the other screens' bindings.
		for (let i = 0; i < 8 && !app.frame().includes('Step view'); i++) await app.press('pagedown');
		await app.waitFor('Step view');
		await app.press('escape');
		await app.waitFor('1. Count slowly');
		expect(app.frame()).not.toContain('(this screen)');
	});

	it('generates a line for every row of the table, for every screen', () => {
		for (const screen of SCREENS) {
			const lines = helpLines(screen);
			expect(lines[0]?.text).toContain('(this screen)');
			for (const row of KEY_BINDINGS) {
				expect(
					lines.some((l) => l.kind === 'binding' && l.text === describeBinding(row) && l.keys === keysLabel(row.keys)),
				).toBe(true);
			}
		}
	});
});

describe('quit', () => {
	it('q quits straight away when nothing runs', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('q');
		await waitUntil(() => services.exits.length > 0, 'exit');
		expect(services.exits).toEqual([0]);
	});

	it('q during a running step asks first; n stays, y quits', async () => {
		const app = renderApp(services, 'lab');
		await startSlowStep(app);
		await app.press('q');
		const frame = await app.waitFor('Quit while a step is running?');
		expect(frame).toContain('Running: services/count (Count slowly) on controller, compute1');
		expect(frame).toContain('opening this profile again re-attaches');
		expect(services.exits).toEqual([]);
		await app.press('n');
		await app.waitFor((f) => !f.includes('Quit while a step is running?'), { what: 'the question to close' });
		expect(services.exits).toEqual([]);
		expect(services.engine().isRunning()).toBe(true);
		await app.press('q');
		await app.waitFor('Quit while a step is running?');
		await app.press('y');
		await waitUntil(() => services.exits.length > 0, 'exit');
		expect(services.exits).toEqual([0]);
	});

	it('ctrl+c asks the same question while a step runs, and a second ctrl+c confirms', async () => {
		const app = renderApp(services, 'lab');
		await startSlowStep(app);
		await app.press('ctrl+c');
		await app.waitFor('Quit while a step is running?');
		expect(services.exits).toEqual([]);
		await app.press('ctrl+c');
		await waitUntil(() => services.exits.length > 0, 'exit');
		expect(services.exits).toEqual([0]);
	});
});

describe('cancel', () => {
	it('c asks, then stops the running step; the row shows why and r can retry', async () => {
		const app = renderApp(services, 'lab');
		await startSlowStep(app);
		await app.press('c');
		let frame = await app.waitFor('Cancel the running step?');
		expect(frame).toContain('The remote process group is stopped');
		await app.press('y');
		frame = await app.waitFor('controller: cancelled by the', { what: 'the step to be cancelled' });
		const engine = services.engine();
		await waitUntil(() => !engine.isRunning(), 'the engine to stop');
		expect(engine.state('services/count', 'controller')).toMatchObject({ status: 'failed' });
		expect(engine.state('services/count', 'controller').reason).toContain('cancelled by the operator');
		// With nothing running, c says so instead of doing nothing silently.
		await app.press('c');
		await app.waitFor('nothing is running');
	});

	it('refuses to start a second operation while one runs, and says why', async () => {
		const app = renderApp(services, 'lab');
		await startSlowStep(app);
		await app.press('j', 'r');
		await app.waitFor('is running: wait for it, or press c to cancel it');
		expect(services.engine().stepStatus('services/flaky')).toBe('pending');
	});
});
