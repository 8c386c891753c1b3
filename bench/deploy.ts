/**
 * Benchmark 5 (issue #8): the two-node debian12-zed deploy through the console against the same steps
 * exported to bash and run over one SSH session per node. Target: console ≤ 1.05× the bash run.
 *
 *   node bench/deploy.js [--option provider|selfservice] [--through SECTION]   (after npm run build; as root)
 *
 * --through SECTION deploys only the runbook's sections up to SECTION (e.g. keystone), for a shorter run: the
 * console then runs one `os-console run --section ID` process per section, the bash side stops each node's
 * phases before the first step of the next section. Without it, the whole runbook (~25 min per variant here).
 *
 * Each variant gets fresh nodes from the acceptance harness (scripts/lxc-nodes.sh: two Debian 12 LXC system
 * containers, controller 10.0.3.11 and compute1 10.0.3.31, the same profile as test/acceptance/deploy.test.ts):
 *
 * - console: `os-console run --profile FILE --yes --known-hosts FILE` (every section, one process, headless),
 *   timed from spawn to exit;
 * - bash: `os-console export --format bash --reveal-secrets` (timed apart, not in the ratio), then one
 *   `ssh root@NODE bash -s` per node, kept open: the node's script is sent through it once, then the phases
 *   the export's header lists ("Order across nodes") run in that order, each as
 *   `OSC_FROM=first OSC_UNTIL=next bash script`, the nodes of a phase at the same time (as the console runs a
 *   step on its nodes at the same time). Timed from the ssh spawns to the last phase's end.
 *
 * Both end with provider-instance ACTIVE, checked on the controller; a variant that fails stops the benchmark.
 * The apt archives the harness caches per node name are warm for both (the acceptance test fills them).
 * One run of each: a deploy takes minutes, so there is no warm-up and no median; the figure is one sample.
 * Results go to bench/deploy-results.json; nodes are destroyed at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getRunbook } from '../source/runbook/registry.js';
import { strictSshOptions } from '../test/acceptance/lxc/nodes.js';
import { bashStepSeconds, consoleStepSeconds } from './lib/deploy-breakdown.js';
import { ROOT } from './lib/paths.js';

const HARNESS = path.join(ROOT, 'scripts', 'lxc-nodes.sh');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const NODES = [
	{ name: 'controller', ip: '10.0.3.11' },
	{ name: 'compute1', ip: '10.0.3.31' },
];
const TARGET = 1.05;
/** The runbook's sections in order, from the runbook itself. */
const SECTIONS = getRunbook('debian12-zed').sections.map((s) => s.id);

interface HarnessNode {
	name: string;
	ip: string;
	providerInterface: string;
	hostKeyLines: string[];
}

interface NodeSet {
	keyFile: string;
	prefixLength: number;
	nodes: HarnessNode[];
}

function log(message: string): void {
	process.stderr.write(`[bench deploy ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Run a command; resolve with its stdout, reject with its stderr's tail when it fails. */
function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; logFile?: string } = {}) {
	return new Promise<{ stdout: string; seconds: number }>((resolve, reject) => {
		const started = performance.now();
		const out = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
		const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (c: string) => {
			if (out) out.write(c);
			else stdout += c;
		});
		child.stderr.setEncoding('utf8').on('data', (c: string) => {
			stderr = (stderr + c).slice(-8000);
			out?.write(c);
		});
		child.on('error', reject);
		child.on('close', (code) => {
			out?.end();
			const seconds = (performance.now() - started) / 1000;
			if (code === 0) resolve({ stdout, seconds });
			else reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} exited ${code}\n${stderr}`));
		});
	});
}

// The nodes are this process's while it runs: an acceptance run started meanwhile is refused (lxc-nodes.sh claim).
const harness = (args: string[]) =>
	run('bash', [HARNESS, ...args], { env: { ...process.env, OSC_LXC_OWNER: String(process.pid) } });

