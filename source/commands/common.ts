/** Shared pieces of the headless commands: flag parsing with clear errors, and exit codes. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { maskSecrets, ProfileError } from '../profile/store.js';
import { RunbookError } from '../runbook/registry.js';

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
	const text = error instanceof Error ? error.message : String(error);
	return { message: `os-console: ${escapeControls(maskSecrets(text))}`, code: usage ? EXIT_USAGE : EXIT_FAILED };
}

/** A note or warning on stderr, `os-console: TEXT`, masked and with control characters escaped. */
export function printNote(text: string): void {
	process.stderr.write(`os-console: ${escapeControls(maskSecrets(text))}\n`);
}

/** Print an error to stderr (see describeError) and return the exit code. */
export function reportError(error: unknown): number {
	const { message, code } = describeError(error);
	process.stderr.write(`${message}\n`);
	return code;
}

/** A crash report (an error nobody expected): the message and stack with every known secret masked. */
export function crashReport(error: unknown): string {
	const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
	return maskSecrets(text);
}
