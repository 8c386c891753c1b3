/**
 * The checks of the install guide's "Verify operation" sections, as data. Each runs one typed action on its
 * node through Engine.exec (OpenStack CLI with `-f json` where it exists, credentials from the environment,
 * secrets never in argv) and is judged by a pure parser (parsers.ts). Per-runbook differences (service
 * names, log paths, agents, the test image) are in runbook-data.ts.
 */
import { controllerOf, type Profile, type ProfileNode } from '../profile/schema.js';
import type { Runbook } from '../runbook/model.js';
import {
	HTTP_STATUS_MARKER,
	parseCatalog,
	parseChrony,
	parseComputeServices,
	parseDatabase,
	parseImageList,
	parseMemcached,
	parseNetworkAgents,
	parsePlacement,
	parseRabbitUsers,
	parseToken,
	parseUpgradeCheck,
} from './parsers.js';
import { expectationsFor } from './runbook-data.js';
import {
	type CheckContext,
	type CheckDef,
	type CheckInstance,
	instanceKey,
	isVerifySection,
	VERIFY_SECTIONS,
	type VerifySectionId,
} from './types.js';

/** Python 2 and 3 alike (CentOS 7 runs the client on python 2): memcached's answer to `version`. */
const MEMCACHED_PY = [
	'import socket, sys',
	'addr = (sys.argv[1], int(sys.argv[2]))',
	'try:',
	'    s = socket.create_connection(addr, 5)',
	'    s.sendall(b"version\\r\\n")',
	'    print(s.recv(256).decode("ascii", "replace").strip())',
	'except Exception as e:',
	'    sys.stderr.write("%s:%s: %s\\n" % (addr[0], addr[1], e))',
	'    sys.exit(1)',
].join('\n');

export const CHECKS: readonly CheckDef[] = [
	{
		id: 'environment.chrony',
		section: 'environment',
		title: 'chrony: time sources reachable',
		on: 'all',
		actions: () => [{ kind: 'shell', describe: 'chronyc -c -n sources', script: 'chronyc -c -n sources' }],
		parse: parseChrony,
		timeoutSec: 30,
	},
	{
		id: 'environment.database',
		section: 'environment',
		title: 'MariaDB answers',
		on: 'controller',
		actions: () => [
			{
				kind: 'sql',
				describe: 'SELECT as the database root user',
				sql: "SELECT 'osc-db-ok' AS probe, VERSION() AS version;",
			},
		],
		parse: parseDatabase,
		timeoutSec: 30,
	},
	{
		id: 'environment.rabbitmq',
		section: 'environment',
		title: 'RabbitMQ user openstack present',
		on: 'controller',
		actions: () => [{ kind: 'shell', describe: 'rabbitmqctl -q list_users', script: 'rabbitmqctl -q list_users' }],
		parse: parseRabbitUsers,
		timeoutSec: 60,
	},
	{
		id: 'environment.memcached',
		section: 'environment',
		title: 'memcached answers on the management address',
		on: 'controller',
		actions: (ctx) => [
			{
				kind: 'shell',
				describe: 'ask memcached for its version on CONTROLLER_IP:11211',
				script: `${ctx.runbook.os.python} -c '${MEMCACHED_PY}' {{CONTROLLER_IP}} 11211`,
			},
		],
		parse: parseMemcached,
		timeoutSec: 30,
	},
	{
		id: 'keystone.token-admin',
		section: 'keystone',
		title: 'token issue as admin',
		on: 'controller',
		actions: () => [{ kind: 'openstack', creds: 'admin', args: ['token', 'issue', '-f', 'json'] }],
		parse: parseToken('admin'),
	},
	{
		id: 'keystone.token-demo',
		section: 'keystone',
		title: 'token issue as demo',
		on: 'controller',
		actions: () => [{ kind: 'openstack', creds: 'demo', args: ['token', 'issue', '-f', 'json'] }],
		parse: parseToken('demo'),
	},
	{
		id: 'glance.images',
		section: 'glance',
		title: 'image list: the test image is active',
		on: 'controller',
		actions: () => [{ kind: 'openstack', creds: 'admin', args: ['image', 'list', '-f', 'json'] }],
		parse: parseImageList,
	},
	{
		id: 'placement.api',
		section: 'placement',
		title: 'the placement API answers',
		on: 'controller',
		actions: (ctx) => [
			{
				kind: 'shell',
				describe: `curl the placement API (${ctx.expect.placementUrl}/)`,
				script: `curl -sS --max-time 15 -H 'Accept: application/json' -w '\\n${HTTP_STATUS_MARKER} %{http_code}\\n' ${ctx.expect.placementUrl}/`,
			},
		],
		parse: parsePlacement,
		timeoutSec: 30,
	},
	{
		id: 'nova.services',
		section: 'nova',
		title: 'compute services enabled and up, one nova-compute per compute node',
		on: 'controller',
		actions: () => [
			{ kind: 'openstack', creds: 'admin', args: ['compute', 'service', 'list', '--long', '-f', 'json'] },
		],
		parse: parseComputeServices,
	},
	{
		id: 'nova.upgrade-check',
		section: 'nova',
		title: 'nova-status upgrade check: all Success',
		on: 'controller',
		actions: () => [{ kind: 'shell', describe: 'nova-status upgrade check', script: 'nova-status upgrade check' }],
		parse: parseUpgradeCheck,
		timeoutSec: 120,
	},
	{
		id: 'nova.catalog',
		section: 'nova',
		title: 'the catalog has identity, image, placement and compute',
		on: 'controller',
		actions: () => [{ kind: 'openstack', creds: 'admin', args: ['catalog', 'list', '-f', 'json'] }],
		parse: parseCatalog,
	},
	{
		id: 'neutron.agents',
		section: 'neutron',
		title: 'network agents alive and up on every node',
		on: 'controller',
		actions: () => [{ kind: 'openstack', creds: 'admin', args: ['network', 'agent', 'list', '-f', 'json'] }],
		parse: parseNetworkAgents,
	},
];

