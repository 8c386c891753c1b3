/**
 * What differs between runbooks, as data: service units and their log files on the node, the Compute
 * services the controller runs, the network agents each networking option puts on each node, the test
 * image, the physical network label. The checks and their parsers are the same for every runbook (the
 * OpenStack CLI's JSON is the same); only these expectations change.
 *
 * The values mirror what the runbooks in source/steps/* install (kept here, not imported, so the checks do
 * not depend on a runbook's internals; test/verify/runbook-data.test.ts checks them against the runbooks).
 */
import type { Profile, ProfileNode } from '../profile/schema.js';
import type { Runbook } from '../runbook/model.js';

export interface ServiceInfo {
	/** The service unit (systemd) or init script. */
	unit: string;
	/** Where it logs on the node ("journalctl -u UNIT" when it logs to the journal only). */
	log: string;
}

/** A neutron agent as `openstack network agent list` shows it. */
export interface AgentExpectation {
	binary: string;
	/** "Agent Type" column, e.g. "Linux bridge agent". */
	type: string;
}

export interface RunbookExpectations {
	runbookId: string;
	/** Keyed by the OpenStack binary or a short name (chrony, mariadb, rabbitmq, memcached, keystone, placement). */
	services: Record<string, ServiceInfo>;
	/** Compute services on the controller (compute service list, Binary column). */
	novaControllerBinaries: string[];
	/** Agents on the controller for each networking option, and on each compute node. */
	agents: {
		controller: Record<'provider' | 'selfservice', AgentExpectation[]>;
		compute: AgentExpectation[];
	};
	/** Catalog entries (type, name) that must exist once the Compute section is done. */
	catalog: { type: string; name: string }[];
	/** The image the glance section uploads. */
	testImage(profile: Profile, runbook: Runbook): string;
	/** The physical network label in ml2_conf.ini flat_networks / physical_interface_mappings. */
	physicalNetwork: string;
	/** The placement API's root URL (a template: placeholders allowed). */
	placementUrl: string;
	/** Where the launch form keeps uploaded public keys on the controller. */
	keyDir: string;
}

const LINUXBRIDGE: AgentExpectation = { binary: 'neutron-linuxbridge-agent', type: 'Linux bridge agent' };
const DHCP: AgentExpectation = { binary: 'neutron-dhcp-agent', type: 'DHCP agent' };
const METADATA: AgentExpectation = { binary: 'neutron-metadata-agent', type: 'Metadata agent' };
const L3: AgentExpectation = { binary: 'neutron-l3-agent', type: 'L3 agent' };

const AGENTS: RunbookExpectations['agents'] = {
	controller: { provider: [LINUXBRIDGE, DHCP, METADATA], selfservice: [LINUXBRIDGE, DHCP, METADATA, L3] },
	compute: [LINUXBRIDGE],
};

const CATALOG = [
	{ type: 'identity', name: 'keystone' },
	{ type: 'image', name: 'glance' },
	{ type: 'placement', name: 'placement' },
	{ type: 'compute', name: 'nova' },
];

function settingOr(profile: Profile, runbook: Runbook, name: string, fallback: string): string {
	return profile.settings[name] ?? runbook.settings.find((s) => s.name === name)?.default ?? fallback;
}

/** What is the same for both runbooks: the guide's agents, catalog, label, placement port and key folder. */
const SHARED = {
	agents: AGENTS,
	catalog: CATALOG,
	physicalNetwork: 'provider',
	placementUrl: 'http://{{CONTROLLER_HOST}}:8778',
	keyDir: '/var/lib/os-console/launch',
} satisfies Partial<RunbookExpectations>;

/** RDO's nova units are openstack-nova-NAME, logging to /var/log/nova/nova-NAME.log. */
function rdoNova(service: string): ServiceInfo {
	return { unit: `openstack-${service}`, log: `/var/log/nova/${service}.log` };
}

/** RDO's neutron units keep their names and log to /var/log/neutron/ without the "neutron-" prefix. */
function rdoNeutron(service: string): ServiceInfo {
	return { unit: service, log: `/var/log/neutron/${service.replace(/^neutron-/, '')}.log` };
}

/** Debian's OpenStack packages log each unit to /var/log/PROJECT/UNIT.log (PROJECT: the unit's first word). */
function debianService(unit: string): ServiceInfo {
	return { unit, log: `/var/log/${unit.split('-')[0]}/${unit}.log` };
}

