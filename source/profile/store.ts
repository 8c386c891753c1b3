/**
 * Where profiles and their state live, and how they are read and written. Saved profiles, progress and
 * secrets are JSON files managed with conf (atomic writes, mode 0600) inside 0700 directories under the
 * user's config dir (or $OS_CONSOLE_HOME). A file that cannot be read or does not validate is reported
 * with its path and field and is never overwritten.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { SECRET_NAMES, type Secrets } from '../runbook/variables.js';
import { describeIssues, Profile, secretValue } from './schema.js';

export class ProfileError extends Error {
	constructor(
		message: string,
		readonly file: string,
		readonly details: string[] = [],
	) {
		super(details.length ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message);
		this.name = 'ProfileError';
	}
}

export function consoleHome(): string {
	if (process.env.OS_CONSOLE_HOME) return path.resolve(process.env.OS_CONSOLE_HOME);
	const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
	return path.join(base, 'os-console');
}

/** mkdir -p with 0700 for every directory this console creates. */
export function ensurePrivateDir(dir: string): string {
	fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
	return dir;
}

export function profilesDir(): string {
	return path.join(consoleHome(), 'profiles');
}

/** State of one profile: progress, secrets, journal, logs, accepted host keys. */
export function stateDir(profileName: string): string {
	return path.join(consoleHome(), 'state', profileName);
}

function openConf(dir: string, configName: string): Conf<Record<string, unknown>> {
	ensurePrivateDir(dir);
	return new Conf<Record<string, unknown>>({
		cwd: dir,
		configName,
		projectName: 'os-console',
		projectSuffix: '',
		configFileMode: 0o600,
		accessPropertiesByDotNotation: false,
		clearInvalidConfig: false,
	});
}

function readJsonFile(file: string, what: string): unknown {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') throw new ProfileError(`${what} ${file} does not exist`, file);
		if (code === 'EACCES') throw new ProfileError(`${what} ${file} cannot be read (permission denied)`, file);
		throw new ProfileError(`${what} ${file} cannot be read: ${(error as Error).message}`, file);
	}
	if (text.trim() === '') throw new ProfileError(`${what} ${file} is empty (truncated?); it was left as it is`, file);
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new ProfileError(
			`${what} ${file} is not valid JSON (${(error as Error).message}); it was left as it is: fix or remove it`,
			file,
		);
	}
}

export function parseProfile(data: unknown, file: string): Profile {
	const result = Profile.safeParse(data);
	if (!result.success) {
		throw new ProfileError(`profile ${file} is not valid; it was left as it is:`, file, describeIssues(result.error));
	}
	return result.data;
}

export interface LoadedProfile {
	profile: Profile;
	/** The file it came from. */
	file: string;
	/** Saved profiles are written by the console; example files given by path are read-only. */
	saved: boolean;
}

export function savedProfileFile(name: string): string {
	return path.join(profilesDir(), `${name}.json`);
}

export function listSavedProfiles(): string[] {
	try {
		return fs
			.readdirSync(profilesDir())
			.filter((f) => f.endsWith('.json'))
			.map((f) => f.slice(0, -'.json'.length))
			.sort();
	} catch {
		return [];
	}
}

/** `--profile NAME_OR_PATH`: a saved profile's name, or a path to a profile file. */
export function loadProfile(nameOrPath: string): LoadedProfile {
	const looksLikePath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
	if (!looksLikePath) {
		const file = savedProfileFile(nameOrPath);
		if (!fs.existsSync(file)) {
			const saved = listSavedProfiles();
			throw new ProfileError(
				`no saved profile named "${nameOrPath}"${saved.length ? ` (saved: ${saved.join(', ')})` : ' (none saved yet)'}; give a saved name or a path to a profile file`,
				file,
			);
		}
		return { profile: parseProfile(readJsonFile(file, 'profile'), file), file, saved: true };
	}
	const file = path.resolve(nameOrPath);
	return { profile: parseProfile(readJsonFile(file, 'profile'), file), file, saved: false };
}

/** Looser permissions than 0600 on a file that holds secrets or progress: reported, not silently fixed. */
export function permissionWarning(file: string): string | undefined {
	try {
		const mode = fs.statSync(file).mode & 0o777;
		if (mode & 0o077) {
			return `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 '${file}'`;
		}
	} catch {
		/* missing files have no permissions to report */
	}
	return undefined;
}

export function saveProfile(profile: Profile, options: { overwrite?: boolean } = {}): string {
	const parsed = parseProfile(profile, `(new profile ${profile.name})`);
	const file = savedProfileFile(parsed.name);
	if (!options.overwrite && fs.existsSync(file)) {
		throw new ProfileError(
			`a saved profile named "${parsed.name}" already exists (${file}); choose another name`,
			file,
		);
	}
	const conf = openConf(profilesDir(), parsed.name);
	conf.store = parsed as unknown as Record<string, unknown>;
	return file;
}

// ---------------------------------------------------------------------------------------------------------
// Secrets: generated once per profile with a CSPRNG, never regenerated.

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateSecret(length = 24): string {
	let out = '';
	for (let i = 0; i < length; i++) out += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
	return out;
}

const SecretsFile = z.record(z.string(), secretValue);

export function secretsFile(profileName: string): string {
	return path.join(stateDir(profileName), 'secrets.json');
}

/**
 * The profile's secrets. Missing ones are generated and saved; existing ones are never changed here.
 * A damaged secrets file stops everything: regenerating would lock the operator out of their own cloud.
 */
export function loadOrCreateSecrets(profileName: string): Secrets {
	const file = secretsFile(profileName);
	let existing: Record<string, string> = {};
	if (fs.existsSync(file)) {
		const parsed = SecretsFile.safeParse(readJsonFile(file, 'secrets file'));
		if (!parsed.success) {
			throw new ProfileError(
				`secrets file ${file} is not valid; it was left as it is (restore it from a backup; regenerating would not match your cloud):`,
				file,
				describeIssues(parsed.error),
			);
		}
		existing = parsed.data;
	}
	const missing = SECRET_NAMES.filter((name) => !existing[name]);
	if (missing.length === 0) return existing as Secrets;
	const next = { ...existing };
	for (const name of missing) next[name] = generateSecret();
	const conf = openConf(stateDir(profileName), 'secrets');
	conf.store = next;
	return next as Secrets;
}

/** Changing a secret is an explicit operator action; the caller lists the steps to re-run. */
export function setSecret(profileName: string, name: string, value: string): void {
	const secrets = loadOrCreateSecrets(profileName);
	if (!(SECRET_NAMES as readonly string[]).includes(name)) {
		throw new ProfileError(`unknown secret ${name} (known: ${SECRET_NAMES.join(', ')})`, secretsFile(profileName));
	}
	const checked = secretValue.safeParse(value);
	if (!checked.success) {
		throw new ProfileError(`secret ${name} ${checked.error.issues[0]?.message}`, secretsFile(profileName));
	}
	openConf(stateDir(profileName), 'secrets').store = { ...secrets, [name]: value };
}

export { openConf, readJsonFile };
