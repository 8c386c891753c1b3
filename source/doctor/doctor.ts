/**
 * Preflight doctor: before installing, check each node the way an operator would, with one SSH exec per
 * node that prints facts, judged here against the profile and the guide's minimums. Every finding says
 * pass / warn / fail, why, and the fix (a command, or the profile field to change).
 */
import type { Engine } from '../engine/engine.js';
import { type Profile, type ProfileNode, providerInterfaceOf } from '../profile/schema.js';
import type { Runbook } from '../runbook/model.js';
import { shellQuoteAlways } from '../util/shell.js';

export type FindingStatus = 'pass' | 'warn' | 'fail';

export interface Finding {
	node: string;
	check: string;
	status: FindingStatus;
	why: string;
	fix?: string;
}

/** The install guide's minimums (Ocata and Zed alike). */
export const MINIMUMS = {
	controller: { memoryMb: 4096, cores: 1, diskGb: 5 },
	compute: { memoryMb: 2048, cores: 1, diskGb: 10 },
};

/** Facts printed as KEY=VALUE lines; values never contain newlines. */
export function factsScript(
	profile: Profile,
	runbook: Runbook,
	node: ProfileNode,
	options: { checkRepository: boolean },
): string {
	const names = profile.nodes.map((n) => shellQuoteAlways(n.name)).join(' ');
	const iface = shellQuoteAlways(providerInterfaceOf(profile, node));
	const repo =
		runbook.os.packageManager === 'apt'
			? 'timeout 60 apt-get -qq update >/dev/null 2>&1'
			: 'timeout 60 yum -q makecache fast >/dev/null 2>&1';
	return [
		'echo "uid=$(id -u)"',
		'. /etc/os-release 2>/dev/null && echo "os_id=${ID:-}" && echo "os_version=${VERSION_ID:-}"',
		`echo "virt_flags=$(grep -Ec '(vmx|svm)' /proc/cpuinfo || true)"`,
		`echo "mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"`,
		'echo "cores=$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"',
		`echo "disk_kb=$(df -Pk /var 2>/dev/null | awk 'NR==2 {print $4}')"`,
		'echo "hostname=$(hostname -s 2>/dev/null || hostname)"',
		'echo "container=$(systemd-detect-virt --container 2>/dev/null || echo none)"',
		`for n in ${names}; do echo "resolve_$n=$(getent hosts "$n" | awk '{print $1; exit}')"; done`,
		`if ip link show dev ${iface} >/dev/null 2>&1; then echo "provider_exists=yes"; echo "provider_addr=$(ip -o -4 addr show dev ${iface} | awk '{print $4}' | tr '\\n' ' ')"; else echo "provider_exists=no"; fi`,
		'echo "time=$(date +%s.%N)"',
		options.checkRepository ? `if ${repo}; then echo "repo=ok"; else echo "repo=fail"; fi` : 'echo "repo=skipped"',
	].join('\n');
}

export function parseFacts(stdout: string): Record<string, string> {
	const facts: Record<string, string> = {};
	for (const line of stdout.split('\n')) {
		const eq = line.indexOf('=');
		if (eq > 0) facts[line.slice(0, eq)] = line.slice(eq + 1).trim();
	}
	return facts;
}

