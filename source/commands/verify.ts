/**
 * `os-console verify`: the verification checks of the install guide, run on their nodes and parsed, the
 * same as the console's verification panel. Results are saved with the profile; the exit code is 0 only
 * when every check run passed.
 */
import type { OpenedProfile } from '../console/open-profile.js';
import { CHECKS, planChecks, VerifySelectionError } from '../verify/checks.js';
import { runChecks } from '../verify/run.js';
import { VerifyStore } from '../verify/store.js';
import { type CheckResult, VERIFY_SECTIONS } from '../verify/types.js';
import {
	type CommandIO,
	commandWriters,
	EXIT_FAILED,
	EXIT_OK,
	HOST_KEY_FLAGS,
	openProfileForCommand,
	parseFlags,
	reportError,
	requireProfileFlag,
	UsageError,
	untilInterrupted,
} from './common.js';

export const usage = `Usage: os-console verify --profile NAME_OR_PATH [options]

Runs the install guide's verification checks on the nodes that own them and judges their output (the
OpenStack client's JSON where it has one). Each result says what decided it and, on failure, what to look
at next. Results are saved with the profile (verify.json in its state directory).

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --section ID            only this section: ${VERIFY_SECTIONS.map((s) => s.id).join(', ')}
  --check ID              only this check (ID or ID@NODE), e.g. nova.services
  --node NAME             only the checks that run on this node
  --saved                 print the saved results; run nothing
  --json                  print the results as one JSON document
  --accept-new            accept and record host keys of hosts never seen before (in the file the
                          profile's ssh.knownHostsFile names; default: the console's known_hosts)
  --known-hosts FILE      also trust the host keys in FILE (repeatable)

Checks: ${CHECKS.map((c) => c.id).join(', ')}

Exit codes: 0 every check passed, 1 a check failed (or has never run, with --saved), 2 bad flags or profile.`;

const ICON = { pass: '✔', fail: '✘' } as const;

export function formatResult(result: CheckResult): string {
	const head = `${ICON[result.status]} ${`${result.check}@${result.node}`.padEnd(34)} ${result.title}`;
	const detail = result.detail
		.split('\n')
		.map((l) => `    ${l}`)
		.join('\n');
	const hint = result.status === 'fail' && result.hint ? `\n    → ${result.hint}` : '';
	return `${head}\n${detail}${hint}`;
}

export async function verifyCommand(argv: string[], io: CommandIO = {}): Promise<number> {
	const { out, err } = commandWriters(io);
	let opened: OpenedProfile | undefined;
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				section: { type: 'string' },
				check: { type: 'string' },
				node: { type: 'string' },
				saved: { type: 'boolean' },
				json: { type: 'boolean' },
				...HOST_KEY_FLAGS,
			},
			'verify',
		);
		const profileArg = requireProfileFlag(flags.profile, 'verify');
		opened = await openProfileForCommand(profileArg, flags, io);
		const { engine } = opened;
		const selection = { section: flags.section, check: flags.check, node: flags.node };
		let instances: ReturnType<typeof planChecks>;
		try {
			instances = planChecks(engine.profile, selection);
		} catch (error) {
			if (error instanceof VerifySelectionError) throw new UsageError(error.message);
			throw error;
		}
		const store = new VerifyStore(engine.profile.name, engine.runbook.id);
		if (store.warning) err(`os-console: warning: ${store.warning}\n`);

		let results: CheckResult[];
		let neverRun: string[] = [];
		if (flags.saved) {
			results = instances.flatMap((i) => store.get(i.def.id, i.node.name) ?? []);
			neverRun = instances.filter((i) => !store.get(i.def.id, i.node.name)).map((i) => i.key);
		} else {
			results = await untilInterrupted((signal) =>
				runChecks(engine, {
					...selection,
					store,
					signal,
					onResult: (result) => {
						if (!flags.json) out(`${formatResult(result)}\n`);
					},
				}),
			);
		}
		const passed = results.filter((r) => r.status === 'pass').length;
		const failed = results.length - passed;
		const ok = failed === 0 && neverRun.length === 0 && results.length > 0;
		if (flags.json) {
			out(
				`${JSON.stringify(
					{
						ok,
						profile: engine.profile.name,
						runbook: engine.runbook.id,
						passed,
						failed,
						...(flags.saved ? { neverRun } : {}),
						results,
						file: store.file,
					},
					null,
					2,
				)}\n`,
			);
		} else {
			if (flags.saved) {
				for (const r of results) out(`${formatResult(r)}\n    (ran ${r.ranAt})\n`);
				for (const key of neverRun) out(`○ ${key.padEnd(34)} not run yet\n`);
			}
			out(
				`${results.length} check${results.length === 1 ? '' : 's'}: ${passed} passed, ${failed} failed${neverRun.length ? `, ${neverRun.length} not run yet` : ''} (saved in ${store.file})\n`,
			);
		}
		return ok ? EXIT_OK : EXIT_FAILED;
	} catch (error) {
		return reportError(error, err);
	} finally {
		await opened?.engine.close();
	}
}

export async function run(argv: string[]): Promise<number> {
	return verifyCommand(argv);
}
