import { describe, expect, it } from 'vitest';
import { consoleTestBed, openDashboard, selectedLine } from '../helpers/render.js';

const { services } = consoleTestBed();

const FINGERPRINT = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';

describe('prompt modal', () => {
	it('shows an unknown host key with its type and fingerprint; y trusts it', async () => {
		const app = await openDashboard(services, 'lab');
		const answer = services.prompts().ask({
			kind: 'host-key',
			node: 'compute1',
			host: '127.0.0.3',
			port: 22,
			keyType: 'ssh-ed25519',
			fingerprint: FINGERPRINT,
		});
		const frame = await app.waitFor('Unknown host key for compute1 (127.0.0.3:22)');
		expect(frame).toContain('ssh-ed25519');
		expect(frame).toContain(FINGERPRINT);
		expect(frame).toContain('y trust and remember');
		// The screen under the modal takes no keys: j does not move the dashboard's cursor.
		await app.press('j');
		await app.press('y');
		await expect(answer).resolves.toBe(true);
		const after = await app.waitFor('Sections');
		expect(selectedLine(after)).toContain('1. Environment');
	});

	it('n refuses a host key', async () => {
		const app = await openDashboard(services, 'lab');
		const answer = services.prompts().ask({
			kind: 'host-key',
			node: 'controller',
			host: '127.0.0.2',
			port: 2222,
			keyType: 'ecdsa-sha2-nistp256',
			fingerprint: FINGERPRINT,
		});
		await app.waitFor('Unknown host key for controller (127.0.0.2:2222)');
		await app.press('n');
		await expect(answer).resolves.toBe(false);
	});

	it('asks for a password with masked input and answers in order', async () => {
		const app = await openDashboard(services, 'lab');
		const first = services.prompts().ask({
			kind: 'secret',
			node: 'controller',
			secret: 'sudo-password',
			message: 'sudo on controller asks for the password of ubuntu',
		});
		const second = services.prompts().ask({
			kind: 'secret',
			node: 'compute1',
			secret: 'password',
			message: 'root@127.0.0.3 asks for a password',
		});
		await app.waitFor('sudo password for controller');
		await app.type('hunter22x');
		await app.press('backspace');
		let frame = await app.waitFor('••••••••');
		expect(frame).not.toContain('hunter22');
		await app.press('return');
		await expect(first).resolves.toBe('hunter22');
		// The next question starts empty.
		frame = await app.waitFor('SSH password for compute1');
		expect(frame).not.toContain('•••');
		await app.press('escape');
		await expect(second).resolves.toBeUndefined();
		await app.waitFor('Sections');
		for (const f of app.frames) expect(f).not.toContain('hunter22');
	});
});
