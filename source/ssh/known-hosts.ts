/**
 * OpenSSH known_hosts support: parsing, host key checking and recording accepted keys.
 *
 * Semantics follow OpenSSH's `check_key_in_hostkeys()`:
 * - a line matches a host when one of its (comma separated) patterns matches and no negated (`!`) pattern matches;
 *   hashed entries (`|1|salt|hash`) match when HMAC-SHA1(salt, hostString) equals hash;
 * - the host string is `host` for port 22 and `[host]:port` otherwise (what `ssh` writes and looks up);
 * - a key equal to a matching line's key is `known`, unless it is listed under `@revoked` (then `changed`, refused);
 * - a matching line with the same key type but another key makes the key `changed`;
 * - keys of other types only make the host `unknown` for this type (OpenSSH asks again in that case);
 * - `@cert-authority` lines are ignored (this client does not do host certificates).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type KnownHostsMarker = 'revoked' | 'cert-authority';

export interface KnownHostsEntry {
	file: string;
	/** 1-based line number. */
	line: number;
	marker?: KnownHostsMarker;
	/** Raw host field (patterns or a hashed `|1|salt|hash`). */
	hosts: string;
	keyType: string;
	keyBlob: Buffer;
	comment?: string;
}

export type HostKeyCheck =
	| { status: 'known'; file: string; line: number }
	| { status: 'unknown' }
	| {
			status: 'changed';
			expectedFingerprints: string[];
			file: string;
			line: number;
			/** The offered key is listed under @revoked. */
			revoked?: boolean;
	  };

/** `SHA256:<base64 without padding>` exactly as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
	return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type encoded at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
	if (keyBlob.length < 4) return undefined;
	const len = keyBlob.readUInt32BE(0);
	if (len <= 0 || len > 64 || keyBlob.length < 4 + len) return undefined;
	return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The host string known_hosts uses for host+port: `host` for 22, `[host]:port` otherwise. */
export function knownHostsHostString(host: string, port: number): string {
	return port === 22 ? host : `[${host}]:${port}`;
}

/** `ssh-keygen -R` argument for a host+port. */
export function sshKeygenRemoveCommand(host: string, port: number, file: string): string {
	return `ssh-keygen -R ${shellQuote(knownHostsHostString(host, port))} -f ${shellQuote(file)}`;
}

function shellQuote(s: string): string {
	return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) && !s.startsWith('-') ? `'${s}'` : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** rsa-sha2-* are signature algorithms of ssh-rsa keys; known_hosts lists such keys as ssh-rsa. */
function normalizeKeyType(t: string): string {
	return t === 'rsa-sha2-256' || t === 'rsa-sha2-512' ? 'ssh-rsa' : t;
}

/** Parse the text of a known_hosts file. Malformed lines are skipped (as OpenSSH does). */
export function parseKnownHosts(text: string, file = '<memory>'): KnownHostsEntry[] {
	const entries: KnownHostsEntry[] = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const raw = (lines[i] ?? '').replace(/\r$/, '').trim();
		if (raw === '' || raw.startsWith('#')) continue;
		const tokens = raw.split(/[ \t]+/);
		let marker: KnownHostsMarker | undefined;
		if (tokens[0]?.startsWith('@')) {
			const m = tokens.shift();
			if (m === '@revoked') marker = 'revoked';
			else if (m === '@cert-authority') marker = 'cert-authority';
			else continue; // unknown marker: OpenSSH ignores the line
		}
		const [hosts, keyType, b64, ...rest] = tokens;
		if (!hosts || !keyType || !b64) continue;
		if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
		const keyBlob = Buffer.from(b64, 'base64');
		if (keyBlob.length === 0) continue;
		const entry: KnownHostsEntry = { file, line: i + 1, hosts, keyType, keyBlob };
		if (marker) entry.marker = marker;
		if (rest.length > 0) entry.comment = rest.join(' ');
		entries.push(entry);
	}
	return entries;
}

/** OpenSSH `match_pattern`: `*` and `?` wildcards, case-insensitive for host names. */
function matchPattern(s: string, pattern: string): boolean {
	const re = new RegExp(
		`^${pattern
			.split('')
			.map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
			.join('')}$`,
		'i',
	);
	return re.test(s);
}

