/**
 * Compute service, controller node (Nova 26, Zed). Debian specifics: nova-api is uwsgi on :8774 only and the
 * metadata API is its own service nova-api-metadata (uwsgi on :8775); noVNC comes from nova-consoleproxy,
 * whose debconf default is SPICE.
 */
import type { ActionInput, RunbookSectionInput } from '../../runbook/model.js';
import { dbUrl } from '../shared/database.js';
import { SERVICES } from '../shared/identity.js';
import {
	ADMIN_RC,
	asUser,
	databaseStep,
	ensureServices,
	serviceEntitiesStep,
	tailLog,
	uwsgiAmqpHeartbeat,
	uwsgiProcesses,
	waitHttp,
} from './lib.js';
import { NOVA_CONF, novaCommonSettings } from './nova-common.js';

const consoleProxyScript = String.raw`osc_f=/etc/default/nova-consoleproxy
if grep -qx 'NOVA_CONSOLE_PROXY_TYPE=novnc' "$osc_f" 2>/dev/null; then
	echo "unchanged: $osc_f selects novnc"
elif grep -q '^NOVA_CONSOLE_PROXY_TYPE=' "$osc_f" 2>/dev/null; then
	sed -i 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' "$osc_f"
	echo "set:       $osc_f NOVA_CONSOLE_PROXY_TYPE=novnc (Debian's debconf default was SPICE)"
else
	echo 'NOVA_CONSOLE_PROXY_TYPE=novnc' >> "$osc_f"
	echo "set:       $osc_f NOVA_CONSOLE_PROXY_TYPE=novnc"
fi`;

const populateScript = String.raw`${asUser('nova', 'nova-manage api_db sync')}
${asUser('nova', 'nova-manage cell_v2 map_cell0')}
if ${asUser('nova', 'nova-manage cell_v2 list_cells')} | grep -q '| cell1 '; then
	echo "unchanged: cell1 exists"
else
	${asUser('nova', 'nova-manage cell_v2 create_cell --name=cell1 --verbose')}
fi
${asUser('nova', 'nova-manage db sync')}
${asUser('nova', 'nova-manage cell_v2 list_cells')}`;

/** Start (or restart after a nova.conf change) every nova service of the controller, and wait for each. */
export function novaControllerServices(): ActionInput[] {
	return [
		ensureServices(['nova-api', 'nova-api-metadata', 'nova-scheduler', 'nova-conductor', 'nova-novncproxy']),
		waitHttp('http://{{CONTROLLER_HOST}}:8774', 'nova-api', '/var/log/nova/nova-api.log'),
		waitHttp('http://{{CONTROLLER_HOST}}:8775', 'nova-api-metadata', '/var/log/nova/nova-api-metadata.log'),
		waitHttp('http://{{CONTROLLER_HOST}}:6080/vnc_auto.html', 'nova-novncproxy', '/var/log/nova/nova-novncproxy.log'),
		{
			kind: 'wait',
			describe: 'nova-scheduler and nova-conductor report up',
			until: `${ADMIN_RC}
osc_services=$(openstack compute service list -f value -c Binary -c Host -c State) || exit 1
for osc_b in nova-scheduler nova-conductor; do
	if ! printf '%s\\n' "$osc_services" | grep -Fqx "$osc_b "{{CONTROLLER_HOST}}" up"; then
		echo "$osc_b on" {{CONTROLLER_HOST}} "is not up yet"
		${tailLog('/var/log/nova/"$osc_b".log', 20)}
		exit 1
	fi
done`,
			timeoutSec: 180,
			intervalSec: 3,
		},
	];
}

export const novaController: RunbookSectionInput = {
	id: 'nova-controller',
	title: 'Compute service (Nova): controller node',
	guide: 'Nova Zed install guide: Install and configure controller node (Ubuntu variant), adapted to Debian 12',
	steps: [
		databaseStep(
			'database',
			'Nova databases (nova_api, nova, nova_cell0)',
			'Nova controller: Prerequisites (databases)',
			['nova_api', 'nova', 'nova_cell0'],
			'nova',
			'NOVA_DBPASS',
		),
		serviceEntitiesStep(
			'Nova user, compute service entity and API endpoints',
			'Nova controller: Prerequisites (user nova, service compute, endpoints :8774/v2.1)',
			SERVICES.nova,
		),
		{
			id: 'install',
			title: 'Install and configure nova-api, nova-conductor, nova-scheduler, noVNC proxy',
			guide: 'Nova controller: Install and configure components (nova.conf)',
			on: 'controller',
			actions: [
				{
					kind: 'packages',
					names: ['nova-api', 'nova-conductor', 'nova-scheduler', 'nova-consoleproxy'],
					noRecommends: true,
					noStart: true,
				},
				{
					kind: 'ini',
					file: NOVA_CONF,
					set: [
						// Debian: the pre-filled [database] connection is sqlite.
						['api_database', 'connection', dbUrl('nova', 'NOVA_DBPASS', 'nova_api')],
						['database', 'connection', dbUrl('nova', 'NOVA_DBPASS', 'nova')],
						...novaCommonSettings(),
						// Optional in the guide: new compute nodes join the cell by themselves.
						['scheduler', 'discover_hosts_in_cells_interval', '300'],
					],
				},
				{
					kind: 'shell',
					describe: 'noVNC instead of SPICE in /etc/default/nova-consoleproxy',
					script: consoleProxyScript,
				},
				uwsgiProcesses('/etc/nova/nova-api-uwsgi.ini'),
				uwsgiAmqpHeartbeat('/etc/nova/nova-api-uwsgi.ini'),
				uwsgiProcesses('/etc/nova/nova-api-metadata-uwsgi.ini'),
				uwsgiAmqpHeartbeat('/etc/nova/nova-api-metadata-uwsgi.ini'),
			],
			timeoutSec: 1200,
		},
		{
			id: 'populate',
			title: 'Populate the nova databases; register cell0 and cell1',
			guide: 'Nova controller: api_db sync, map_cell0, create_cell cell1, db sync, list_cells',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'nova-manage api_db sync, cells v2 setup, db sync (as user nova)',
					script: populateScript,
				},
			],
			timeoutSec: 900,
		},
		{
			id: 'start',
			title: 'Start nova-api, nova-api-metadata, nova-scheduler, nova-conductor, nova-novncproxy',
			guide: 'Nova controller: Finalize installation (Debian: metadata API is the separate service nova-api-metadata)',
			on: 'controller',
			actions: novaControllerServices(),
			verify: `${ADMIN_RC}\nopenstack compute service list`,
			timeoutSec: 600,
		},
	],
};
