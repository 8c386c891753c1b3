/**
 * Node harness for the acceptance tests: throwaway Debian 12 machines as LXC system containers.
 *
 * The work is done by scripts/lxc-nodes.sh (run as root); this module is its typed front end.
 * Typical use in a test file:
 *
 *   await ensureHostPrerequisites();
 *   await destroyStale();
 *   await ensureTemplate();
 *   const set = await createNodes({ names: [{ name: 'controller', ip: '10.0.3.11' }, { name: 'compute1', ip: '10.0.3.31' }] });
 *   ... set.nodes[0].ip, .keyFile, .hostKeyLines ...
 *   await set.destroy();
 *
 * Addresses must be in 10.0.3.0/24 outside lxc-net's DHCP pool (.100-.200), i.e. .2-.99 or .201-.254.
 * Set OSC_ACC_KEEP=1 (or pass keep: true) to leave the nodes running after the test for inspection;
 * `scripts/lxc-nodes.sh ssh controller` then logs in, `scripts/lxc-nodes.sh stale` removes them.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const HARNESS_SCRIPT = fileURLToPath(new URL('../../../scripts/lxc-nodes.sh', import.meta.url));

export interface NodeSpec {
	/** Host name inside the node (also its /etc/hosts name); the container is `osc-acc-<name>`. */
	name: string;
	/** Static management address on lxcbr0, e.g. 10.0.3.11. */
	ip: string;
}

export interface LxcNode {
	name: string;
	container: string;
	ip: string;
	sshPort: 22;
	user: 'root';
	/** Private key (ed25519) accepted by root on every node. */
	keyFile: string;
	/** Interface on the provider bridge: up, no address, no uplink (for neutron's provider network). */
	providerInterface: string;
	machineId: string;
	/** `IP ssh-ed25519 AAAA...`: one known_hosts line for the node's ed25519 host key. */
	hostKeyLine: string;
	/** known_hosts lines (`IP type key`) for every host key of the node (ed25519, ecdsa, rsa). */
	hostKeyLines: string[];
}

export interface NodeSet {
	nodes: LxcNode[];
	/** Host bridge that carries every node's provider interface. */
	providerBridge: string;
	/** Host bridge of the management network (lxc-net, NAT to the Debian mirror only). */
	managementBridge: string;
	gateway: string;
	prefixLength: number;
	keyFile: string;
	/** known_hosts (`name,ip type key`) for all current harness nodes, maintained by the script. */
	knownHostsFile: string;
	/** Seconds `up` took (copy, configure, boot, until every node answered ssh and finished booting). */
	upSeconds: number;
	/** Stops and destroys these nodes (a no-op when created with keep). Safe to call twice. */
	destroy(): Promise<void>;
}

const upSchema = z.object({
	providerBridge: z.string(),
	managementBridge: z.string(),
	gateway: z.string(),
	prefixLength: z.number(),
	keyFile: z.string(),
	knownHostsFile: z.string(),
	seconds: z.number(),
	nodes: z.array(
		z.object({
			name: z.string(),
			container: z.string(),
			ip: z.string(),
			providerInterface: z.string(),
			machineId: z.string().regex(/^[0-9a-f]{32}$/),
			hostKeyLine: z.string(),
			hostKeyLines: z.array(z.string()).min(1),
		}),
	),
});

const templateSchema = z.object({
	template: z.string(),
	version: z.string(),
	rebuilt: z.boolean(),
	seconds: z.number(),
});

export type TemplateInfo = z.infer<typeof templateSchema>;

export class HarnessError extends Error {
	constructor(
		message: string,
		readonly stderrTail: string,
	) {
		super(`${message}\n${stderrTail}`);
		this.name = 'HarnessError';
	}
}

/** Runs the shell harness; its log (stderr) is passed through, its stdout (JSON) returned. */
export function runHarness(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn('bash', [HARNESS_SCRIPT, ...args], {
			stdio: ['ignore', 'pipe', 'pipe'],
			// The nodes are this process's while it runs: a deploy benchmark started meanwhile is refused (claim).
			env: { ...process.env, OSC_LXC_OWNER: process.env.OSC_LXC_OWNER ?? String(process.pid), ...options.env },
		});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			stdout += chunk;
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			stderr += chunk;
			if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
			if (process.env.OSC_ACC_QUIET !== '1') process.stderr.write(chunk);
		});
		child.on('error', reject);
		child.on('close', (code, signal) => {
			if (code === 0) resolve(stdout);
			else
				reject(
					new HarnessError(
						`lxc-nodes.sh ${args.join(' ')} failed (${signal ?? `exit ${code}`})`,
						stderr.split('\n').slice(-30).join('\n'),
					),
				);
		});
	});
}