/** Judge one node's facts. `clockOffset` is the node's clock minus the console's, in seconds. */
export function judgeNode(
	profile: Profile,
	runbook: Runbook,
	node: ProfileNode,
	facts: Record<string, string>,
): Finding[] {
	const f: Finding[] = [];
	const add = (check: string, status: FindingStatus, why: string, fix?: string) =>
		f.push({ node: node.name, check, status, why, fix });
	add('ssh', 'pass', `connected to ${node.user}@${node.host}:${node.port} and ran commands`);
	if (facts.uid === '0')
		add('root', 'pass', node.user === 'root' ? 'logged in as root' : `sudo works for ${node.user}`);
	else
		add(
			'root',
			'fail',
			`commands run as uid ${facts.uid}, not root`,
			`set "sudo": true for node ${node.name} in the profile, or log in as root`,
		);

	const wantId = runbook.os.id;
	if (facts.os_id === wantId && (!runbook.os.version || (facts.os_version ?? '').startsWith(runbook.os.version))) {
		add('os', 'pass', `${facts.os_id} ${facts.os_version} as runbook ${runbook.id} expects`);
	} else {
		add(
			'os',
			'fail',
			`the node runs ${facts.os_id || 'an unknown OS'} ${facts.os_version ?? ''}; runbook ${runbook.id} is written for ${wantId} ${runbook.os.version}`,
			`choose the runbook for this OS in the profile ("runbook"), or reinstall the node with ${wantId} ${runbook.os.version}`,
		);
	}

	const isCompute = node.roles.includes('compute');
	if (isCompute) {
		if (Number(facts.virt_flags) > 0) add('virtualization', 'pass', 'the CPU has vmx/svm: KVM can be used');
		else
			add(
				'virtualization',
				'warn',
				'the CPU has no vmx/svm flags: instances will run under QEMU emulation (virt_type=qemu), slowly',
				'expected on VMs and containers; enable nested virtualization on the hypervisor for KVM',
			);
	}

	const min = node.roles.includes('controller') ? MINIMUMS.controller : MINIMUMS.compute;
	const memMb = Math.round(Number(facts.mem_kb) / 1024);
	if (memMb >= min.memoryMb) add('memory', 'pass', `${memMb} MB (guide minimum ${min.memoryMb} MB)`);
	else
		add(
			'memory',
			'warn',
			`${memMb} MB, below the guide's ${min.memoryMb} MB for this role`,
			'add memory, or lower the API worker counts (runbook settings)',
		);
	const cores = Number(facts.cores);
	if (cores >= min.cores) add('cores', 'pass', `${cores} cores`);
	else add('cores', 'fail', `${cores} cores`, 'the guide needs at least one core');
	const diskGb = Number(facts.disk_kb) / 1024 / 1024;
	if (diskGb >= min.diskGb)
		add('disk', 'pass', `${diskGb.toFixed(1)} GB free on /var (guide minimum ${min.diskGb} GB)`);
	else
		add(
			'disk',
			'fail',
			`${diskGb.toFixed(1)} GB free on /var, below the guide's ${min.diskGb} GB`,
			'free space on /var or grow the disk',
		);

	if (facts.hostname === node.name) add('hostname', 'pass', `the node calls itself ${facts.hostname}`);
	else
		add(
			'hostname',
			'warn',
			`the node calls itself "${facts.hostname}", the profile calls it "${node.name}"`,
			'Environment > host networking sets it; or run hostnamectl set-hostname on the node',
		);

	for (const other of profile.nodes) {
		const got = facts[`resolve_${other.name}`];
		if (got === other.managementIp) add(`resolves ${other.name}`, 'pass', `${other.name} → ${got}`);
		else if (!got)
			add(
				`resolves ${other.name}`,
				'warn',
				`${other.name} does not resolve yet`,
				'Environment > host networking writes /etc/hosts on every node',
			);
		else
			add(
				`resolves ${other.name}`,
				'fail',
				`${other.name} resolves to ${got}, the profile says ${other.managementIp}`,
				`fix /etc/hosts or DNS on ${node.name}, or nodes[].managementIp in the profile`,
			);
	}

	const iface = providerInterfaceOf(profile, node);
	if (facts.provider_exists !== 'yes') {
		add(
			'provider interface',
			'fail',
			`interface ${iface} does not exist on ${node.name}`,
			`set nodes[].providerInterface (or network.providerInterface) to the interface on the provider network (see: ip -br link)`,
		);
	} else if ((facts.provider_addr ?? '').trim()) {
		add(
			'provider interface',
			'warn',
			`${iface} has an address (${facts.provider_addr?.trim()}); the guide leaves the provider interface unnumbered`,
			`remove it (ip addr flush dev ${iface}) or choose another interface`,
		);
	} else add('provider interface', 'pass', `${iface} exists and has no address`);

	if (facts.repo === 'ok') add('package repository', 'pass', 'the package repository answers');
	else if (facts.repo === 'fail')
		add(
			'package repository',
			'fail',
			'refreshing the package lists failed',
			`check the node's network and repository configuration (${runbook.os.packageManager === 'apt' ? 'apt-get update' : 'yum makecache'})`,
		);
	return f;
}

export interface DoctorReport {
	findings: Finding[];
	ok: boolean;
}

/** Run the doctor on every node (in parallel) and compare clocks between them. */
export async function runDoctor(engine: Engine, options: { checkRepository?: boolean } = {}): Promise<DoctorReport> {
	const { profile, runbook } = engine;
	const results = await Promise.all(
		profile.nodes.map(async (node) => {
			const sentAt = Date.now() / 1000;
			const result = await engine.exec(node.name, {
				title: 'doctor',
				actions: [
					{
						kind: 'shell',
						describe: 'collect facts',
						script: factsScript(profile, runbook, node, { checkRepository: options.checkRepository ?? true }),
					},
				],
				timeoutSec: 90,
			});
			const receivedAt = Date.now() / 1000;
			return { node, result, sentAt, receivedAt };
		}),
	);
	const findings: Finding[] = [];
	const offsets: { node: string; offset: number }[] = [];
	for (const { node, result, sentAt, receivedAt } of results) {
		if (!result.ok) {
			const why =
				result.outcome.kind === 'error'
					? result.outcome.message
					: `the fact script failed (${result.stderr.split('\n').at(-1) ?? result.outcome.kind})`;
			findings.push({
				node: node.name,
				check: 'ssh',
				status: 'fail',
				why,
				fix: 'fix the connection first: see the message',
			});
			continue;
		}
		const facts = parseFacts(result.stdout);
		findings.push(...judgeNode(profile, runbook, node, facts));
		// The node's clock is read somewhere between send and receive; the midpoint bounds the error.
		if (facts.time) offsets.push({ node: node.name, offset: Number(facts.time) - (sentAt + receivedAt) / 2 });
	}
	if (offsets.length > 1) {
		const min = Math.min(...offsets.map((o) => o.offset));
		const max = Math.max(...offsets.map((o) => o.offset));
		const spread = max - min;
		const status: FindingStatus = spread < 1 ? 'pass' : spread < 30 ? 'warn' : 'fail';
		findings.push({
			node: '*',
			check: 'time',
			status,
			why: `clocks differ by up to ${spread.toFixed(2)} s between nodes`,
			fix: status === 'pass' ? undefined : 'Environment > NTP (chrony) syncs the nodes to the controller',
		});
	}
	return { findings, ok: !findings.some((x) => x.status === 'fail') };
}
