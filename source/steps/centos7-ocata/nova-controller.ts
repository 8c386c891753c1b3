/**
 * 4. Nova (Compute service), controller node: nova-api, conductor, scheduler, consoleauth, novncproxy and the
 * placement API, with cells v2 (cell0 mapped before the db sync, as Ocata requires).
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { SERVICES, serviceIdentity } from '../shared/identity.js';
import {
	createDatabases,
	dbUrl,
	keystoneAuthtoken,
	NOVA_PLACEMENT,
	restartWhenChanged,
	TRANSPORT_URL,
} from './common.js';

/** nova.conf keys the controller and the compute nodes share ([DEFAULT] my_ip differs per node). */
export const NOVA_COMMON: [string, string, string][] = [
	['DEFAULT', 'enabled_apis', 'osapi_compute,metadata'],
	['DEFAULT', 'transport_url', TRANSPORT_URL],
	['DEFAULT', 'my_ip', '{{NODE_IP}}'],
	['DEFAULT', 'use_neutron', 'True'],
	['DEFAULT', 'firewall_driver', 'nova.virt.firewall.NoopFirewallDriver'],
	['api', 'auth_strategy', 'keystone'],
	...keystoneAuthtoken('nova', 'NOVA_PASS'),
	['glance', 'api_servers', 'http://{{CONTROLLER_HOST}}:9292'],
	['oslo_concurrency', 'lock_path', '/var/lib/nova/tmp'],
	...NOVA_PLACEMENT,
];

/** RH bug 1430540: the placement API's wsgi script in /usr/bin is not reachable without this. */
const PLACEMENT_HTTPD_FIX = [
	'<Directory /usr/bin>',
	'   <IfVersion >= 2.4>',
	'      Require all granted',
	'   </IfVersion>',
	'   <IfVersion < 2.4>',
	'      Order allow,deny',
	'      Allow from all',
	'   </IfVersion>',
	'</Directory>',
];

