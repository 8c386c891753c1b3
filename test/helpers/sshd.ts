/**
 * A private OpenSSH sshd for tests (see /work/shared/reference/sshd-test-harness-notes.md).
 *
 * Runs `/usr/sbin/sshd -D` as a child of the test process with its own host key, client key, authorized_keys and
 * config in a temp dir, listening on up to 16 loopback addresses on one random free port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
	type HostKeyPrompt,
	NodeSession,
	type NodeSessionOptions,
	type NodeTarget,
	type SecretKind,
	type SessionCallbacks,
} from '../../source/ssh/node-session.js';

export const SSHD_BIN = '/usr/sbin/sshd';

export interface TestUserSpec {
	name: string;
	/** Password set with chpasswd (through stdin). */
	password?: string;
	/** sudo rights: 'nopasswd' (NOPASSWD: ALL), 'password' (ALL, asks the password), 'none'. */
	sudo?: 'nopasswd' | 'password' | 'none';
}

export interface StartSshdOptions {
	/** Loopback addresses to listen on (max 16). Default ['127.0.0.1']. */
	addresses?: string[];
	/** Allow password authentication (for non-root test users). Default false. */
	passwordAuth?: boolean;
	/** Test users to create (idempotent) before starting; removed again by stop(). */
	users?: TestUserSpec[];
	/**
	 * Serve root logins with this file as root's ~/.bashrc: sshd runs in its own mount namespace (unshare -m) with
	 * the file bind-mounted over /root/.bashrc, so its sessions start like a fresh node's, whatever this machine's
	 * root has there (bench/: this machine's runs pyenv init, ~110 ms per exec channel). Nothing outside changes.
	 */
	rootBashrc?: string;
}

export interface TestSshd {
	port: number;
	/** First address. */
	host: string;
	addresses: string[];
	pid: number;
	dir: string;
	hostKeyPath: string;
	/** OpenSSH public key line of the host key: `ssh-ed25519 AAAA... comment`. */
	hostPublicKey: string;
	/** Private key (no passphrase) whose public half is in authorized_keys (root and all test users). */
	clientKeyPath: string;
	logPath: string;
	/** known_hosts line for this sshd at `address` (default host): `[addr]:port ssh-ed25519 AAAA...`. */
	knownHostsLine(address?: string): string;
	/** SIGKILL the per-connection sshd processes (not the listener). Returns how many were killed. */
	killConnectionChildren(): Promise<number>;
	stop(): Promise<void>;
}

function run(cmd: string, args: string[], input?: string): string {
	return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

async function freePort(addresses: string[]): Promise<number> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const port = await new Promise<number>((resolve, reject) => {
			const srv = net.createServer();
			srv.once('error', reject);
			srv.listen(0, addresses[0], () => {
				const addr = srv.address();
				srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
			});
		});
		let allFree = true;
		for (const a of addresses.slice(1)) {
			const ok = await new Promise<boolean>((resolve) => {
				const srv = net.createServer();
				srv.once('error', () => resolve(false));
				srv.listen(port, a, () => srv.close(() => resolve(true)));
			});
			if (!ok) allFree = false;
		}
		if (allFree && port > 0) return port;
	}
	throw new Error('could not find a free port');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the sudo binary exists (tests needing it skip otherwise). */
export function hasSudo(): boolean {
	return ['/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo'].some((p) => existsSync(p));
}

function withPasswdLockRetry(fn: () => void): void {
	for (let i = 0; ; i++) {
		try {
			fn();
			return;
		} catch (err) {
			const msg = String((err as { stderr?: string }).stderr ?? err);
			if (i < 20 && /lock|try again/i.test(msg)) {
				execFileSync('sleep', ['0.1']);
				continue;
			}
			throw err;
		}
	}
}

/**
 * Create (or update) a local non-root user with a home, optional password and sudo rights. Idempotent.
 * The password goes through chpasswd's stdin, never argv.
 */
export function ensureTestUser(spec: TestUserSpec): void {
	if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(spec.name)) throw new Error(`bad user name ${spec.name}`);
	let exists = true;
	try {
		run('id', ['-u', spec.name]);
	} catch {
		exists = false;
	}
	if (!exists) withPasswdLockRetry(() => run('useradd', ['-m', '-s', '/bin/sh', spec.name]));
	if (spec.password !== undefined) {
		const pw = spec.password;
		withPasswdLockRetry(() => run('chpasswd', [], `${spec.name}:${pw}\n`));
	} else {
		// useradd leaves the account locked ('!'), and sshd (UsePAM no) refuses even key logins to locked
		// accounts: '*' means "no password" without locking.
		withPasswdLockRetry(() => run('usermod', ['-p', '*', spec.name]));
	}
	const sudoersFile = `/etc/sudoers.d/osc-test-${spec.name}`;
	if (spec.sudo && spec.sudo !== 'none') {
		const rule = spec.sudo === 'nopasswd' ? `${spec.name} ALL=(ALL) NOPASSWD: ALL\n` : `${spec.name} ALL=(ALL) ALL\n`;
		const tmp = `${sudoersFile}.tmp`;
		execFileSync('sh', ['-c', 'umask 0337 && cat > "$1"', 'sh', tmp], { input: rule });
		run('visudo', ['-cf', tmp]);
		execFileSync('mv', [tmp, sudoersFile]);
	} else {
		execFileSync('rm', ['-f', sudoersFile]);
	}
}

