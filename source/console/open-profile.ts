/**
 * Opening a profile: the profile file, its runbook, its secrets (generated once), its progress and journal,
 * and an engine wired to a step runner. Shared by the TUI and every headless command.
 */
import path from 'node:path';
import { Engine, type StepRunner } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { ProgressStore } from '../engine/progress-store.js';
import type { PromptQueue } from '../engine/prompts.js';
import {
	consoleHome,
	type LoadedProfile,
	loadOrCreateSecrets,
	loadProfile,
	ProfileError,
	permissionWarning,
	secretsFile,
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
}

export interface OpenedProfile {
	loaded: LoadedProfile;
	runbook: Runbook;
	engine: Engine;
	journal: Journal;
	warnings: string[];
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
	const secrets = loadOrCreateSecrets(profile.name);
	const warnings = [permissionWarning(loaded.file), permissionWarning(secretsFile(profile.name))].filter(
		(w): w is string => Boolean(w),
	);
	const progress = new ProgressStore(profile.name, runbook.id);
	const journal = new Journal(profile.name);
	let runner = options.runner;
	if (!runner) {
		const { SshStepRunner } = await import('../ssh/step-runner.js');
		runner = new SshStepRunner({ profile, prompts: options.prompts, hostKeys: options.hostKeys });
	}
	const engine = new Engine({ runbook, profile, secrets, progress, runner, journal, concurrency: options.concurrency });
	return { loaded, runbook, engine, journal, warnings };
}
