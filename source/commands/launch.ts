/**
 * `os-console launch`: the instance-launch form without the TUI. The spec (a JSON file, any field may be
 * left out) goes over the values prefilled from the profile, is validated exactly like the form (exit 2,
 * naming the field), the equivalent CLI commands are printed, and the plan runs on the controller.
 */
import fs from 'node:fs';
import type { OpenedProfile } from '../console/open-profile.js';
import { draftFromProfile } from '../launch/prefill.js';
import { describeErrors, FIELD_IDS, specToDraft, unknownPaths, validateDraft } from '../launch/spec.js';
import { type LaunchOutcome, launchPlanFor, submitLaunch } from '../launch/submit.js';
import { buildHint, RETRY_REPLACES_STUCK } from '../steps/shared/launch.js';
import { shellQuote } from '../util/shell.js';
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

export const usage = `Usage: os-console launch --profile NAME_OR_PATH [--spec launch.json] [options]

Launches an instance the way the install guide does: provider network (and for self-service a network,
subnet and router to the provider network), flavor, key pair, security group rules (ICMP, SSH) and the
server, each created only if absent, on the controller. Waits for the server to leave BUILD and prints its
addresses and console URL, or nova's fault message. A server of that name that never ran (ERROR, or BUILD
with no change for 300 s) is deleted and created again; one that has run is never touched.

The spec is JSON; every field is optional and defaults to the profile's values and the guide's names:
  { "network": "selfservice",
    "provider": { "network", "subnet", "cidr", "gateway", "poolStart", "poolEnd", "dns" },
    "selfservice": { "network", "subnet", "cidr", "gateway", "dns", "router" },
    "flavor": { "name", "vcpus", "ramMb", "diskGb" },
    "keypair": { "name", "publicKeyFile" },
    "securityGroup": { "icmp": true, "ssh": true },
    "image": "...", "instance": "..." }

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --spec FILE             the launch spec (JSON)
  --plan                  validate and print the equivalent commands; run nothing
  --yes                   do not ask for confirmation (required without a terminal)
  --timeout SEC           how long the server may stay in BUILD (default 300)
  --json                  print the outcome as JSON
  --accept-new            accept and record host keys of hosts never seen before (in the file the
                          profile's ssh.knownHostsFile names; default: the console's known_hosts)
  --known-hosts FILE      also trust the host keys in FILE (repeatable)

Exit codes: 0 the server is ACTIVE (or --plan), 1 it is not (ERROR, timeout, a command failed),
2 bad flags, profile or spec.`;

export interface LaunchIO extends CommandIO {
	/** Answer to the confirmation (tests); by default stdin is asked when it is a terminal. */
	confirm?: (question: string) => Promise<boolean>;
}

