/**
 * Rendering the console in tests: real services over a temp OS_CONSOLE_HOME (profiles, secrets, progress
 * and logs really written), engines opened by the console's own openProfile and running the demo runbook
 * through the LocalShellRunner, and helpers to press keys (as the bytes a terminal sends) and wait for
 * frames. `consoleTestBed` registers the per-test setup and teardown every UI test shares.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { afterEach, beforeEach } from 'vitest';
import { App, AppProviders, type Services } from '../../source/app.js';
import { openProfile } from '../../source/console/open-profile.js';
import type { Engine } from '../../source/engine/engine.js';
import { PromptQueue } from '../../source/engine/prompts.js';
import { type Profile, type ProfileInput, Profile as ProfileSchema } from '../../source/profile/schema.js';
import { listSavedProfiles, saveProfile } from '../../source/profile/store.js';
import { terminalSequence } from '../../source/ui/keybindings.js';
import { LocalShellRunner } from './local-runner.js';
import { demoProfile as baseDemoProfile } from './profiles.js';

export interface TestEnv {
	home: string;
	demoRoot: string;
}

/** A fresh console home and demo root; OS_CONSOLE_HOME points at the home. */
export function setupEnv(): TestEnv {
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-ui-home-'));
	const demoRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-ui-demo-'));
	process.env.OS_CONSOLE_HOME = home;
	return { home, demoRoot };
}

/** A two-node demo profile (controller, compute1) on loopback addresses, writing under demoRoot. */
export function demoProfile(env: TestEnv, overrides: Partial<ProfileInput> = {}): ProfileInput {
	return baseDemoProfile({
		demoRoot: env.demoRoot,
		name: 'lab',
		nodes: [
			{ name: 'controller', host: '127.0.0.2', roles: ['controller'], managementIp: '127.0.0.2' },
			{ name: 'compute1', host: '127.0.0.3', roles: ['compute'], managementIp: '127.0.0.3' },
		],
		...overrides,
	});
}

export function saveDemoProfile(env: TestEnv, overrides: Partial<ProfileInput> = {}): Profile {
	const profile = ProfileSchema.parse(demoProfile(env, overrides));
	saveProfile(profile);
	return profile;
}

export interface TestServices extends Services {
	exits: number[];
	created: Profile[];
	opened: { engine: Engine; prompts: PromptQueue; runner: LocalShellRunner }[];
	/** The engine of the last opened profile. */
	engine(): Engine;
	prompts(): PromptQueue;
	closeAll(): Promise<void>;
}

/** The same wiring as the console command (openProfile), with the LocalShellRunner instead of SSH. */
export function makeServices(): TestServices {
	const services: TestServices = {
		exits: [],
		created: [],
		opened: [],
		listProfiles: () => listSavedProfiles(),
		openProfile: async (nameOrPath) => {
			const runner = new LocalShellRunner();
			const prompts = new PromptQueue();
			const { engine, warnings } = await openProfile(nameOrPath, {
				prompts,
				hostKeys: { mode: 'strict' },
				runner,
				lock: false,
				operator: 'tester@console',
			});
			services.opened.push({ engine, prompts, runner });
			return { engine, prompts, warnings };
		},
		createProfile: (profile) => {
			saveProfile(profile);
			services.created.push(profile);
		},
		exit: (code) => {
			services.exits.push(code);
		},
		engine: () => {
			const last = services.opened[services.opened.length - 1];
			if (!last) throw new Error('no profile was opened');
			return last.engine;
		},
		prompts: () => {
			const last = services.opened[services.opened.length - 1];
			if (!last) throw new Error('no profile was opened');
			return last.prompts;
		},
		closeAll: async () => {
			for (const { engine } of services.opened) {
				engine.cancel();
				await engine.close();
			}
		},
	};
	return services;
}

export type Rendered = ReturnType<typeof render> & {
	/** Press keys by spec: 'r', 'down', 'ctrl+s', 'escape'. */
	press(...specs: string[]): Promise<void>;
	/** Type text one character (one write) at a time, as a person types. */
	type(text: string): Promise<void>;
	frame(): string;
	waitFor(
		check: string | RegExp | ((frame: string) => boolean),
		options?: { timeout?: number; what?: string },
	): Promise<string>;
};

