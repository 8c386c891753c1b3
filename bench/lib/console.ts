/** The console's side of a benchmark: a fresh home, a profile for some hosts, and cleaning up after runs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileInput } from '../../source/profile/schema.js';
import { LOOPBACK_NETWORK } from '../../test/helpers/profiles.js';
import type { Farm, Host } from './hosts.js';
import { BENCH_CLI, RUNS_DIR } from './paths.js';
import { timeOk } from './proc.js';

/** Every profile the benchmarks make is called `oscbench-...`, and so is every run directory they leave. */
export const PROFILE_PREFIX = 'oscbench';

/** A fresh OS_CONSOLE_HOME (no progress, no logs: every measured run starts cold). */
export function freshHome(tag: string): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), `osc-bench-${tag}-`));
}

export function profileFor(
	farm: Farm,
	hosts: Host[],
	options: { name: string; runbook: string; settings?: Record<string, string>; nodeNames?: string[] },
): ProfileInput {
	return {
		version: 1,
		name: `${PROFILE_PREFIX}-${options.name}`,
		runbook: options.runbook,
		network: { ...LOOPBACK_NETWORK },
		nodes: hosts.map((h, i) => ({
			name: options.nodeNames?.[i] ?? h.name,
			host: h.address,
			port: h.port,
			user: 'root',
			roles: i === 0 ? ['controller'] : ['compute'],
			managementIp: h.address,
			auth: { type: 'key', keyFile: farm.keyFile },
		})),
		settings: options.settings ?? {},
	};
}

export function writeProfileFile(dir: string, profile: ProfileInput): string {
	const file = path.join(dir, `${profile.name}.json`);
	fs.writeFileSync(file, JSON.stringify(profile, null, 2), { mode: 0o600 });
	return file;
}

/** Remove the run directories the benchmarks left on the "nodes" (this machine), and nothing else. */
export function removeBenchRuns(): number {
	let removed = 0;
	let entries: string[] = [];
	try {
		entries = fs.readdirSync(RUNS_DIR);
	} catch {
		return 0;
	}
	for (const e of entries) {
		if (!e.startsWith(`${PROFILE_PREFIX}-`) && !e.startsWith(`adhoc.${PROFILE_PREFIX}-`)) continue;
		fs.rmSync(path.join(RUNS_DIR, e), { recursive: true, force: true });
		removed++;
	}
	return removed;
}

export function removeDir(dir: string): void {
	fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * `os-console run ...` (the built console with the bench runbook) as its own process, stdout to /dev/null.
 * Returns the wall time from spawn to exit and the process's peak RSS.
 */
export async function consoleRun(
	home: string,
	args: string[],
	timeoutMs = 600_000,
): Promise<{ ms: number; rssMb: number; stderr: string }> {
	const rssFile = path.join(home, 'peak-rss');
	const r = await timeOk(process.execPath, [BENCH_CLI, 'run', ...args], {
		env: { ...process.env, OS_CONSOLE_HOME: home, OSC_BENCH_RSS_FILE: rssFile },
		timeoutMs,
	});
	const rssMb = Number(fs.readFileSync(rssFile, 'utf8').trim()) / 1024 / 1024;
	return { ms: r.ms, rssMb, stderr: r.stderr };
}

/** The log file of a step's attempt (source/engine/logs.ts). */
export function attemptLog(home: string, profileName: string, stepKey: string, node: string, attempt = 1): string {
	return path.join(home, 'state', profileName, 'logs', ...stepKey.split('/'), node, `attempt-${attempt}.log`);
}