export function removeTestUser(name: string): void {
	execFileSync('rm', ['-f', `/etc/sudoers.d/osc-test-${name}`]);
	try {
		withPasswdLockRetry(() => run('userdel', ['-r', '-f', name]));
	} catch {
		// already gone, or processes still running as the user: leave it
	}
}

interface ProcInfo {
	pid: number;
	ppid: number;
	comm: string;
}

function listProcs(): ProcInfo[] {
	const out: ProcInfo[] = [];
	for (const d of readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
			const open = stat.indexOf('(');
			const close = stat.lastIndexOf(')');
			const fields = stat.slice(close + 2).split(' ');
			if (fields[0] === 'Z') continue;
			out.push({ pid: Number(d), ppid: Number(fields[1]), comm: stat.slice(open + 1, close) });
		} catch {
			// process vanished
		}
	}
	return out;
}

export async function startSshd(opts: StartSshdOptions = {}): Promise<TestSshd> {
	const addresses = opts.addresses ?? ['127.0.0.1'];
	if (addresses.length === 0 || addresses.length > 16) throw new Error('1..16 addresses per sshd');
	for (const a of addresses) if (!a.startsWith('127.')) throw new Error(`test sshd must listen on loopback: ${a}`);
	await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });

	const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'osc-sshd-'));
	// Test users must be able to read authorized_keys (sshd reads it with the user's uid).
	await fs.chmod(dir, 0o755);
	const hostKeyPath = path.join(dir, 'hostkey');
	const clientKeyPath = path.join(dir, 'client_key');
	run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'osc-test-host', '-f', hostKeyPath]);
	run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'osc-test-client', '-f', clientKeyPath]);
	const hostPublicKey = (await fs.readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
	const authorizedKeys = path.join(dir, 'authorized_keys');
	await fs.copyFile(`${clientKeyPath}.pub`, authorizedKeys);
	await fs.chmod(authorizedKeys, 0o644);

	const createdUsers: string[] = [];
	for (const u of opts.users ?? []) {
		ensureTestUser(u);
		createdUsers.push(u.name);
	}

	const logPath = path.join(dir, 'sshd.log');
	const cfgPath = path.join(dir, 'sshd_config');
	let child: ChildProcess | undefined;
	let port = 0;
	for (let attempt = 0; attempt < 5 && !child; attempt++) {
		port = await freePort(addresses);
		const cfg = [
			`Port ${port}`,
			...addresses.map((a) => `ListenAddress ${a}`),
			`HostKey ${hostKeyPath}`,
			`AuthorizedKeysFile ${authorizedKeys}`,
			'PermitRootLogin prohibit-password',
			`PasswordAuthentication ${opts.passwordAuth ? 'yes' : 'no'}`,
			'KbdInteractiveAuthentication no',
			'UsePAM no',
			'StrictModes no',
			'MaxStartups 200:30:400',
			'MaxSessions 200',
			'MaxAuthTries 10',
			`PidFile ${path.join(dir, 'sshd.pid')}`,
			'LogLevel VERBOSE',
			'UseDNS no',
			'PrintMotd no',
			'Subsystem sftp internal-sftp',
			'',
		].join('\n');
		await fs.writeFile(cfgPath, cfg, { mode: 0o600 });
		await fs.writeFile(logPath, '');
		const sshdArgs = ['-D', '-f', cfgPath, '-E', logPath];
		// unshare execs sh, sh execs sshd: the child's pid is sshd's either way.
		const c = opts.rootBashrc
			? spawn(
					'unshare',
					[
						'-m',
						'sh',
						'-c',
						'mount --bind "$1" /root/.bashrc && shift && exec "$@"',
						'sh',
						opts.rootBashrc,
						SSHD_BIN,
						...sshdArgs,
					],
					{ stdio: 'ignore' },
				)
			: spawn(SSHD_BIN, sshdArgs, { stdio: 'ignore' });
		let exited = false;
		c.once('exit', () => {
			exited = true;
		});
		// Wait for "Server listening on <addr> port <port>" for every address (not merely "port accepts": another
		// process might own the port), or for the child to die (port taken: retry with another one).
		const deadline = Date.now() + 10_000;
		let ready = false;
		while (!exited && Date.now() < deadline) {
			const log = await fs.readFile(logPath, 'utf8').catch(() => '');
			if (addresses.every((a) => log.includes(`Server listening on ${a} port ${port}.`))) {
				ready = true;
				break;
			}
			if (/Bind to port .* failed|Cannot bind any address/.test(log)) break;
			await sleep(20);
		}
		if (ready) {
			child = c;
		} else {
			c.kill('SIGKILL');
			if (attempt === 4) {
				const log = await fs.readFile(logPath, 'utf8').catch(() => '');
				throw new Error(`sshd did not start:\n${log}`);
			}
		}
	}
	if (!child?.pid) throw new Error('sshd did not start');
	const sshd = child;
	const listenerPid = child.pid as number;
	// Make sure the port really accepts.
	for (const a of addresses) {
		await new Promise<void>((resolve, reject) => {
			const s = net.connect({ host: a, port }, () => {
				s.destroy();
				resolve();
			});
			s.once('error', reject);
		});
	}

	const [keyType, keyB64] = hostPublicKey.split(' ');
	let stopped = false;
	return {
		port,
		host: addresses[0] as string,
		addresses,
		pid: listenerPid,
		dir,
		hostKeyPath,
		hostPublicKey,
		clientKeyPath,
		logPath,
		knownHostsLine(address = addresses[0] as string) {
			return `[${address}]:${port} ${keyType} ${keyB64}`;
		},
		killConnectionChildren,
		async stop() {
			if (stopped) return;
			stopped = true;
			await killConnectionChildren();
			const exited = new Promise<void>((resolve) => {
				if (sshd.exitCode !== null || sshd.signalCode !== null) resolve();
				else sshd.once('exit', () => resolve());
			});
			sshd.kill('SIGTERM');
			await Promise.race([exited, sleep(3000)]);
			if (sshd.exitCode === null && sshd.signalCode === null) sshd.kill('SIGKILL');
			for (const u of createdUsers) removeTestUser(u);
			await fs.rm(dir, { recursive: true, force: true });
		},
	};
	async function killConnectionChildren(): Promise<number> {
		const procs = listProcs();
		const children = new Map<number, ProcInfo[]>();
		for (const p of procs) {
			const list = children.get(p.ppid) ?? [];
			list.push(p);
			children.set(p.ppid, list);
		}
		// every sshd process below the listener serves a connection (monitor and session child)
		const victims: number[] = [];
		const walk = (pid: number) => {
			for (const c of children.get(pid) ?? []) {
				if (c.comm.startsWith('sshd')) victims.push(c.pid);
				walk(c.pid);
			}
		};
		walk(listenerPid);
		for (const pid of victims) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}
		return victims.length;
	}
}

