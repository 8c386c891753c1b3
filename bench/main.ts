/**
 * The benchmarks (issue #8): the console side by side with OpenSSH, parallel-ssh and Ansible on this
 * machine, in one invocation, against private sshd processes on loopback (127.0.0.10 and up).
 *
 *   npm run bench                         build, then every benchmark
 *   node bench/run.js --only NAME[,NAME]  some of them (after npm run build)
 *   options: --runs N (default 5)  --warmup N (default 1)  --quick (fewer/smaller long runs)
 *            --login machine|node (default machine: see LOGIN_HELP)
 *
 * Prints each benchmark's table (median, min, max; ratio to the reference measured in the same run) and a
 * summary, and writes bench/results.json (--login node: bench/results-node.json; with --only, the other
 * benchmarks' previous results in that file are kept).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy } from './benchmarks/deploy.js';
import { fanout } from './benchmarks/fanout.js';
import { flood } from './benchmarks/flood.js';
import { sequential } from './benchmarks/sequential.js';
import { startup } from './benchmarks/startup.js';
import { removeBenchRuns } from './lib/console.js';
import type { Benchmark, Context } from './lib/context.js';
import { type Farm, startFarm } from './lib/hosts.js';
import { ROOT } from './lib/paths.js';
import { ensureReferences, versions } from './lib/references.js';
import { type BenchResult, formatChecks, formatResult } from './lib/stats.js';

export const BENCHMARKS: Benchmark[] = [startup, sequential, fanout, flood, deploy];
const HOSTS = 50;

/** How the hosts' root login starts: like this machine's root ('machine') or like a fresh node's ('node'). */
type Login = 'machine' | 'node';

/** Debian's own ~/.bashrc for root (base-files): what root's shell runs at every login on a fresh Debian node. */
const NODE_ROOT_BASHRC = '/usr/share/base-files/dot.bashrc';

const LOGIN_HELP = `--login machine  the hosts' root login is this machine's as it is (the default; every round so far): its
                 ~/.bashrc runs pyenv init, ~110 ms of CPU in every exec channel, for every tool
--login node     the hosts' root logins start like a fresh node's: each sshd runs in its own mount
                 namespace with Debian's default root ~/.bashrc (${NODE_ROOT_BASHRC}) over /root/.bashrc`;

const USAGE = `Usage: node bench/run.js [--only NAME[,NAME...]] [--runs N] [--warmup N] [--quick] [--login machine|node]

Benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}
Run as root (the benchmarks start their own sshd processes on 127.0.0.10-${9 + HOSTS}).

${LOGIN_HELP}`;

interface Options {
	only?: string[];
	runs: number;
	warmup: number;
	quick: boolean;
	login: Login;
}

function parse(argv: string[]): Options | string {
	const o: Options = { runs: 5, warmup: 1, quick: false, login: 'machine' };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		const value = () => {
			const v = argv[++i];
			if (v === undefined) throw new Error(`${a} needs a value`);
			return v;
		};
		if (a === '--only') o.only = value().split(',');
		else if (a === '--runs') o.runs = Number(value());
		else if (a === '--warmup') o.warmup = Number(value());
		else if (a === '--quick') o.quick = true;
		else if (a === '--login') {
			const v = value();
			if (v !== 'node' && v !== 'machine') return `--login must be machine or node, not ${v}\n\n${LOGIN_HELP}`;
			o.login = v;
		} else if (a === '--help' || a === '-h') return USAGE;
		else return `unknown argument ${a}\n\n${USAGE}`;
	}
	if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 50) return '--runs must be 1..50';
	if (!Number.isInteger(o.warmup) || o.warmup < 0 || o.warmup > 10) return '--warmup must be 0..10';
	for (const name of o.only ?? []) {
		if (!BENCHMARKS.some((b) => b.name === name)) return `unknown benchmark ${name}\n\n${USAGE}`;
	}
	return o;
}

/** Milliseconds to 0.01, megabytes to 0.01: enough for medians, without 15-digit noise in results.json. */
function round(v: number): number {
	return Number.isInteger(v) ? v : Math.round(v * 100) / 100;
}

function machine() {
	const cpus = os.cpus();
	return {
		hostname: os.hostname(),
		cores: os.availableParallelism(),
		cpuModel: cpus[0]?.model ?? 'unknown',
		memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
		kernel: `${os.type()} ${os.release()}`,
		loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
	};
}