const tick = () => new Promise((resolve) => setTimeout(resolve, 15));

/**
 * An ink-testing-library instance with the helpers to press keys and wait for frames. `defaults.timeout`:
 * how long waitFor waits when a call does not say (10 s unless given; screens that run real commands give more).
 */
export function withFrameHelpers(instance: ReturnType<typeof render>, defaults: { timeout?: number } = {}): Rendered {
	const frame = () => instance.lastFrame() ?? '';
	return Object.assign(instance, {
		frame,
		press: async (...specs: string[]) => {
			for (const spec of specs) {
				instance.stdin.write(terminalSequence(spec));
				await tick();
			}
		},
		type: async (text: string) => {
			for (const char of text) {
				instance.stdin.write(char);
				await tick();
			}
		},
		waitFor: async (
			check: string | RegExp | ((frame: string) => boolean),
			options: { timeout?: number; what?: string } = {},
		) => {
			const test =
				typeof check === 'string'
					? (f: string) => f.includes(check)
					: check instanceof RegExp
						? (f: string) => check.test(f)
						: check;
			const deadline = Date.now() + (options.timeout ?? defaults.timeout ?? 10_000);
			for (;;) {
				const current = frame();
				if (test(current)) return current;
				if (Date.now() > deadline) {
					throw new Error(`timed out waiting for ${options.what ?? String(check)}; last frame:\n${current}`);
				}
				await tick();
			}
		},
	});
}

/** Any element inside the App's providers (state and actions contexts) with the given services. */
export function renderWithProviders(
	ui: ReactElement,
	options: { services: Services; initialProfile?: string },
): Rendered {
	return withFrameHelpers(
		render(
			<AppProviders services={options.services} initialProfile={options.initialProfile}>
				{ui}
			</AppProviders>,
		),
	);
}

/** The whole console. */
export function renderApp(services: Services, initialProfile?: string): Rendered {
	return withFrameHelpers(render(<App services={services} initialProfile={initialProfile} />));
}

/** The whole console opened on a saved profile, once its dashboard is drawn. */
export async function openDashboard(services: Services, profile: string): Promise<Rendered> {
	const app = renderApp(services, profile);
	await app.waitFor('Sections');
	return app;
}

/** The line of the frame the pointer (›) is on. */
export function selectedLine(frame: string): string {
	return frame.split('\n').find((line) => /^\s*›/.test(line)) ?? '';
}

/** The frame line that contains a text. */
export function lineWith(frame: string, text: string): string {
	return frame.split('\n').find((line) => line.includes(text)) ?? '';
}

export async function waitUntil(check: () => boolean, what: string, timeout = 10_000): Promise<void> {
	const deadline = Date.now() + timeout;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await tick();
	}
}

export interface ConsoleTestBed {
	/** The current test's home and demo root (the same object, refreshed before each test). */
	env: TestEnv;
	/** The current test's services (the same object, emptied before each test). */
	services: TestServices;
}

/**
 * Registers the setup every console test shares, in the describe block (or file) it is called in: before
 * each test a fresh home, empty services and, unless `savedProfile` is false, the demo profile saved with
 * the given overrides; after each test the rendered trees unmounted and every opened engine closed.
 */
export function consoleTestBed(
	options: { savedProfile?: false | Partial<ProfileInput> | ((env: TestEnv) => Partial<ProfileInput>) } = {},
): ConsoleTestBed {
	const env: TestEnv = { home: '', demoRoot: '' };
	const services = makeServices();
	beforeEach(() => {
		Object.assign(env, setupEnv());
		services.exits.length = 0;
		services.created.length = 0;
		services.opened.length = 0;
		const { savedProfile = {} } = options;
		if (savedProfile !== false) {
			saveDemoProfile(env, typeof savedProfile === 'function' ? savedProfile(env) : savedProfile);
		}
	});
	afterEach(async () => {
		cleanup();
		await services.closeAll();
	});
	return { env, services };
}
