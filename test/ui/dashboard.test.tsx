import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleTestBed, lineWith, openDashboard, renderApp, selectedLine } from '../helpers/render.js';

const { env, services } = consoleTestBed();

describe('dashboard', () => {
	it('shows the nodes with address, roles and connection state, and every section with its progress', async () => {
		const app = renderApp(services, 'lab');
		const frame = await app.waitFor('Sections');
		expect(lineWith(frame, 'controller  ')).toMatch(/controller\s+root@127\.0\.0\.2:22\s+controller\s+○ idle/);
		expect(lineWith(frame, 'compute1')).toMatch(/compute1\s+root@127\.0\.0\.3:22\s+compute\s+○ idle/);
		expect(lineWith(frame, '1. Environment')).toContain('0/2 done');
		// compute-only applies (compute1 has the role): three steps in Services.
		expect(lineWith(frame, '2. Services')).toContain('0/3 done');
		expect(lineWith(frame, '3. Finish')).toContain('0/1 done');
		expect(frame).toContain('step 1 of 6: Environment › Write the hosts file');
		expect(selectedLine(frame)).toContain('1. Environment');
	});

	it('runs a section with a, opens its verification when it ends, shows it done and the nodes connected', async () => {
		const app = await openDashboard(services, 'lab');
		await app.press('a');
		// The end of the section opens the verification panel on its checks, running them.
		let frame = await app.waitFor('Verify operation · lab (demo)', { what: 'the verification panel' });
		await app.waitFor('Environment done: its checks run in the verification panel (esc returns)');
		expect(selectedLine(frame)).toContain('chrony');
		await app.waitFor(/Environment checks: \d+ passed, \d+ failed/, { what: 'the checks to end' });
		await app.press('escape');
		frame = await app.waitFor((f) => lineWith(f, '1. Environment').includes('2/2 done'), {
			what: 'Environment to be done',
		});
		expect(lineWith(frame, '1. Environment')).toContain('✔');
		await app.waitFor('step 3 of 6: Services › Count slowly');
		await app.waitFor((f) => lineWith(f, 'root@127.0.0.3').includes('● connected'), { what: 'compute1 connected' });
		expect(fs.readFileSync(path.join(env.demoRoot, 'compute1', 'hosts'), 'utf8')).toContain('127.0.0.3 compute1');
	});

	it('A runs everything until the next failure and the section shows it failed', async () => {
		fs.mkdirSync(path.join(env.demoRoot, 'compute1'), { recursive: true });
		fs.writeFileSync(path.join(env.demoRoot, 'compute1', 'fail'), '');
		const app = await openDashboard(services, 'lab');
		await app.press('A');
		await app.waitFor('stopped at a failure', { what: 'the run to stop' });
		// Environment ended on the way: its verification panel opened on top.
		expect(app.frame()).toContain('Verify operation');
		await app.press('escape');
		const frame = await app.waitFor('Sections');
		expect(lineWith(frame, '1. Environment')).toContain('2/2 done');
		expect(lineWith(frame, '2. Services')).toMatch(/✘ 2\. Services\s+1\/3 done · 1 failed/);
		expect(lineWith(frame, '3. Finish')).toContain('0/1 done');
		expect(frame).toContain('step 4 of 6: Services › Fail while a flag file exists · 1 failed');
		expect(services.engine().stepStatus('finish/secret-file')).toBe('pending');
	});
});
