/**
 * Looking at the deployed cloud from the test, over the harness's SSH (strict known_hosts): OpenStack CLI
 * calls on the controller with the openrc files the runbook wrote, and service logs for failure reports.
 */

import { SERVICE_LOGS } from '../../../source/steps/debian12-zed/lib.js';
import { type LxcNode, sshExec } from '../lxc/nodes.js';

export interface Remote {
	node: LxcNode;
	knownHosts: string;
}

/** Run a shell command on a node; rejects with its output when it fails. */
export async function sh(remote: Remote, command: string, timeoutMs = 180_000): Promise<string> {
	const r = await sshExec(remote.node, remote.knownHosts, command, timeoutMs);
	if (r.code !== 0) {
		throw new Error(`${remote.node.name}: \`${command}\` exited ${r.code}\n${r.stdout}\n${r.stderr}`);
	}
	return r.stdout;
}

/** `openstack ARGS -f json` on the controller as admin or demo. */
export async function openstackJson<T = unknown>(remote: Remote, creds: 'admin' | 'demo', args: string): Promise<T> {
	const out = await sh(remote, `. /root/${creds}-openrc && openstack ${args} -f json`);
	return JSON.parse(out) as T;
}

/** Splits concatenated JSON documents (the OpenStack client's batch mode prints one per command). */
export function splitJsonDocuments(text: string): unknown[] {
	const docs: unknown[] = [];
	let depth = 0;
	let start = -1;
	let inString = false;
	let escaped = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (inString) {
			if (escaped) escaped = false;
			else if (c === '\\') escaped = true;
			else if (c === '"') inString = false;
			continue;
		}
		if (c === '"') inString = true;
		else if (c === '[' || c === '{') {
			if (depth === 0) start = i;
			depth++;
		} else if (c === ']' || c === '}') {
			depth--;
			if (depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
		}
	}
	return docs;
}

/** Several `openstack ... -f json` list commands in one client process (batch mode: one start, one login). */
export async function openstackBatch(
	remote: Remote,
	creds: 'admin' | 'demo',
	commands: string[],
): Promise<Record<string, unknown>[][]> {
	const lines = commands.map((c) => `'${c} -f json'`).join(' ');
	const out = await sh(remote, `. /root/${creds}-openrc && printf '%s\\n' ${lines} | openstack`);
	const docs = splitJsonDocuments(out);
	if (docs.length !== commands.length) {
		throw new Error(`openstack batch: ${commands.length} commands, ${docs.length} results:\n${out}`);
	}
	return docs as Record<string, unknown>[][];
}

/** What exists in the cloud, by kind, as sorted identifying strings (to compare before and after a re-run). */
export async function inventory(
	controller: Remote,
	option: 'provider' | 'selfservice',
): Promise<Record<string, string[]>> {
	const admin: [string, string, string[]][] = [
		['projects', 'project list', ['Name']],
		['users', 'user list', ['Name']],
		['roles', 'role list', ['Name']],
		['roleAssignments', 'role assignment list --names', ['Role', 'User', 'Project']],
		['services', 'service list', ['Name', 'Type']],
		['endpoints', 'endpoint list', ['Service Name', 'Interface', 'Region', 'URL']],
		['images', 'image list', ['Name', 'Status']],
		['flavors', 'flavor list', ['Name']],
		['computeServices', 'compute service list', ['Binary', 'Host']],
		['hypervisors', 'hypervisor list', ['Hypervisor Hostname']],
		['networkAgents', 'network agent list', ['Agent Type', 'Host']],
		['networks', 'network list', ['Name']],
		['subnets', 'subnet list', ['Name', 'Subnet']],
		['ports', 'port list --long', ['Fixed IP Addresses', 'Status']],
	];
	// Option 1 has no router service plug-in: its API (routers, floating IPs) does not exist.
	if (option === 'selfservice') {
		admin.push(['floatingIps', 'floating ip list', ['Floating IP Address']], ['routers', 'router list', ['Name']]);
	}
	const demo: [string, string, string[]][] = [
		['servers', 'server list', ['Name', 'Status']],
		['keypairs', 'keypair list', ['Name']],
		['securityGroupRules', 'security group rule list default', ['IP Protocol', 'Ethertype', 'Port Range', 'Direction']],
	];
	const result: Record<string, string[]> = {};
	for (const [creds, specs] of [
		['admin', admin],
		['demo', demo],
	] as const) {
		const docs = await openstackBatch(
			controller,
			creds,
			specs.map(([, command]) => command),
		);
		specs.forEach(([name, , fields], i) => {
			result[name] = docs[i]!.map((row) => fields.map((f) => JSON.stringify(row[f])).join(' ')).sort();
		});
	}
	return result;
}

/** Which services' logs explain a failure in a section, and on which role's nodes they are. */
export const SECTION_SERVICES: Record<string, { controller: string[]; compute: string[] }> = {
	environment: { controller: ['mariadb'], compute: [] },
	keystone: { controller: ['keystone'], compute: [] },
	glance: { controller: ['glance-api', 'keystone'], compute: [] },
	placement: { controller: ['placement-api'], compute: [] },
	'nova-controller': {
		controller: ['nova-api', 'nova-api-metadata', 'nova-scheduler', 'nova-conductor', 'nova-novncproxy'],
		compute: [],
	},
	'nova-compute': { controller: ['nova-conductor', 'nova-scheduler'], compute: ['nova-compute'] },
	'neutron-controller': {
		controller: [
			'neutron-api',
			'neutron-rpc-server',
			'neutron-linuxbridge-agent',
			'neutron-dhcp-agent',
			'neutron-metadata-agent',
		],
		compute: [],
	},
	'neutron-compute': {
		controller: ['neutron-rpc-server'],
		compute: ['neutron-linuxbridge-agent', 'nova-compute'],
	},
	// RabbitMQ too: a build stuck in BUILD with the scheduler silent was the broker (ECONNRESET) once.
	'launch-instance': {
		controller: ['nova-conductor', 'nova-scheduler', 'neutron-api', 'neutron-dhcp-agent', 'rabbitmq-server'],
		compute: ['nova-compute', 'neutron-linuxbridge-agent'],
	},
};

/** The last lines of the section's service logs (and the journal of their units) on each node. */
export async function serviceLogs(
	section: string,
	controller: Remote,
	computes: Remote[],
	lines = 60,
): Promise<string> {
	const wanted = SECTION_SERVICES[section] ?? { controller: [], compute: [] };
	const parts: string[] = [];
	const collect = async (remote: Remote, services: string[]) => {
		for (const service of services) {
			const file = SERVICE_LOGS[service];
			const command = [
				`echo "----- ${remote.node.name}: systemctl status ${service}"`,
				`systemctl --no-pager --lines=0 status ${service} 2>&1 | head -n 5`,
				`echo "----- ${remote.node.name}: journalctl -u ${service} (last 20)"`,
				`journalctl --no-pager -u ${service} -n 20 2>&1`,
				file ? `echo "----- ${remote.node.name}: ${file} (last ${lines})"; tail -n ${lines} ${file} 2>&1` : 'true',
			].join('; ');
			const r = await sshExec(remote.node, remote.knownHosts, command, 60_000).catch((e: Error) => ({
				code: -1,
				stdout: '',
				stderr: e.message,
			}));
			parts.push(`${r.stdout}${r.stderr}`);
		}
	};
	await collect(controller, wanted.controller);
	for (const c of computes) await collect(c, wanted.compute);
	return parts.join('\n');
}
