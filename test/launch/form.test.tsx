/**
 * The launch form in ink-testing-library: typing into fields, the reason next to a field, a refused submit,
 * navigation between fields and views, and a submit through the real pipeline (LocalShellRunner; no
 * OpenStack here, so it ends with the client's failure).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProfile } from '../../source/console/open-profile.js';
import type { Engine } from '../../source/engine/engine.js';
import { draftFromProfile } from '../../source/launch/prefill.js';
import { LaunchForm } from '../../source/screens/launch-form.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { selectedLine, waitUntil, withFrameHelpers } from '../helpers/render.js';
import { writeKey } from './helpers.js';

let engine: Engine;
let runner: LocalShellRunner;
let keyFile: string;

beforeEach(async () => {
	tempHome();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-form-'));
	runner = new LocalShellRunner();
	keyFile = writeKey(dir);
	const file = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'form-lab' }));
	engine = (await openProfile(file, { hostKeys: { mode: 'strict' }, runner })).engine;
});

afterEach(async () => {
	await engine.close();
});

function mount(options: { onBack?: () => void } = {}) {
	const draft = draftFromProfile(engine.profile, engine.runbook, { keyFile });
	const app = withFrameHelpers(
		render(
			<LaunchForm
				engine={engine}
				isActive
				height={60}
				onBack={options.onBack ?? (() => {})}
				readCloud={false}
				initialDraft={draft}
			/>,
		),
		// the submit runs a real command on the controller: room for a loaded machine
		{ timeout: 15_000 },
	);
	return Object.assign(app, { pointerLine: () => selectedLine(app.frame()) });
}

describe('launch form', () => {
	it('prefilled from the profile and ready; moves between fields', async () => {
		const f = mount();
		await f.waitFor('Launch an instance · form-lab');
		expect(f.frame()).toContain('ready to launch (ctrl+s)');
		expect(f.pointerLine()).toContain('provider network (option 1)');
		await f.press('down');
		expect(f.pointerLine()).toContain('Provider network');
		await f.press('tab', 'tab');
		expect(f.pointerLine()).toMatch(/Subnet range\s+127\.200\.0\.0\/24/);
		await f.press('shift+tab');
		expect(f.pointerLine()).toContain('Subnet name');
		f.unmount();
	});

	it('typing shows the reason next to the field; submit is refused until it is fixed', async () => {
		const f = mount();
		await f.waitFor('ready to launch');
		await f.press('down', 'down', 'down');
		expect(f.pointerLine()).toContain('Subnet range');
		await f.press('ctrl+u');
		await f.type('127.200.0.7/24');
		let frame = await f.waitFor('host bits are set: the network is 127.200.0.0/24');
		expect(frame).toMatch(/✘ Subnet range\s+127\.200\.0\.7\/24/);
		await f.press('ctrl+s');
		frame = await f.waitFor('Not submitted: 1 problem to fix');
		expect(runner.runs).toHaveLength(0);
		await f.press('backspace', 'backspace', 'backspace', 'backspace');
		await f.type('0/24');
		frame = await f.waitFor('ready to launch');
		expect(frame).not.toContain('host bits');

		// Pool end before start: shown at the pool end; sizes must be whole numbers.
		await f.press('down', 'down', 'down');
		expect(f.pointerLine()).toContain('Pool end');
		await f.press('ctrl+u');
		await f.type('127.200.0.50');
		await f.waitFor('must not come before the pool start 127.200.0.100');
		await f.press('ctrl+s');
		await f.waitFor('Not submitted: 1 problem to fix');
		expect(f.pointerLine()).toContain('Pool end');
		f.unmount();
	});

	it('the networking choice changes the fields; the equivalent commands view; esc goes back', async () => {
		let backs = 0;
		const f = mount({ onBack: () => backs++ });
		await f.waitFor('ready to launch');
		expect(f.frame()).not.toContain('Self-service net');
		await f.press('right');
		await f.waitFor('self-service network with a router');
		expect(f.frame()).toContain('Self-service net');
		expect(f.frame()).toMatch(/Instance name\s+selfservice-instance/);
		await f.press('ctrl+e');
		let frame = await f.waitFor('Equivalent commands on the controller');
		expect(frame).toContain('openstack router add subnet router selfservice');
		expect(frame).toContain('openstack router set router --external-gateway provider');
		await f.press('escape');
		frame = await f.waitFor('Launch an instance');
		expect(backs).toBe(0);
		await f.press('escape');
		await waitUntil(() => backs > 0, 'esc to call onBack');
		expect(backs).toBe(1);
		f.unmount();
	});

	it('a missing key file is named; typing a good path fixes it', async () => {
		const f = mount();
		await f.waitFor('ready to launch');
		for (let i = 0; i < 20 && !f.pointerLine().includes('Public key file'); i++) await f.press('down');
		expect(f.pointerLine()).toContain('Public key file');
		await f.press('ctrl+u');
		await f.type('/nonexistent/key.pub');
		await f.waitFor('/nonexistent/key.pub does not exist');
		await f.press('ctrl+u');
		await f.type(keyFile);
		await f.waitFor('ready to launch');
		f.unmount();
	});

	it('submit runs on the controller with live output and shows why it failed', async () => {
		const f = mount();
		await f.waitFor('ready to launch');
		await f.press('ctrl+s');
		await f.waitFor('Launching provider-instance');
		const frame = await f.waitFor(/✘ creating the resources failed on controller: /);
		expect(frame).toContain('esc back to the form');
		expect(runner.runs.map((r) => r.node)).toEqual(['controller']);
		await f.press('escape');
		await f.waitFor('Launch an instance · form-lab');
		f.unmount();
	});
});