export function checkContext(runbook: Runbook, profile: Profile, node: ProfileNode): CheckContext {
	return { runbook, profile, node, expect: expectationsFor(runbook) };
}

function nodesFor(def: CheckDef, profile: Profile): ProfileNode[] {
	if (def.on === 'controller') return [controllerOf(profile)];
	if (def.on === 'all') return profile.nodes;
	return profile.nodes.filter((n) => n.roles.includes('compute'));
}

export class VerifySelectionError extends Error {
	override name = 'VerifySelectionError';
}

export interface CheckSelection {
	section?: string;
	/** A check id ("nova.services") or an instance key ("environment.chrony@compute1"). */
	check?: string;
	node?: string;
}

/** Every check on every node it runs on, in guide order; narrowed by section, check or node. */
export function planChecks(profile: Profile, selection: CheckSelection = {}): CheckInstance[] {
	if (selection.section !== undefined && !isVerifySection(selection.section)) {
		throw new VerifySelectionError(
			`no verification section "${selection.section}" (sections: ${VERIFY_SECTIONS.map((s) => s.id).join(', ')})`,
		);
	}
	let wantedCheck = selection.check;
	let wantedNode = selection.node;
	if (wantedCheck?.includes('@')) {
		const [id, node] = wantedCheck.split('@');
		wantedCheck = id;
		wantedNode = node;
	}
	if (wantedCheck !== undefined && !CHECKS.some((c) => c.id === wantedCheck)) {
		throw new VerifySelectionError(`no check "${wantedCheck}" (checks: ${CHECKS.map((c) => c.id).join(', ')})`);
	}
	if (wantedNode !== undefined && !profile.nodes.some((n) => n.name === wantedNode)) {
		throw new VerifySelectionError(
			`no node "${wantedNode}" in profile ${profile.name} (nodes: ${profile.nodes.map((n) => n.name).join(', ')})`,
		);
	}
	const out: CheckInstance[] = [];
	for (const section of VERIFY_SECTIONS) {
		if (selection.section && section.id !== selection.section) continue;
		for (const def of CHECKS.filter((c) => c.section === section.id)) {
			if (wantedCheck && def.id !== wantedCheck) continue;
			for (const node of nodesFor(def, profile)) {
				if (wantedNode && node.name !== wantedNode) continue;
				out.push({ key: instanceKey(def.id, node.name), def, node });
			}
		}
	}
	return out;
}

/**
 * The verification section that follows a runbook section: the panel opens on it when a service section
 * ends (nova-controller and nova-compute → nova, neutron-* → neutron). Undefined when none does.
 */
export function verifySectionForRunbookSection(runbookSectionId: string): VerifySectionId | undefined {
	if (isVerifySection(runbookSectionId)) return runbookSectionId;
	const base = runbookSectionId.split('-')[0] ?? '';
	return isVerifySection(base) ? base : undefined;
}

/** The hint shown when a check could not run at all on its node (no connection, killed). */
export function unreachableHint(ctx: CheckContext): string {
	return `check that the console reaches ${ctx.node.name} over SSH (${ctx.node.user}@${ctx.node.host}:${ctx.node.port})`;
}