/** Fresh nodes (any of the same names are destroyed first), a known_hosts of their keys, and the profile. */
async function freshNodes(
	work: string,
	option: string,
): Promise<{ set: NodeSet; profile: string; knownHosts: string }> {
	await harness(['stale']);
	const set = JSON.parse((await harness(['up', ...NODES.map((n) => `${n.name}:${n.ip}`)])).stdout) as NodeSet;
	const knownHosts = path.join(work, 'known_hosts');
	fs.writeFileSync(knownHosts, `${set.nodes.flatMap((n) => n.hostKeyLines).join('\n')}\n`);
	const profile = path.join(work, 'zed-bench.json');
	fs.writeFileSync(
		profile,
		JSON.stringify(
			{
				version: 1,
				name: 'zed-bench',
				runbook: 'debian12-zed',
				description: 'deploy benchmark: two LXC nodes made by scripts/lxc-nodes.sh',
				region: 'RegionOne',
				network: {
					managementCidr: `10.0.3.0/${set.prefixLength}`,
					providerInterface: set.nodes[0]!.providerInterface,
					providerCidr: '10.199.0.0/24',
					providerGateway: '10.199.0.1',
					providerPoolStart: '10.199.0.100',
					providerPoolEnd: '10.199.0.200',
					providerDns: '',
					option,
				},
				nodes: set.nodes.map((n, i) => ({
					name: n.name,
					host: n.ip,
					port: 22,
					user: 'root',
					roles: [i === 0 ? 'controller' : 'compute'],
					managementIp: n.ip,
					providerInterface: n.providerInterface,
					auth: { type: 'key', keyFile: set.keyFile },
				})),
				settings: { UWSGI_PROCESSES: '2' },
			},
			null,
			2,
		),
	);
	return { set, profile, knownHosts };
}

function sshArgs(set: NodeSet, knownHosts: string, ip: string): string[] {
	return [...strictSshOptions(set.keyFile, knownHosts), '-o', 'ServerAliveInterval=15', `root@${ip}`];
}

/** provider-instance ACTIVE on the controller: the deploy went through to its last step. */
async function instanceActive(set: NodeSet, knownHosts: string): Promise<string> {
	const { stdout } = await run('ssh', [
		...sshArgs(set, knownHosts, NODES[0]!.ip),
		'. /root/demo-openrc && openstack server show provider-instance -f value -c status',
	]);
	return stdout.trim();
}

/**
 * One `ssh root@NODE bash -s` kept open: commands are written to its standard input, each followed by an echo
 * of a marker with its exit status, which is awaited on its output.
 */
class Session {
	private child: ChildProcess;
	private buffer = '';
	private waiting?: { resolve: (code: number) => void; reject: (e: Error) => void };
	private readonly marker = `__osc_bench_done_${process.pid}__`;

	constructor(
		args: string[],
		logFile: string,
		private readonly onLine?: (line: string, atMs: number) => void,
	) {
		const out = fs.createWriteStream(logFile, { flags: 'a' });
		this.child = spawn('ssh', [...args, 'bash', '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
		this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
			out.write(chunk);
			this.buffer += chunk;
			let i = this.buffer.indexOf('\n');
			while (i >= 0) {
				const line = this.buffer.slice(0, i);
				this.buffer = this.buffer.slice(i + 1);
				this.onLine?.(line, performance.now());
				if (line.startsWith(this.marker)) {
					const w = this.waiting;
					this.waiting = undefined;
					w?.resolve(Number(line.slice(this.marker.length).trim()));
				}
				i = this.buffer.indexOf('\n');
			}
		});
		this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => out.write(chunk));
		this.child.on('close', (code) => {
			out.end();
			this.waiting?.reject(new Error(`the ssh session ended (exit ${code})`));
			this.waiting = undefined;
		});
	}

	run(command: string): Promise<number> {
		return new Promise((resolve, reject) => {
			this.waiting = { resolve, reject };
			this.child.stdin!.write(`${command}\necho "${this.marker} $?"\n`);
		});
	}

	close(): Promise<void> {
		return new Promise((resolve) => {
			if (this.child.exitCode !== null) return resolve();
			this.child.once('close', () => resolve());
			this.child.stdin!.end();
		});
	}
}

interface Phase {
	nodes: string[];
	from: string;
	to: string;
}

