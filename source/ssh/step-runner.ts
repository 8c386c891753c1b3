/**
 * The engine's StepRunner over SSH: one NodeSession per node, reused by every step; each step is one
 * detached run (remote-run.ts) that survives dropped connections and console restarts.
 *
 * A node's `host` is looked up in the operator's ssh config (ssh-config.ts: Host aliases, HostName, User, Port,
 * IdentityFile, UserKnownHostsFile, HostKeyAlias, HashKnownHosts, ProxyJump), as `ssh HOST` would; the profile's
 * port and user win when they are not the defaults 22 and root.
 *
 * Accepted host keys are recorded where the profile's `ssh.knownHostsFile` says (acceptedKeysFile below).
 */
import os from 'node:os';
import path from 'node:path';
import type { AttachRequest, RunOutcome, StepRunner, StepRunRequest } from '../engine/engine.js';
import type { PromptQueue } from '../engine/prompts.js';
import type { NodeConnection } from '../engine/types.js';
import type { KnownHostsFileSetting, Profile, ProfileNode } from '../profile/schema.js';
import { consoleHome } from '../profile/store.js';
import { isSshError } from './errors.js';
import { type JumpHost, NodeSession, type NodeSessionOptions, type NodeTarget } from './node-session.js';
import {
	type AttachOptions,
	attach,
	type RunOutcome as RemoteOutcome,
	type RunDetachedOptions,
	runDetached,
} from './remote-run.js';
import {
	expandHome,
	explicitFromProfile,
	type ResolvedEndpoint,
	type ResolvedHost,
	SshConfigResolver,
} from './ssh-config.js';

export interface SshStepRunnerOptions {
	profile: Profile;
	prompts?: PromptQueue;
	hostKeys: { mode: 'ask' | 'strict' | 'accept-new'; knownHostsFiles?: string[] };
	session?: Partial<NodeSessionOptions>;
	/**
	 * The ssh config file to honour; null: none. Default: $OS_CONSOLE_SSH_CONFIG (`none` for none), else
	 * ~/.ssh/config. Tests always pass it.
	 */
	sshConfig?: string | null;
}

/**
 * The NodeTarget for a profile node after the ssh config: the address to connect to, port, user, extra identity
 * and known_hosts files, and the jump chain. Jump hosts are offered their own IdentityFiles, then the node's key
 * file (the same key is often authorized on the bastion), then the agent's keys (unless IdentitiesOnly).
 */
export function nodeTarget(
	node: ProfileNode,
	resolved: ResolvedHost,
	knownHostsFile: KnownHostsFileSetting = 'console',
): NodeTarget {
	const target: NodeTarget = {
		name: node.name,
		host: resolved.hostName,
		port: resolved.port,
		user: resolved.user,
		auth: node.auth,
		sudo: node.sudo,
	};
	if (resolved.hostName !== node.host) target.alias = node.host;
	if (node.auth.type === 'agent' && resolved.identityFiles.length > 0) {
		target.identityFiles = resolved.identityFiles;
		target.identitiesOnly = resolved.identitiesOnly;
	}
	if (resolved.knownHostsFiles.length > 0) target.knownHostsFiles = resolved.knownHostsFiles;
	if (resolved.hostKeyAlias) target.hostKeyAlias = resolved.hostKeyAlias;
	// 'console' is the session's own default file: the target names a file only for the other settings
	if (knownHostsFile !== 'console') target.acceptedKnownHostsFile = acceptedKeysFile(knownHostsFile, resolved);
	if (resolved.hashKnownHosts) target.hashKnownHosts = true;
	if (resolved.jumps.length > 0) {
		target.jump = resolved.jumps.map((hop): JumpHost => {
			const files = [...hop.identityFiles];
			if (node.auth.type === 'key' && !hop.identitiesOnly && !files.includes(node.auth.keyFile))
				files.push(node.auth.keyFile);
			const jump: JumpHost = {
				label: hop.alias,
				host: hop.hostName,
				port: hop.port,
				user: hop.user,
				identityFiles: files,
				useAgent: !(hop.identitiesOnly && hop.identityFiles.length > 0),
				knownHostsFiles: hop.knownHostsFiles,
			};
			if (knownHostsFile !== 'console') jump.acceptedKnownHostsFile = acceptedKeysFile(knownHostsFile, hop);
			if (hop.hostKeyAlias) jump.hostKeyAlias = hop.hostKeyAlias;
			if (hop.hashKnownHosts) jump.hashKnownHosts = true;
			return jump;
		});
	}
	return target;
}

