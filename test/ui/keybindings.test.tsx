/**
 * The key-binding table and the handlers agree: every key of every row reaches its action on every screen
 * it names (through ink's real key parsing), no key is bound twice on a screen, and every screen of the
 * running console registers a handler for exactly the actions the table gives it.
 */
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyRouterProvider } from '../../source/ui/key-router.js';
import {
	bindingsFor,
	describeBinding,
	hintsFor,
	KEY_BINDINGS,
	type KeyEvent,
	type KeyHandlers,
	SCREENS,
	type ScreenId,
	terminalSequence,
} from '../../source/ui/keybindings.js';
import { registeredHandlers, useKeyBindings } from '../../source/ui/use-key-bindings.js';
import { DEFAULT_ROWS } from '../../source/ui/use-terminal-size.js';
import { consoleTestBed, openDashboard, renderApp, waitUntil } from '../helpers/render.js';

afterEach(() => {
	cleanup();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

function Probe({ screen, handlers }: { screen: ScreenId; handlers: Record<string, (event: KeyEvent) => void> }) {
	useKeyBindings(screen, handlers as KeyHandlers<ScreenId>);
	return <Text>{screen}</Text>;
}

describe('key-binding table', () => {
	it('binds no key twice on one screen', () => {
		for (const screen of SCREENS) {
			const seen = new Map<string, string>();
			for (const row of bindingsFor(screen)) {
				for (const key of row.keys) {
					expect(seen.get(key), `${screen}: "${key}" is bound to ${seen.get(key)} and ${row.action}`).toBeUndefined();
					seen.set(key, row.action);
				}
			}
		}
	});

	it('has a description for every row, and every screen a footer hint or help', () => {
		for (const row of KEY_BINDINGS) {
			expect(describeBinding(row).length).toBeGreaterThan(3);
			expect(row.screens.length).toBeGreaterThan(0);
		}
		// An action is one row's: its words in the catalogue are keyed by it.
		const actions = KEY_BINDINGS.map((row) => row.action);
		expect(new Set(actions).size).toBe(actions.length);
		for (const screen of SCREENS.filter((s) => s !== 'global')) expect(hintsFor(screen).length).toBeGreaterThan(0);
	});

	it('delivers every key of every row to its action, through ink, on every screen the row names', async () => {
		for (const screen of SCREENS) {
			const rows = bindingsFor(screen);
			const calls: { action: string; spec: string }[] = [];
			const handlers = Object.fromEntries(
				rows.map((row) => [
					row.action,
					vi.fn((event: KeyEvent) => calls.push({ action: row.action, spec: event.spec })),
				]),
			);
			const app = render(
				<KeyRouterProvider>
					<Probe screen={screen} handlers={handlers} />
				</KeyRouterProvider>,
			);
			await settle();
			for (const row of rows) {
				for (const key of row.keys) {
					calls.length = 0;
					app.stdin.write(terminalSequence(key));
					await settle();
					expect(calls, `${screen}: key "${key}"`).toEqual([{ action: row.action, spec: key }]);
				}
			}
			// A key the table does not bind here reaches no handler.
			calls.length = 0;
			app.stdin.write('Z');
			await settle();
			expect(calls).toEqual([]);
			app.unmount();
		}
	});

	describe('in the running console', () => {
		// The count step prints 100 lines, 0.1 s apart (only that step reads these settings).
		const { services } = consoleTestBed({
			savedProfile: (env) => ({ settings: { DEMO_ROOT: env.demoRoot, DEMO_LINES: '100', DEMO_DELAY: '0.1' } }),
		});

		it('every screen of the console registers a handler for exactly the actions the table gives it, and fits', async () => {
			registeredHandlers.clear();
			const app = renderApp(services);
			// Each screen also fits the (default 24-row) terminal with a row to spare: Ink clears the whole
			// terminal on every frame as tall as the terminal.
			const fits = async (check: string | RegExp) => {
				const frame = await app.waitFor(check);
				expect(frame.split('\n').length, `frame for ${String(check)}:\n${frame}`).toBeLessThanOrEqual(DEFAULT_ROWS - 1);
				return frame;
			};
			await fits('Choose a profile');
			await app.press('?');
			await fits('(this screen)');
			await app.press('escape');
			await app.waitFor((f) => !f.includes('(this screen)'), { what: 'the help to close' });
			await app.press('n');
			await fits('New profile');
			await app.press('escape');
			await app.waitFor('Choose a profile');
			await app.press('return');
			await fits('Sections');
			await app.press('down', 'return');
			await fits('1. Count slowly');
			await app.press('return');
			await fits('output ·');
			await app.press('r');
			await fits(/line \d+ of 100/);
			await app.press('q');
			await fits('Quit while a step is running?');
			await app.press('n');
			const prompts = services.prompts();
			const hostKey = prompts.ask({
				kind: 'host-key',
				node: 'controller',
				host: 'h',
				port: 22,
				keyType: 'k',
				fingerprint: 'f',
				knownHostsFile: '/k',
			});
			await fits('Unknown host key');
			await app.press('n');
			await hostKey;
			const secret = prompts.ask({ kind: 'secret', node: 'controller', secret: 'password', message: 'm' });
			await fits('SSH password');
			await app.press('escape');
			await secret;
			// The dashboard's other screens.
			// Each esc is followed by the screen it returns to before the next key: an esc and a letter that
			// reach ink together read as alt+letter.
			await app.waitFor('output ·');
			await app.press('escape');
			await app.waitFor('enter: output and commands');
			await app.press('escape');
			await fits('Sections');
			for (const [key, title] of [
				['v', 'Verify operation'],
				['l', 'Launch an instance'],
				['d', 'Preflight doctor'],
				['t', 'Physical networks'],
			] as const) {
				await app.press(key);
				await fits(title);
				await app.press('escape');
				await fits('Sections');
			}
			// The past runs (this session's so far) and the replay of one.
			await app.press('p');
			await fits('Past runs');
			await app.press('return');
			await fits('REPLAY of run');
			await app.press('escape');
			await fits('Past runs');
			await app.press('escape');
			await fits('Sections');

			for (const screen of SCREENS) {
				const expected = [...new Set(bindingsFor(screen).map((r) => r.action))].sort();
				const registered = [...(registeredHandlers.get(screen) ?? [])].sort();
				expect(registered, `handlers registered by the ${screen} screen`).toEqual(expected);
			}
		});

		it('keys typed right after a screen changes reach the new screen (type-ahead)', async () => {
			const app = await openDashboard(services, 'lab');
			// Enter opens the checklist; r, arriving before React has drawn it, must still reach it.
			app.stdin.write(terminalSequence('return'));
			app.stdin.write(terminalSequence('r'));
			await waitUntil(() => services.engine().stepStatus('environment/hosts') === 'succeeded', 'the step to run');
		});
	});
});