/** The export's "Order across nodes" header: "#    2. controller: environment/sql-database .. nova-controller/start (28 steps)". */
export function parsePhases(script: string): Phase[] {
	const phases: Phase[] = [];
	for (const line of script.split('\n')) {
		const m = /^#\s+\d+\. ([^:]+): (\S+)(?: \.\. (\S+))? \(\d+ steps?\)$/.exec(line);
		if (m) phases.push({ nodes: m[1]!.split(/,\s*/), from: m[2]!, to: m[3] ?? m[2]! });
	}
	return phases;
}

/** What a node runs of a phase, limited to the allowed sections: OSC_FROM and OSC_UNTIL, or nothing. */
export function phaseRange(
	steps: string[],
	phase: Phase,
	allowed: (section: string) => boolean,
): { from: string; until: string } | undefined {
	const first = steps.indexOf(phase.from);
	const last = steps.indexOf(phase.to);
	if (first < 0 || last < first) throw new Error(`phase ${phase.from} .. ${phase.to} is not in the node's steps`);
	const inPhase = steps.slice(first, last + 1).filter((s) => allowed(s.split('/')[0]!));
	if (inPhase.length === 0) return undefined;
	const end = steps.indexOf(inPhase[inPhase.length - 1]!);
	return { from: inPhase[0]!, until: steps[end + 1] ?? '' };
}

/** The node's steps in order, from the script's own list (`osc_known=' a/b c/d '`). */
export function scriptSteps(script: string): string[] {
	const m = /^osc_known='([^']*)'$/m.exec(script);
	if (!m) throw new Error('the exported script has no osc_known list');
	return m[1]!.trim().split(/\s+/);
}

async function consoleVariant(
	work: string,
	option: string,
	sections?: string[],
): Promise<{ seconds: number; steps: Map<string, number>; betweenSeconds: number }> {
	const { set, profile, knownHosts } = await freshNodes(work, option);
	const home = path.join(work, 'home');
	fs.mkdirSync(home, { mode: 0o700 });
	const base = [CLI, 'run', '--profile', profile, '--yes', '--known-hosts', knownHosts];
	const env = { ...process.env, OS_CONSOLE_HOME: home, NO_COLOR: '1' };
	const logFile = path.join(work, 'console.log');
	let seconds = 0;
	if (!sections) {
		log('console: os-console run (every section, one process)');
		seconds = (await run(process.execPath, base, { env, logFile })).seconds;
		const status = await instanceActive(set, knownHosts);
		if (status !== 'ACTIVE') throw new Error(`console: provider-instance is ${status || 'missing'}`);
		log(`console: ${seconds.toFixed(1)} s, provider-instance ${status}`);
	} else {
		for (const section of sections) {
			const r = await run(process.execPath, [...base, '--section', section], { env, logFile });
			log(`console: section ${section} ${r.seconds.toFixed(1)} s`);
			seconds += r.seconds;
		}
		log(`console: ${seconds.toFixed(1)} s for ${sections.join(', ')}`);
	}
	const journal = fs.readFileSync(path.join(home, 'state', 'zed-bench', 'journal.jsonl'), 'utf8');
	return { seconds, ...consoleStepSeconds(journal) };
}

