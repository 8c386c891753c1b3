/**
 * 6. Neutron (Networking service), controller node, for networking option 1 (provider networks) and option 2
 * (self-service networks: router service plugin, VXLAN, l2population, L3 agent). Linux bridge agent.
 */
import type { ActionInput, Condition, RunbookSectionInput } from '../../runbook/model.js';
import { PROVIDER, SELFSERVICE } from '../shared/conditions.js';
import { SERVICES, serviceIdentity } from '../shared/identity.js';
import { serviceClientAuth } from '../shared/keystone-auth.js';
import * as neutron from '../shared/neutron.js';
import {
	createDatabases,
	KEYSTONE_ADMIN,
	keystoneAuthtoken,
	NOVA_NEUTRON,
	restartWhenChanged,
	TRANSPORT_URL,
} from './common.js';

/** linuxbridge_agent.ini, the same on every node that runs the agent (local_ip is the node's own). */
export const LINUXBRIDGE_AGENT: ActionInput[] = neutron.linuxbridgeAgentIni('command', { removeVxlanKeys: false });

/** neutron.conf keys the controller and the compute nodes share. */
export const NEUTRON_COMMON: [string, string, string][] = [
	['DEFAULT', 'transport_url', TRANSPORT_URL],
	['DEFAULT', 'auth_strategy', 'keystone'],
	...keystoneAuthtoken('neutron', 'NEUTRON_PASS'),
	['oslo_concurrency', 'lock_path', '/var/lib/neutron/tmp'],
];

/** A wait condition: every agent of `binaries` is alive on each host of `hosts` (space-separated), per `openstack network agent list`. */
export function agentsAlive(binaries: string[], hosts: string): string {
	return [
		'osc_list=$(osc_openstack admin "" network agent list -f value -c Binary -c Host -c Alive)',
		`osc_hosts=${hosts}`,
		`osc_bins='${binaries.join(' ')}'`,
		'# shellcheck disable=SC2086',
		'for osc_h in $osc_hosts; do',
		'\t# shellcheck disable=SC2086',
		'\tfor osc_b in $osc_bins; do',
		'\t\t# columns in any order; Alive is ":-)" in this client, True in later ones',
		'\t\tprintf \'%s\\n\' "$osc_list" | grep -F -e "$osc_b" | grep -E -e "(^| )$osc_h(\\.[^ ]*)?( |$)" | grep -Eq -e \'(:-\\)|True)\' || exit 1',
		'\tdone',
		'done',
	].join('\n');
}

/** The agents of the controller in both options (option 2 adds the L3 agent). */
const CONTROLLER_AGENTS = ['neutron-linuxbridge-agent', 'neutron-dhcp-agent', 'neutron-metadata-agent'];

function controllerAgentsAlive(when: Condition, what: string, binaries: string[]): ActionInput {
	return {
		kind: 'wait',
		when,
		describe: `${what} on the controller are alive`,
		until: agentsAlive(binaries, '{{CONTROLLER_HOST}}'),
		uses: ['openstack-admin'],
		timeoutSec: 300,
	};
}