/** The same service info under each name. */
function each(names: string[], info: (name: string) => ServiceInfo): Record<string, ServiceInfo> {
	return Object.fromEntries(names.map((name) => [name, info(name)]));
}

const NEUTRON_AGENTS = [
	'neutron-linuxbridge-agent',
	'neutron-dhcp-agent',
	'neutron-metadata-agent',
	'neutron-l3-agent',
];

/** centos7-ocata: RDO packages, systemd units openstack-*, logs as RDO names them. */
const CENTOS7_OCATA: RunbookExpectations = {
	...SHARED,
	runbookId: 'centos7-ocata',
	services: {
		chrony: { unit: 'chronyd', log: 'journalctl -u chronyd' },
		mariadb: { unit: 'mariadb', log: '/var/log/mariadb/mariadb.log' },
		rabbitmq: { unit: 'rabbitmq-server', log: '/var/log/rabbitmq/' },
		memcached: { unit: 'memcached', log: 'journalctl -u memcached' },
		keystone: { unit: 'httpd', log: '/var/log/keystone/keystone.log' },
		'glance-api': { unit: 'openstack-glance-api', log: '/var/log/glance/api.log' },
		placement: { unit: 'httpd', log: '/var/log/nova/nova-placement-api.log' },
		...each(['nova-api', 'nova-consoleauth', 'nova-scheduler', 'nova-conductor', 'nova-compute'], rdoNova),
		...each(['neutron-server', ...NEUTRON_AGENTS], rdoNeutron),
	},
	novaControllerBinaries: ['nova-consoleauth', 'nova-scheduler', 'nova-conductor'],
	testImage: () => 'cirros',
};

/** debian12-zed: Debian's packages; uwsgi API services; neutron-server is neutron-api + neutron-rpc-server. */
const DEBIAN12_ZED: RunbookExpectations = {
	...SHARED,
	runbookId: 'debian12-zed',
	services: {
		chrony: { unit: 'chrony', log: 'journalctl -u chrony' },
		mariadb: { unit: 'mariadb', log: '/var/log/mysql/error.log' },
		rabbitmq: { unit: 'rabbitmq-server', log: '/var/log/rabbitmq/' },
		memcached: { unit: 'memcached', log: '/var/log/memcached.log' },
		...each(['keystone', 'glance-api', 'nova-api', 'nova-scheduler', 'nova-conductor', 'nova-compute'], debianService),
		placement: debianService('placement-api'),
		'neutron-server': debianService('neutron-api'),
		...each(NEUTRON_AGENTS, debianService),
	},
	novaControllerBinaries: ['nova-scheduler', 'nova-conductor'],
	testImage: (profile, runbook) => settingOr(profile, runbook, 'IMAGE_NAME', 'cirros'),
};

const BY_RUNBOOK: Record<string, RunbookExpectations> = {
	'centos7-ocata': CENTOS7_OCATA,
	'debian12-zed': DEBIAN12_ZED,
};

/** The expectations of a runbook; runbooks without their own (the demo) get the Debian names. */
export function expectationsFor(runbook: Pick<Runbook, 'id'>): RunbookExpectations {
	return BY_RUNBOOK[runbook.id] ?? { ...DEBIAN12_ZED, runbookId: runbook.id };
}

export function hasOwnExpectations(runbookId: string): boolean {
	return runbookId in BY_RUNBOOK;
}

/** "look at nova-compute on compute1: systemctl status openstack-nova-compute; log /var/log/nova/nova-compute.log" */
export function serviceHint(expect: RunbookExpectations, service: string, node: ProfileNode | string): string {
	const where = typeof node === 'string' ? node : node.name;
	const info = expect.services[service];
	if (!info) return `look at ${service} on ${where}`;
	const log = info.log.startsWith('/') ? `log ${info.log}` : info.log;
	return `look at ${service} on ${where}: systemctl status ${info.unit}; ${log}`;
}

/** Agents expected on one node for the profile's networking option (a node with both roles gets the union). */
export function agentsForNode(expect: RunbookExpectations, profile: Profile, node: ProfileNode): AgentExpectation[] {
	const out: AgentExpectation[] = [];
	if (node.roles.includes('controller')) out.push(...expect.agents.controller[profile.network.option]);
	if (node.roles.includes('compute')) out.push(...expect.agents.compute);
	return out.filter((a, i) => out.findIndex((b) => b.binary === a.binary) === i);
}
