import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { consoleTestBed, type Rendered, renderApp, selectedLine } from '../helpers/render.js';

const { env, services } = consoleTestBed({
	savedProfile: (env) => ({ settings: { DEMO_ROOT: env.demoRoot, DEMO_LINES: '60' } }),
});

/** Dashboard → section → step (1-based positions). */
async function openStep(app: Rendered, section: number, step: number): Promise<void> {
	await app.waitFor('Sections');
	for (let i = 1; i < section; i++) await app.press('down');
	await app.press('return');
	await app.waitFor(/guide: /);
	for (let i = 1; i < step; i++) await app.press('down');
	await app.press('return');
	await app.waitFor('output ·');
}

/** The numbered lines inside the output pane. */
function paneLines(frame: string): string[] {
	return frame
		.split('\n')
		.filter((l) => /^│ *\d+ /.test(l))
		.map((l) => l.replace(/^│\s*/, '').replace(/\s*│$/, ''));
}

describe('step view', () => {
	it('shows live output per node, switches node with tab and digits, scrolls back and follows again', async () => {
		const app = renderApp(services, 'lab');
		await openStep(app, 2, 1);
		expect(app.frame()).toContain('No output yet: r runs the step.');
		await app.press('r');
		let frame = await app.waitFor(
			(f) => f.includes('line 60 of 60 on controller') && f.includes('controller: succeeded'),
		);
		expect(frame).toContain('following');
		expect(frame).toMatch(/controller: succeeded · exit code 0 · attempt 1/);
		expect(frame).toContain(path.join('logs', 'services', 'count', 'controller', 'attempt-1.log'));
		// Only a window of the output is rendered: the pane shows its height, not all 60 lines.
		const shown = paneLines(frame);
		expect(shown.length).toBeGreaterThan(5);
		expect(shown.length).toBeLessThan(20);
		expect(frame).not.toContain('line 1 of 60 on controller');

		await app.press('tab');
		frame = await app.waitFor('line 60 of 60 on compute1');
		expect(frame).toContain('output · compute1');
		expect(frame).not.toContain('on controller\n');
		await app.press('1');
		await app.waitFor('line 60 of 60 on controller');

		await app.press('pageup');
		frame = await app.waitFor('scrolled (f follows)');
		expect(frame).not.toContain('line 60 of 60 on controller');
		const first = paneLines(frame)[0]!;
		await app.press('up');
		frame = await app.waitFor((f) => paneLines(f)[0] !== first, { what: 'one line up' });
		await app.press('home');
		frame = await app.waitFor(/│ +1 ── Count slowly: attempt 1 on controller/);
		await app.press('f');
		frame = await app.waitFor('line 60 of 60 on controller');
		expect(frame).toContain('following');
		await app.press('escape');
		await app.waitFor((f) => selectedLine(f).includes('1. Count slowly'), { what: 'esc back to the checklist' });
	});

	it('shows the failure reason and exit code, and r retries only the failed node', async () => {
		const flag = path.join(env.demoRoot, 'compute1', 'fail');
		fs.mkdirSync(path.dirname(flag), { recursive: true });
		fs.writeFileSync(flag, '');
		const app = renderApp(services, 'lab');
		await openStep(app, 2, 2);
		await app.press('r');
		await app.waitFor('stopped at a failure');
		await app.press('2');
		let frame = await app.waitFor('compute1: failed');
		expect(frame).toContain(
			'compute1: failed · exit code 3 in action 1/1 fail when DEMO_ROOT/NODE/fail exists · attempt 1',
		);
		expect(frame).toContain('flag file present: failing');
		fs.rmSync(flag);
		await app.press('r');
		frame = await app.waitFor('compute1: succeeded · exit code 0 · attempt 2');
		const engine = services.engine();
		expect(engine.state('services/flaky', 'controller').attempt).toBe(1);
	});

	it('v shows the commands as they run on the node, without secret values', async () => {
		const app = renderApp(services, 'lab');
		await openStep(app, 3, 1);
		await app.press('v');
		let frame = await app.waitFor('commands · controller');
		expect(frame).toContain('# os-console demo: finish/secret-file on controller: Write an openrc-like file');
		expect(frame).toContain('. "${OSC_SECRETS:?os-console: OSC_SECRETS is not set}"');
		await app.press('end');
		frame = await app.waitFor('export OS_PASSWORD=${ADMIN_PASS}');
		const secrets = loadOrCreateSecrets('lab');
		for (const value of Object.values(secrets)) expect(frame).not.toContain(value);

		// Running it writes the secret on the node, but no pane shows it.
		await app.press('v', 'r');
		frame = await app.waitFor('controller: succeeded');
		expect(fs.readFileSync(path.join(env.demoRoot, 'controller', 'admin-openrc'), 'utf8')).toContain(
			secrets.ADMIN_PASS,
		);
		for (const value of Object.values(secrets)) expect(app.frames.join('\n')).not.toContain(value);
	});
});
