/**
 * `os-console run`: the same engine as the console, without the TUI. Output is prefixed per node (or JSON
 * events with --json); the exit code is 0 only when everything requested is done.
 */
import readline from 'node:readline/promises';
import { openProfile } from '../console/open-profile.js';
import { isDone } from '../engine/types.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';
import { BatchedStdout } from './run-output.js';

export const usage = `Usage: os-console run --profile NAME_OR_PATH [options]

Runs steps headless with the console's engine: each step runs detached on its nodes over SSH, survives a
dropped connection, and its progress is saved like in the console.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --section ID            run one section (its steps in order, stopping at the first failure)
  --step ID               run one step (SECTION/STEP or a step id that is unique in the runbook)
  --node NAME             only on this node (repeatable)
  --force                 run steps again even where they are done
  --yes                   do not ask for confirmation (required without a terminal)
  --json                  print JSON events, one per line, instead of prefixed lines
  --accept-new            accept and record host keys of hosts never seen before (like ssh's accept-new),
                          in the file the profile's ssh.knownHostsFile names ("console": the console's
                          known_hosts, the default; "user": where ssh itself records them; or a path);
                          a changed host key is always refused
  --known-hosts FILE      also trust the host keys in FILE (repeatable)
  --concurrency N         nodes that run a step at the same time (default 16)

Exit codes: 0 everything requested is done, 1 a step failed, 2 bad flags or profile.`;

const out = new BatchedStdout();

/** stderr, after what is pending on stdout. */
function warn(text: string): void {
	out.flush();
	process.stderr.write(text);
}

