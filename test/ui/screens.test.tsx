/**
 * The screens the dashboard opens: v the verification panel (on the selected section), l the launch form,
 * d the doctor, t the topology; each with its keys from the one table, esc back to the dashboard.
 */
import { describe, expect, it } from 'vitest';
import { VerifyStore } from '../../source/verify/store.js';
import { consoleTestBed, lineWith, openDashboard, selectedLine, waitUntil } from '../helpers/render.js';

const { services } = consoleTestBed();

const adhocRuns = () => services.opened[0]!.runner.runs.filter((r) => r.runId.startsWith('adhoc.'));

describe('screens from the dashboard', () => {
	it('v opens the verification panel on the selected section; r runs one check; ? and esc', async () => {
		const app = await openDashboard(services, 'lab');
		// The other screens' keys are on the Nodes heading's row; the footer fits the width and ends with the help key.
		expect(lineWith(app.frame(), 'Nodes')).toMatch(
			/^Nodes\s+v verify · l launch · d doctor · t topology · p past runs$/,
		);
		expect(lineWith(app.frame(), 'enter open')).toMatch(/^↑↓ move · enter open · a run section · .* · \? help$/);
		await app.press('v');
		let frame = await app.waitFor('Verify operation · lab (demo)');
		// The console's footer, from the table (the panel draws none of its own here).
		expect(frame).toContain('r re-run check · s run section · a/A run all · c cancel · esc back · ? help');
		expect(frame.match(/re-run check/g)).toHaveLength(1);
		expect(selectedLine(frame)).toContain('chrony: time sources reachable · controller');
		await app.press('r');
		frame = await app.waitFor(/environment\.chrony on controller: \d passed, \d failed/);
		expect(new VerifyStore('lab', 'demo').get('environment.chrony', 'controller')).toBeDefined();
		expect(adhocRuns()).toHaveLength(1);
		await app.press('?');
		await app.waitFor('Verification panel (this screen)');
		await app.press('escape');
		await app.waitFor('Verify operation');
		await app.press('escape');
		await app.waitFor('Sections');
	});

	it('l opens the launch form: letters are typed into fields, ctrl+e shows the commands, esc returns', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('l');
		let frame = await app.waitFor('Launch an instance · lab');
		expect(frame).toContain('tab/↑↓ field · ←→ change choice · ctrl+s launch · ctrl+e equivalent commands');
		expect(selectedLine(frame)).toContain('provider network (option 1)');
		await app.press('down');
		await app.waitFor((f) => selectedLine(f).includes('Provider network'), { what: 'the next field' });
		// q, v, d are text here, not commands.
		await app.press('ctrl+u');
		await app.type('qvd-net');
		frame = await app.waitFor((f) => selectedLine(f).includes('qvd-net'), { what: 'typed text' });
		await app.press('ctrl+e');
		frame = await app.waitFor('Equivalent commands on the controller');
		expect(frame).toContain('esc / ctrl+e back to the form');
		await app.press('ctrl+e');
		frame = await app.waitFor('Launch an instance');
		expect(selectedLine(frame)).toContain('qvd-net');
		await app.press('escape');
		await app.waitFor('Sections');
	});

	it('d runs the doctor on every node and shows each finding with why and fix; r runs it again', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('d');
		let frame = await app.waitFor(/\d+ pass · \d+ warn · \d+ fail/, { timeout: 30_000 });
		expect(frame).toContain('Preflight doctor · lab (demo)');
		expect(lineWith(frame, 'ssh')).toMatch(/✔ ssh\s+connected to root@127\.0\.0\.2:22/);
		expect(frame).toMatch(/why: /);
		expect(frame).toContain('without the package repository check (R runs it)');
		expect(adhocRuns()).toHaveLength(2);
		await app.press('down');
		frame = app.frame();
		expect(selectedLine(frame)).toContain('root');
		await app.press('r');
		await waitUntil(() => adhocRuns().length === 4, 'the doctor to run again');
		await app.press('escape');
		await app.waitFor('Sections');
	});

	it('t draws the networks and the nodes on them; r reads the cloud and says what it could not read', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('t');
		let frame = await app.waitFor('Physical networks (from the profile)');
		expect(frame).toContain('management network 127.0.0.0/8');
		expect(frame).toContain('provider network 127.200.0.0/24');
		expect(frame).toContain('gateway 127.200.0.1 · pool 127.200.0.100–127.200.0.200');
		expect(frame).toMatch(/│ controller\s+│\s+│ compute1\s+│/);
		expect(frame).toMatch(/│ mgmt 127\.0\.0\.2\s+│\s+│ mgmt 127\.0\.0\.3\s+│/);
		expect(frame).toContain('provider if lo');
		expect(frame).toContain('not read yet: after launch, r reads it on the controller (as admin)');
		await app.press('r');
		frame = await app.waitFor(/read .* as admin/, { timeout: 20_000 });
		frame = await app.waitFor('network list:');
		expect(adhocRuns().length).toBeGreaterThanOrEqual(3);
		await app.press('escape');
		await app.waitFor('Sections');
	});
});
