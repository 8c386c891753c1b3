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

/** What exists in the cloud, by kind, as sorted identifying strings (to compare before and after a re-run). */
export async function inventory(controller: Remote): Promise<Record<string, string[]>> {
	const list = async (creds: 'admin' | 'demo', args: string, fields: string[]) => {
		const rows = await openstackJson<Record<string, unknown>[]>(controller, creds, args);
		return rows.map((r) => fields.map((f) => String(r[f])).join(' ')).sort();
	};
	return {
		projects: await list('admin', 'project list', ['Name']),
		users: await list('admin', 'user list', ['Name']),
		roles: await list('admin', 'role list', ['Name']),
		roleAssignments: await list('admin', 'role assignment list --names', ['Role', 'User', 'Project']),
		services: await list('admin', 'service list', ['Name', 'Type']),
		endpoints: await list('admin', 'endpoint list', ['Service Name', 'Interface', 'Region', 'URL']),
		images: await list('admin', 'image list', ['Name', 'Status']),
		flavors: await list('admin', 'flavor list', ['Name']),
		computeServices: await list('admin', 'compute service list', ['Binary', 'Host']),
		hypervisors: await list('admin', 'hypervisor list', ['Hypervisor Hostname']),
		networkAgents: await list('admin', 'network agent list', ['Agent Type', 'Host']),
		networks: await list('admin', 'network list', ['Name']),
		subnets: await list('admin', 'subnet list', ['Name', 'Subnet']),
		ports: await list('admin', 'port list --long', ['Fixed IP Addresses', 'Status']),
		servers: await list('demo', 'server list', ['Name', 'Status']),
		keypairs: await list('demo', 'keypair list', ['Name']),
		securityGroupRules: await list('demo', 'security group rule list default', [
			'IP Protocol',
			'Ethertype',
			'Port Range',
			'Direction',
		]),
	};
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
	'launch-instance': {
		controller: ['nova-conductor', 'nova-scheduler', 'neutron-api', 'neutron-dhcp-agent'],
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