function readSpec(file: string): unknown {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		throw new UsageError(
			`spec ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
		);
	}
	let input: unknown;
	try {
		input = JSON.parse(text);
	} catch (error) {
		throw new UsageError(`spec ${file} is not valid JSON: ${(error as Error).message}`);
	}
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		throw new UsageError(`spec ${file} must be a JSON object`);
	}
	const unknown = unknownPaths(input);
	if (unknown.length) {
		throw new UsageError(
			`spec ${file} is not valid:\n${unknown.map((p) => `  - ${p}: not a field of the launch spec`).join('\n')}\n(fields: ${FIELD_IDS.join(', ')})`,
		);
	}
	return input;
}

/** The outcome as the CLI prints it (stdout for ACTIVE, stderr otherwise). */
export function describeOutcome(outcome: LaunchOutcome): string {
	switch (outcome.kind) {
		case 'active':
			return [
				`ACTIVE: ${outcome.server.name}${outcome.server.host ? ` on ${outcome.server.host}` : ''} (${outcome.server.id})`,
				...outcome.server.addresses.map((a) => `  address ${a}`),
				outcome.consoleUrl
					? `  console ${outcome.consoleUrl}`
					: `  console URL not available: ${outcome.consoleProblem ?? ''}`,
			].join('\n');
		case 'error':
			return `ERROR: ${outcome.server.name} (${outcome.server.id}): ${outcome.server.fault ?? 'nova recorded no fault message'}`;
		case 'timeout':
			return [
				`still ${outcome.status}${outcome.taskState ? ` (task state ${outcome.taskState})` : ''} after ${outcome.waitedSec}s: openstack server show ${shellQuote(outcome.name)} to follow it`,
				...[buildHint(outcome.taskState), `submitting again: ${RETRY_REPLACES_STUCK}`]
					.filter((line) => line !== undefined)
					.map((line) => `  ${line}`),
			].join('\n');
		case 'failed':
			return `failed: ${outcome.detail}`;
		case 'cancelled':
			return 'cancelled';
	}
}

export async function launchCommand(argv: string[], io: LaunchIO = {}): Promise<number> {
	const { out, err } = commandWriters(io);
	let opened: OpenedProfile | undefined;
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				spec: { type: 'string' },
				plan: { type: 'boolean' },
				yes: { type: 'boolean' },
				timeout: { type: 'string' },
				json: { type: 'boolean' },
				...HOST_KEY_FLAGS,
			},
			'launch',
		);
		const profileArg = requireProfileFlag(flags.profile, 'launch');
		const timeout = flags.timeout === undefined ? 300 : Number(flags.timeout);
		if (!Number.isInteger(timeout) || timeout < 1)
			throw new UsageError(`--timeout must be a whole number of seconds (got "${flags.timeout}")`);
		const input = flags.spec ? readSpec(flags.spec) : {};
		opened = await openProfileForCommand(profileArg, flags, io);
		const { engine, runbook } = opened;
		const draft = specToDraft(input, draftFromProfile(engine.profile, runbook));
		const validation = validateDraft(draft);
		if (!validation.spec || !validation.publicKey) {
			throw new UsageError(
				`${flags.spec ? `spec ${flags.spec}` : 'the launch spec'} is not valid:\n${describeErrors(validation.errors)
					.map((l) => `  - ${l}`)
					.join('\n')}`,
			);
		}
		const { spec, publicKey } = validation;
		const plan = launchPlanFor(engine, spec, publicKey);
		if (!flags.json || flags.plan) {
			out(`Equivalent commands (on the controller):\n${plan.commands.map((c) => `  ${c}`).join('\n')}\n`);
		}
		if (flags.plan) return EXIT_OK;

		if (!flags.yes) {
			const question = `Launch ${spec.instance} on ${spec.network === 'selfservice' ? spec.selfservice?.network : spec.provider.network} (profile ${engine.profile.name})? [y/N] `;
			let yes: boolean;
			if (io.confirm) yes = await io.confirm(question);
			else if (!process.stdin.isTTY)
				throw new UsageError('refusing to launch without a terminal to confirm on; pass --yes');
			else {
				const readline = await import('node:readline/promises');
				const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
				yes = /^y(es)?$/i.test((await rl.question(question)).trim());
				rl.close();
			}
			if (!yes) {
				err('os-console: nothing was launched\n');
				return EXIT_FAILED;
			}
		}
		const outcome = await untilInterrupted((signal) =>
			submitLaunch(engine, spec, {
				publicKey,
				buildTimeoutSec: timeout,
				signal,
				onLine: (stream, text) => {
					if (!flags.json) (stream === 'stderr' ? err : out)(`controller | ${text}\n`);
				},
				onPhase: (phase) => {
					if (flags.json) return;
					if (phase.kind === 'creating') out('==> creating what is missing (each only if absent)\n');
					if (phase.kind === 'waiting') out(`==> ${spec.instance}: ${phase.status} (${phase.waitedSec}s)\n`);
				},
			}),
		);
		if (flags.json) out(`${JSON.stringify({ ...outcome, commands: plan.commands }, null, 2)}\n`);
		else (outcome.kind === 'active' ? out : err)(`${describeOutcome(outcome)}\n`);
		return outcome.kind === 'active' ? EXIT_OK : EXIT_FAILED;
	} catch (error) {
		return reportError(error, err);
	} finally {
		await opened?.engine.close();
	}
}

export async function run(argv: string[]): Promise<number> {
	return launchCommand(argv);
}