export interface SessionRecorder {
	hostKeyPrompts: HostKeyPrompt[];
	secretPrompts: SecretKind[];
	states: string[];
}

export interface SessionForOptions {
	address?: string;
	user?: string;
	auth?: NodeTarget['auth'];
	sudo?: boolean;
	name?: string;
	/** Default: a file holding knownHostsLine(address). */
	knownHostsFiles?: string[];
	acceptedKnownHostsFile?: string;
	verifyHostKey?: SessionCallbacks['verifyHostKey'];
	secrets?: Partial<Record<SecretKind, string>>;
	options?: Partial<NodeSessionOptions>;
}

let sessionCounter = 0;

/** A NodeSession to the test sshd, with recording callbacks. Host key known by default. */
export async function sessionFor(
	sshd: TestSshd,
	o: SessionForOptions = {},
): Promise<{ session: NodeSession; rec: SessionRecorder }> {
	const address = o.address ?? sshd.host;
	const n = ++sessionCounter;
	let knownHostsFiles = o.knownHostsFiles;
	if (!knownHostsFiles) {
		const f = path.join(sshd.dir, `known_hosts.${n}`);
		await fs.writeFile(f, `${sshd.knownHostsLine(address)}\n`);
		knownHostsFiles = [f];
	}
	const rec: SessionRecorder = { hostKeyPrompts: [], secretPrompts: [], states: [] };
	const session = new NodeSession(
		{
			name: o.name ?? `node-${address}`,
			host: address,
			port: sshd.port,
			user: o.user ?? 'root',
			auth: o.auth ?? { type: 'key', keyFile: sshd.clientKeyPath },
			sudo: o.sudo ?? false,
		},
		{
			verifyHostKey: async (info) => {
				rec.hostKeyPrompts.push(info);
				return o.verifyHostKey ? o.verifyHostKey(info) : false;
			},
			askSecret: async (kind) => {
				rec.secretPrompts.push(kind);
				return o.secrets?.[kind];
			},
			onStateChange: (state) => {
				rec.states.push(state);
			},
		},
		{
			knownHostsFiles,
			acceptedKnownHostsFile: o.acceptedKnownHostsFile ?? path.join(sshd.dir, `accepted_known_hosts.${n}`),
			connectTimeoutMs: 10_000,
			keepaliveIntervalMs: 2_000,
			reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 20_000 },
			...o.options,
		},
	);
	return { session, rec };
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
	return freePort(['127.0.0.1']);
}

/** `ssh-keygen -lf` fingerprint of a public key file. */
export function sshKeygenFingerprint(pubFile: string): string {
	const out = run('ssh-keygen', ['-lf', pubFile]);
	const fp = out.split(' ')[1];
	if (!fp) throw new Error(`unexpected ssh-keygen -lf output: ${out}`);
	return fp;
}
