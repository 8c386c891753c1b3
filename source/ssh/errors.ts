/** Typed SSH errors: every failure the console shows carries what went wrong and what to do about it. */

export type SshErrorCode =
	| 'unreachable'
	| 'dns'
	| 'auth-failed'
	| 'key-passphrase-needed'
	| 'host-key-changed'
	| 'host-key-rejected'
	| 'connection-closed'
	| 'channel-failed'
	| 'sudo-password-needed'
	| 'sudo-failed';

/** Codes worth retrying automatically (the node may come back); the others need a human. */
const RETRIABLE: ReadonlySet<SshErrorCode> = new Set(['unreachable', 'dns', 'connection-closed', 'channel-failed']);

export class SshError extends Error {
	readonly code: SshErrorCode;
	/** Node name (profile name), when known. */
	readonly node: string | undefined;
	/** 'connect': establishing the connection failed (after any retries); 'session': an established one failed. */
	readonly phase: 'connect' | 'session';

	constructor(
		code: SshErrorCode,
		message: string,
		options: { node?: string; cause?: unknown; phase?: 'connect' | 'session' } = {},
	) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'SshError';
		this.code = code;
		this.node = options.node;
		this.phase = options.phase ?? 'session';
	}

	get retriable(): boolean {
		return RETRIABLE.has(this.code);
	}
}

export function isSshError(err: unknown, code?: SshErrorCode): err is SshError {
	return err instanceof SshError && (code === undefined || err.code === code);
}

/** POSIX single-quote a string for sh. */
export function shQuote(s: string): string {
	return `'${s.replace(/'/g, `'\\''`)}'`;
}
