/**
 * `os-console secrets`: the profile's secrets by name (never their values), one value on explicit request
 * (--reveal NAME), and changing one (--set NAME, the value read from standard input: never from the command
 * line, where `ps` shows it). A change lists the steps that use the secret: they must run again to apply it.
 */

import { operatorName } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { ProgressStore } from '../engine/progress-store.js';
import { isDone } from '../engine/types.js';
import { acquireProfileLock } from '../profile/lock.js';
import type { Profile } from '../profile/schema.js';
import { loadOrCreateSecrets, loadProfile, ProfileError, secretsFile, setSecret } from '../profile/store.js';
import type { Runbook } from '../runbook/model.js';
import { getRunbook } from '../runbook/registry.js';
import { nodesForStep, renderStep } from '../runbook/render.js';
import { SECRET_NAMES, type SecretName } from '../runbook/variables.js';
import { EXIT_OK, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';

export const usage = `Usage: os-console secrets --profile NAME_OR_PATH [--reveal NAME | --set NAME] [--json]

Lists the profile's secrets (the service passwords of the install guide) by name, with the steps that use
each one. Values are never shown unless you ask for one.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --reveal NAME           print the value of one secret, and nothing else, to standard output
  --set NAME              change one secret: the new value is read from standard input (one line; not
                          echoed on a terminal), never from the command line. It must be 8 to 128 letters,
                          digits, _ or -. The steps that use it are listed: run them again to apply it.
  --json                  the list as JSON (names, lengths, steps; never values)

Exit codes: 0 done, 2 bad flags, profile, secret name or value, or another console has the profile open.`;

export interface SecretUse {
	/** section/step */
	step: string;
	title: string;
	nodes: string[];
}

/** The steps (and nodes) whose rendered scripts load the secret, in runbook order. */
export function stepsUsingSecret(runbook: Runbook, profile: Profile, name: SecretName): SecretUse[] {
	const uses: SecretUse[] = [];
	for (const section of runbook.sections) {
		for (const step of section.steps) {
			const nodes = nodesForStep(runbook, step, profile).filter((node) =>
				renderStep(runbook, section, step, profile, node).secrets.includes(name),
			);
			if (nodes.length)
				uses.push({ step: `${section.id}/${step.id}`, title: step.title, nodes: nodes.map((n) => n.name) });
		}
	}
	return uses;
}

function isSecretName(name: string): name is SecretName {
	return (SECRET_NAMES as readonly string[]).includes(name);
}

/** A secret name from a flag, checked without echoing anything that might be a value typed by mistake. */
function secretNameFlag(flag: string, value: string): SecretName {
	if (value.includes('=')) {
		throw new UsageError(
			`${flag} takes only the secret's name; the value is read from standard input, never from the command line (where ps shows it to every user)`,
		);
	}
	if (!isSecretName(value)) {
		const shown = /^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(value)
			? `"${value}" is not a secret of the console`
			: 'unknown secret name';
		throw new UsageError(`${flag}: ${shown} (secrets: ${SECRET_NAMES.join(', ')})`);
	}
	return value;
}

/** Read a line without echo from a terminal. */
async function readHidden(prompt: string): Promise<string> {
	const stdin = process.stdin;
	process.stderr.write(prompt);
	stdin.setRawMode(true);
	stdin.resume();
	let value = '';
	try {
		return await new Promise<string>((resolve, reject) => {
			const onData = (chunk: Buffer) => {
				for (const ch of chunk.toString('utf8')) {
					if (ch === '\r' || ch === '\n') {
						stdin.off('data', onData);
						resolve(value);
						return;
					}
					if (ch === '\u0003' || ch === '\u0004') {
						stdin.off('data', onData);
						reject(new UsageError('cancelled: nothing was changed'));
						return;
					}
					if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
					else value += ch;
				}
			};
			stdin.on('data', onData);
		});
	} finally {
		stdin.setRawMode(false);
		stdin.pause();
		process.stderr.write('\n');
	}
}

async function readNewValue(name: string): Promise<string> {
	if (process.stdin.isTTY) {
		const first = await readHidden(`New value for ${name} (not shown): `);
		const again = await readHidden(`Again, to confirm: `);
		if (first !== again) throw new UsageError(`the two values for ${name} differ: nothing was changed`);
		return first;
	}
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	let text = Buffer.concat(chunks).toString('utf8');
	if (text.endsWith('\r\n')) text = text.slice(0, -2);
	else if (text.endsWith('\n')) text = text.slice(0, -1);
	if (text === '') throw new UsageError(`no value for ${name} on standard input: nothing was changed`);
	if (/[\r\n]/.test(text)) {
		throw new UsageError(
			`standard input holds more than one line; give the value of ${name} on one line: nothing was changed`,
		);
	}
	return text;
}

export async function run(argv: string[]): Promise<number> {
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				reveal: { type: 'string' },
				set: { type: 'string' },
				json: { type: 'boolean' },
			},
			'secrets',
			{ hidePositionals: true },
		);
		const profileArg = requireProfileFlag(flags.profile, 'secrets');
		if (flags.reveal !== undefined && flags.set !== undefined) {
			throw new UsageError('give either --reveal NAME or --set NAME, not both');
		}
		const revealName = flags.reveal === undefined ? undefined : secretNameFlag('--reveal', flags.reveal);
		const setName = flags.set === undefined ? undefined : secretNameFlag('--set', flags.set);
		const { profile } = loadProfile(profileArg);
		const runbook = getRunbook(profile.runbook);

		if (revealName) {
			const secrets = loadOrCreateSecrets(profile.name);
			process.stdout.write(`${secrets[revealName]}\n`);
			return EXIT_OK;
		}

		if (setName) {
			// A console that has the profile open masks (and uploads) the old value: it must not run meanwhile.
			const lock = acquireProfileLock(profile.name);
			try {
				loadOrCreateSecrets(profile.name); // a damaged secrets file stops here, before reading a value
				const value = await readNewValue(setName);
				const changed = setSecret(profile.name, setName, value);
				if (!changed) {
					process.stdout.write(`${setName} already has that value: nothing changed\n`);
					return EXIT_OK;
				}
				new Journal(profile.name).append({
					type: 'operator',
					action: 'set-secret',
					secret: setName,
					by: operatorName(),
				});
				const uses = stepsUsingSecret(runbook, profile, setName);
				process.stdout.write(`${setName} changed (saved in ${secretsFile(profile.name)}).\n`);
				if (uses.length === 0) {
					process.stdout.write(`No step of runbook ${runbook.id} uses it with this profile.\n`);
					return EXIT_OK;
				}
				let progress: ProgressStore | undefined;
				try {
					progress = new ProgressStore(profile.name, runbook.id);
				} catch (error) {
					if (!(error instanceof ProfileError)) throw error;
				}
				process.stdout.write(
					'The cloud still uses the old value until these steps run again (os-console run --step STEP --force):\n',
				);
				for (const use of uses) {
					const states = use.nodes.map((n) => {
						const status = progress?.get(use.step, n).status ?? 'pending';
						return `${n}: ${isDone(status) ? `${status}, run again` : status}`;
					});
					process.stdout.write(`  ${use.step.padEnd(36)} ${use.title} (${states.join('; ')})\n`);
				}
				return EXIT_OK;
			} finally {
				lock.release();
			}
		}

		const secrets = loadOrCreateSecrets(profile.name);
		const rows = SECRET_NAMES.map((name) => ({
			name,
			length: secrets[name].length,
			steps: stepsUsingSecret(runbook, profile, name),
		}));
		if (flags.json) {
			process.stdout.write(
				`${JSON.stringify({ profile: profile.name, runbook: runbook.id, file: secretsFile(profile.name), secrets: rows }, null, 2)}\n`,
			);
			return EXIT_OK;
		}
		process.stdout.write(
			`Secrets of profile ${profile.name} (${secretsFile(profile.name)}); values are not shown: --reveal NAME prints one.\n`,
		);
		const width = Math.max(...SECRET_NAMES.map((n) => n.length));
		for (const row of rows) {
			const used = row.steps.length
				? `used by ${row.steps.length} step${row.steps.length > 1 ? 's' : ''}: ${row.steps.map((s) => s.step).join(', ')}`
				: `not used by runbook ${runbook.id}`;
			process.stdout.write(`  ${row.name.padEnd(width)}  ${String(row.length).padStart(3)} chars  ${used}\n`);
		}
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
