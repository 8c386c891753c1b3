/** `os-console doctor`: preflight checks of every node before installing. */
import { runDoctor } from '../doctor/doctor.js';
import {
	EXIT_FAILED,
	EXIT_OK,
	HOST_KEY_FLAGS,
	openProfileForCommand,
	parseFlags,
	reportError,
	requireProfileFlag,
} from './common.js';

export const usage = `Usage: os-console doctor --profile NAME_OR_PATH [--json] [--no-repository] [--accept-new] [--known-hosts FILE]

Checks each node over SSH: reachable and authenticated, root or working sudo, OS and release, CPU
virtualization, memory, cores and free disk against the guide's minimums, host names resolving to the
profile's management addresses, clock offsets between nodes, the provider interface (present, no address)
and the package repository. Each finding says pass / warn / fail, why, and the fix.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --json                  print the findings as one JSON document
  --no-repository         skip the package repository check
  --accept-new            accept and record host keys of hosts never seen before (in the file the
                          profile's ssh.knownHostsFile names; default: the console's known_hosts)
  --known-hosts FILE      also trust the host keys in FILE (repeatable)

Exit codes: 0 no failure (warnings allowed), 1 a check failed, 2 bad flags or profile.`;

const SYMBOL = { pass: '✔', warn: '!', fail: '✘' } as const;

export async function run(argv: string[]): Promise<number> {
	let close: (() => Promise<void>) | undefined;
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				json: { type: 'boolean' },
				'no-repository': { type: 'boolean' },
				...HOST_KEY_FLAGS,
			},
			'doctor',
		);
		const { engine } = await openProfileForCommand(requireProfileFlag(flags.profile, 'doctor'), flags, {});
		close = () => engine.close();
		const report = await runDoctor(engine, { checkRepository: !flags['no-repository'] });
		if (flags.json) {
			process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
		} else {
			const width = Math.max(...report.findings.map((f) => f.node.length));
			for (const f of report.findings) {
				process.stdout.write(`${SYMBOL[f.status]} ${f.node.padEnd(width)}  ${f.check}: ${f.why}\n`);
				if (f.fix && f.status !== 'pass') process.stdout.write(`  ${' '.repeat(width)}  fix: ${f.fix}\n`);
			}
			const count = (s: string) => report.findings.filter((f) => f.status === s).length;
			process.stdout.write(`\n${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed\n`);
		}
		return report.ok ? EXIT_OK : EXIT_FAILED;
	} catch (error) {
		return reportError(error);
	} finally {
		await close?.();
	}
}