export function userKnownHostsFile(): string {
	return path.join(os.homedir(), '.ssh', 'known_hosts');
}

export function acceptedKnownHostsFile(): string {
	return path.join(consoleHome(), 'known_hosts');
}

/**
 * The file an accepted key of `endpoint` is recorded in, by the profile's `ssh.knownHostsFile`: the console's
 * known_hosts; `user`: the first UserKnownHostsFile of the ssh config for that host (as ssh writes there), else
 * ~/.ssh/known_hosts; or the path given.
 */
export function acceptedKeysFile(setting: KnownHostsFileSetting, endpoint: ResolvedEndpoint): string {
	if (setting === 'console') return acceptedKnownHostsFile();
	if (setting === 'user') return endpoint.knownHostsFiles[0] ?? userKnownHostsFile();
	return path.resolve(expandHome(setting));
}

/** What a run in flight hears of its node's connection. */
type RunListener = Pick<StepRunRequest, 'onConnection' | 'onStderr'>;

/** The options of runDetached and attach that come from the engine's request the same way. */
type RemoteCommon = Pick<
	AttachOptions & RunDetachedOptions,
	'runId' | 'timeoutMs' | 'signal' | 'onStdout' | 'onStderr' | 'onReconnecting' | 'onReattached'
>;

function mapOutcome(outcome: RemoteOutcome): RunOutcome {
	switch (outcome.kind) {
		case 'exited':
			if (outcome.runnerError) throw new Error(`the runner on the node failed: ${outcome.runnerError}`);
			return { kind: 'exited', code: outcome.code };
		case 'no-trace':
			return { kind: 'no-trace' };
		case 'signaled':
			return { kind: 'signaled', signal: outcome.signal };
		case 'timeout':
			return { kind: 'timeout' };
		case 'cancelled':
			return { kind: 'cancelled', code: outcome.code };
	}
}

export class SshStepRunner implements StepRunner {
	/** The launch channel opens while the engine saves the step's start; the payload waits for the save. */
	readonly holdsUntilSaved = true;
	/** Output chunks are ssh2 channel stream 'data' chunks (or copies the follower made): never reused. */
	readonly handsOverChunks = true;
	private readonly sessions = new Map<string, NodeSession>();
	/** The runs in flight, per node (several steps may share one connection): told of its states and warnings. */
	private readonly listeners = new Map<string, Set<RunListener>>();
	private resolver: SshConfigResolver | undefined;

	constructor(private readonly options: SshStepRunnerOptions) {}

	/** The node as the ssh config resolves it (the config file is read once per runner). */
	resolve(node: ProfileNode): ResolvedHost {
		this.resolver ??= new SshConfigResolver(
			this.options.sshConfig === undefined ? {} : { file: this.options.sshConfig },
		);
		return this.resolver.resolve(node.host, explicitFromProfile(node));
	}