export const neutronController: RunbookSectionInput = {
	id: 'neutron-controller',
	title: 'Neutron (Networking service), controller node',
	guide: '6. Neutron, controller',
	steps: [
		{
			id: 'database',
			title: 'Create the neutron database',
			guide: '6 CREATE DATABASE neutron; GRANT ... IDENTIFIED BY NEUTRON_DBPASS',
			on: 'controller',
			actions: [createDatabases(['neutron'], 'neutron', 'NEUTRON_DBPASS')],
			timeoutSec: 120,
		},
		{
			id: 'identity',
			title: 'Create the neutron user, network service and endpoints',
			guide: '6 user neutron (admin in service), service network, endpoints on 9696',
			on: 'controller',
			actions: serviceIdentity('command', SERVICES.neutron),
			timeoutSec: 300,
		},
		{
			id: 'packages',
			title: 'Install the Networking components',
			guide: '6 yum install openstack-neutron openstack-neutron-ml2 openstack-neutron-linuxbridge ebtables',
			on: 'controller',
			actions: [
				{
					kind: 'packages',
					names: ['openstack-neutron', 'openstack-neutron-ml2', 'openstack-neutron-linuxbridge', 'ebtables'],
				},
			],
			timeoutSec: 1800,
		},
		{
			id: 'server-config',
			title: 'Configure the server component (neutron.conf)',
			guide:
				'6 neutron.conf: [database], [DEFAULT] core_plugin, service_plugins, notify_nova_*, [keystone_authtoken], [nova]',
			on: 'controller',
			actions: [
				neutron.serverConf([
					...NEUTRON_COMMON,
					...neutron.NOTIFY_NOVA,
					...serviceClientAuth('nova', 'nova', 'NOVA_PASS', { authUrl: KEYSTONE_ADMIN, domain: 'default' }),
				]),
				{
					kind: 'ini',
					describe: 'option 1: [DEFAULT] service_plugins = (none)',
					when: PROVIDER,
					file: neutron.NEUTRON_CONF,
					set: [['DEFAULT', 'service_plugins', '']],
					unset: [['DEFAULT', 'allow_overlapping_ips']],
				},
				{
					kind: 'ini',
					describe: 'option 2: [DEFAULT] service_plugins = router, allow_overlapping_ips = true',
					when: SELFSERVICE,
					file: neutron.NEUTRON_CONF,
					set: neutron.SELFSERVICE_PLUGINS,
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'ml2',
			title: 'Configure the Modular Layer 2 plug-in (ml2_conf.ini)',
			guide:
				'6 ml2_conf.ini: type_drivers, tenant_network_types, mechanism_drivers, flat_networks, vni_ranges, enable_ipset',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: neutron.ML2_INI,
					set: [neutron.ML2.extensionDrivers, neutron.ML2.flatNetworks, neutron.ML2.enableIpset],
				},
				{
					kind: 'ini',
					when: PROVIDER,
					file: neutron.ML2_INI,
					set: neutron.ML2.providerDrivers,
				},
				{
					kind: 'ini',
					when: SELFSERVICE,
					file: neutron.ML2_INI,
					set: [...neutron.ML2.selfserviceDrivers, neutron.ML2.vniRanges],
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'linuxbridge',
			title: 'Configure the Linux bridge agent',
			guide: '6 linuxbridge_agent.ini: physical_interface_mappings, [vxlan], [securitygroup]',
			on: 'controller',
			actions: [...LINUXBRIDGE_AGENT],
			timeoutSec: 60,
		},
		{
			id: 'l3-agent',
			title: 'Configure the layer-3 agent (option 2)',
			guide: '6 l3_agent.ini: [DEFAULT] interface_driver = linuxbridge',
			on: 'controller',
			when: SELFSERVICE,
			actions: [neutron.L3_AGENT],
			timeoutSec: 60,
		},
		{
			id: 'dhcp-agent',
			title: 'Configure the DHCP agent',
			guide: '6 dhcp_agent.ini: interface_driver, dhcp_driver, enable_isolated_metadata',
			on: 'controller',
			actions: [neutron.DHCP_AGENT],
			timeoutSec: 60,
		},
		{
			id: 'metadata-agent',
			title: 'Configure the metadata agent',
			guide: '6 metadata_agent.ini: nova_metadata_ip = controller, metadata_proxy_shared_secret',
			on: 'controller',
			actions: [neutron.metadataAgent('nova_metadata_ip')],
			timeoutSec: 60,
		},
		{
			id: 'nova-config',
			title: 'Configure the Compute service to use the Networking service',
			guide: '6 nova.conf [neutron] with service_metadata_proxy and metadata_proxy_shared_secret',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: '/etc/nova/nova.conf',
					set: [...NOVA_NEUTRON, ...neutron.NOVA_METADATA_PROXY],
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'db-sync',
			title: 'Link plugin.ini and populate the database',
			guide: '6 ln -s ml2_conf.ini /etc/neutron/plugin.ini; neutron-db-manage ... upgrade head',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'ln -s /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini',
					script: [
						'if [ -e /etc/neutron/plugin.ini ]; then echo "exists: /etc/neutron/plugin.ini"; else',
						'\tln -s /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini',
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: 'neutron-db-manage upgrade head (as neutron)',
					script:
						'su -s /bin/sh -c "neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head" neutron',
				},
			],
			timeoutSec: 900,
		},
		{
			id: 'services',
			title: 'Restart the Compute API and start the Networking services',
			guide:
				'6 restart openstack-nova-api; enable and start neutron-server and the agents (+ neutron-l3-agent for option 2)',
			on: 'controller',
			actions: [
				restartWhenChanged(['openstack-nova-api.service'], 'nova', { enable: false }),
				restartWhenChanged(
					[
						'neutron-server.service',
						'neutron-linuxbridge-agent.service',
						'neutron-dhcp-agent.service',
						'neutron-metadata-agent.service',
					],
					'neutron',
				),
				restartWhenChanged(['neutron-l3-agent.service'], 'neutron', { when: SELFSERVICE }),
			],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify: the controller agents are alive',
			guide: 'Verify: openstack network agent list',
			on: 'controller',
			actions: [
				controllerAgentsAlive(PROVIDER, 'the Linux bridge, DHCP and metadata agents', CONTROLLER_AGENTS),
				controllerAgentsAlive(SELFSERVICE, 'the Linux bridge, DHCP, metadata and L3 agents', [
					...CONTROLLER_AGENTS,
					'neutron-l3-agent',
				]),
				{ kind: 'openstack', creds: 'admin', args: ['network', 'agent', 'list'] },
			],
			timeoutSec: 600,
		},
	],
};
