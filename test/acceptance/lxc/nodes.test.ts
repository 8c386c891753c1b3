import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createNodes,
	destroyStale,
	ensureHostPrerequisites,
	ensureTemplate,
	type LxcNode,
	type NodeSet,
	runHarness,
	sshExec,
	type TemplateInfo,
} from './nodes.js';

const SPECS = [
	{ name: 'controller', ip: '10.0.3.11' },
	{ name: 'compute1', ip: '10.0.3.31' },
];

const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(2));
const timings: Record<string, number | boolean> = {};

describe('LXC node harness', () => {
	let set: NodeSet | undefined;
	let dir = '';
	let knownHosts = '';
	let controller: LxcNode;
	let compute: LxcNode;
	let template: TemplateInfo;

	const run = async (node: LxcNode, command: string) => {
		const r = await sshExec(node, knownHosts, command);
		if (r.code !== 0) throw new Error(`${node.name}: '${command}' exited ${r.code}: ${r.stderr}${r.stdout}`);
		return r.stdout.trim();
	};

	beforeAll(async () => {
		let t = performance.now();
		await ensureHostPrerequisites();
		timings.prereqs = seconds(t);
		await destroyStale();
		t = performance.now();
		template = await ensureTemplate();
		timings.template = seconds(t);
		timings.templateRebuilt = template.rebuilt;
		t = performance.now();
		set = await createNodes({ names: SPECS });
		timings.up = seconds(t);
		[controller, compute] = set.nodes as [LxcNode, LxcNode];
		// A known_hosts of our own, made only from what createNodes returned: proves those lines are right.
		dir = mkdtempSync(join(tmpdir(), 'osc-lxc-'));
		knownHosts = join(dir, 'known_hosts');
		writeFileSync(knownHosts, `${set.nodes.flatMap((n) => n.hostKeyLines).join('\n')}\n`);
	});

	afterAll(async () => {
		await set?.destroy();
		if (dir) rmSync(dir, { recursive: true, force: true });
		console.log(`lxc harness timings (s): ${JSON.stringify(timings)}`);
	});

	it('returns the requested nodes', () => {
		expect(set?.nodes.map((n) => [n.name, n.ip, n.sshPort, n.user, n.providerInterface])).toEqual([
			['controller', '10.0.3.11', 22, 'root', 'eth1'],
			['compute1', '10.0.3.31', 22, 'root', 'eth1'],
		]);
		expect(set?.providerBridge).toBe('oscprov0');
	});

	it('a second ensureTemplate uses the cached template', async () => {
		const t = performance.now();
		const again = await ensureTemplate();
		timings.templateCached = seconds(t);
		expect(again.rebuilt).toBe(false);
		expect(again.version).toBe(template.version);
	});

	it('runs systemd as PID 1 and finished booting', async () => {
		for (const node of [controller, compute]) {
			expect(await run(node, 'ps -p 1 -o comm=')).toBe('systemd');
			const state = (await sshExec(node, knownHosts, 'systemctl is-system-running')).stdout.trim();
			expect(['running', 'degraded']).toContain(state);
			expect(await run(node, 'hostname')).toBe(node.name);
		}
	});

	it('gives every node its own machine-id', async () => {
		const ids = [await run(controller, 'cat /etc/machine-id'), await run(compute, 'cat /etc/machine-id')];
		expect(ids).toEqual([controller.machineId, compute.machineId]);
		expect(ids[0]).not.toBe(ids[1]);
	});

	it('gives every node its own SSH host keys and ssh checks them strictly', async () => {
		const key = (n: LxcNode) => n.hostKeyLine.split(' ').slice(1).join(' ');
		expect(key(controller)).not.toBe(key(compute));
		expect(await run(controller, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub")).toBe(key(controller));
		const controllerKeys = new Set(controller.hostKeyLines.map((l) => l.split(' ')[2]));
		for (const line of compute.hostKeyLines) expect(controllerKeys.has(line.split(' ')[2])).toBe(false);
		// compute1's address with controller's keys: a strict client must refuse to connect.
		const wrong = join(dir, 'wrong_known_hosts');
		writeFileSync(wrong, `${controller.hostKeyLines.map((l) => l.replace(controller.ip, compute.ip)).join('\n')}\n`);
		const r = await sshExec(compute, wrong, 'true');
		expect(r.code).not.toBe(0);
		expect(r.stderr).toMatch(/host key/i);
	});

	it('nodes reach each other by name', async () => {
		await run(controller, 'ping -c1 -W2 compute1');
		await run(compute, 'ping -c1 -W2 controller');
		expect(await run(compute, 'getent hosts controller')).toMatch(/^10\.0\.3\.11\s+controller/);
	});

	it('has the provider interface up without an IPv4 address, bridged between the nodes', async () => {
		for (const node of [controller, compute]) {
			expect(await run(node, 'cat /sys/class/net/eth1/operstate')).toBe('up');
			expect(await run(node, 'ip -4 -o addr show dev eth1')).toBe('');
		}
		// Temporary addresses on eth1 prove the bridge forwards; removed again right away.
		await run(controller, 'ip addr add 198.18.255.1/24 dev eth1');
		await run(compute, 'ip addr add 198.18.255.2/24 dev eth1');
		try {
			await run(compute, 'ping -c1 -W2 198.18.255.1');
		} finally {
			await run(controller, 'ip addr del 198.18.255.1/24 dev eth1');
			await run(compute, 'ip addr del 198.18.255.2/24 dev eth1');
		}
	});

	it('apt-get update works through the NAT', async () => {
		for (const node of [controller, compute]) {
			await run(node, 'DEBIAN_FRONTEND=noninteractive apt-get update -q');
		}
	});

	it('provides /dev/net/tun and the container settings for libvirt', async () => {
		for (const node of [controller, compute]) {
			expect(await run(node, 'stat -c %F /dev/net/tun')).toBe('character special file');
			// cgroup:rw:force: a writable cpu controller (v1 hierarchy on hybrid hosts, else cgroup2) for libvirt.
			const cpu = await run(
				node,
				`awk '$2 ~ "^/sys/fs/cgroup/cpu(,cpuacct)?$" && $4 ~ /^rw/ { print "v1" }' /proc/mounts;` +
					' grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null && echo v2 || true',
			);
			expect(cpu).toMatch(/v1|v2/);
		}
	});

	it('runs chrony without touching the clock and without an internet pool', async () => {
		for (const node of [controller, compute]) {
			expect(await run(node, 'systemctl is-active chrony')).toBe('active');
			expect(await run(node, 'grep -c "^pool " /etc/chrony/chrony.conf || true')).toBe('0');
		}
	});

	it.skipIf(process.env.OSC_LXC_EGRESS === 'open')('resolves only Debian mirror names', async () => {
		const r = await sshExec(controller, knownHosts, 'getent hosts example.com');
		expect(r.code).not.toBe(0);
		await run(controller, 'getent hosts deb.debian.org');
	});

	it('refuses to touch the nodes while another live process owns them, and says which', async () => {
		// Another owner, a process that lives for the test (as a deploy benchmark would while it deploys), takes the
		// nodes over from this run (forced: this run's process is alive and owns them).
		const other = spawn('sleep', ['120'], { stdio: 'ignore' });
		try {
			await runHarness(['down', 'no-such-node'], { env: { OSC_LXC_OWNER: String(other.pid), OSC_LXC_FORCE: '1' } });
			await expect(runHarness(['down', 'no-such-node'])).rejects.toThrow(
				new RegExp(`the nodes are in use by process ${other.pid} \\(sleep 120\\)`),
			);
			// the refused call destroyed nothing: the nodes still answer
			expect(await run(controller, 'true')).toBe('');
		} finally {
			other.kill();
			await new Promise((resolve) => other.once('exit', resolve));
		}
		// its owner gone, the nodes are this run's again
		await runHarness(['down', 'no-such-node']);
	});

	it('destroys the nodes', async () => {
		const t = performance.now();
		await set?.destroy();
		timings.down = seconds(t);
		const left = execFileSync('lxc-ls', ['-1'], { encoding: 'utf8' });
		expect(left).not.toMatch(/osc-acc-/);
	});
});
