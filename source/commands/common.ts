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
 * Print an error the way operators need it (what is wrong, what to do) and return the exit code. Every
 * secret value this process loaded is masked: a message may quote a command, a file or a server's answer.
 */
export function reportError(error: unknown): number {
	if (error instanceof UsageError || error instanceof ProfileError || error instanceof RunbookError) {
		process.stderr.write(`os-console: ${maskSecrets(error.message)}\n`);
		return EXIT_USAGE;
	}
	process.stderr.write(`os-console: ${maskSecrets(error instanceof Error ? error.message : String(error))}\n`);
	return EXIT_FAILED;
}

/** A crash report (an error nobody expected): the message and stack with every known secret masked. */
export function crashReport(error: unknown): string {
	const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
	return maskSecrets(text);
}
