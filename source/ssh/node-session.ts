/**
 * One SSH connection per node (ssh2 `Client`), reused by every operation, with host key checking against
 * known_hosts, key / agent / password authentication, sudo wrapping and reconnection with backoff.
 *
 * ProxyJump: with `target.jump`, the session first connects to each jump host in turn (each with its own host
 * key check, through the same callbacks, and its own authentication), opens a direct-tcpip channel from the last
 * one to the target (`forwardOut`, as `ssh -W` does) and runs the target's SSH connection over that channel. A
 * reconnect rebuilds the whole chain; losing a jump host loses the target connection, which then reconnects.
 */
import { promises as fs } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, Client as SshClient } from 'ssh2';
import ssh2 from 'ssh2';
import { SshError, type SshErrorCode, shQuote } from './errors.js';
import {
	checkHostKey,
	fingerprintSha256,
	keyTypeOfBlob,
	knownHostsHostString,
	recordKnownHost,
	sshKeygenRemoveCommand,
} from './known-hosts.js';

export { SshError, type SshErrorCode } from './errors.js';

export type NodeAuth = { type: 'key'; keyFile: string } | { type: 'agent' } | { type: 'password' };

/** A ProxyJump hop (see ssh-config.ts for how the console builds the chain from ~/.ssh/config). */
export interface JumpHost {
	/** The hop as written (ProxyJump value or Host alias), for messages. */
	label: string;
	host: string;
	port: number;
	user: string;
	/** Private keys offered to this hop, in order; missing or unreadable files are skipped. */
	identityFiles: string[];
	/** Also offer the agent's keys (when SSH_AUTH_SOCK or agentSocket is set). */
	useAgent: boolean;
	/** known_hosts files for this hop besides the session's (UserKnownHostsFile). */
	knownHostsFiles?: string[];
	/** Look host keys up (and record them) under this name instead of host (HostKeyAlias). */
	hostKeyAlias?: string;
	/** Where this hop's accepted key is recorded; default: the session's acceptedKnownHostsFile. */
	acceptedKnownHostsFile?: string;
	/** Record this hop's accepted key with a hashed host name (ssh config HashKnownHosts yes). */
	hashKnownHosts?: boolean;
}

export interface NodeTarget {
	name: string;
	host: string;
	port: number;
	user: string;
	auth: NodeAuth;
	/** true: a non-root user elevates with sudo (ignored when user is root). */
	sudo: boolean;
	/** The profile's host when it was an ssh config alias for `host` (messages only). */
	alias?: string;
	/**
	 * More private keys to offer after the agent (ssh config IdentityFile), for agent authentication: missing or
	 * unreadable files are skipped, encrypted ones ask for their passphrase when they are tried.
	 */
	identityFiles?: string[];
	/** Offer only identityFiles, not the agent's keys (IdentitiesOnly yes; agent auth with identity files). */
	identitiesOnly?: boolean;
	/** known_hosts files for this target besides the session's (UserKnownHostsFile). */
	knownHostsFiles?: string[];
	/** HostKeyAlias. */
	hostKeyAlias?: string;
	/** Where the node's accepted key is recorded; default: the session's acceptedKnownHostsFile. */
	acceptedKnownHostsFile?: string;
	/** Record the accepted key with a hashed host name (ssh config HashKnownHosts yes). */
	hashKnownHosts?: boolean;
	/** ProxyJump chain, first hop first. */
	jump?: JumpHost[];
}

export type SecretKind = 'passphrase' | 'password' | 'sudo-password';
export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'failed';

export interface HostKeyPrompt {
	node: string;
	/** Set when the key is a jump host's on the way to the node: the hop as written. */
	jumpHost?: string;
	host: string;
	port: number;
	keyType: string;
	fingerprint: string;
	status: 'unknown' | 'changed';
	expected?: string[];
}

export interface SessionCallbacks {
	/** Host key decisions (only asked for unknown keys; changed keys are refused without asking). */
	verifyHostKey(info: HostKeyPrompt): Promise<boolean>;
	/** Asked once per kind, the answer is cached in memory only (and forgotten when it turns out wrong). */
	askSecret(kind: SecretKind, node: string): Promise<string | undefined>;
	onStateChange?(state: SessionState, detail?: string): void;
	/** Something the operator should know that does not stop the connection (an accepted key not recorded). */
	onWarning?(message: string): void;
}

export interface ReconnectOptions {
	/** First delay before a reconnect attempt. Default 250 ms. */
	initialDelayMs?: number;
	/** Delay cap (doubling). Default 10 s. */
	maxDelayMs?: number;
	/** Give up after this many attempts. Default: unlimited (bounded by maxTotalMs). */
	maxAttempts?: number;
	/** Give up after this much time since the connection was lost. Default 120 s. */
	maxTotalMs?: number;
}

