import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { stateDir } from '../../source/profile/store.js';
import { consoleTestBed, lineWith, type Rendered, renderApp, selectedLine } from '../helpers/render.js';

const { env, services } = consoleTestBed();

async function openSection(app: Rendered, number: number): Promise<void> {
	await app.waitFor('Sections');
	for (let i = 1; i < number; i++) await app.press('down');
	await app.press('return');
	await app.waitFor(/guide: /);
}

describe('section checklist', () => {
	it('lists the steps with per-node status and moves with j/k, arrows, and h/l between sections', async () => {
		const app = renderApp(services, 'lab');
		await openSection(app, 1);
		let frame = app.frame();
		expect(frame).toContain('1. Environment');
		expect(lineWith(frame, '1. Write the hosts file')).toMatch(/○ 1\. Write the hosts file\s+controller ○ compute1 ○/);
		// The config step runs on the controller only.
		expect(lineWith(frame, '2. Configure the demo service')).toMatch(/controller ○\s*$/);
		expect(selectedLine(frame)).toContain('1. Write the hosts file');
		await app.press('j');
		frame = await app.waitFor((f) => selectedLine(f).includes('2. Configure the demo service'));
		expect(frame).toContain('environment/config · runs on controller');
		await app.press('k');
		await app.waitFor((f) => selectedLine(f).includes('1. Write the hosts file'));
		await app.press('down');
		await app.waitFor((f) => selectedLine(f).includes('2. Configure'));
		await app.press('l');
		frame = await app.waitFor('2. Services');
		expect(frame).toContain('1. Count slowly');
		await app.press('h');
		await app.waitFor('1. Environment');
		await app.press('escape');
		await app.waitFor('Sections', { what: 'esc back to the dashboard' });
	});

	it('r runs the selected step through the local runner and the row becomes succeeded', async () => {
		const app = renderApp(services, 'lab');
		await openSection(app, 1);
		await app.press('r');
		const frame = await app.waitFor((f) => /✔ 1\. Write the hosts file\s+controller ✔ compute1 ✔/.test(f), {
			what: 'the hosts step to succeed on both nodes',
		});
		expect(lineWith(frame, '1. Write the hosts file')).toMatch(/\d+\.\ds/);
		expect(services.engine().stepStatus('environment/hosts')).toBe('succeeded');
		expect(fs.readFileSync(path.join(env.demoRoot, 'controller', 'hosts'), 'utf8')).toContain('127.0.0.2 controller');
		// The cursor did not move; the config step is still pending.
		expect(services.engine().stepStatus('environment/config')).toBe('pending');
	});

	it('a failure shows the exit code in the row, and r retries only the failed node', async () => {
		const flag = path.join(env.demoRoot, 'compute1', 'fail');
		fs.mkdirSync(path.dirname(flag), { recursive: true });
		fs.writeFileSync(flag, '');
		const app = renderApp(services, 'lab');
		await openSection(app, 2);
		await app.press('j');
		await app.waitFor((f) => selectedLine(f).includes('2. Fail while a flag file exists'));
		await app.press('r');
		let frame = await app.waitFor('stopped at a failure');
		const row = lineWith(frame, '2. Fail while a flag file exists');
		expect(row).toMatch(/✘ 2\. Fail while a flag file exists\s+controller ✔ compute1 ✘/);
		expect(row).toContain('compute1: exit code 3');
		const engine = services.engine();
		expect(engine.state('services/flaky', 'compute1')).toMatchObject({ status: 'failed', exitCode: 3, attempt: 1 });

		fs.rmSync(flag);
		await app.press('r');
		frame = await app.waitFor((f) => /✔ 2\. Fail while a flag file exists\s+controller ✔ compute1 ✔/.test(f), {
			what: 'the retry to succeed',
		});
		expect(engine.state('services/flaky', 'controller')).toMatchObject({ status: 'succeeded', attempt: 1 });
		expect(engine.state('services/flaky', 'compute1')).toMatchObject({ status: 'succeeded', attempt: 2 });
		const runs = services.opened[0]!.runner.runs.filter((r) => r.runId.includes('.services.flaky.'));
		expect(runs.map((r) => r.node)).toEqual(['controller', 'compute1', 'compute1']);
	});

	it('s skips the step, records who skipped it, and the row says so', async () => {
		const app = renderApp(services, 'lab');
		await openSection(app, 2);
		await app.press('j', 'j');
		await app.waitFor((f) => selectedLine(f).includes('3. Mark compute nodes'));
		await app.press('s');
		const frame = await app.waitFor('skipped by tester@console');
		expect(lineWith(frame, '3. Mark compute nodes')).toMatch(/↷ 3\. Mark compute nodes\s+compute1 ↷/);
		expect(services.engine().state('services/compute-only', 'compute1')).toMatchObject({
			status: 'skipped',
			skippedBy: 'tester@console',
		});
		// Recorded in the progress file and the journal, not just on screen.
		const progress = JSON.parse(fs.readFileSync(path.join(stateDir('lab'), 'progress.json'), 'utf8'));
		expect(progress.steps['services/compute-only'].compute1.status).toBe('skipped');
		const journal = fs.readFileSync(path.join(stateDir('lab'), 'journal.jsonl'), 'utf8');
		expect(journal).toContain('"action":"skip","step":"services/compute-only"');
		// Skipping counts as done for the section.
		expect(frame).toContain('1/3 done');
	});

	it('says "no output for 3m" on a running step that has been silent', async () => {
		// A step left running by an earlier console, silent for three minutes (the services here do not
		// re-attach, so it stays running while the checklist is on screen).
		const progress = new ProgressStore('lab', 'demo');
		const started = new Date(Date.now() - 5 * 60_000).toISOString();
		const lastOutput = new Date(Date.now() - 3 * 60_000 - 5_000).toISOString();
		progress.set('services/count', 'controller', {
			status: 'running',
			attempt: 1,
			runId: 'x',
			startedAt: started,
			lastOutputAt: lastOutput,
			lastLine: 'line 3 of 5 on controller',
		});
		const app = renderApp(services, 'lab');
		await openSection(app, 2);
		const frame = await app.waitFor('no output for 3m');
		const row = lineWith(frame, '1. Count slowly');
		expect(row).toContain('controller: no output for 3m');
		expect(row).toMatch(/5m 0\ds/);
	});
});
