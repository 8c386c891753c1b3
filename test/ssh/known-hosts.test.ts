import { execFileSync, spawnSync } from 'node:child_process';
import {
	chmodSync,
	lstatSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	realpathSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	checkHostKey,
	fingerprintSha256,
	hashHostString,
	hostFieldMatches,
	keyTypeOfBlob,
	parseKnownHosts,
	recordKnownHost,
	usesHashedHosts,
} from '../../source/ssh/known-hosts.js';
import { sshKeygenFingerprint, startSshd, type TestSshd } from '../helpers/sshd.js';

let dir: string;
interface Key {
	type: string;
	b64: string;
	blob: Buffer;
	pubFile: string;
}
const keys: Record<string, Key> = {};

function genKey(name: string, type: 'ed25519' | 'rsa' | 'ecdsa'): Key {
	const f = path.join(dir, name);
	const args = ['-q', '-t', type, '-N', '', '-C', name, '-f', f];
	if (type === 'rsa') args.push('-b', '2048');
	execFileSync('ssh-keygen', args);
	const [t, b64] = readFileSync(`${f}.pub`, 'utf8').trim().split(' ');
	return { type: t as string, b64: b64 as string, blob: Buffer.from(b64 as string, 'base64'), pubFile: `${f}.pub` };
}

function write(name: string, text: string): string {
	const f = path.join(dir, name);
	writeFileSync(f, text);
	return f;
}

const k = (name: string) => keys[name] as Key;