	session(node: ProfileNode): NodeSession {
		let session = this.sessions.get(node.name);
		if (session) return session;
		const { prompts, hostKeys } = this.options;
		const broadcast = (connection: NodeConnection) => {
			for (const listener of this.listeners.get(node.name) ?? []) listener.onConnection?.(connection);
		};
		// a warning goes into the output (pane, log) of the runs waiting for this connection
		const warn = (message: string) => {
			for (const listener of this.listeners.get(node.name) ?? [])
				listener.onStderr(Buffer.from(`os-console: warning: ${message}\n`));
		};
		const target = nodeTarget(node, this.resolve(node), this.options.profile.ssh?.knownHostsFile);
		const sessionOptions = {
			knownHostsFiles: [userKnownHostsFile(), ...(hostKeys.knownHostsFiles ?? [])],
			acceptedKnownHostsFile: acceptedKnownHostsFile(),
			...this.options.session,
		};
		// Where NodeSession records a key the operator trusts: the hop's or node's own file, else the session's.
		const recordedIn = (jumpHost: string | undefined) => {
			const endpoint = jumpHost === undefined ? target : target.jump?.find((hop) => hop.label === jumpHost);
			return endpoint?.acceptedKnownHostsFile ?? sessionOptions.acceptedKnownHostsFile;
		};
		session = new NodeSession(
			target,
			{
				verifyHostKey: async (info) => {
					if (hostKeys.mode === 'accept-new') return true;
					if (hostKeys.mode === 'strict' || !prompts) return false;
					return prompts.ask({
						kind: 'host-key',
						node: info.jumpHost ? `${info.node} (jump host ${info.jumpHost})` : info.node,
						host: info.host,
						port: info.port,
						keyType: info.keyType,
						fingerprint: info.fingerprint,
						knownHostsFile: recordedIn(info.jumpHost),
					});
				},
				askSecret: async (kind, nodeName) => {
					if (!prompts) return undefined;
					const what =
						kind === 'passphrase'
							? 'the passphrase of the SSH key'
							: kind === 'password'
								? 'the SSH password'
								: 'the sudo password';
					return prompts.ask({
						kind: 'secret',
						node: nodeName,
						secret: kind,
						message: `Enter ${what} for ${nodeName}`,
					});
				},
				onStateChange: (state, detail) => broadcast({ state, detail }),
				onWarning: warn,
			},
			sessionOptions,
		);
		this.sessions.set(node.name, session);
		return session;
	}

	private listen(node: ProfileNode, listener: RunListener): () => void {
		const set = this.listeners.get(node.name) ?? new Set();
		set.add(listener);
		this.listeners.set(node.name, set);
		return () => set.delete(listener);
	}

	private explain(error: unknown): never {
		if (isSshError(error, 'host-key-rejected') && this.options.hostKeys.mode === 'strict') {
			throw new Error(
				`${(error as Error).message} Without a terminal nobody can answer that question: pass --accept-new to record keys of hosts never seen before (a changed key is still refused), or give a known_hosts file with --known-hosts.`,
			);
		}
		if (!this.options.prompts) {
			if (isSshError(error, 'key-passphrase-needed')) {
				throw new Error(
					`${(error as Error).message} Headless runs cannot ask for it: load the key into ssh-agent (ssh-add) and use agent auth, or run the step in the console.`,
				);
			}
			if (isSshError(error, 'sudo-password-needed')) {
				throw new Error(
					`${(error as Error).message} Headless runs cannot ask for it: allow NOPASSWD sudo for this user on the node, log in as root, or run the step in the console.`,
				);
			}
		}
		throw error;
	}

	/**
	 * What run and attach share: the node's connection listener for the time of the call, the output and
	 * reconnection callbacks, the outcome mapping and the error explanations.
	 */
	private async remote(
		node: ProfileNode,
		request: AttachRequest | StepRunRequest,
		start: (session: NodeSession, common: RemoteCommon) => Promise<RemoteOutcome>,
	): Promise<RunOutcome> {
		const unlisten = this.listen(node, request);
		try {
			const outcome = await start(this.session(node), {
				runId: request.runId,
				timeoutMs: request.timeoutMs,
				signal: request.signal,
				onStdout: request.onStdout,
				onStderr: request.onStderr,
				onReconnecting: (detail) => request.onConnection?.({ state: 'reconnecting', detail }),
				onReattached: () => request.onConnection?.({ state: 'connected', detail: 're-attached' }),
			});
			return mapOutcome(outcome);
		} catch (error) {
			return this.explain(error);
		} finally {
			unlisten();
		}
	}

	run(node: ProfileNode, request: StepRunRequest): Promise<RunOutcome> {
		return this.remote(node, request, (session, common) =>
			runDetached(session, {
				...common,
				script: request.script,
				secretsEnv: request.secretsEnv,
				ready: request.saved,
			}),
		);
	}

	attach(node: ProfileNode, request: AttachRequest): Promise<RunOutcome> {
		return this.remote(node, request, (session, common) => attach(session, { ...common, offsets: request.offsets }));
	}

	async close(): Promise<void> {
		await Promise.all([...this.sessions.values()].map((s) => s.close()));
		this.sessions.clear();
	}
}
