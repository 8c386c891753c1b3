import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProfile, savedProfileFile } from '../../source/profile/store.js';
import {
	consoleTestBed,
	lineWith,
	type Rendered,
	renderApp,
	saveDemoProfile,
	selectedLine,
} from '../helpers/render.js';

const { env, services } = consoleTestBed({ savedProfile: false });

/** Tab forward until the focused field's line contains `label`. */
async function tabTo(app: Rendered, label: string): Promise<void> {
	for (let i = 0; i < 80; i++) {
		const before = selectedLine(app.frame());
		if (before.includes(label)) return;
		await app.press('tab');
		// One field at a time: on a loaded machine the frame can lag the key, and a second tab would skip.
		await app.waitFor((f) => selectedLine(f) !== before, { what: 'the focus to move' });
	}
	throw new Error(`no field "${label}" reached; frame:\n${app.frame()}`);
}

describe('first-run profile form', () => {
	it('validates as the operator types, shows the reason next to the field and refuses to save', async () => {
		const app = renderApp(services);
		await app.waitFor('Welcome');
		expect(selectedLine(app.frame())).toContain('profile name');

		await app.type('Bad Name');
		let frame = await app.waitFor(
			(f) => f.includes('must be lower-case letters') && lineWith(f, 'profile name').includes('Bad Name'),
			{ what: 'the typed name and its error' },
		);
		await app.press('ctrl+u');
		await app.type('lab1');
		frame = await app.waitFor(
			(f) => !f.includes('must be lower-case letters') && lineWith(f, 'profile name').includes('lab1'),
			{ what: 'the name error to go' },
		);

		// Leaving an empty required field shows its problem.
		await tabTo(app, 'SSH address');
		await app.press('tab');
		await app.waitFor('must be an address or host name');

		// A bad port: the reason says what is expected.
		await tabTo(app, 'SSH port');
		await app.press('ctrl+u');
		await app.type('x2');
		await app.waitFor('must be a port number from 1 to 65535');
		await app.press('backspace', 'backspace');
		await app.type('22');
		await app.waitFor((f) => !f.includes('must be a port number'), { what: 'the port error to go' });

		// Saving is refused while a field is invalid, and nothing is written.
		await app.press('ctrl+s');
		frame = await app.waitFor('Not saved: 1 problem');
		expect(services.created).toEqual([]);
		expect(fs.existsSync(savedProfileFile('lab1'))).toBe(false);
		// The cursor went to the field to fix.
		expect(selectedLine(frame)).toContain('SSH address');

		await app.type('127.0.0.2');
		// The demo runbook's settings are fields too, checked against the runbook's patterns.
		await tabTo(app, 'DEMO_ROOT');
		await app.type('relative/path');
		await app.waitFor('does not match');
		await app.press('ctrl+u');
		await app.type(env.demoRoot);
		await app.waitFor('Ready to save');

		await app.press('ctrl+s');
		frame = await app.waitFor('Sections', { what: 'the dashboard of the new profile' });
		expect(frame).toContain('profile lab1');
		expect(services.created.map((p) => p.name)).toEqual(['lab1']);
		const saved = loadProfile('lab1').profile;
		expect(saved.nodes).toHaveLength(1);
		expect(saved.nodes[0]).toMatchObject({
			name: 'controller',
			host: '127.0.0.2',
			port: 22,
			roles: ['controller', 'compute'],
		});
		expect(saved.settings).toEqual({ DEMO_ROOT: env.demoRoot });
	});

	it('adds and removes nodes with keys, and says when the controller count is wrong', async () => {
		const app = renderApp(services);
		await app.waitFor('Welcome');
		await app.press('ctrl+n');
		let frame = await app.waitFor('Node 2');
		expect(selectedLine(frame)).toContain('host name');
		expect(selectedLine(frame)).toContain('compute1');

		// Give node 2 the controller role as well: two controllers.
		await tabTo(app, 'roles');
		expect(selectedLine(app.frame())).toContain('compute');
		await app.press('right');
		frame = await app.waitFor('exactly one node must have the controller role (found 2)');
		expect(selectedLine(frame)).toContain('controller + compute');
		await app.press('left');
		await app.waitFor((f) => !f.includes('exactly one node'), { what: 'the controller problem to go' });

		await app.press('ctrl+x');
		frame = await app.waitFor((f) => !f.includes('Node 2'), { what: 'node 2 to be removed' });
		expect(frame).toContain('Node 1');
		// The last node cannot be removed.
		await app.press('ctrl+x');
		await app.waitFor('a profile needs at least one node');
	});

	it('refuses a name that is already saved', async () => {
		saveDemoProfile(env, { name: 'taken' });
		const app = renderApp(services);
		await app.waitFor('Choose a profile');
		await app.press('n');
		await app.waitFor('New profile');
		await app.type('taken');
		await app.waitFor('a saved profile named "taken" already exists');
		await app.press('ctrl+s');
		await app.waitFor('Not saved');
		expect(services.created).toEqual([]);
		// Typed work is not lost to a stray key: esc and ctrl+c ask first.
		await app.press('ctrl+c');
		await app.waitFor('Quit without saving?');
		await app.press('n');
		await app.waitFor((f) => !f.includes('Quit without saving?'), { what: 'the question to close' });
		expect(services.exits).toEqual([]);
		await app.press('escape');
		await app.waitFor('Discard the new profile?');
		await app.press('y');
		await app.waitFor('Choose a profile');
		// An untouched form goes back without asking.
		await app.press('n');
		await app.waitFor('New profile');
		await app.press('escape');
		await app.waitFor('Choose a profile');
	});
});
