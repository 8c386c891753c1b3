/**
 * Journals and attempt logs written by real engine runs, for the tests of the replay: the demo runbook run
 * through the LocalShellRunner (its step scripts really execute under the profile's DEMO_ROOT).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { type Profile, Profile as ProfileSchema } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { LocalShellRunner } from './local-runner.js';
import { demoProfile, writeProfile } from './profiles.js';

/** An engine of the profile's runbook on the LocalShellRunner whose journal records the run `runId`. */
export function recordingEngine(profile: Profile, runId: string, operator: string): Engine {
	const runbook = getRunbook(profile.runbook);
	return new Engine({
		runbook,
		profile,
		secrets: loadOrCreateSecrets(profile.name),
		progress: new ProgressStore(profile.name, runbook.id),
		runner: new LocalShellRunner(),
		journal: new Journal(profile.name, runId),
		operator,
	});
}

export interface RecordedRuns {
	/** Where the demo runbook's steps wrote. */
	demoRoot: string;
	profileFile: string;
	profile: Profile;
	/** The two runs, oldest first. */
	runIds: string[];
}

/**
 * A three-node demo profile (its file in `dir`, the steps writing under dir/demo-root; the count step
 * prints 3 lines 0.3 s apart) and two console sessions of it, each its own run. In the first, compute2
 * fails the flaky step (a flag file under the demo root), the run stops there and the operator skips
 * services/compute-only on compute1; in the second, a later console, the flag is gone and the rest runs.
 */
export async function recordTwoSessions(dir: string, profileName: string, operator: string): Promise<RecordedRuns> {
	const demoRoot = path.join(dir, 'demo-root');
	const input = demoProfile({ demoRoot, name: profileName });
	input.settings = { DEMO_ROOT: demoRoot, DEMO_LINES: '3', DEMO_DELAY: '0.3' };
	const profileFile = writeProfile(dir, input);
	const profile = ProfileSchema.parse(input);
	const flag = path.join(demoRoot, 'compute2', 'fail');
	const first = new Date().toISOString();
	fs.mkdirSync(path.dirname(flag), { recursive: true });
	fs.writeFileSync(flag, '');
	const e1 = recordingEngine(profile, first, operator);
	expect(await e1.runAll()).toBe(false);
	e1.skipStep('services/compute-only', { nodes: ['compute1'] });
	await e1.close();
	// The second run's id must sort after the first's.
	await new Promise((r) => setTimeout(r, 20));
	fs.rmSync(flag);
	const second = new Date().toISOString();
	const e2 = recordingEngine(profile, second, operator);
	expect(await e2.runAll()).toBe(true);
	await e2.close();
	return { demoRoot, profileFile, profile, runIds: [first, second] };
}
