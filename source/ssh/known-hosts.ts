/**
 * OpenSSH known_hosts support: parsing, host key checking and appending.
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
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Append a plain `host keytype base64` line. Creates the directory (0700) and the file (0600) when missing.
 */
export async function appendKnownHost(
	file: string,
	host: string,
	port: number,
	keyType: string,
	keyBlob: Buffer,
): Promise<void> {
	await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	const fh = await fs.open(file, 'a+', 0o600);
	try {
		const { size } = await fh.stat();
		let prefix = '';
		if (size > 0) {
			const last = Buffer.alloc(1);
			await fh.read(last, 0, 1, size - 1);
			if (last[0] !== 0x0a) prefix = '\n';
		}
		await fh.appendFile(`${prefix}${knownHostsHostString(host, port)} ${keyType} ${keyBlob.toString('base64')}\n`);
	} finally {
		await fh.close();
	}
}