async function bashVariant(
	work: string,
	option: string,
	sections?: string[],
): Promise<{ seconds: number; exportSeconds: number; steps: Map<string, number> }> {
	const { set, profile, knownHosts } = await freshNodes(work, option);
	const home = path.join(work, 'home');
	fs.mkdirSync(home, { mode: 0o700 });
	const out = path.join(work, 'export');
	const exported = await run(
		process.execPath,
		[CLI, 'export', '--profile', profile, '--format', 'bash', '--out', out, '--reveal-secrets'],
		{ env: { ...process.env, OS_CONSOLE_HOME: home, NO_COLOR: '1' } },
	);
	const scripts = new Map(NODES.map((n) => [n.name, fs.readFileSync(path.join(out, `${n.name}.sh`), 'utf8')]));
	const phases = parsePhases(scripts.get(NODES[0]!.name)!);
	if (phases.length === 0) throw new Error('bash: no "Order across nodes" in the exported script');
	log(`bash: exported in ${exported.seconds.toFixed(1)} s; ${phases.length} phases`);

	const started = performance.now();
	// Per node, in order: each step's header line ("==> [i/n] section/step: title") and each phase's end, as they
	// arrived; a step lasts from its header to the next header or the end of its phase.
	const marks = new Map<string, { step?: string; atMs: number }[]>(NODES.map((n) => [n.name, []]));
	const sessions = new Map(
		NODES.map((n) => [
			n.name,
			new Session(sshArgs(set, knownHosts, n.ip), path.join(work, `bash-${n.name}.log`), (line, atMs) => {
				const m = /^==> \[\d+\/\d+\] (\S+): /.exec(line);
				if (m) marks.get(n.name)!.push({ step: m[1]!, atMs });
			}),
		]),
	);
	try {
		const script = '/root/os-console-export.sh';
		await Promise.all(
			NODES.map(async (n) => {
				const text = scripts.get(n.name)!;
				const end = '__OSC_EXPORT_END__';
				if (text.includes(end)) throw new Error(`bash: ${n.name}.sh contains ${end}`);
				const code = await sessions
					.get(n.name)!
					.run(`umask 077; cat > ${script} <<'${end}'\n${text.endsWith('\n') ? text : `${text}\n`}${end}`);
				if (code !== 0) throw new Error(`bash: sending ${n.name}.sh failed (${code})`);
			}),
		);
		for (const [i, phase] of phases.entries()) {
			const t = performance.now();
			const allowed = (section: string) => !sections || sections.includes(section);
			const ranges = phase.nodes
				.map((node) => ({ node, range: phaseRange(scriptSteps(scripts.get(node)!), phase, allowed) }))
				.filter((r) => r.range);
			if (ranges.length === 0) continue;
			await Promise.all(
				ranges.map(async ({ node, range }) => {
					const code = await sessions
						.get(node)!
						.run(`OSC_FROM=${range!.from} OSC_UNTIL=${range!.until} bash ${script} </dev/null`);
					marks.get(node)!.push({ atMs: performance.now() });
					if (code !== 0) throw new Error(`bash: phase ${i + 1} on ${node} exited ${code} (log ${work})`);
				}),
			);
			log(
				`bash: phase ${i + 1} (${phase.nodes.join(', ')}: ${phase.from} .. ${phase.to}) ${((performance.now() - t) / 1000).toFixed(1)} s`,
			);
		}
	} finally {
		await Promise.all([...sessions.values()].map((s) => s.close()));
	}
	const seconds = (performance.now() - started) / 1000;
	// The scripts hold the secrets in clear text (--reveal-secrets): gone as soon as they have run.
	fs.rmSync(out, { recursive: true, force: true });
	if (!sections) {
		const status = await instanceActive(set, knownHosts);
		if (status !== 'ACTIVE') throw new Error(`bash: provider-instance is ${status || 'missing'}`);
		log(`bash: ${seconds.toFixed(1)} s, provider-instance ${status}`);
	} else log(`bash: ${seconds.toFixed(1)} s for ${sections.join(', ')}`);
	return { seconds, exportSeconds: exported.seconds, steps: bashStepSeconds(marks) };
}