function matchHashed(field: string, hostString: string): boolean {
	// |1|base64(salt)|base64(hmac-sha1(salt, host))
	const parts = field.split('|');
	if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
	const salt = Buffer.from(parts[2], 'base64');
	const want = Buffer.from(parts[3], 'base64');
	if (salt.length === 0 || want.length !== 20) return false;
	const got = createHmac('sha1', salt).update(hostString).digest();
	return timingSafeEqual(got, want);
}

/** Does the host field of a known_hosts line match `hostString` (already in `[host]:port` form when needed)? */
export function hostFieldMatches(field: string, hostString: string): boolean {
	if (field.startsWith('|')) return matchHashed(field, hostString);
	let positive = false;
	for (const pat of field.split(',')) {
		if (pat === '') continue;
		if (pat.startsWith('!')) {
			if (matchPattern(hostString, pat.slice(1))) return false;
		} else if (matchPattern(hostString, pat)) {
			positive = true;
		}
	}
	return positive;
}

async function readIfExists(file: string): Promise<string | undefined> {
	try {
		return await fs.readFile(file, 'utf8');
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
		throw err;
	}
}

/** All entries (from all files, in order) whose host field matches host+port. */
export async function findHostEntries(files: string[], host: string, port: number): Promise<KnownHostsEntry[]> {
	const hostString = knownHostsHostString(host, port);
	const out: KnownHostsEntry[] = [];
	for (const file of files) {
		const text = await readIfExists(file);
		if (text === undefined) continue;
		for (const e of parseKnownHosts(text, file)) {
			if (hostFieldMatches(e.hosts, hostString)) out.push(e);
		}
	}
	return out;
}

/**
 * Check a host key offered by `host:port` against known_hosts files (missing files are treated as empty).
 * `keyType` is the key's type (`ssh-ed25519`, `ssh-rsa`, ...); `keyBlob` its SSH wire encoding.
 */
export async function checkHostKey(
	files: string[],
	host: string,
	port: number,
	keyType: string,
	keyBlob: Buffer,
): Promise<HostKeyCheck> {
	const type = normalizeKeyType(keyTypeOfBlob(keyBlob) ?? keyType);
	const entries = (await findHostEntries(files, host, port)).filter((e) => e.marker !== 'cert-authority');
	const sameType = entries.filter((e) => e.marker !== 'revoked' && normalizeKeyType(e.keyType) === type);
	const expected = [
		...new Set(sameType.filter((e) => !e.keyBlob.equals(keyBlob)).map((e) => fingerprintSha256(e.keyBlob))),
	];

	const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
	if (revoked) {
		return { status: 'changed', expectedFingerprints: expected, file: revoked.file, line: revoked.line, revoked: true };
	}
	const match = entries.find((e) => e.marker === undefined && e.keyBlob.equals(keyBlob));
	if (match) return { status: 'known', file: match.file, line: match.line };
	const mismatch = sameType[0];
	if (mismatch) return { status: 'changed', expectedFingerprints: expected, file: mismatch.file, line: mismatch.line };
	return { status: 'unknown' };
}

/** Does this known_hosts text already hold hashed host names (`|1|salt|hash`, as `ssh-keygen -H` or HashKnownHosts leave)? */
export function usesHashedHosts(text: string): boolean {
	return parseKnownHosts(text).some((e) => e.hosts.startsWith('|1|'));
}

/** The hashed form of a host string, as OpenSSH writes it with HashKnownHosts: `|1|base64(salt)|base64(hmac)`. */
export function hashHostString(hostString: string, salt: Buffer = randomBytes(20)): string {
	const hmac = createHmac('sha1', salt).update(hostString).digest();
	return `|1|${salt.toString('base64')}|${hmac.toString('base64')}`;
}

export interface RecordKnownHostOptions {
	/**
	 * Write the host name hashed. Default: hashed when the file already holds hashed entries (a file someone ran
	 * `ssh-keygen -H` on, or that ssh filled with HashKnownHosts yes), plain otherwise.
	 */
	hash?: boolean;
}

export interface RecordedKnownHost {
	/** The file written (symlinks followed: a linked ~/.ssh/known_hosts stays a link). */
	file: string;
	/** false: the file already listed this key for this host (ssh or another console added it meanwhile). */
	written: boolean;
	hashed: boolean;
}