export interface NodeSessionOptions {
	knownHostsFiles: string[];
	/**
	 * Where keys accepted through verifyHostKey are recorded, unless the target or hop names its own file (also
	 * consulted when checking, like every file keys are recorded in).
	 */
	acceptedKnownHostsFile: string;
	/** SSH keepalive interval. Default 10 s; the connection is declared dead after keepaliveCountMax misses. */
	keepaliveIntervalMs?: number;
	keepaliveCountMax?: number;
	/** TCP connect + handshake + authentication time limit (time spent in prompts not counted). Default 20 s. */
	connectTimeoutMs?: number;
	reconnect?: ReconnectOptions;
	/** Agent socket for auth type 'agent'. Default: $SSH_AUTH_SOCK. */
	agentSocket?: string;
}

export interface ExecOptions {
	stdin?: string | Buffer;
	/**
	 * Hold stdin back until this settles (the channel opens and the command starts meanwhile): resolved, stdin is
	 * written; rejected, stdin is closed without it. The engine's start save overlaps the channel this way.
	 */
	stdinAfter?: Promise<unknown>;
	onStdout?(chunk: Buffer): void;
	onStderr?(chunk: Buffer): void;
	signal?: AbortSignal;
}

export interface ExecResult {
	/** Exit status, or null when the remote process was killed by a signal. */
	code: number | null;
	/** e.g. 'SIGTERM' */
	signal?: string;
}

/** Marker line separating a (possibly unconsumed) sudo password line from the command's stdin. */
export const SUDO_STDIN_MARKER = 'OSC-STDIN-BEGIN';

type SudoMode = { kind: 'none' } | { kind: 'nopasswd' } | { kind: 'password'; password: string };

const sleep = (ms: number, signal?: AbortSignal) =>
	new Promise<void>((resolve) => {
		const t = setTimeout(resolve, ms);
		signal?.addEventListener(
			'abort',
			() => {
				clearTimeout(t);
				resolve();
			},
			{ once: true },
		);
	});

function abortError(signal: AbortSignal): Error {
	const reason = signal.reason;
	if (reason instanceof Error) return reason;
	const e = new Error('The operation was aborted');
	e.name = 'AbortError';
	return e;
}

interface ConnectErrorContext {
	hostKeyError?: SshError;
	authError?: SshError;
	tried: string[];
	serverMethods?: string[];
}

/** One host of a connection chain: the target, or a jump host on the way. */
interface Endpoint {
	host: string;
	port: number;
	user: string;
	/** Name host keys are checked and recorded under (HostKeyAlias or host). */
	keyHost: string;
	knownHostsFiles: string[];
	/** Where an accepted key is recorded, and whether with a hashed host name. */
	recordIn: string;
	hashKnownHosts: boolean;
	/** "node controller" or "jump host bastion (for node controller)". */
	what: string;
	/** Set for jump hosts. */
	jumpLabel?: string;
}

/** An authentication method to offer, loaded when its turn comes (a key file may ask for its passphrase then). */
interface AuthItem {
	label: string;
	wire: AuthenticationType;
	method?: AnyAuthMethod;
	load?: () => Promise<AnyAuthMethod | undefined>;
}

/**
 * Load ssh2 now. The bundle loads it on first use (scripts/bundle.mjs: LAZY_SSH2), which is the first connection:
 * 30-80 ms of compiling and running its modules between the operator's key and the step's start. The console
 * calls this once its first frame is drawn, while it waits for keys.
 */
export function preloadSsh2(): void {
	void ssh2.Client;
}

export class NodeSession {
	readonly target: NodeTarget;
	private readonly callbacks: SessionCallbacks;
	private readonly options: NodeSessionOptions;
	private client: SshClient | undefined;
	private connecting: Promise<void> | undefined;
	private everConnected = false;
	private closedByUser = false;
	private closeController = new AbortController();
	private _state: SessionState = 'disconnected';
	private readonly secrets = new Map<SecretKind, string>();
	private readonly secretPrompts = new Map<SecretKind, Promise<string | undefined>>();
	private sudoModeCache: Promise<SudoMode> | undefined;

	constructor(target: NodeTarget, callbacks: SessionCallbacks, options: NodeSessionOptions) {
		this.target = target;
		this.callbacks = callbacks;
		this.options = options;
	}

	get name(): string {
		return this.target.name;
	}

	get state(): SessionState {
		return this._state;
	}

	get isConnected(): boolean {
		return this.client !== undefined && this._state === 'connected';
	}

	/** True once close()/destroy() was called: no more (re)connects. */
	get isClosed(): boolean {
		return this.closedByUser;
	}

	private get where(): string {
		const via = this.target.jump?.length ? ` via ${this.target.jump.map((j) => j.label).join(', ')}` : '';
		return `${this.target.user}@${this.target.host}:${this.target.port} (node ${this.target.name}${via})`;
	}

	private setState(state: SessionState, detail?: string): void {
		this._state = state;
		try {
			this.callbacks.onStateChange?.(state, detail);
		} catch {
			// a UI callback must not break the connection logic
		}
	}

	private warn(message: string): void {
		try {
			this.callbacks.onWarning?.(message);
		} catch {
			// a UI callback must not break the connection logic
		}
	}

	private err(code: SshErrorCode, message: string, cause?: unknown): SshError {
		return new SshError(code, message, { node: this.target.name, cause });
	}

