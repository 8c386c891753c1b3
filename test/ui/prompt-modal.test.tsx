import { describe, expect, it } from 'vitest';
import { setLanguage } from '../../source/i18n/index.js';
import { consoleTestBed, openDashboard, selectedLine } from '../helpers/render.js';

const { services } = consoleTestBed();

const FINGERPRINT = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';

describe('prompt modal', () => {
	it('shows an unknown host key with its type, fingerprint and the file trusting it writes to; y trusts it', async () => {
		const app = await openDashboard(services, 'lab');
		const answer = services.prompts().ask({
			kind: 'host-key',
			node: 'compute1',
			host: '127.0.0.3',
			port: 22,
			keyType: 'ssh-ed25519',
			fingerprint: FINGERPRINT,
			knownHostsFile: '/home/op/.ssh/known_hosts',
		});
		const frame = await app.waitFor('Unknown host key for compute1 (127.0.0.3:22)');
		expect(frame).toContain('ssh-ed25519');
		expect(frame).toContain(FINGERPRINT);
		expect(frame).toMatch(/saved to +\/home\/op\/\.ssh\/known_hosts/);
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
			knownHostsFile: '/var/lib/osc/known_hosts',
		});
		await app.waitFor('Unknown host key for controller (127.0.0.2:2222)');
		await app.press('n');
		await expect(answer).resolves.toBe(false);
	});

	it('in Chinese, names the file too; control characters in the path are not drawn', async () => {
		const app = await openDashboard(services, 'lab');
		setLanguage('zh');
		try {
			const answer = services.prompts().ask({
				kind: 'host-key',
				node: 'compute1',
				host: '127.0.0.3',
				port: 22,
				keyType: 'ssh-ed25519',
				fingerprint: FINGERPRINT,
				knownHostsFile: '/srv/team\u001b[31m/known_hosts',
			});
			const frame = await app.waitFor('compute1（127.0.0.3:22）的主机密钥未知');
			expect(frame).toContain(FINGERPRINT);
			expect(frame).toMatch(/保存到 +\/srv\/team\[31m\/known_hosts/);
			expect(frame).not.toContain('\u001b[31m');
			await app.press('n');
			await expect(answer).resolves.toBe(false);
		} finally {
			setLanguage('en');
		}
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