/** Why the hosts cannot get a fresh node's root login here (undefined: they can). */
function nodeLoginProblem(): string | undefined {
	if (!fs.existsSync('/root/.bashrc')) return undefined; // nothing to replace: root's login is plain already
	if (!fs.existsSync(NODE_ROOT_BASHRC)) return `${NODE_ROOT_BASHRC} is missing (Debian's base-files package has it)`;
	try {
		execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /root/.bashrc', 'sh', NODE_ROOT_BASHRC], {
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		return undefined;
	} catch (error) {
		const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
		return `cannot bind-mount it over /root/.bashrc in a private mount namespace (unshare -m): ${stderr || (error as Error).message}`;
	}
}

export async function main(argv: string[]): Promise<number> {
	const parsed = parse(argv);
	if (typeof parsed === 'string') {
		process.stderr.write(`${parsed}\n`);
		return parsed === USAGE ? 0 : 2;
	}
	if (process.getuid?.() !== 0) {
		process.stderr.write('bench: run as root (the hosts are private sshd processes logging in as root)\n');
		return 2;
	}
	const options = parsed;
	const selected = BENCHMARKS.filter((b) => !options.only || options.only.includes(b.name));
	const log = (m: string) => process.stderr.write(`${m}\n`);
	const missing = ensureReferences(log);
	let rootBashrc: string | undefined;
	if (options.login === 'node') {
		const plain = nodeLoginProblem();
		if (plain) {
			process.stderr.write(
				`bench: --login node: ${plain}\nRun with --login machine to measure this machine's root login as it is.\n`,
			);
			return 2;
		}
		rootBashrc = fs.existsSync('/root/.bashrc') ? NODE_ROOT_BASHRC : undefined;
		log(
			`bench: hosts' root login: ${rootBashrc ? `${NODE_ROOT_BASHRC} as ~/.bashrc (a fresh node's)` : 'no ~/.bashrc here'}`,
		);
	} else log("bench: hosts' root login: this machine's /root/.bashrc as it is");
	log(`bench: starting ${HOSTS} hosts (sshd on 127.0.0.10-${9 + HOSTS})`);
	let farm: Farm | undefined;
	const stop = async () => {
		await farm?.stop();
		farm = undefined;
		removeBenchRuns();
	};
	const onSignal = () => {
		void stop().finally(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	const results: BenchResult[] = [];
	const started = new Date();
	try {
		farm = await startFarm(HOSTS, 10, rootBashrc);
		if (rootBashrc) {
			// what a session on the hosts really reads, not what was asked for
			const host = farm.hosts[0]!;
			const seen = execFileSync('ssh', [...farm.ssh(host), 'cat /root/.bashrc'], { encoding: 'utf8' });
			if (seen !== fs.readFileSync(rootBashrc, 'utf8'))
				throw new Error(`the hosts' sessions do not see ${rootBashrc} as /root/.bashrc`);
		}
		const ctx: Context = { ...options, farm, missing, log };
		for (const b of selected) {
			log(`bench: ${b.name}: ${b.title}`);
			let result: BenchResult;
			const loadBefore = os.loadavg()[0]!;
			try {
				result = await b.run(ctx);
				result.notes.push(
					`load average (1 min) on this ${os.availableParallelism()}-core machine: ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`,
				);
			} catch (error) {
				const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
				log(`bench: ${b.name} failed: ${message}`);
				result = {
					name: b.name,
					title: b.title,
					measures: [],
					checks: [],
					notes: [],
					skipped: `failed: ${message.split('\n')[0]}`,
				};
			}
			removeBenchRuns();
			result.measuredAt = new Date().toISOString();
			results.push(result);
			process.stdout.write(`\n${formatResult(result)}\n`);
		}
	} finally {
		await stop();
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
	}
	process.stdout.write(`\n${formatChecks(results)}\n`);

	const file = path.join(ROOT, 'bench', options.login === 'node' ? 'results-node.json' : 'results.json');
	let previous: BenchResult[] = [];
	if (options.only) {
		try {
			previous = (JSON.parse(fs.readFileSync(file, 'utf8')) as { results: BenchResult[] }).results;
		} catch {
			previous = [];
		}
	}
	const merged = BENCHMARKS.map(
		(b) => results.find((r) => r.name === b.name) ?? previous.find((r) => r.name === b.name),
	).filter((r): r is BenchResult => Boolean(r));
	const report = {
		command: `node bench/run.js ${argv.join(' ')}`.trim(),
		date: started.toISOString(),
		machine: machine(),
		versions: versions(),
		options: { runs: options.runs, warmup: options.warmup, quick: options.quick, login: options.login },
		results: merged,
	};
	fs.writeFileSync(file, `${JSON.stringify(report, (_k, v) => (typeof v === 'number' ? round(v) : v), '\t')}\n`);
	try {
		// the repository's formatter owns the layout of every file under bench/
		execFileSync(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
	} catch {
		// left as JSON.stringify wrote it
	}
	process.stdout.write(`\nbench: wrote ${path.relative(process.cwd(), file)}\n`);
	return 0;
}
