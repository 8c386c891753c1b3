import fs from 'node:fs';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App, AppShell } from '../../source/app.js';
import { savedProfileFile } from '../../source/profile/store.js';
import {
	consoleTestBed,
	renderApp,
	renderWithProviders,
	saveDemoProfile,
	selectedLine,
	withFrameHelpers,
} from '../helpers/render.js';

const { env, services } = consoleTestBed({ savedProfile: false });

describe('profile picker', () => {
	it('lists saved profiles and "create a new profile", and moves with arrows and j/k', async () => {
		saveDemoProfile(env, { name: 'alpha' });
		saveDemoProfile(env, { name: 'beta' });
		const app = renderWithProviders(<AppShell />, { services });
		let frame = await app.waitFor('Choose a profile');
		expect(frame).toContain('alpha');
		expect(frame).toContain('beta');
		expect(frame).toContain('+ create a new profile');
		expect(selectedLine(frame)).toContain('alpha');

		await app.press('down');
		expect(selectedLine(await app.waitFor((f) => selectedLine(f).includes('beta')))).toContain('beta');
		await app.press('j');
		await app.waitFor((f) => selectedLine(f).includes('create a new profile'));
		await app.press('j');
		await app.waitFor((f) => selectedLine(f).includes('alpha'), { what: 'wrap to the first item' });
		await app.press('k');
		await app.waitFor((f) => selectedLine(f).includes('create a new profile'), { what: 'wrap to the last item' });
		await app.press('up');
		frame = await app.waitFor((f) => selectedLine(f).includes('beta'));

		await app.press('return');
		frame = await app.waitFor('Nodes', { what: 'the dashboard of beta' });
		expect(frame).toContain('profile beta');
		expect(services.engine().profile.name).toBe('beta');
	});

	it('opens the form from "create a new profile" and comes back with esc', async () => {
		saveDemoProfile(env, { name: 'alpha' });
		const app = renderApp(services);
		await app.waitFor('Choose a profile');
		await app.press('down', 'return');
		await app.waitFor('New profile');
		await app.press('escape');
		await app.waitFor('Choose a profile');
		await app.press('n');
		await app.waitFor('New profile', { what: 'n opens the form too' });
	});

	it('opens the first-run form when no profile is saved', async () => {
		const app = renderApp(services);
		const frame = await app.waitFor('Welcome');
		expect(frame).toContain('no profile is saved yet');
		expect(frame).toContain('profile name');
	});

	it('shows why a profile could not be opened, and leaves the file alone', async () => {
		saveDemoProfile(env, { name: 'alpha' });
		const file = savedProfileFile('alpha');
		fs.writeFileSync(file, '{ "version": 1, "name": "alpha", ');
		const app = renderApp(services);
		await app.waitFor('Choose a profile');
		await app.press('return');
		const frame = await app.waitFor('Could not open the profile');
		expect(frame).toContain('is not valid JSON');
		expect(frame).toContain(path.basename(file));
		expect(fs.readFileSync(file, 'utf8')).toBe('{ "version": 1, "name": "alpha", ');
	});

	it('draws the dashboard as its first frame when the profile was opened before the first frame (--profile)', async () => {
		saveDemoProfile(env, { name: 'alpha' });
		const opened = await services.openProfile('alpha');
		const app = withFrameHelpers(
			render(<App services={services} initialProfile="alpha" initialOpen={{ name: 'alpha', opened }} />),
		);
		const first = app.frames[0] ?? '';
		expect(first).toContain('Sections');
		expect(app.frames.some((f) => f.includes('Opening'))).toBe(false);
		expect(services.opened).toHaveLength(1);
	});

	it('shows the picker with the reason as its first frame when the --profile could not be opened', async () => {
		saveDemoProfile(env, { name: 'alpha' });
		const error = await services.openProfile('nope').then(
			() => 'opened',
			(e: Error) => e.message,
		);
		expect(error).toContain('nope');
		const app = withFrameHelpers(
			render(<App services={services} initialProfile="nope" initialOpen={{ name: 'nope', error }} />),
		);
		const first = app.frames[0] ?? '';
		expect(first).toContain('Choose a profile');
		expect(first).toContain(error.split('\n')[0]!);
		expect(services.opened).toHaveLength(0);
	});
});