export async function main(argv: string[]): Promise<number> {
	const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
	const option = flag('--option') ?? 'provider';
	const through = flag('--through');
	// Which variant deploys first: the second may find the host's caches warmer, so a ratio is read in both orders.
	const order = flag('--order') ?? 'console-first';
	if (
		(option !== 'provider' && option !== 'selfservice') ||
		(through !== undefined && !SECTIONS.includes(through)) ||
		(order !== 'console-first' && order !== 'bash-first')
	) {
		process.stderr.write(
			`Usage: node bench/deploy.js [--option provider|selfservice] [--through SECTION] [--order console-first|bash-first]\n(sections: ${SECTIONS.join(', ')})\n`,
		);
		return 2;
	}
	const sections = through ? SECTIONS.slice(0, SECTIONS.indexOf(through) + 1) : undefined;
	if (process.getuid?.() !== 0) {
		process.stderr.write('bench deploy: run as root (LXC nodes)\n');
		return 2;
	}
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-bench-deploy-'));
	log(`work dir ${work}`);
	const loads: number[] = [os.loadavg()[0]!];
	try {
		await harness(['prereqs']);
		await harness(['template']);
		const consoleDir = path.join(work, 'console');
		const bashDir = path.join(work, 'bash');
		fs.mkdirSync(consoleDir);
		fs.mkdirSync(bashDir);
		let bash: Awaited<ReturnType<typeof bashVariant>> | undefined;
		if (order === 'bash-first') {
			bash = await bashVariant(bashDir, option, sections);
			loads.push(os.loadavg()[0]!);
		}
		const consoleRun = await consoleVariant(consoleDir, option, sections);
		const consoleSeconds = consoleRun.seconds;
		loads.push(os.loadavg()[0]!);
		if (!bash) {
			bash = await bashVariant(bashDir, option, sections);
			loads.push(os.loadavg()[0]!);
		}
		const ratio = consoleSeconds / bash.seconds;
		// Where the difference is: per step, the console's wall time minus the bash one's, largest first.
		const stepRows = [...consoleRun.steps.entries()].map(([step, c]) => ({
			step,
			console: c,
			bash: bash.steps.get(step) ?? 0,
			difference: c - (bash.steps.get(step) ?? 0),
		}));
		const stepsSum = (key: 'console' | 'bash') => stepRows.reduce((sum, r) => sum + r[key], 0);
		const result = {
			command: `node bench/deploy.js --option ${option}${through ? ` --through ${through}` : ''} --order ${order}`,
			order,
			sections: sections ?? 'all',
			date: new Date().toISOString(),
			runbook: 'debian12-zed',
			option,
			nodes: NODES.map((n) => `${n.name} ${n.ip}`),
			runs: 1,
			consoleSeconds,
			bashSeconds: bash.seconds,
			exportSeconds: bash.exportSeconds,
			ratio,
			target: TARGET,
			pass: ratio <= TARGET,
			consoleBetweenStepsSeconds: consoleRun.betweenSeconds,
			stepsSumSeconds: { console: stepsSum('console'), bash: stepsSum('bash') },
			steps: stepRows,
			loadAverage1m: loads,
			machine: `${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
		};
		const resultFile = order === 'bash-first' ? 'deploy-results-bash-first.json' : 'deploy-results.json';
		const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v);
		fs.writeFileSync(path.join(ROOT, 'bench', resultFile), `${JSON.stringify(result, (_k, v) => round(v), '\t')}\n`);
		process.stdout.write(
			[
				'',
				`two-node debian12-zed deploy (option ${option}; sections: ${sections ? sections.join(', ') : 'all'}; ${order}), one run each on fresh nodes:`,
				`  os-console run                       ${consoleSeconds.toFixed(1).padStart(7)} s`,
				`  exported bash, one ssh per node      ${bash.seconds.toFixed(1).padStart(7)} s   (export itself ${bash.exportSeconds.toFixed(1)} s, not counted)`,
				`  ratio console / bash                 ${ratio.toFixed(3).padStart(7)}×  target ≤ ${TARGET}×  ${ratio <= TARGET ? 'PASS' : 'MISS'}`,
				`  load average (1 min) before / after each: ${loads.map((l) => l.toFixed(1)).join(' / ')}`,
				`  steps summed: console ${stepsSum('console').toFixed(1)} s, bash ${stepsSum('bash').toFixed(1)} s; console between steps ${consoleRun.betweenSeconds.toFixed(1)} s`,
				'  steps where the console took longest over bash:',
				...[...stepRows]
					.sort((a, b) => b.difference - a.difference)
					.slice(0, 8)
					.map(
						(r) =>
							`    ${r.step.padEnd(40)} console ${r.console.toFixed(1).padStart(6)} s  bash ${r.bash.toFixed(1).padStart(6)} s  ${r.difference >= 0 ? '+' : ''}${r.difference.toFixed(1)} s`,
					),
				`  wrote bench/${resultFile}`,
				'',
			].join('\n'),
		);
		return 0;
	} catch (error) {
		log(`failed: ${(error as Error).message}`);
		return 1;
	} finally {
		await harness(['stale']).catch((e: Error) => log(`destroying the nodes failed: ${e.message}`));
		log(`nodes destroyed; logs in ${work}`);
	}
}