	// ---------------------------------------------------------------- secrets

	private async secret(kind: SecretKind): Promise<string | undefined> {
		const cached = this.secrets.get(kind);
		if (cached !== undefined) return cached;
		// concurrent callers share one prompt
		let p = this.secretPrompts.get(kind);
		if (!p) {
			p = this.callbacks.askSecret(kind, this.target.name);
			this.secretPrompts.set(kind, p);
		}
		try {
			const v = await p;
			if (v !== undefined) this.secrets.set(kind, v);
			return v;
		} finally {
			this.secretPrompts.delete(kind);
		}
	}

	private forgetSecret(kind: SecretKind): void {
		this.secrets.delete(kind);
	}

	// ------------------------------------------------------------- connecting

	/** Connect if not connected: the first connection is one attempt; after a loss, reconnects with backoff. */
	async ensureConnected(): Promise<void> {
		if (this.closedByUser) {
			throw new SshError('connection-closed', `the session to ${this.where} was closed by the console`, {
				node: this.target.name,
				phase: 'connect',
			});
		}
		if (this.isConnected) return;
		if (!this.connecting) {
			this.connecting = (this.everConnected ? this.reconnectLoop() : this.firstConnect())
				.catch((e: unknown) => {
					// mark as a connect failure: callers must not treat it as "lost while running" and retry
					throw e instanceof SshError && e.phase !== 'connect'
						? new SshError(e.code, e.message, { node: e.node, cause: e.cause, phase: 'connect' })
						: e;
				})
				.finally(() => {
					this.connecting = undefined;
				});
		}
		return this.connecting;
	}

	/** Alias of ensureConnected(). */
	connect(): Promise<void> {
		return this.ensureConnected();
	}

	private async firstConnect(): Promise<void> {
		this.setState('connecting');
		try {
			await this.connectOnce();
		} catch (err) {
			this.setState('failed', (err as Error).message);
			throw err;
		}
	}

	private async reconnectLoop(): Promise<void> {
		const r = this.options.reconnect ?? {};
		const initial = r.initialDelayMs ?? 250;
		const maxDelay = r.maxDelayMs ?? 10_000;
		const maxAttempts = r.maxAttempts ?? Number.POSITIVE_INFINITY;
		const maxTotal = r.maxTotalMs ?? 120_000;
		const started = Date.now();
		let delay = initial;
		let lastErr: unknown;
		for (let attempt = 1; attempt <= maxAttempts; attempt++) {
			if (this.closedByUser) break;
			this.setState(
				'reconnecting',
				attempt === 1 ? 'connection lost' : `attempt ${attempt}: ${(lastErr as Error | undefined)?.message ?? ''}`,
			);
			try {
				await this.connectOnce();
				return;
			} catch (err) {
				lastErr = err;
				if (!(err instanceof SshError) || !err.retriable) {
					this.setState('failed', (err as Error).message);
					throw err;
				}
			}
			const elapsed = Date.now() - started;
			if (elapsed + delay > maxTotal) break;
			await sleep(delay, this.closeController.signal);
			delay = Math.min(delay * 2, maxDelay);
		}
		if (this.closedByUser) {
			throw this.err('connection-closed', `the session to ${this.where} was closed by the console`);
		}
		const e =
			lastErr instanceof SshError
				? this.err(
						lastErr.code,
						`lost the connection to ${this.where} and could not reconnect: ${lastErr.message}`,
						lastErr,
					)
				: this.err('connection-closed', `lost the connection to ${this.where} and could not reconnect`, lastErr);
		this.setState('failed', e.message);
		throw e;
	}

	private agentSocket(): string | undefined {
		return this.options.agentSocket ?? process.env.SSH_AUTH_SOCK;
	}

	/**
	 * A key file offered when its turn comes (ssh config IdentityFile): a missing or unusable file is skipped (as
	 * ssh does), an encrypted one asks for its passphrase (remembered per file for this session).
	 */
	private optionalKey(file: string, user: string): AuthItem {
		return {
			label: `publickey (${file})`,
			wire: 'publickey',
			load: async () => {
				let data: Buffer;
				try {
					data = await fs.readFile(file);
				} catch {
					return undefined;
				}
				const parsed = ssh2.utils.parseKey(data);
				if (!(parsed instanceof Error)) return { type: 'publickey', username: user, key: data };
				if (!/passphrase/i.test(parsed.message)) return undefined;
				let passphrase = this.keyPassphrases.get(file);
				passphrase ??= await this.callbacks.askSecret('passphrase', this.target.name);
				if (passphrase === undefined) return undefined;
				if (ssh2.utils.parseKey(data, passphrase) instanceof Error) {
					this.keyPassphrases.delete(file);
					return undefined;
				}
				this.keyPassphrases.set(file, passphrase);
				return { type: 'publickey', username: user, key: data, passphrase };
			},
		};
	}

	private readonly keyPassphrases = new Map<string, string>();

