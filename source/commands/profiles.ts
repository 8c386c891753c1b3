/** `os-console profiles`: the saved profiles and the example profiles shipped with the console. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSavedProfiles, profilesDir } from '../profile/store.js';
import { EXIT_OK, parseFlags, reportError } from './common.js';

export const usage = `Usage: os-console profiles

Lists saved profiles (by name) and the example profiles (by path); either can be given to --profile.`;

export function examplesDir(): string {
	// The package's profiles/: the first folder up with a package.json, from dist/commands/profiles.js (tsc's
	// output), dist/cli.cjs (the bundle) or source/commands/profiles.ts (tests).
	let dir = path.dirname(fileURLToPath(import.meta.url));
	while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
	return path.join(dir, 'profiles');
}

export function listExamples(): string[] {
	try {
		return fs
			.readdirSync(examplesDir())
			.filter((f) => f.endsWith('.json'))
			.sort()
			.map((f) => path.join(examplesDir(), f));
	} catch {
		return [];
	}
}

export async function run(argv: string[]): Promise<number> {
	try {
		parseFlags(argv, {}, 'profiles');
		const saved = listSavedProfiles();
		process.stdout.write(`Saved profiles (${profilesDir()}):\n`);
		process.stdout.write(
			saved.length ? saved.map((s) => `  ${s}\n`).join('') : '  (none yet: run os-console to create one)\n',
		);
		process.stdout.write('\nExample profiles (read-only; progress is kept with the saved profiles):\n');
		process.stdout.write(
			listExamples()
				.map((e) => `  ${e}\n`)
				.join('') || '  (none)\n',
		);
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
