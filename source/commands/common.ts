/**
 * Shared pieces of the headless commands: flag parsing with clear errors, exit codes, where a command
 * writes, and opening a profile with the host-key flags.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import type { HostKeyPolicy, OpenedProfile } from '../console/open-profile.js';
import type { StepRunner } from '../engine/engine.js';
import { maskSecrets, ProfileError } from '../profile/store.js';
import { RunbookError } from '../runbook/registry.js';
import { errorMessage } from '../util/error-message.js';

// Every command parses its profile, the runbook and the progress once: zod's JIT (a compiled parser per schema,
// built on first use) costs more than it saves for one parse each; jitless took getRunbook('debian12-zed') from
// ~16 to ~10 ms of the console's start (issue #8, benchmark 1). Validation is the same either way.
z.config({ jitless: true });

/** Exit codes: 0 done, 1 something requested failed, 2 bad input (flags, profile, files). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
	override name = 'UsageError';
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
	argv: string[],
	options: T,
	command: string,
	behaviour: {
		/**
		 * A stray argument may be a secret typed on the command line (`secrets --set NAME VALUE`): do not
		 * repeat it in the message.
		 */
		hidePositionals?: boolean;
	} = {},
) {
	try {
		return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
	} catch (error) {
		let message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
		if (behaviour.hidePositionals && /^Unexpected argument/.test(message)) {
			message =
				'unexpected argument without an option (not repeated here: it may be a secret). Values of secrets are read from standard input; one typed on the command line is in your shell history and was visible to ps';
		}
		throw new UsageError(`${message}\nRun "os-console ${command} --help" for the options.`);
	}
}

export function requireProfileFlag(value: unknown, command: string): string {
	if (typeof value !== 'string' || value === '') {
		throw new UsageError(
			`--profile is required: a saved profile's name or a path to a profile file.\nRun "os-console ${command} --help" for the options.`,
		);
	}
	return value;
}

/**
 * Terminal control characters from a value quoted in a message (an escape sequence in a profile field or a
 * flag) are shown escaped, so a message cannot recolour, retitle or rewrite the operator's terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function escapeControls(text: string): string {
	return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * An error as operators need it (what is wrong, what to do) and its exit code: 2 for bad input (flags,
 * profile, files, a profile another console holds), 1 otherwise. Every secret value this process loaded is
 * masked: a message may quote a command, a file or a server's answer. Commands that print through their own
 * writer use this; the others call reportError.
 */
export function describeError(error: unknown): { message: string; code: number } {
	const usage = error instanceof UsageError || error instanceof ProfileError || error instanceof RunbookError;
	const text = errorMessage(error);
	return { message: `os-console: ${escapeControls(maskSecrets(text))}`, code: usage ? EXIT_USAGE : EXIT_FAILED };
}

/** A note or warning on stderr, `os-console: TEXT`, masked and with control characters escaped. */
export function printNote(text: string): void {
	process.stderr.write(`os-console: ${escapeControls(maskSecrets(text))}\n`);
}

/** Print an error to stderr, or where `write` says (see describeError), and return the exit code. */
export function reportError(error: unknown, write: (text: string) => void = writeStderr): number {
	const { message, code } = describeError(error);
	write(`${message}\n`);
	return code;
}

function writeStdout(text: string): void {
	process.stdout.write(text);
}

function writeStderr(text: string): void {
	process.stderr.write(text);
}

/** Where a command writes and how it reaches the nodes; tests supply their own. */
export interface CommandIO {
	/** Supply a runner (tests); by default steps run over SSH. */
	runner?: StepRunner;
	stdout?: (text: string) => void;
	stderr?: (text: string) => void;
}

/** The command's output and error writers: the ones `io` gives, else the process's stdout and stderr. */
export function commandWriters(io: CommandIO): { out: (text: string) => void; err: (text: string) => void } {
	return { out: io.stdout ?? writeStdout, err: io.stderr ?? writeStderr };
}

/** Runs `work` with a signal that ctrl+c (SIGINT) aborts, so the command stops what runs and still reports. */
export async function untilInterrupted<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
	const controller = new AbortController();
	const stop = () => controller.abort();
	process.once('SIGINT', stop);
	try {
		return await work(controller.signal);
	} finally {
		process.off('SIGINT', stop);
	}
}

/** The options of a command that connects to the nodes: --accept-new and --known-hosts FILE (repeatable). */
export const HOST_KEY_FLAGS = {
	'accept-new': { type: 'boolean' },
	'known-hosts': { type: 'string', multiple: true },
} as const;

/** What those options ask for: host keys never seen before refused unless --accept-new; FILEs trusted too. */
export function hostKeyPolicy(flags: { 'accept-new'?: boolean; 'known-hosts'?: string[] }): HostKeyPolicy {
	return { mode: flags['accept-new'] ? 'accept-new' : 'strict', knownHostsFiles: flags['known-hosts'] };
}

/**
 * Opens a profile for a headless command, with the host-key policy of its flags and the runner `io` gives,
 * and writes each warning about the profile to the command's stderr (masked, control characters escaped:
 * a warning may quote a profile field). `lock: false` for a command that changes nothing the console keeps
 * (see OpenOptions.lock in console/open-profile.ts); by default the profile's lock is taken when steps run over SSH.
 */
export async function openProfileForCommand(
	profileArg: string,
	flags: { 'accept-new'?: boolean; 'known-hosts'?: string[] },
	io: CommandIO,
	options: { lock?: boolean } = {},
): Promise<OpenedProfile> {
	// Loaded here, not at the top: it brings the engine and every runbook, which --help and the commands
	// that never open a profile do not need.
	const { openProfile } = await import('../console/open-profile.js');
	const opened = await openProfile(profileArg, {
		hostKeys: hostKeyPolicy(flags),
		runner: io.runner,
		...(options.lock === undefined ? {} : { lock: options.lock }),
	});
	for (const warning of opened.warnings) {
		commandWriters(io).err(`os-console: warning: ${escapeControls(maskSecrets(warning))}\n`);
	}
	return opened;
}

/** A crash report (an error nobody expected): the message and stack with every known secret masked. */
export function crashReport(error: unknown): string {
	const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
	return maskSecrets(text);
}
