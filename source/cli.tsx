#!/usr/bin/env node
/**
 * os-console: the one entry point. `os-console` alone opens the interactive console; the other commands
 * run headless. Every command module returns its exit code; this is the only place that exits.
 */
// Only the command table here: each command's code (and the runbooks, zod, ink, ssh2 behind it) is imported when
// that command runs, so `--version`, `--help` and every command start without loading what they do not use.
import { COMMANDS } from './commands/index.js';

const VERSION = '0.1.0';

function help(): string {
	const width = Math.max(...COMMANDS.map((c) => c.name.length));
	return [
		'os-console: install OpenStack on your machines over SSH, section by section, the way the install guide does it.',
		'',
		'Usage: os-console [command] [options]',
		'',
		'Commands:',
		...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
		'',
		'Run "os-console COMMAND --help" for the options of a command.',
		'Profiles, progress, logs and the journal live in $OS_CONSOLE_HOME (default ~/.config/os-console).',
	].join('\n');
}

async function main(argv: string[]): Promise<number> {
	// React's development mode costs time on every frame; the console is never in development here.
	process.env.NODE_ENV ??= 'production';
	const [first, ...rest] = argv;
	if (first === '--help' || first === '-h' || first === 'help') {
		process.stdout.write(`${help()}\n`);
		return 0;
	}
	if (first === '--version' || first === '-v') {
		process.stdout.write(`${VERSION}\n`);
		return 0;
	}
	const named = first && !first.startsWith('-') ? COMMANDS.find((c) => c.name === first) : undefined;
	if (first && !first.startsWith('-') && !named) {
		process.stderr.write(`os-console: unknown command "${first}"\n\n${help()}\n`);
		return 2;
	}
	const entry = named ?? COMMANDS.find((c) => c.name === 'console')!;
	const args = named ? rest : argv;
	// Ink reads CI/CONTINUOUS_INTEGRATION once, at import, and then draws only the last frame on exit: an operator
	// whose shell exports CI=true (build hosts, CI runners used as jump hosts) would stare at a blank terminal. With a
	// real terminal attached, the console is interactive whatever those variables say.
	if (process.stdout.isTTY && process.stdin.isTTY) {
		delete process.env.CI;
		delete process.env.CONTINUOUS_INTEGRATION;
	}
	const module = await entry.load();
	if (args.includes('--help') || args.includes('-h')) {
		process.stdout.write(`${module.usage}\n`);
		return 0;
	}
	return module.run(args);
}

// `os-console status | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
	stream.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
		throw error;
	});
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	async (error: unknown) => {
		const report = await import('./commands/common.js').then(
			(common) => common.crashReport(error),
			() => (error instanceof Error ? (error.stack ?? error.message) : String(error)),
		);
		process.stderr.write(`os-console: ${report}\n`);
		process.exitCode = 1;
	},
);