beforeAll(() => {
	dir = mkdtempSync(path.join(os.tmpdir(), 'osc-kh-'));
	keys.a = genKey('a', 'ed25519');
	keys.b = genKey('b', 'ed25519');
	keys.r = genKey('r', 'rsa');
	keys.e = genKey('e', 'ecdsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprintSha256', () => {
	it('equals ssh-keygen -lf for ed25519, rsa and ecdsa keys', () => {
		for (const name of ['a', 'b', 'r', 'e']) {
			expect(fingerprintSha256(k(name).blob)).toBe(sshKeygenFingerprint(k(name).pubFile));
		}
		expect(fingerprintSha256(k('a').blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
	});
	it('reads the key type from the blob', () => {
		expect(keyTypeOfBlob(k('a').blob)).toBe('ssh-ed25519');
		expect(keyTypeOfBlob(k('r').blob)).toBe('ssh-rsa');
		expect(keyTypeOfBlob(k('e').blob)).toBe('ecdsa-sha2-nistp256');
	});
});

describe('parseKnownHosts', () => {
	it('parses plain lines, comments, markers and skips garbage', () => {
		const text = [
			'# comment',
			'',
			`host1,10.0.0.1 ${k('a').type} ${k('a').b64} a comment here`,
			`@revoked * ${k('b').type} ${k('b').b64}`,
			`@cert-authority *.example.org ${k('r').type} ${k('r').b64}`,
			'@bogus x ssh-ed25519 AAAA',
			'only-two-fields ssh-ed25519',
			`[h]:2222 ${k('e').type} ${k('e').b64}\r`,
		].join('\n');
		const entries = parseKnownHosts(text, 'f');
		expect(entries.map((e) => [e.line, e.hosts, e.keyType, e.marker])).toEqual([
			[3, 'host1,10.0.0.1', 'ssh-ed25519', undefined],
			[4, '*', 'ssh-ed25519', 'revoked'],
			[5, '*.example.org', 'ssh-rsa', 'cert-authority'],
			[8, '[h]:2222', 'ecdsa-sha2-nistp256', undefined],
		]);
		expect(entries[0]?.comment).toBe('a comment here');
		expect(entries[0]?.keyBlob.equals(k('a').blob)).toBe(true);
	});
	it('matches patterns like OpenSSH (wildcards, negation, case)', () => {
		expect(hostFieldMatches('a,b,c', 'b')).toBe(true);
		expect(hostFieldMatches('*.example.org,!bad.example.org', 'Good.Example.org')).toBe(true);
		expect(hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false);
		expect(hostFieldMatches('10.0.0.?', '10.0.0.7')).toBe(true);
		expect(hostFieldMatches('10.0.0.?', '10.0.0.17')).toBe(false);
		expect(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
		expect(hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222')).toBe(false);
	});
});

describe('checkHostKey with plain entries', () => {
	it('known / unknown / changed, with ports and host lists', async () => {
		const f = write(
			'plain',
			[
				`node1,192.0.2.10 ${k('a').type} ${k('a').b64}`,
				`[node1]:2222 ${k('b').type} ${k('b').b64}`,
				`rsaonly ${k('r').type} ${k('r').b64}`,
				'',
			].join('\n'),
		);
		expect(await checkHostKey([f], 'node1', 22, 'ssh-ed25519', k('a').blob)).toMatchObject({
			status: 'known',
			line: 1,
		});
		expect(await checkHostKey([f], '192.0.2.10', 22, 'ssh-ed25519', k('a').blob)).toMatchObject({ status: 'known' });
		// port 2222 uses the [host]:port entry, which has key b
		expect(await checkHostKey([f], 'node1', 2222, 'ssh-ed25519', k('b').blob)).toMatchObject({ status: 'known' });
		const changed = await checkHostKey([f], 'node1', 2222, 'ssh-ed25519', k('a').blob);
		expect(changed).toEqual({
			status: 'changed',
			expectedFingerprints: [fingerprintSha256(k('b').blob)],
			file: f,
			line: 2,
		});
		// a port without entry is unknown, even though port 22 is known
		expect(await checkHostKey([f], 'node1', 2200, 'ssh-ed25519', k('a').blob)).toEqual({ status: 'unknown' });
		expect(await checkHostKey([f], 'other', 22, 'ssh-ed25519', k('a').blob)).toEqual({ status: 'unknown' });
		// another key type for a host known only by rsa: unknown (as OpenSSH), not changed
		expect(await checkHostKey([f], 'rsaonly', 22, 'ssh-ed25519', k('a').blob)).toEqual({ status: 'unknown' });
		// rsa-sha2-512 is a signature algorithm of an ssh-rsa key
		expect(await checkHostKey([f], 'rsaonly', 22, 'rsa-sha2-512', k('r').blob)).toMatchObject({ status: 'known' });
	});

	it('a key known in any of several files wins over a stale one; missing files are ignored', async () => {
		const stale = write('stale', `node2 ${k('a').type} ${k('a').b64}\n`);
		const fresh = write('fresh', `node2 ${k('b').type} ${k('b').b64}\n`);
		const missing = path.join(dir, 'does-not-exist');
		expect(await checkHostKey([missing, stale, fresh], 'node2', 22, 'ssh-ed25519', k('b').blob)).toMatchObject({
			status: 'known',
			file: fresh,
		});
		expect(await checkHostKey([missing, stale], 'node2', 22, 'ssh-ed25519', k('b').blob)).toMatchObject({
			status: 'changed',
			file: stale,
			line: 1,
		});
	});

	it('@revoked makes a matching key "changed"; @cert-authority lines are ignored', async () => {
		const f = write(
			'markers',
			[
				`node3 ${k('a').type} ${k('a').b64}`,
				`@revoked node3 ${k('a').type} ${k('a').b64}`,
				`@cert-authority node4 ${k('b').type} ${k('b').b64}`,
				'',
			].join('\n'),
		);
		expect(await checkHostKey([f], 'node3', 22, 'ssh-ed25519', k('a').blob)).toMatchObject({
			status: 'changed',
			revoked: true,
			line: 2,
		});
		expect(await checkHostKey([f], 'node4', 22, 'ssh-ed25519', k('b').blob)).toEqual({ status: 'unknown' });
		expect(await checkHostKey([f], 'node4', 22, 'ssh-ed25519', k('a').blob)).toEqual({ status: 'unknown' });
	});
});

describe('hashed entries made by ssh-keygen -H', () => {
	it('finds hashed hosts (port 22 and [host]:port) and detects changes', async () => {
		const f = write(
			'tohash',
			[
				`hashed-node ${k('a').type} ${k('a').b64}`,
				`[10.1.2.3]:2022 ${k('b').type} ${k('b').b64}`,
				`10.1.2.3 ${k('e').type} ${k('e').b64}`,
				'',
			].join('\n'),
		);
		execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
		const text = readFileSync(f, 'utf8');
		expect(text).not.toContain('hashed-node');
		expect(text).not.toContain('10.1.2.3');
		expect(text.match(/^\|1\|/gm)?.length).toBe(3);

		expect(await checkHostKey([f], 'hashed-node', 22, 'ssh-ed25519', k('a').blob)).toMatchObject({ status: 'known' });
		expect(await checkHostKey([f], '10.1.2.3', 2022, 'ssh-ed25519', k('b').blob)).toMatchObject({ status: 'known' });
		expect(await checkHostKey([f], '10.1.2.3', 22, 'ecdsa-sha2-nistp256', k('e').blob)).toMatchObject({
			status: 'known',
		});
		expect(await checkHostKey([f], '10.1.2.3', 2022, 'ssh-ed25519', k('a').blob)).toEqual({
			status: 'changed',
			expectedFingerprints: [fingerprintSha256(k('b').blob)],
			file: f,
			line: 2,
		});
		expect(await checkHostKey([f], 'hashed-node', 2022, 'ssh-ed25519', k('a').blob)).toEqual({ status: 'unknown' });
	});
});

describe('recordKnownHost', () => {
	it('creates dir 0700 and file 0600, appends plain lines that OpenSSH finds', async () => {
		const f = path.join(dir, 'new', 'sub', 'known_hosts');
		await recordKnownHost(f, '10.9.8.7', 2222, k('a').type, k('a').blob);
		await recordKnownHost(f, 'plainhost', 22, k('b').type, k('b').blob);
		expect(statSync(path.dirname(f)).mode & 0o777).toBe(0o700);
		expect(statSync(f).mode & 0o777).toBe(0o600);
		expect(readFileSync(f, 'utf8')).toBe(
			`[10.9.8.7]:2222 ${k('a').type} ${k('a').b64}\nplainhost ${k('b').type} ${k('b').b64}\n`,
		);
		// OpenSSH's own lookup finds both
		expect(execFileSync('ssh-keygen', ['-F', '[10.9.8.7]:2222', '-f', f], { encoding: 'utf8' })).toContain(k('a').b64);
		expect(execFileSync('ssh-keygen', ['-F', 'plainhost', '-f', f], { encoding: 'utf8' })).toContain(k('b').b64);
		expect(await checkHostKey([f], '10.9.8.7', 2222, 'ssh-ed25519', k('a').blob)).toMatchObject({ status: 'known' });
	});
	it('adds a newline when the file does not end with one', async () => {
		const f = write('nonl', `x ${k('a').type} ${k('a').b64}`);
		await recordKnownHost(f, 'y', 22, k('b').type, k('b').blob);
		expect(readFileSync(f, 'utf8').split('\n')).toHaveLength(3);
		expect(await checkHostKey([f], 'x', 22, 'ssh-ed25519', k('a').blob)).toMatchObject({ status: 'known' });
		expect(await checkHostKey([f], 'y', 22, 'ssh-ed25519', k('b').blob)).toMatchObject({ status: 'known' });
	});
});

describe('recordKnownHost: OpenSSH format, hashing, atomic replacement', () => {
	const keygenFind = (host: string, file: string) =>
		spawnSync('ssh-keygen', ['-F', host, '-f', file], { encoding: 'utf8' });

	it('hashes when the file already holds hashed entries, keeps every line, and ssh-keygen -F finds the new one', async () => {
		const f = write('hashed-existing', `# kept comment\nold-a ${k('a').type} ${k('a').b64}\n`);
		execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
		const before = readFileSync(f, 'utf8');
		expect(usesHashedHosts(before)).toBe(true);
		const result = await recordKnownHost(f, '10.20.30.40', 2200, k('b').type, k('b').blob);
		expect(result).toMatchObject({ written: true, hashed: true });
		const after = readFileSync(f, 'utf8');
		expect(after.startsWith(before)).toBe(true);
		const added = after.slice(before.length);
		expect(added).toMatch(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
		expect(added).not.toContain('10.20.30.40');
		const found = keygenFind('[10.20.30.40]:2200', f);
		expect(found.status).toBe(0);
		expect(found.stdout).toContain(k('b').b64);
		// the old hashed entry is still found too
		expect(keygenFind('old-a', f).stdout).toContain(k('a').b64);
		expect(await checkHostKey([f], '10.20.30.40', 2200, 'ssh-ed25519', k('b').blob)).toMatchObject({
			status: 'known',
		});
	});

	it('writes plain lines to a plain file unless asked to hash (HashKnownHosts)', async () => {
		const f = write('plain-existing', `plain ${k('a').type} ${k('a').b64}\n`);
		expect(usesHashedHosts(readFileSync(f, 'utf8'))).toBe(false);
		expect(await recordKnownHost(f, 'p1', 22, k('b').type, k('b').blob)).toMatchObject({ hashed: false });
		expect(await recordKnownHost(f, 'p2', 22, k('e').type, k('e').blob, { hash: true })).toMatchObject({
			hashed: true,
		});
		const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
		expect(lines[1]).toBe(`p1 ${k('b').type} ${k('b').b64}`);
		expect(lines[2]).toMatch(/^\|1\|/);
		expect(keygenFind('p2', f).stdout).toContain(k('e').b64);
		// a known hashed host string verifies with OpenSSH's HMAC: same salt, same result
		const salt = Buffer.alloc(20, 7);
		const [, , saltB64, hash] = hashHostString('p2', salt).split('|');
		expect(Buffer.from(saltB64 as string, 'base64').equals(salt)).toBe(true);
		expect(hostFieldMatches(`|1|${saltB64}|${hash}`, 'p2')).toBe(true);
		expect(hostFieldMatches(`|1|${saltB64}|${hash}`, 'p3')).toBe(false);
	});

	it('does not add a key the file already lists for that host (idempotent)', async () => {
		const f = write('idempotent', '');
		expect(await recordKnownHost(f, 'h', 2222, k('a').type, k('a').blob)).toMatchObject({ written: true });
		const once = readFileSync(f, 'utf8');
		expect(await recordKnownHost(f, 'h', 2222, k('a').type, k('a').blob)).toMatchObject({ written: false });
		expect(readFileSync(f, 'utf8')).toBe(once);
	});

	it('keeps the mode of an existing file, follows a symlink, leaves no temp file', async () => {
		const real = write('real-known-hosts', `x ${k('a').type} ${k('a').b64}\n`);
		chmodSync(real, 0o644);
		const link = path.join(dir, 'linked-known-hosts');
		symlinkSync(real, link);
		const result = await recordKnownHost(link, 'linked', 22, k('b').type, k('b').blob);
		expect(result.file).toBe(realpathSync(real));
		expect(lstatSync(link).isSymbolicLink()).toBe(true);
		expect(statSync(real).mode & 0o777).toBe(0o644);
		expect(readFileSync(real, 'utf8')).toBe(`x ${k('a').type} ${k('a').b64}\nlinked ${k('b').type} ${k('b').b64}\n`);
		expect(readdirSync(dir).filter((n) => n.includes('.osc-'))).toEqual([]);
	});

	it('many keys recorded at once (parallel nodes) all end up in the file', async () => {
		const f = path.join(dir, 'parallel', 'known_hosts');
		const hosts = Array.from({ length: 24 }, (_, i) => `node${i}`);
		await Promise.all(
			hosts.map((h, i) => recordKnownHost(f, h, 22, k(i % 2 ? 'a' : 'b').type, k(i % 2 ? 'a' : 'b').blob)),
		);
		const entries = parseKnownHosts(readFileSync(f, 'utf8'));
		expect(entries.map((e) => e.hosts).sort()).toEqual([...hosts].sort());
	});

	it('a failure to write leaves the file as it was', async () => {
		const blocker = write('not-a-dir', 'a regular file\n');
		await expect(recordKnownHost(path.join(blocker, 'known_hosts'), 'h', 22, k('a').type, k('a').blob)).rejects.toThrow(
			/not-a-dir, or a directory above it, is not a directory/,
		);
		expect(readFileSync(blocker, 'utf8')).toBe('a regular file\n');
	});
});

describe('files from ssh-keyscan against a real sshd', () => {
	let sshd: TestSshd;
	beforeAll(async () => {
		sshd = await startSshd();
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	it('plain and hashed (-H) keyscan output both verify the host key', async () => {
		const hostBlob = Buffer.from(sshd.hostPublicKey.split(' ')[1] as string, 'base64');
		for (const hashed of [false, true]) {
			const args = ['-t', 'ed25519', '-p', String(sshd.port), ...(hashed ? ['-H'] : []), sshd.host];
			const out = execFileSync('ssh-keyscan', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
			expect(out).toContain(hashed ? '|1|' : `[${sshd.host}]:${sshd.port}`);
			const f = write(hashed ? 'scan-hashed' : 'scan-plain', out);
			expect(await checkHostKey([f], sshd.host, sshd.port, 'ssh-ed25519', hostBlob)).toMatchObject({
				status: 'known',
			});
			expect(await checkHostKey([f], sshd.host, sshd.port, 'ssh-ed25519', k('a').blob)).toMatchObject({
				status: 'changed',
				expectedFingerprints: [sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`)],
			});
			expect(await checkHostKey([f], sshd.host, 22, 'ssh-ed25519', hostBlob)).toEqual({ status: 'unknown' });
		}
	});
});