export const novaController: RunbookSectionInput = {
	id: 'nova-controller',
	title: 'Nova (Compute service), controller node',
	guide: '4. Nova, controller',
	steps: [
		{
			id: 'database',
			title: 'Create the nova_api, nova and nova_cell0 databases',
			guide: '4.1 CREATE DATABASE nova_api, nova, nova_cell0; GRANT ... IDENTIFIED BY NOVA_DBPASS',
			on: 'controller',
			actions: [createDatabases(['nova_api', 'nova', 'nova_cell0'], 'nova', 'NOVA_DBPASS')],
			timeoutSec: 120,
		},
		{
			id: 'identity',
			title: 'Create the nova user, compute service and endpoints',
			guide: '4.3-4.4 user nova (admin in service), service compute, endpoints on 8774/v2.1',
			on: 'controller',
			actions: serviceIdentity('command', SERVICES.nova),
			timeoutSec: 300,
		},
		{
			id: 'placement-identity',
			title: 'Create the placement user, service and endpoints',
			guide: '4.5-4.6 user placement (admin in service), service placement, endpoints on 8778',
			on: 'controller',
			actions: serviceIdentity('command', SERVICES.placement),
			timeoutSec: 300,
		},
		{
			id: 'packages',
			title: 'Install the Compute controller packages',
			guide: '4.7 yum install openstack-nova-api ... openstack-nova-placement-api',
			on: 'controller',
			actions: [
				{
					kind: 'packages',
					names: [
						'openstack-nova-api',
						'openstack-nova-conductor',
						'openstack-nova-console',
						'openstack-nova-novncproxy',
						'openstack-nova-scheduler',
						'openstack-nova-placement-api',
					],
				},
			],
			timeoutSec: 1800,
		},
		{
			id: 'config',
			title: 'Configure nova.conf on the controller',
			guide:
				'4.8 nova.conf: [DEFAULT], [api_database], [database], [api], [keystone_authtoken], [vnc], [glance], [oslo_concurrency], [placement]',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: '/etc/nova/nova.conf',
					set: [
						...NOVA_COMMON,
						['api_database', 'connection', dbUrl('nova', 'NOVA_DBPASS', 'nova_api')],
						['database', 'connection', dbUrl('nova', 'NOVA_DBPASS', 'nova')],
						['vnc', 'enabled', 'true'],
						['vnc', 'vncserver_listen', '$my_ip'],
						['vnc', 'vncserver_proxyclient_address', '$my_ip'],
					],
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'placement-httpd',
			title: 'Allow access to the Placement API (packaging bug)',
			guide: '4.9 RH bug 1430540: <Directory /usr/bin> in 00-nova-placement-api.conf, restart httpd',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'append the <Directory /usr/bin> block to /etc/httpd/conf.d/00-nova-placement-api.conf (once)',
					script: [
						'osc_f=/etc/httpd/conf.d/00-nova-placement-api.conf',
						'if grep -q "^<Directory /usr/bin>" "$osc_f"; then echo "unchanged: $osc_f"; else',
						`\tprintf '\\n%s\\n' ${PLACEMENT_HTTPD_FIX.map((l) => `'${l}'`).join(' ')} >> "$osc_f"`,
						'\techo "changed:   $osc_f"',
						'fi',
					].join('\n'),
				},
				restartWhenChanged(['httpd.service'], 'httpd'),
				{
					kind: 'wait',
					describe: 'the placement API answers on 8778',
					until: 'curl -fsS http://{{CONTROLLER_HOST}}:8778/',
					timeoutSec: 120,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'db-sync',
			title: 'Populate the databases and register the cells',
			guide: '4.10 api_db sync; cell_v2 map_cell0; cell_v2 create_cell --name=cell1; db sync; cell_v2 list_cells',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'nova-manage api_db sync (as nova)',
					script: 'su -s /bin/sh -c "nova-manage api_db sync" nova',
				},
				{
					kind: 'shell',
					describe: 'nova-manage cell_v2 map_cell0 (as nova)',
					script: 'su -s /bin/sh -c "nova-manage cell_v2 map_cell0" nova',
				},
				{
					kind: 'shell',
					describe: 'nova-manage cell_v2 create_cell --name=cell1 (only when there is no cell1)',
					script: [
						'if nova-manage cell_v2 list_cells 2>/dev/null | grep -q \'| *cell1 *|\'; then echo "cell1 exists"; else',
						'\tsu -s /bin/sh -c "nova-manage cell_v2 create_cell --name=cell1 --verbose" nova',
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: 'nova-manage db sync (as nova)',
					script: 'su -s /bin/sh -c "nova-manage db sync" nova',
				},
				{
					kind: 'shell',
					describe: 'nova-manage cell_v2 list_cells (cell0 and cell1)',
					script: 'nova-manage cell_v2 list_cells',
				},
			],
			verify:
				"nova-manage cell_v2 list_cells | grep -q ' 00000000-0000-0000-0000-000000000000 ' && nova-manage cell_v2 list_cells | grep -q '| *cell1 *|'",
			timeoutSec: 900,
		},
		{
			id: 'services',
			title: 'Start the Compute controller services',
			guide: '4.11 enable and start openstack-nova-api, consoleauth, scheduler, conductor, novncproxy',
			on: 'controller',
			actions: [
				restartWhenChanged(
					[
						'openstack-nova-api.service',
						'openstack-nova-consoleauth.service',
						'openstack-nova-scheduler.service',
						'openstack-nova-conductor.service',
						'openstack-nova-novncproxy.service',
					],
					'nova',
				),
			],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify: the controller services are up',
			guide: 'Verify: openstack compute service list (nova-consoleauth, nova-scheduler, nova-conductor up)',
			on: 'controller',
			actions: [
				{
					kind: 'wait',
					describe: 'nova-consoleauth, nova-scheduler and nova-conductor report up',
					until: [
						'osc_list=$(osc_openstack admin "" compute service list -f value -c Binary -c State)',
						'for osc_b in nova-consoleauth nova-scheduler nova-conductor; do',
						'\tprintf \'%s\\n\' "$osc_list" | grep -F -e "$osc_b" | grep -qw up || exit 1',
						'done',
					].join('\n'),
					uses: ['openstack-admin'],
					timeoutSec: 180,
				},
				{ kind: 'openstack', creds: 'admin', args: ['compute', 'service', 'list'] },
			],
			timeoutSec: 300,
		},
	],
};