export async function run(argv: string[]): Promise<number> {
	let opened: Awaited<ReturnType<typeof openProfile>> | undefined;
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				section: { type: 'string' },
				step: { type: 'string' },
				node: { type: 'string', multiple: true },
				force: { type: 'boolean' },
				yes: { type: 'boolean' },
				json: { type: 'boolean' },
				'accept-new': { type: 'boolean' },
				'known-hosts': { type: 'string', multiple: true },
				concurrency: { type: 'string' },
			},
			'run',
		);
		const profileArg = requireProfileFlag(flags.profile, 'run');
		const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
		if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024)) {
			throw new UsageError(`--concurrency must be a whole number from 1 to 1024 (got "${flags.concurrency}")`);
		}
		if (!flags.yes && !process.stdin.isTTY) {
			throw new UsageError('refusing to run without a terminal to confirm on; pass --yes to run unattended');
		}
		opened = await openProfile(profileArg, {
			hostKeys: { mode: flags['accept-new'] ? 'accept-new' : 'strict', knownHostsFiles: flags['known-hosts'] },
			concurrency,
		});
		const { engine, runbook, warnings } = opened;
		for (const w of warnings) warn(`os-console: warning: ${w}\n`);

		const nodes = flags.node;
		for (const name of nodes ?? []) {
			if (!engine.profile.nodes.some((n) => n.name === name)) {
				throw new UsageError(
					`--node ${name}: no such node in the profile (nodes: ${engine.profile.nodes.map((n) => n.name).join(', ')})`,
				);
			}
		}
		let stepKeys: string[];
		if (flags.step) {
			const wanted = flags.step;
			const matches = engine.steps.filter((s) => s.key === wanted || s.step.id === wanted);
			if (matches.length !== 1) {
				throw new UsageError(
					matches.length === 0
						? `--step ${wanted}: no such step in runbook ${runbook.id} (see "os-console status --profile ${profileArg}")`
						: `--step ${wanted} is ambiguous: ${matches.map((m) => m.key).join(', ')}; give SECTION/STEP`,
				);
			}
			stepKeys = [matches[0]!.key];
		} else if (flags.section) {
			const section = runbook.sections.find((s) => s.id === flags.section);
			if (!section) {
				throw new UsageError(
					`--section ${flags.section}: no such section (sections: ${runbook.sections.map((s) => s.id).join(', ')})`,
				);
			}
			stepKeys = engine.stepsOf(section.id).map((s) => s.key);
		} else {
			stepKeys = engine.steps.map((s) => s.key);
		}
		stepKeys = stepKeys.filter((k) => engine.planned(k).nodes.length > 0);

		if (!flags.yes) {
			const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
			const answer = await rl.question(
				`Run ${stepKeys.length} step(s) of ${runbook.id} on ${nodes?.join(', ') ?? 'their nodes'} (profile ${engine.profile.name})? [y/N] `,
			);
			rl.close();
			if (!/^y(es)?$/i.test(answer.trim())) {
				process.stderr.write('os-console: nothing was run\n');
				return EXIT_FAILED;
			}
		}

		const json = Boolean(flags.json);
		const write = (event: Record<string, unknown>) => out.write(`${JSON.stringify(event)}\n`);
		const width = Math.max(...engine.profile.nodes.map((n) => n.name.length));
		const prefixes = new Map(engine.profile.nodes.map((n) => [n.name, `${n.name.padEnd(width)} | `]));
		const prefixBytes = new Map<string, Buffer>();
		engine.on('output', (batch) => {
			if (json) {
				for (const text of batch.lines)
					write({ type: 'output', step: batch.stepKey, node: batch.node, stream: batch.stream, text });
				return;
			}
			// One write per batch: the node's prefix on every line. A plain chunk's bytes are prefixed as bytes.
			const prefix = prefixes.get(batch.node) ?? `${batch.node} | `;
			if (batch.bytes) {
				let bytes = prefixBytes.get(prefix);
				if (!bytes) {
					bytes = Buffer.from(prefix);
					prefixBytes.set(prefix, bytes);
				}
				out.writeLines(batch.bytes, batch.count, bytes);
			} else out.write(`${prefix}${batch.lines.join(`\n${prefix}`)}\n`);
		});
		engine.on('state', (key, node, state) => {
			if (json && state.status !== 'running') write({ type: 'state', step: key, node, ...state });
		});
		engine.on('connection', (node, connection) => {
			if (json) write({ type: 'connection', node, ...connection });
			else if (connection.state === 'reconnecting' || connection.state === 'failed') {
				warn(
					`${node.padEnd(width)} | connection ${connection.state}${connection.detail ? `: ${connection.detail}` : ''}\n`,
				);
			}
		});

		const stop = () => engine.cancel();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);

		await engine.resume();
		const started = Date.now();
		let ok = true;
		for (const key of stepKeys) {
			const status = engine.stepStatus(key);
			const targetNodes = engine.planned(key).nodes.filter((n) => !nodes || nodes.includes(n.name));
			const allDone = targetNodes.every((n) => isDone(engine.state(key, n.name).status));
			if (allDone && !flags.force) {
				if (!json) out.write(`${'*'.padEnd(width)} | ${key}: ${status} (already done; --force to run again)\n`);
				continue;
			}
			if (!json) out.write(`${'*'.padEnd(width)} | ==> ${key}: ${engine.planned(key).step.title}\n`);
			const stepOk = await engine.runStep(key, { nodes, force: flags.force });
			if (!stepOk) {
				ok = false;
				break;
			}
		}
		process.off('SIGINT', stop);
		process.off('SIGTERM', stop);
		const failed = stepKeys.flatMap((key) =>
			engine
				.planned(key)
				.nodes.filter((n) => !nodes || nodes.includes(n.name))
				.map((n) => ({ key, node: n.name, state: engine.state(key, n.name) }))
				.filter((x) => !isDone(x.state.status) && x.state.status !== 'pending'),
		);
		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		if (json)
			write({
				type: 'summary',
				ok,
				seconds: Number(seconds),
				failed: failed.map((f) => ({ step: f.key, node: f.node, ...f.state })),
			});
		else if (ok) out.write(`${'*'.padEnd(width)} | done: ${stepKeys.length} step(s) in ${seconds}s\n`);
		else {
			for (const f of failed) {
				warn(
					`os-console: ${f.key} on ${f.node}: ${f.state.status}${f.state.reason ? ` (${f.state.reason})` : ''}; log: ${engine.logFile(f.key, f.node, f.state.attempt)}\n`,
				);
			}
		}
		return ok ? EXIT_OK : EXIT_FAILED;
	} catch (error) {
		out.flush();
		return reportError(error);
	} finally {
		out.flush();
		await opened?.engine.close();
	}
}

export { EXIT_USAGE };
