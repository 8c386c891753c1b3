/**
 * Networking service, controller node (Neutron 21, Zed), Linux bridge, option 1 (provider) or 2 (self-service).
 * Debian specifics: neutron-server is neutron-api (uwsgi on :9696) plus neutron-rpc-server; the packaged
 * defaults are Open vSwitch-oriented and are replaced by the guide's Linux bridge values.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { PROVIDER, SELFSERVICE } from '../shared/conditions.js';
import { SERVICES } from '../shared/identity.js';
import * as neutron from '../shared/neutron.js';
import {
	ADMIN_RC,
	asUser,
	authtoken,
	databaseStep,
	ensureServices,
	serviceEntitiesStep,
	uwsgiAmqpHeartbeat,
	uwsgiProcesses,
	waitAgents,
	waitHttp,
} from './lib.js';
import { linuxbridgeAgentActions, neutronCommonSettings } from './neutron-common.js';
import { NOVA_CONF, novaNeutronSettings } from './nova-common.js';
import { novaControllerServices } from './nova-controller.js';

export const neutronController: RunbookSectionInput = {
	id: 'neutron-controller',
	title: 'Networking service (Neutron): controller node',
	guide: 'Neutron Zed install guide: Install and configure controller node, networking option 1 or 2 (Linux bridge)',
	steps: [
		databaseStep(
			'database',
			'Neutron database',
			'Neutron controller: Prerequisites (database)',
			['neutron'],
			'neutron',
			'NEUTRON_DBPASS',
		),
		serviceEntitiesStep(
			'Neutron user, network service entity and API endpoints',
			'Neutron controller: Prerequisites (user neutron, service network, endpoints :9696)',
			SERVICES.neutron,
		),
		{
			id: 'install',
			title: 'Install the neutron server, Linux bridge, DHCP and metadata agents',
			guide: 'Neutron controller, option 1/2: Install the components (Debian: neutron-api + neutron-rpc-server)',
			on: 'controller',
			actions: [
				{
					kind: 'packages',
					names: [
						'neutron-api',
						'neutron-rpc-server',
						'neutron-linuxbridge-agent',
						'neutron-dhcp-agent',
						'neutron-metadata-agent',
					],
					noRecommends: true,
					noStart: true,
				},
				{
					kind: 'packages',
					describe: 'option 2: the L3 agent',
					when: SELFSERVICE,
					names: ['neutron-l3-agent'],
					noRecommends: true,
					noStart: true,
				},
			],
			timeoutSec: 1500,
		},
		{
			id: 'configure-server',
			title: 'Configure the server component and the ML2 plug-in',
			guide: 'Neutron controller, option 1/2: neutron.conf, ml2_conf.ini (Debian defaults are Open vSwitch)',
			on: 'controller',
			actions: [
				neutron.serverConf([
					...neutron.NOTIFY_NOVA,
					...neutronCommonSettings(),
					...authtoken('nova', 'NOVA_PASS', { section: 'nova' }).filter(
						([, k]) => !['www_authenticate_uri', 'memcached_servers'].includes(k),
					),
				]),
				{
					kind: 'ini',
					describe: 'option 1: no service plug-ins (Debian enables router, metering, qos)',
					when: PROVIDER,
					file: neutron.NEUTRON_CONF,
					set: [['DEFAULT', 'service_plugins', '']],
				},
				{
					kind: 'ini',
					describe: 'option 2: the router plug-in and overlapping addresses',
					when: SELFSERVICE,
					file: neutron.NEUTRON_CONF,
					set: neutron.SELFSERVICE_PLUGINS,
				},
				{
					kind: 'ini',
					describe: 'option 1: flat and VLAN provider networks, Linux bridge (Debian: Open vSwitch, VXLAN)',
					when: PROVIDER,
					file: neutron.ML2_INI,
					set: [
						...neutron.ML2.providerDrivers,
						neutron.ML2.extensionDrivers,
						neutron.ML2.flatNetworks,
						neutron.ML2.enableIpset,
					],
				},
				{
					kind: 'ini',
					describe: 'option 2: flat, VLAN and VXLAN, Linux bridge with l2population',
					when: SELFSERVICE,
					file: neutron.ML2_INI,
					set: [
						...neutron.ML2.selfserviceDrivers,
						neutron.ML2.extensionDrivers,
						neutron.ML2.flatNetworks,
						neutron.ML2.vniRanges,
						neutron.ML2.enableIpset,
					],
				},
				uwsgiProcesses('/etc/neutron/neutron-api-uwsgi.ini'),
				uwsgiAmqpHeartbeat('/etc/neutron/neutron-api-uwsgi.ini'),
				{
					kind: 'shell',
					describe: 'lock directory /var/lib/neutron/tmp',
					script: 'install -d -o neutron -g neutron -m 0750 /var/lib/neutron/tmp',
				},
			],
			timeoutSec: 120,
		},
		{
			id: 'configure-agents',
			title: 'Configure the Linux bridge, DHCP, metadata (and L3) agents',
			guide: 'Neutron controller: linuxbridge_agent.ini, dhcp_agent.ini, l3_agent.ini, metadata_agent.ini',
			on: 'controller',
			actions: [
				...linuxbridgeAgentActions(),
				neutron.DHCP_AGENT,
				{ ...neutron.L3_AGENT, when: SELFSERVICE },
				neutron.metadataAgent('nova_metadata_host'),
			],
			timeoutSec: 120,
		},
		{
			id: 'configure-nova',
			title: 'Configure the Compute service to use the Networking service',
			guide: 'Neutron controller: nova.conf [neutron] (with the metadata proxy)',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: NOVA_CONF,
					set: [...novaNeutronSettings(), ...neutron.NOVA_METADATA_PROXY],
					// Debian: debconf pre-filled a floating IP pool that does not exist.
					unset: [['neutron', 'default_floating_pool']],
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'populate',
			title: 'Populate the neutron database',
			guide: 'Neutron controller: neutron-db-manage upgrade head',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'neutron-db-manage upgrade head (as user neutron)',
					script: asUser(
						'neutron',
						'neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head',
					),
				},
			],
			timeoutSec: 900,
		},
		{
			id: 'start',
			title: 'Start the networking services; restart the nova services for their new [neutron] settings',
			guide: 'Neutron controller: Finalize installation (Debian: neutron-api, neutron-rpc-server; nova-api-metadata)',
			on: 'controller',
			actions: [
				ensureServices([
					'neutron-api',
					'neutron-rpc-server',
					'neutron-linuxbridge-agent',
					'neutron-dhcp-agent',
					'neutron-metadata-agent',
				]),
				{ ...ensureServices(['neutron-l3-agent']), when: SELFSERVICE },
				waitHttp('http://{{CONTROLLER_HOST}}:9696', 'neutron-api', '/var/log/neutron/neutron-api.log'),
				// nova.conf [neutron] changed: every nova service of the controller reads it (the guide restarts nova-api).
				...novaControllerServices(),
				waitAgents(
					[
						{ type: 'Linux bridge agent', hosts: '{{CONTROLLER_HOST}}' },
						{ type: 'DHCP agent', hosts: '{{CONTROLLER_HOST}}' },
						{ type: 'Metadata agent', hosts: '{{CONTROLLER_HOST}}' },
					],
					'the Linux bridge, DHCP and metadata agents of the controller',
					{ log: '/var/log/neutron/neutron-linuxbridge-agent.log' },
				),
				{
					...waitAgents([{ type: 'L3 agent', hosts: '{{CONTROLLER_HOST}}' }], 'the L3 agent', {
						log: '/var/log/neutron/neutron-l3-agent.log',
					}),
					when: SELFSERVICE,
				},
			],
			verify: `${ADMIN_RC}\nopenstack network agent list`,
			timeoutSec: 600,
		},
	],
};
