/**
 * The dashboard's key for past runs: p reads the open profile's journal and opens its run list, enter
 * replays a run on the replay screen, esc comes back. The open profile's own session is a run like any other
 * (its steps ran through the LocalShellRunner); replaying it writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { symbols } from '../../source/ui/theme.js';
import { consoleTestBed, lineWith, renderApp, waitUntil } from '../helpers/render.js';

// The count step prints 40 lines 0.1 s apart: long enough to be replayed while it still runs.
const { env, services } = consoleTestBed({
	savedProfile: (bed) => ({ settings: { DEMO_ROOT: bed.demoRoot, DEMO_LINES: '40', DEMO_DELAY: '0.1' } }),
});

/** Every file under a directory with its size: what "nothing was written" is checked against. */
function listing(dir: string): string[] {
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => {
			const file = path.join(entry.parentPath, entry.name);
			return `${path.relative(dir, file)} ${fs.statSync(file).size}`;
		})
		.sort();
}

describe('past runs from the dashboard', () => {
	it('p opens the run list of the open profile, enter replays a run, esc returns to the dashboard', async () => {
		const app = renderApp(services, 'lab');
		let frame = await app.waitFor('Sections');
		expect(lineWith(frame, 'Nodes')).toContain('p past runs');
		// Nothing ran yet: nothing to replay.
		await app.press('p');
		await app.waitFor('no runs recorded for lab yet: nothing to replay');

		expect(await services.engine().runStep('environment/hosts')).toBe(true);
		const state = path.join(env.home, 'state', 'lab');
		const before = listing(state);
		await app.press('p');
		frame = await app.waitFor('Past runs · lab (demo)');
		expect(frame).toContain('1 run in the journal');
		expect(lineWith(frame, '›')).toMatch(/ 5 +2 +✔ 2/);
		await app.press('return');
		await app.waitFor('REPLAY of run');
		frame = await app.waitFor('■ end of the run');
		const row = lineWith(frame, '1. Write the hosts file');
		expect(row).toContain(`controller ${symbols.status.succeeded}`);
		expect(row).toContain(`compute1 ${symbols.status.succeeded}`);
		expect(lineWith(frame, '2. Configure the demo service')).toContain(`controller ${symbols.status.pending}`);
		expect(frame).toMatch(/output · compute1 · attempt 1|output · controller · attempt 1/);
		await app.press('escape');
		await app.waitFor('Past runs · lab (demo)');
		await app.press('escape');
		frame = await app.waitFor('Sections');
		expect(lineWith(frame, '1. Environment')).toContain('1/2 done');
		expect(listing(state)).toEqual(before);
	});

	it("this console's own run while a step of it runs: marked in the list, replayed with the step still running", async () => {
		const app = renderApp(services, 'lab');
		await app.waitFor('Sections');
		const engine = services.engine();
		const running = engine.runStep('services/count');
		// Started on both nodes: saved, journaled (what the replay reads) and its first line out (which follows both).
		await waitUntil(
			() => ['controller', 'compute1'].every((node) => engine.output('services/count', node).length > 0),
			'the count step to start',
		);
		await app.press('p');
		let frame = await app.waitFor('Past runs · lab (demo)');
		expect(lineWith(frame, '›')).toContain('this console, running');
		await app.press('return');
		frame = await app.waitFor('■ so far (still running here)');
		const row = lineWith(frame, '1. Count slowly');
		expect(row).toContain(`controller ${symbols.status.running}`);
		expect(row).toContain(`compute1 ${symbols.status.running}`);
		expect(row).not.toContain('the console stopped');
		expect(frame).toMatch(/(controller|compute1): attempt 1 running since/);
		engine.cancel();
		await running;
	});
});