/** Writers in this process, per file: two nodes accepted at the same moment must not drop each other's line. */
const writers = new Map<string, Promise<unknown>>();

function serialized<T>(file: string, work: () => Promise<T>): Promise<T> {
	const before = writers.get(file) ?? Promise.resolve();
	const next = before.then(work, work);
	const settled = next.catch(() => {});
	writers.set(file, settled);
	void settled.then(() => {
		if (writers.get(file) === settled) writers.delete(file);
	});
	return next;
}

/** Follow symlinks to the file that is really written (dotfile managers link ~/.ssh/known_hosts elsewhere). */
async function realTarget(file: string): Promise<string> {
	try {
		return await fs.realpath(file);
	} catch {
		return path.resolve(file);
	}
}

/** Tries before giving up when the file keeps changing under the writer (ssh appending to it meanwhile). */
const RECORD_ATTEMPTS = 8;

/**
 * Record a host key the operator accepted in `file`, in OpenSSH's format (`host keytype base64`, `[host]:port`
 * for other ports; the host hashed as `|1|salt|hash` when asked or when the file already uses hashed entries).
 *
 * The file is replaced atomically (a new file beside it, fsynced, renamed over it), so a crash leaves either the
 * old file or the new one, never half a line; every existing line is kept as it was, and so are the file's mode
 * and owner. If the file changes between reading and renaming (ssh added a line meanwhile), the write starts
 * over from the new content. A missing file is created 0600 (its directory 0700).
 */
export async function recordKnownHost(
	file: string,
	host: string,
	port: number,
	keyType: string,
	keyBlob: Buffer,
	options: RecordKnownHostOptions = {},
): Promise<RecordedKnownHost> {
	const target = await realTarget(file);
	return serialized(target, async () => {
		const dir = path.dirname(target);
		await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
			if (error.code === 'EEXIST' || error.code === 'ENOTDIR')
				throw new Error(`${dir}, or a directory above it, is not a directory`);
			throw error;
		});
		const hostString = knownHostsHostString(host, port);
		for (let attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
			const text = (await readIfExists(target)) ?? '';
			const hashed = options.hash ?? usesHashedHosts(text);
			const present = parseKnownHosts(text, target).some(
				(e) => e.marker === undefined && e.keyBlob.equals(keyBlob) && hostFieldMatches(e.hosts, hostString),
			);
			if (present) return { file: target, written: false, hashed };
			const hostField = hashed ? hashHostString(hostString) : hostString;
			const line = `${hostField} ${keyType} ${keyBlob.toString('base64')}\n`;
			const next = text === '' || text.endsWith('\n') ? `${text}${line}` : `${text}\n${line}`;
			const stat = await fs.stat(target).catch(() => undefined);
			const temp = path.join(dir, `.${path.basename(target)}.osc-${process.pid}-${randomBytes(4).toString('hex')}`);
			const fh = await fs.open(temp, 'wx', 0o600);
			try {
				await fh.writeFile(next);
				if (stat) {
					await fh.chmod(stat.mode & 0o7777);
					// root writing a user's file: it stays the user's
					if (stat.uid !== process.getuid?.() || stat.gid !== process.getgid?.())
						await fh.chown(stat.uid, stat.gid).catch(() => {});
				}
				await fh.sync();
			} catch (error) {
				await fh.close();
				await fs.rm(temp, { force: true });
				throw error;
			}
			await fh.close();
			if (((await readIfExists(target)) ?? '') !== text) {
				await fs.rm(temp, { force: true });
				continue;
			}
			try {
				await fs.rename(temp, target);
			} catch (error) {
				await fs.rm(temp, { force: true });
				throw error;
			}
			await syncDirectory(dir);
			return { file: target, written: true, hashed };
		}
		throw new Error(
			`${target} kept changing while the console was adding the host key of ${hostString}; connect again to retry.`,
		);
	});
}

async function syncDirectory(dir: string): Promise<void> {
	try {
		const handle = await fs.open(dir, 'r');
		try {
			await handle.sync();
		} finally {
			await handle.close();
		}
	} catch {
		// not every file system lets a directory be fsynced; the rename itself is already atomic
	}
}
