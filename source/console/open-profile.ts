/**
 * Opening a profile: the profile file, its runbook, the profile's lock (one console per profile), its
 * secrets (generated once), its progress and journal, and an engine wired to a step runner. Shared by the
 * TUI and every headless command.
 */
import path from 'node:path';
import { Engine, type StepRunner } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { ProgressStore } from '../engine/progress-store.js';
import type { PromptQueue } from '../engine/prompts.js';
import { acquireProfileLock, currentCommand, type ProfileLock } from '../profile/lock.js';
import {
	auditPermissions,
	consoleHome,
	type LoadedProfile,
	loadOrCreateSecrets,
	loadProfile,
	ProfileError,
	permissionWarning,
} from '../profile/store.js';
import type { Runbook } from '../runbook/model.js';
import { checkSettings, getRunbook } from '../runbook/registry.js';

export interface HostKeyPolicy {
	/** ask: the operator decides (TUI); strict: unknown keys are refused; accept-new: like OpenSSH's accept-new. */
	mode: 'ask' | 'strict' | 'accept-new';
	/** Extra known_hosts files to trust (read-only), besides ~/.ssh/known_hosts. */
	knownHostsFiles?: string[];
}

export interface OpenOptions {
	prompts?: PromptQueue;
	hostKeys: HostKeyPolicy;
	/** Supply a runner (tests of engine logic); by default steps run over SSH. */
	runner?: StepRunner;
	concurrency?: number;
	/**
	 * Take the profile's lock (one console per profile; see profile/lock.ts). Default: taken when steps run
	 * over SSH, i.e. when no runner is supplied; read-only commands (status) and tests of the engine's logic
	 * supply their own runner and pass `lock: false` to make it explicit. A string names the command in the
	 * lock (default: this process's command line).
	 */
	lock?: boolean | string;
	/** Who the journal and skip records name; default: this user at this host (see operatorName). */
	operator?: string;
}

export interface OpenedProfile {
	loaded: LoadedProfile;
	runbook: Runbook;
	engine: Engine;
	journal: Journal;
	warnings: string[];
	/** The profile's lock when one was taken; released by engine.close() and at exit. */
	lock?: ProfileLock;
}

/** The console's own known_hosts, where keys the operator accepted are recorded. */
export function consoleKnownHostsFile(): string {
	return path.join(consoleHome(), 'known_hosts');
}

export async function openProfile(nameOrPath: string, options: OpenOptions): Promise<OpenedProfile> {
	const loaded = loadProfile(nameOrPath);
	const { profile } = loaded;
	const runbook = getRunbook(profile.runbook);
	const settingProblems = checkSettings(runbook, profile.settings);
	if (settingProblems.length) {
		throw new ProfileError(`profile ${loaded.file} is not valid; it was left as it is:`, loaded.file, settingProblems);
	}
	const wantLock = options.lock ?? !options.runner;
	// Before anything is written (secrets, progress, journal): a second console stops here.
	const lock = wantLock
		? acquireProfileLock(profile.name, typeof wantLock === 'string' ? wantLock : currentCommand())
		: undefined;
	try {
		const secrets = loadOrCreateSecrets(profile.name);
		const warnings = [
			// Example profiles given by path are read-only data without secrets: their mode is the checkout's.
			...new Set(
				loaded.saved
					? [permissionWarning(loaded.file), ...auditPermissions(profile.name, loaded.file)]
					: auditPermissions(profile.name),
			),
		].filter((w): w is string => Boolean(w));
		if (lock?.tookOverFrom) {
			const h = lock.tookOverFrom;
			warnings.push(
				`took over the lock of a console that is gone (pid ${h.pid} on ${h.host} since ${h.since}); steps it left running are re-attached`,
			);
		}
		const progress = new ProgressStore(profile.name, runbook.id);
		const journal = new Journal(profile.name);
		let runner = options.runner;
		if (!runner) {
			const { SshStepRunner } = await import('../ssh/step-runner.js');
			runner = new SshStepRunner({ profile, prompts: options.prompts, hostKeys: options.hostKeys });
		}
		const engine = new Engine({
			runbook,
			profile,
			secrets,
			progress,
			runner,
			journal,
			concurrency: options.concurrency,
			operator: options.operator,
		});
		if (lock) {
			const close = engine.close.bind(engine);
			engine.close = async () => {
				try {
					await close();
				} finally {
					lock.release();
				}
			};
		}
		return { loaded, runbook, engine, journal, warnings, lock };
	} catch (error) {
		lock?.release();
		throw error;
	}
}
