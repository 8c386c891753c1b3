/**
 * Where profiles and their state live, and how they are read and written. Saved profiles, progress and
 * secrets are JSON files written atomically (a 0600 temp file beside the target, fsync, rename, fsync of the
 * directory) inside 0700 directories under the user's config dir (or $OS_CONSOLE_HOME). A file that cannot
 * be read or does not validate is reported with its path and field and is never overwritten.
 *
 * Every secret value this process loads is remembered (in memory only) so that error messages and crash
 * reports can be masked with maskSecrets() before they are printed.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

// ---------------------------------------------------------------------------------------------------------
// Atomic private files.

const TEMP_SUFFIX = '.tmp';

/** The temp file an atomic write of `file` uses: hidden, beside it, named after the writing process. */
function tempFileFor(file: string): string {
	return path.join(
		path.dirname(file),
		`.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
	);
}

/** Whether a process with this pid runs on this host (zombies count as dead). */
export function processAlive(pid: number): boolean {
	if (!Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return true; // no /proc (not Linux) or a race with its exit: kill(0) said it exists
	}
}

/**
 * Write `data` to `file` so that a crash at any moment leaves either the old or the new content, never a
 * mix: a 0600 temp file in the same directory, fsync, rename over the target, fsync of the directory.
 */
export function writePrivateFileAtomic(file: string, data: string | Buffer): void {
	const tmp = tempFileFor(file);
	const fd = fs.openSync(tmp, 'wx', 0o600);
	try {
		try {
			fs.writeFileSync(fd, data);
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}
		fs.renameSync(tmp, file);
	} catch (error) {
		fs.rmSync(tmp, { force: true });
		throw error;
	}
	try {
		const dirFd = fs.openSync(path.dirname(file), 'r');
		try {
			fs.fsyncSync(dirFd);
		} finally {
			fs.closeSync(dirFd);
		}
	} catch {
		/* some filesystems cannot fsync a directory; the rename itself is atomic */
	}
}

/**
 * writePrivateFileAtomic with the write and the fsyncs in libuv's thread pool instead of on the event loop.
 * `stillWanted` is asked on the event loop right before the (synchronous) rename: when it says no (a newer write
 * already put newer content in place), the temp file is dropped instead and the result is false.
 */
export async function writePrivateFileAtomicAsync(
	file: string,
	data: string | Buffer,
	stillWanted: () => boolean = () => true,
): Promise<boolean> {
	const tmp = tempFileFor(file);
	try {
		const handle = await fs.promises.open(tmp, 'wx', 0o600);
		try {
			await handle.writeFile(data);
			await handle.sync();
		} finally {
			await handle.close();
		}
		if (!stillWanted()) {
			fs.rmSync(tmp, { force: true });
			return false;
		}
		// Synchronous, so that no other write of the file can rename between the check above and this rename.
		fs.renameSync(tmp, file);
	} catch (error) {
		fs.rmSync(tmp, { force: true });
		throw error;
	}
	try {
		const dir = await fs.promises.open(path.dirname(file), 'r');
		try {
			await dir.sync();
		} finally {
			await dir.close();
		}
	} catch {
		/* some filesystems cannot fsync a directory; the rename itself is atomic */
	}
	return true;
}

/**
 * Temp files left by writers that were killed between writing and renaming (kill -9, power loss): removed
 * when the process that wrote them is gone. Files of live processes are left alone.
 */
export function removeStaleTempFiles(file: string): void {
	const base = `.${path.basename(file)}.`;
	let names: string[];
	try {
		names = fs.readdirSync(path.dirname(file));
	} catch {
		return;
	}
	for (const name of names) {
		if (!name.startsWith(base) || !name.endsWith(TEMP_SUFFIX)) continue;
		const pid = Number(name.slice(base.length).split('.')[0]);
		if (pid === process.pid || processAlive(pid)) continue;
		fs.rmSync(path.join(path.dirname(file), name), { force: true });
	}
}

export interface PrivateJsonFile {
	readonly path: string;
	/** Reading parses the file ({} when missing); assigning writes it atomically, mode 0600. */
	store: Record<string, unknown>;
}

/** A JSON file `DIR/NAME.json` in a private directory (the small part of conf's interface the console used). */
function openConf(dir: string, configName: string): PrivateJsonFile {
	ensurePrivateDir(dir);
	const file = path.join(dir, `${configName}.json`);
	return {
		path: file,
		get store(): Record<string, unknown> {
			if (!fs.existsSync(file)) return {};
			return readJsonFile(file, 'file') as Record<string, unknown>;
		},
		set store(value: Record<string, unknown>) {
			writePrivateFileAtomic(file, `${JSON.stringify(value, undefined, '\t')}\n`);
		},
	};
}

function readJsonFile(file: string, what: string): unknown {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') throw new ProfileError(`${what} ${file} does not exist`, file);
		if (code === 'EACCES')
			throw new ProfileError(`${what} ${file} cannot be read (permission denied); it was left as it is`, file);
		if (code === 'EISDIR') {
			throw new ProfileError(`${what} ${file} is a directory, not a file; it was left as it is: move it aside`, file);
		}
		throw new ProfileError(
			`${what} ${file} cannot be read (${code ?? (error as Error).message}); it was left as it is`,
			file,
		);
	}
	if (text.trim() === '') throw new ProfileError(`${what} ${file} is empty (truncated?); it was left as it is`, file);
	if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
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

function modeString(mode: number): string {
	return mode.toString(8).padStart(4, '0');
}

/** Looser permissions than 0600 on a file that holds secrets or progress: reported, not silently fixed. */
export function permissionWarning(file: string): string | undefined {
	try {
		const mode = fs.statSync(file).mode & 0o777;
		if (mode & 0o077) {
			return `${file} is readable by others (mode ${modeString(mode)}); run: chmod 600 '${file}'`;
		}
	} catch {
		/* missing files have no permissions to report */
	}
	return undefined;
}

/** Entries looked at per audit at most (a state directory with years of logs stays quick to open). */
const AUDIT_LIMIT = 20_000;

/**
 * Every directory and file the console keeps for a profile (the console home, the profiles directory, the
 * profile's state directory with its progress, secrets, journal, logs and lock, the console's known_hosts,
 * and the profile file itself): directories must be 0700 and files 0600 at most. Anything looser, or owned
 * by another user, is reported with the command that fixes it; nothing is changed here.
 */
export function auditPermissions(profileName: string, profileFile?: string): string[] {
	const loose: { file: string; mode: number; dir: boolean }[] = [];
	const foreign: string[] = [];
	const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
	let seen = 0;
	const check = (file: string, recurse: boolean) => {
		if (seen++ > AUDIT_LIMIT) return;
		let st: fs.Stats;
		try {
			st = fs.lstatSync(file);
		} catch {
			return;
		}
		if (st.isSymbolicLink()) return;
		const mode = st.mode & 0o777;
		if (mode & 0o077) loose.push({ file, mode, dir: st.isDirectory() });
		if (uid !== undefined && st.uid !== uid) foreign.push(file);
		if (recurse && st.isDirectory()) {
			let names: string[] = [];
			try {
				names = fs.readdirSync(file);
			} catch {
				/* reported by the mode check when it matters */
			}
			for (const name of names) check(path.join(file, name), true);
		}
	};
	check(consoleHome(), false);
	check(profilesDir(), false);
	check(path.join(consoleHome(), 'state'), false);
	check(path.join(consoleHome(), 'known_hosts'), false);
	check(stateDir(profileName), true);
	if (profileFile && path.dirname(path.resolve(profileFile)) === profilesDir()) check(profileFile, false);
	const warnings: string[] = [];
	const shown = loose.slice(0, 5);
	for (const { file, mode, dir } of shown) {
		warnings.push(
			dir
				? `directory ${file} is open to others (mode ${modeString(mode)}); run: chmod 700 '${file}'`
				: `${file} is readable by others (mode ${modeString(mode)}); run: chmod 600 '${file}'`,
		);
	}
	if (loose.length > shown.length) {
		warnings.push(
			`${loose.length - shown.length} more files or directories under ${consoleHome()} are open to others; run: chmod -R go-rwx '${consoleHome()}'`,
		);
	}
	for (const file of foreign.slice(0, 3)) {
		warnings.push(`${file} belongs to another user; the console's files should be yours alone`);
	}
	return warnings;
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

/** Every secret value this process has loaded or set, longest first, for masking messages. */
const knownSecretValues = new Set<string>();
let maskPattern: RegExp | undefined;

function remember(values: Iterable<string>): void {
	let added = false;
	for (const value of values) {
		if (value.length >= 4 && !knownSecretValues.has(value)) {
			knownSecretValues.add(value);
			added = true;
		}
	}
	if (!added) return;
	const sorted = [...knownSecretValues].sort((a, b) => b.length - a.length);
	maskPattern = new RegExp(sorted.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

/** The mask the console shows in place of a secret (the same as the runbook renderer's). */
export const SECRET_MASK = '••••••••';

/**
 * Replace every secret value this process knows with the mask: for error messages and crash reports, which
 * may quote a command, a file or a server's answer.
 */
export function maskSecrets(text: string): string {
	return maskPattern ? text.replace(maskPattern, SECRET_MASK) : text;
}

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
		remember(Object.values(existing));
	}
	const missing = SECRET_NAMES.filter((name) => !existing[name]);
	if (missing.length === 0) return existing as Secrets;
	const next = { ...existing };
	for (const name of missing) next[name] = generateSecret();
	remember(Object.values(next));
	const conf = openConf(stateDir(profileName), 'secrets');
	conf.store = next;
	return next as Secrets;
}

/**
 * Changing a secret is an explicit operator action; the caller lists the steps to re-run. Messages name the
 * secret, never the value. Returns false when the value is the one already saved.
 */
export function setSecret(profileName: string, name: string, value: string): boolean {
	const secrets = loadOrCreateSecrets(profileName);
	if (!(SECRET_NAMES as readonly string[]).includes(name)) {
		throw new ProfileError(`unknown secret ${name} (known: ${SECRET_NAMES.join(', ')})`, secretsFile(profileName));
	}
	const checked = secretValue.safeParse(value);
	if (!checked.success) {
		throw new ProfileError(
			`the new value of ${name} was refused: it ${checked.error.issues[0]?.message ?? 'is not valid'} (the value was not saved)`,
			secretsFile(profileName),
		);
	}
	if (value.startsWith('-')) {
		// The OpenStack client gets passwords as option values (--password VALUE): -x would read as an option.
		throw new ProfileError(
			`the new value of ${name} was refused: it must not start with - (commands on the nodes would read it as an option; the value was not saved)`,
			secretsFile(profileName),
		);
	}
	if (secrets[name as keyof Secrets] === value) return false;
	remember([value]);
	openConf(stateDir(profileName), 'secrets').store = { ...secrets, [name]: value };
	return true;
}

export { openConf, readJsonFile };