function lastJson(stdout: string): unknown {
	const line = stdout.trim().split('\n').pop();
	if (!line) throw new Error('lxc-nodes.sh printed no result');
	return JSON.parse(line);
}

/**
 * Installs what the host needs (lxc, debootstrap, nftables, ...), creates the harness key, configures and starts
 * lxc-net (DHCP pool .100-.200, DNS limited to Debian mirror names), the egress filter and the provider bridge.
 * Idempotent and fast when everything is in place.
 */
export async function ensureHostPrerequisites(): Promise<void> {
	await runHarness(['prereqs']);
}

/**
 * Builds the stopped template container `osc-tmpl` (Debian 12 with systemd, sshd, chrony, iptables, ebtables,
 * ipset, bridge-utils, python3, ...) unless it is current. Cached across runs; rebuilt when the template code in
 * the script changes (destroying any nodes made from the old one), or always with force.
 */
export async function ensureTemplate(options: { force?: boolean } = {}): Promise<TemplateInfo> {
	const out = await runHarness(['template', ...(options.force ? ['--force'] : [])]);
	return templateSchema.parse(lastJson(out));
}

/** Destroys every harness node (containers named `osc-acc-*`), e.g. ones left behind by a killed run. */
export async function destroyStale(): Promise<string[]> {
	const out = await runHarness(['stale']);
	return z.object({ destroyed: z.array(z.string()) }).parse(lastJson(out)).destroyed;
}

/** Stops and destroys the named nodes (names as given to createNodes). */
export async function destroyNodes(names: string[]): Promise<void> {
	if (names.length > 0) await runHarness(['down', ...names]);
}

/**
 * Creates the nodes as overlay snapshots of the template (fresh machine-id and SSH host keys each), with a static
 * management address on lxcbr0, /etc/hosts naming all of them, the LXC settings libvirt/QEMU need, and a second
 * interface on the provider bridge. Resolves when every node answers ssh and systemd has finished booting.
 * Nodes with the same names are replaced. Also makes sure the host and the template are ready.
 */
export async function createNodes(options: { names: NodeSpec[]; keep?: boolean }): Promise<NodeSet> {
	const keep = options.keep ?? process.env.OSC_ACC_KEEP === '1';
	const names = options.names.map((n) => n.name);
	let parsed: z.infer<typeof upSchema>;
	try {
		const out = await runHarness(['up', ...options.names.map((n) => `${n.name}:${n.ip}`)]);
		parsed = upSchema.parse(lastJson(out));
	} catch (error) {
		if (!keep) await destroyNodes(names).catch(() => undefined);
		throw error;
	}
	let destroyed = false;
	return {
		nodes: parsed.nodes.map((n) => ({ ...n, sshPort: 22 as const, user: 'root' as const, keyFile: parsed.keyFile })),
		providerBridge: parsed.providerBridge,
		managementBridge: parsed.managementBridge,
		gateway: parsed.gateway,
		prefixLength: parsed.prefixLength,
		keyFile: parsed.keyFile,
		knownHostsFile: parsed.knownHostsFile,
		upSeconds: parsed.seconds,
		async destroy() {
			if (destroyed || keep) return;
			destroyed = true;
			await destroyNodes(names);
		},
	};
}

/**
 * OpenSSH options that use only this key and only this known_hosts file, and never ask or accept a key (no user
 * ssh config either): how the harness and bench/deploy.ts reach the nodes.
 */
export function strictSshOptions(keyFile: string, knownHostsFile: string): string[] {
	return [
		'-F',
		'none',
		'-i',
		keyFile,
		'-o',
		'IdentitiesOnly=yes',
		'-o',
		'BatchMode=yes',
		'-o',
		'StrictHostKeyChecking=yes',
		'-o',
		`UserKnownHostsFile=${knownHostsFile}`,
		'-o',
		'GlobalKnownHostsFile=/dev/null',
	];
}

export interface ExecResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/**
 * Runs a command on a node with the system ssh client, the harness key and a strict known_hosts file
 * (host keys are never accepted blindly). Never rejects for a non-zero exit; check `code`.
 */
export function sshExec(
	node: Pick<LxcNode, 'ip' | 'sshPort' | 'user' | 'keyFile'>,
	knownHostsFile: string,
	command: string,
	timeoutMs = 120_000,
): Promise<ExecResult> {
	const args = [
		...strictSshOptions(node.keyFile, knownHostsFile),
		'-p',
		String(node.sshPort),
		'-o',
		'ConnectTimeout=5',
		'-o',
		'LogLevel=ERROR',
		`${node.user}@${node.ip}`,
		command,
	];
	return new Promise((resolve, reject) => {
		const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (c: string) => {
			stdout += c;
		});
		child.stderr.setEncoding('utf8').on('data', (c: string) => {
			stderr += c;
		});
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}