	private async prepareAuth(): Promise<AuthItem[]> {
		const { auth, user } = this.target;
		if (auth.type === 'key') {
			let data: Buffer;
			try {
				data = await fs.readFile(auth.keyFile);
			} catch (err) {
				throw this.err(
					'auth-failed',
					`cannot read the SSH private key ${auth.keyFile} for node ${this.target.name}: ${(err as Error).message}. Check the key path in the profile.`,
					err,
				);
			}
			let parsed = ssh2.utils.parseKey(data);
			let passphrase: string | undefined;
			if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
				passphrase = await this.secret('passphrase');
				if (passphrase === undefined) {
					throw this.err(
						'key-passphrase-needed',
						`the SSH key ${auth.keyFile} is encrypted: enter its passphrase (or load it into ssh-agent and use agent authentication).`,
					);
				}
				parsed = ssh2.utils.parseKey(data, passphrase);
				if (parsed instanceof Error) {
					this.forgetSecret('passphrase');
					throw this.err(
						'key-passphrase-needed',
						`the passphrase for the SSH key ${auth.keyFile} is wrong (${parsed.message}); enter it again.`,
					);
				}
			} else if (parsed instanceof Error) {
				throw this.err(
					'auth-failed',
					`cannot use ${auth.keyFile} as an SSH private key: ${parsed.message}. Point the profile at the private key (not the .pub file).`,
				);
			}
			const m: AnyAuthMethod = { type: 'publickey', username: user, key: data };
			if (passphrase !== undefined) m.passphrase = passphrase;
			return [{ label: `publickey (${auth.keyFile})`, wire: 'publickey', method: m }];
		}
		if (auth.type === 'agent') {
			const sock = this.agentSocket();
			const files = this.target.identityFiles ?? [];
			const items: AuthItem[] = [];
			if (sock && !(this.target.identitiesOnly && files.length > 0)) {
				items.push({
					label: `agent (${sock})`,
					wire: 'publickey',
					method: { type: 'agent', username: user, agent: sock },
				});
			}
			for (const file of files) items.push(this.optionalKey(file, user));
			if (items.length === 0) {
				throw this.err(
					'auth-failed',
					`agent authentication for node ${this.target.name} needs a running ssh-agent, but SSH_AUTH_SOCK is not set. Start ssh-agent and ssh-add your key, or use a key file in the profile (or an IdentityFile for this host in ~/.ssh/config).`,
				);
			}
			return items;
		}
		const password = await this.secret('password');
		if (password === undefined) {
			throw this.err('auth-failed', `no SSH password was given for ${this.where}; enter it when asked.`);
		}
		return [
			{ label: 'password', wire: 'password', method: { type: 'password', username: user, password } },
			{
				label: 'keyboard-interactive',
				wire: 'keyboard-interactive',
				method: {
					type: 'keyboard-interactive',
					username: user,
					prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
				},
			},
		];
	}

	/** A jump host authenticates with keys only: its IdentityFiles, then the agent. */
	private prepareJumpAuth(hop: JumpHost): AuthItem[] {
		const items = hop.identityFiles.map((file) => this.optionalKey(file, hop.user));
		const sock = this.agentSocket();
		if (hop.useAgent && sock) {
			items.push({
				label: `agent (${sock})`,
				wire: 'publickey',
				method: { type: 'agent', username: hop.user, agent: sock },
			});
		}
		if (items.length === 0) {
			throw this.err(
				'auth-failed',
				`no key to offer to the jump host ${hop.label} (${hop.user}@${hop.host}:${hop.port}) on the way to node ${this.target.name}: give it an IdentityFile in ~/.ssh/config, or start ssh-agent with its key.`,
			);
		}
		return items;
	}

	private targetEndpoint(): Endpoint {
		const { host, port, user, name } = this.target;
		return {
			host,
			port,
			user,
			keyHost: this.target.hostKeyAlias ?? host,
			knownHostsFiles: this.target.knownHostsFiles ?? [],
			recordIn: this.target.acceptedKnownHostsFile ?? this.options.acceptedKnownHostsFile,
			hashKnownHosts: this.target.hashKnownHosts ?? false,
			what: `node ${name}`,
		};
	}

	private jumpEndpoint(hop: JumpHost): Endpoint {
		return {
			host: hop.host,
			port: hop.port,
			user: hop.user,
			keyHost: hop.hostKeyAlias ?? hop.host,
			knownHostsFiles: hop.knownHostsFiles ?? [],
			recordIn: hop.acceptedKnownHostsFile ?? this.options.acceptedKnownHostsFile,
			hashKnownHosts: hop.hashKnownHosts ?? false,
			what: `jump host ${hop.label} (for node ${this.target.name})`,
			jumpLabel: hop.label,
		};
	}

	private async verifyHost(key: Buffer, ep: Endpoint): Promise<boolean> {
		const { keyHost, port, what } = ep;
		const name = this.target.name;
		const keyType = keyTypeOfBlob(key) ?? 'unknown';
		const fingerprint = fingerprintSha256(key);
		const files = [
			...new Set([
				...this.options.knownHostsFiles,
				...ep.knownHostsFiles,
				this.options.acceptedKnownHostsFile,
				ep.recordIn,
			]),
		];
		const res = await checkHostKey(files, keyHost, port, keyType, key);
		if (res.status === 'known') return true;
		if (res.status === 'changed') {
			const expected = res.expectedFingerprints.length > 0 ? res.expectedFingerprints.join(', ') : '(none)';
			const why = res.revoked
				? `the key it offers (${keyType} ${fingerprint}) is marked @revoked in ${res.file} line ${res.line}`
				: `it offers ${keyType} ${fingerprint}, but ${res.file} line ${res.line} expects ${expected}`;
			throw this.err(
				'host-key-changed',
				`REFUSING to connect to ${what} (${knownHostsHostString(keyHost, port)}): its host key CHANGED — ${why}. ` +
					`This happens when the ${ep.jumpLabel ? 'host' : 'node'} was reinstalled, or when someone intercepts the connection. If you know it was reinstalled, remove the old key with: ${sshKeygenRemoveCommand(keyHost, port, res.file)} and connect again.`,
			);
		}
		const prompt: HostKeyPrompt = { node: name, host: keyHost, port, keyType, fingerprint, status: 'unknown' };
		if (ep.jumpLabel) prompt.jumpHost = ep.jumpLabel;
		const ok = await this.callbacks.verifyHostKey(prompt);
		if (!ok) {
			throw this.err(
				'host-key-rejected',
				`the host key of ${what} (${knownHostsHostString(keyHost, port)}, ${keyType} ${fingerprint}) was not accepted, so the console did not connect. ` +
					`Compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-/, '').replace(/^ecdsa-sha2-.*/, 'ecdsa')}_key.pub\` on ${ep.jumpLabel ? 'that host' : 'the node'} and accept it if it matches.`,
			);
		}
		try {
			// hashed when HashKnownHosts says so; otherwise recordKnownHost follows the file's own style
			await recordKnownHost(ep.recordIn, keyHost, port, keyType, key, ep.hashKnownHosts ? { hash: true } : {});
		} catch (error) {
			// As ssh does ("Failed to add the host to the list of known hosts"): the operator accepted the key, so
			// the connection goes on, with a warning; the next connection asks again.
			this.warn(
				`the host key of ${what} was accepted but not recorded in ${ep.recordIn} (${(error as Error).message}); it will be asked for again. Check that file, or choose another with the profile's ssh.knownHostsFile.`,
			);
		}
		return true;
	}

	private mapConnectError(
		err: Error & { level?: string; code?: string },
		ctx: ConnectErrorContext,
		ep: Endpoint,
	): SshError {
		if (ctx.hostKeyError) return ctx.hostKeyError;
		if (ctx.authError) return ctx.authError;
		const { host, port, user, what } = ep;
		const name = what;
		const hp = `${host}:${port}`;
		const code = err.code ?? '';
		if (err.level === 'client-authentication') {
			if (this.target.auth.type === 'password' && !ep.jumpLabel) this.forgetSecret('password');
			const offered = ctx.serverMethods?.length ? ` The server accepts: ${ctx.serverMethods.join(', ')}.` : '';
			return this.err(
				'auth-failed',
				`authentication as "${user}" on ${name} (${hp}) failed; tried: ${ctx.tried.join(', ') || 'nothing'}.${offered} ` +
					`Check the user name, and that the key's public half is in ~${user}/.ssh/authorized_keys on ${ep.jumpLabel ? 'that host' : 'the node'} (or the password).`,
				err,
			);
		}
		if (
			err.level === 'client-dns' ||
			['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'].includes(code)
		) {
			return this.err(
				'dns',
				`cannot resolve the host name "${host}" of ${name} (${code || err.message}). Check the name in the profile${this.target.alias || ep.jumpLabel ? ' or ~/.ssh/config' : ''}, /etc/hosts or DNS — or use an IP address.`,
				err,
			);
		}
		if (code === 'ECONNREFUSED') {
			return this.err(
				'unreachable',
				`${name}: connection to ${hp} refused. Is sshd running there, and is the port right?`,
				err,
			);
		}
		if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ETIMEDOUT', 'EADDRNOTAVAIL'].includes(code)) {
			return this.err(
				'unreachable',
				`${name}: cannot reach ${hp} (${code}). Check that it is up, the address is right and no firewall blocks port ${port}.`,
				err,
			);
		}
		if (err.level === 'client-timeout') {
			return this.err(
				'unreachable',
				`${name}: ${hp} did not answer in time (${err.message}). Check that it is up and reachable.`,
				err,
			);
		}
		return this.err(
			'connection-closed',
			`${name}: the connection to ${hp} was closed during the SSH handshake/authentication (${err.message}). ` +
				'The server may limit connections (MaxStartups), or a firewall or TCP wrapper drops them; try again.',
			err,
		);
	}

	/** One SSH handshake + authentication, directly or over `sock` (a channel of the previous jump host). */
	private openClient(ep: Endpoint, items: AuthItem[], sock?: Duplex): Promise<SshClient> {
		const timeoutMs = this.options.connectTimeoutMs ?? 20_000;
		const client = new ssh2.Client();
		const ctx: ConnectErrorContext = { tried: [] };
		return new Promise<SshClient>((resolve, reject) => {
			let settled = false;
			let timer: NodeJS.Timeout | undefined;
			const stopTimer = () => {
				if (timer) clearTimeout(timer);
				timer = undefined;
			};
			const fail = (e: SshError) => {
				if (settled) return;
				settled = true;
				stopTimer();
				client.destroy();
				reject(e);
			};
			const startTimer = () => {
				stopTimer();
				if (timeoutMs > 0) {
					timer = setTimeout(
						() =>
							fail(
								this.err(
									'unreachable',
									`${ep.what}: no SSH session with ${ep.host}:${ep.port} within ${timeoutMs} ms. Check that it is up and sshd answers.`,
								),
							),
						timeoutMs,
					);
				}
			};
			client.on('ready', () => {
				if (settled) return;
				settled = true;
				stopTimer();
				// Nagle's algorithm held each small channel request until the previous packet's (delayed) ACK: ~40 ms
				// on every exec channel, i.e. on every step and check (bench/: 3 ms per `true` with it off, 40 ms
				// with it on). Over a jump host the socket is a channel: nothing to set.
				client.setNoDelay(true);
				resolve(client);
			});
			client.on('error', (e: Error & { level?: string; code?: string }) => {
				if (!settled) fail(this.mapConnectError(e, ctx, ep));
			});
			client.on('close', () => {
				if (!settled) fail(this.mapConnectError(new Error('connection closed'), ctx, ep));
			});
			const queue = [...items];
			startTimer();
			const config: ssh2.ConnectConfig = {
				host: ep.host,
				port: ep.port,
				username: ep.user,
				readyTimeout: 0, // our own timer, paused while a human answers a prompt
				keepaliveInterval: this.options.keepaliveIntervalMs ?? 10_000,
				keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
				hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
					stopTimer();
					this.verifyHost(key, ep).then(
						(ok) => {
							if (!settled) startTimer();
							verify(ok);
						},
						(e: unknown) => {
							ctx.hostKeyError =
								e instanceof SshError
									? e
									: this.err('host-key-rejected', `host key check failed: ${(e as Error).message}`, e);
							verify(false);
						},
					);
				},
				authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next) => {
					if (methodsLeft) ctx.serverMethods = methodsLeft;
					const give = (method: AnyAuthMethod | false) =>
						(next as unknown as (v: AnyAuthMethod | false) => void)(method);
					const advance = (): void => {
						while (queue.length > 0) {
							const item = queue.shift()!;
							if (methodsLeft && !methodsLeft.includes(item.wire)) continue;
							if (item.method) {
								ctx.tried.push(item.label);
								give(item.method);
								return;
							}
							if (item.load) {
								// a key file may ask for its passphrase: the clock stops meanwhile
								stopTimer();
								item.load().then(
									(method) => {
										if (settled) return;
										startTimer();
										if (!method) return advance();
										ctx.tried.push(item.label);
										give(method);
									},
									(e: unknown) => {
										ctx.authError = e instanceof SshError ? e : this.err('auth-failed', (e as Error).message, e);
										fail(ctx.authError);
									},
								);
								return;
							}
						}
						give(false);
					};
					advance();
				},
			};
			if (sock) config.sock = sock;
			try {
				client.connect(config);
			} catch (e) {
				fail(this.mapConnectError(e as Error, ctx, ep));
			}
		});
	}

	/** A direct-tcpip channel from a jump host to the next host (what `ssh -W host:port` asks for). */
	private forward(via: SshClient, hop: JumpHost, host: string, port: number): Promise<Duplex> {
		return new Promise((resolve, reject) => {
			try {
				via.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
					if (err) {
						reject(
							this.err(
								'unreachable',
								`the jump host ${hop.label} (${hop.host}:${hop.port}) could not open a connection to ${host}:${port} for node ${this.target.name} (${err.message}). Check that ${host} is reachable from the jump host, and that its sshd allows TCP forwarding (AllowTcpForwarding).`,
								err,
							),
						);
						return;
					}
					resolve(stream);
				});
			} catch (e) {
				reject(this.err('connection-closed', `the connection to the jump host ${hop.label} closed`, e));
			}
		});
	}

	private async connectOnce(): Promise<void> {
		// The target's keys first: a wrong key path is reported before anything touches the network.
		const items = await this.prepareAuth();
		const hops = this.target.jump ?? [];
		const chain: SshClient[] = [];
		let client: SshClient;
		try {
			let sock: Duplex | undefined;
			for (const [index, hop] of hops.entries()) {
				const via = await this.openClient(this.jumpEndpoint(hop), this.prepareJumpAuth(hop), sock);
				via.on('error', () => {});
				chain.push(via);
				const next = hops[index + 1] ?? this.target;
				sock = await this.forward(via, hop, next.host, next.port);
			}
			client = await this.openClient(this.targetEndpoint(), items, sock);
		} catch (error) {
			for (const c of chain.reverse()) c.destroy();
			throw error;
		}

		// connected
		let lastError: Error | undefined;
		client.on('error', (e: Error) => {
			lastError = e;
		});
		client.on('close', () => {
			for (const c of chain) c.end();
			if (this.client !== client) return;
			this.client = undefined;
			if (!this.closedByUser) this.setState('disconnected', lastError?.message ?? 'connection closed');
		});
		for (const via of chain) {
			// a jump host lost: the channel under the target connection is gone with it
			via.on('close', () => client.destroy());
		}
		if (this.closedByUser) {
			client.end();
			throw this.err('connection-closed', `the session to ${this.where} was closed by the console`);
		}
		this.client = client;
		this.everConnected = true;
		this.setState('connected');
	}

	// ------------------------------------------------------------------- exec

	/**
	 * Run `command` on ONE exec channel, streaming output. With sudo (non-root user) the command runs as
	 * root through `sudo` (password, if needed, as the first stdin line: never on argv).
	 */
	async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
		if (opts.signal?.aborted) throw abortError(opts.signal);
		await this.ensureConnected();
		const mode = await this.sudoMode();
		if (mode.kind === 'none') return this.execRaw(command, opts);

		const userStdin = opts.stdin === undefined ? Buffer.alloc(0) : Buffer.from(opts.stdin);
		let remote: string;
		let stdin: Buffer;
		if (mode.kind === 'nopasswd') {
			// -n: never prompt (and never read our stdin as a password); fails fast if a password becomes needed
			remote = `sudo -n sh -c ${shQuote(command)}`;
			stdin = userStdin;
		} else {
			// sudo reads the password line byte by byte; if it did not need it (cached credentials), the
			// inner loop discards it: everything up to the marker line never reaches the command.
			const inner = `while IFS= read -r l; do [ "$l" = ${SUDO_STDIN_MARKER} ] && break; done; exec sh -c ${shQuote(command)}`;
			remote = `sudo -S -p '' sh -c ${shQuote(inner)}`;
			stdin = Buffer.concat([Buffer.from(`${mode.password}\n${SUDO_STDIN_MARKER}\n`), userStdin]);
		}
		let errHead = '';
		const res = await this.execRaw(remote, {
			...opts,
			stdin,
			onStderr: (chunk) => {
				if (errHead.length < 512) errHead += chunk.toString('utf8');
				opts.onStderr?.(chunk);
			},
		});
		if (res.code === 1 && /^(sudo: [^\n]*\n)*sudo: a (terminal is required|password is required)/.test(errHead)) {
			this.sudoModeCache = undefined;
			throw this.err(
				'sudo-password-needed',
				`sudo on node ${this.target.name} now asks for the password of "${this.target.user}"; run again to enter it, or allow NOPASSWD for this user.`,
			);
		}
		if (res.code === 1 && /^(sudo: [^\n]*\n)*(Sorry, try again|sudo: \d+ incorrect password)/.test(errHead)) {
			this.sudoModeCache = undefined;
			this.forgetSecret('sudo-password');
			throw this.err(
				'sudo-failed',
				`sudo on node ${this.target.name} rejected the password of "${this.target.user}"; enter it again.`,
			);
		}
		return res;
	}

	/** How commands are elevated, probed once per session (sudo -n true; then validate the password). */
	private sudoMode(): Promise<SudoMode> {
		if (!this.target.sudo || this.target.user === 'root') return Promise.resolve({ kind: 'none' });
		if (!this.sudoModeCache) {
			const p = this.probeSudo();
			this.sudoModeCache = p;
			p.catch(() => {
				if (this.sudoModeCache === p) this.sudoModeCache = undefined;
			});
		}
		return this.sudoModeCache;
	}

	private async capture(
		command: string,
		stdin?: string,
	): Promise<{ code: number | null; stdout: string; stderr: string }> {
		let stdout = '';
		let stderr = '';
		const opts: ExecOptions = {
			onStdout: (c) => {
				stdout += c.toString('utf8');
			},
			onStderr: (c) => {
				stderr += c.toString('utf8');
			},
		};
		if (stdin !== undefined) opts.stdin = stdin;
		const r = await this.execRaw(command, opts);
		return { code: r.code, stdout, stderr };
	}

	private async probeSudo(): Promise<SudoMode> {
		const { user, name } = this.target;
		const probe = await this.capture('sudo -n true');
		if (probe.code === 0) return { kind: 'nopasswd' };
		const msg = probe.stderr.trim();
		if (probe.code === 127 || /not found/.test(msg)) {
			throw this.err(
				'sudo-failed',
				`sudo is not installed on node ${name} (user "${user}" needs it to act as root). Install sudo there, or connect as root.`,
			);
		}
		if (!/password is required|terminal is required/.test(msg)) {
			throw this.err(
				'sudo-failed',
				`user "${user}" cannot use sudo on node ${name}: ${msg || `sudo exited ${probe.code}`}. Add a sudoers rule (e.g. "${user} ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/) or connect as root.`,
			);
		}
		const password = await this.secret('sudo-password');
		if (password === undefined) {
			throw this.err(
				'sudo-password-needed',
				`sudo on node ${name} asks for the password of "${user}": enter it when asked (kept in memory only), or allow "${user}" to use sudo without a password (NOPASSWD in /etc/sudoers.d/).`,
			);
		}
		if (password.includes('\n')) {
			this.forgetSecret('sudo-password');
			throw this.err('sudo-failed', 'a sudo password cannot contain a newline');
		}
		const check = await this.capture(`sudo -S -p '' true`, `${password}\n`);
		if (check.code === 0) return { kind: 'password', password };
		this.forgetSecret('sudo-password');
		if (/incorrect password|Sorry, try again/.test(check.stderr)) {
			throw this.err('sudo-failed', `sudo on node ${name} rejected the password of "${user}"; enter it again.`);
		}
		throw this.err(
			'sudo-failed',
			`sudo on node ${name} failed for "${user}": ${check.stderr.trim() || `exit ${check.code}`}. Check the sudoers rules on the node.`,
		);
	}

	/**
	 * Run exactly `command` (no sudo wrapping) on a new exec channel. When the channel could not even be opened
	 * (the connection was dying: the command never started), reconnect and try again.
	 */
	private async execRaw(command: string, opts: ExecOptions): Promise<ExecResult> {
		for (let attempt = 1; ; attempt++) {
			try {
				await this.ensureConnected();
				return await this.execChannel(command, opts);
			} catch (err) {
				if (attempt >= 4 || !this.notStarted.has(err as Error) || this.closedByUser) throw err;
			}
		}
	}

	private readonly notStarted = new WeakSet<Error>();

	private execChannel(command: string, opts: ExecOptions): Promise<ExecResult> {
		const client = this.client;
		if (!client || !this.isConnected) {
			const e = this.err('connection-closed', `not connected to ${this.where}`);
			this.notStarted.add(e);
			return Promise.reject(e);
		}
		return new Promise<ExecResult>((resolve, reject) => {
			let done = false;
			let channel: ClientChannel | undefined;
			const onAbort = () => {
				if (channel) {
					try {
						channel.signal('TERM');
					} catch {}
					channel.close();
				}
				finish(() => reject(abortError(opts.signal as AbortSignal)));
			};
			const finish = (fn: () => void) => {
				if (done) return;
				done = true;
				opts.signal?.removeEventListener('abort', onAbort);
				fn();
			};
			opts.signal?.addEventListener('abort', onAbort, { once: true });
			try {
				client.exec(command, (err, stream) => {
					if (err) {
						const closed = !this.isConnected || /No response|Not connected/i.test(err.message);
						const e = closed
							? this.err('connection-closed', `the connection to ${this.where} closed while opening a channel`, err)
							: this.err(
									'channel-failed',
									`node ${this.target.name}: the server refused a new session channel (${err.message}); it may limit sessions (MaxSessions).`,
									err,
								);
						if (closed) this.notStarted.add(e);
						finish(() => reject(e));
						return;
					}
					channel = stream;
					if (done) {
						stream.close();
						return;
					}
					let exit: ExecResult | undefined;
					let pending = 2; // channel close + stderr close: all output delivered
					const closed = () => {
						if (--pending > 0) return;
						finish(() => {
							if (exit) resolve(exit);
							else
								reject(
									this.err('connection-closed', `the connection to ${this.where} was lost while a command was running`),
								);
						});
					};
					stream.on('data', (d: Buffer) => opts.onStdout?.(d));
					stream.stderr.on('data', (d: Buffer) => opts.onStderr?.(d));
					stream.on('exit', (code: number | null, signal?: string) => {
						exit = signal ? { code: code ?? null, signal } : { code: code ?? null };
					});
					stream.on('close', closed);
					stream.stderr.on('close', closed);
					stream.on('error', () => {});
					stream.stderr.on('error', () => {});
					const writeStdin = () => {
						if (opts.stdin !== undefined && opts.stdin.length > 0) stream.end(opts.stdin);
						else stream.end();
					};
					if (opts.stdinAfter) opts.stdinAfter.then(writeStdin, () => stream.end());
					else writeStdin();
				});
			} catch (e) {
				const err = this.err('connection-closed', `not connected to ${this.where}`, e);
				this.notStarted.add(err);
				finish(() => reject(err));
			}
		});
	}

	// ---------------------------------------------------------------- closing

	/** Close the connection gracefully; the session will not reconnect. */
	async close(): Promise<void> {
		this.closedByUser = true;
		this.closeController.abort();
		const c = this.client;
		this.client = undefined;
		if (c) {
			await new Promise<void>((resolve) => {
				const t = setTimeout(() => {
					c.destroy();
					resolve();
				}, 2000);
				c.once('close', () => {
					clearTimeout(t);
					resolve();
				});
				c.end();
			});
		}
		this.setState('disconnected', 'closed');
	}

	/** Drop the TCP connection at once (like a killed console); the session will not reconnect. */
	destroy(): void {
		this.closedByUser = true;
		this.closeController.abort();
		const c = this.client;
		this.client = undefined;
		c?.destroy();
		this._state = 'disconnected';
	}
}
