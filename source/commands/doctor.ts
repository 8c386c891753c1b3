/** `os-console doctor`: preflight checks of every node before installing. */
import { openProfile } from '../console/open-profile.js';
import { runDoctor } from '../doctor/doctor.js';
import { EXIT_FAILED, EXIT_OK, parseFlags, reportError, requireProfileFlag } from './common.js';

export const usage = `Usage: os-console doctor --profile NAME_OR_PATH [--json] [--no-repository] [--accept-new] [--known-hosts FILE]

Checks each node over SSH: reachable and authenticated, root or working sudo, OS and release, CPU
virtualization, memory, cores and free disk against the guide's minimums, host names resolving to the
profile's management addresses, clock offsets between nodes, the provider interface (present, no address)
and the package repository. Each finding says pass / warn / fail, why, and the fix.

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
				'accept-new': { type: 'boolean' },
				'known-hosts': { type: 'string', multiple: true },
			},
			'doctor',
		);
		const { engine } = await openProfile(requireProfileFlag(flags.profile, 'doctor'), {
			hostKeys: { mode: flags['accept-new'] ? 'accept-new' : 'strict', knownHostsFiles: flags['known-hosts'] },
		});
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
