/**
 * Placement service (Placement 8, Zed). Debian runs it as its own service `placement-api` (uwsgi on :8778),
 * not under Apache/mod_wsgi as the guide does.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { dbUrl } from '../shared/database.js';
import { SERVICES } from '../shared/identity.js';
import {
	ADMIN_RC,
	asUser,
	authtoken,
	databaseStep,
	ensureServices,
	KEYSTONE_URL,
	serviceEntitiesStep,
	uwsgiProcesses,
	waitHttp,
} from './lib.js';

export const placement: RunbookSectionInput = {
	id: 'placement',
	title: 'Placement service',
	guide: 'Placement Zed install guide (Ubuntu variant), adapted to Debian 12 packages',
	steps: [
		databaseStep(
			'database',
			'Placement database',
			'Placement: Prerequisites (database)',
			['placement'],
			'placement',
			'PLACEMENT_DBPASS',
		),
		serviceEntitiesStep(
			'Placement user, service entity and API endpoints',
			'Placement: Configure user and endpoints (:8778)',
			SERVICES.placement,
		),
		{
			id: 'install',
			title: 'Install and configure placement-api',
			guide: 'Placement: Install and configure components (placement.conf)',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['placement-api', 'python3-osc-placement'], noRecommends: true, noStart: true },
				{
					kind: 'ini',
					file: '/etc/placement/placement.conf',
					set: [
						['placement_database', 'connection', dbUrl('placement', 'PLACEMENT_DBPASS', 'placement')],
						['api', 'auth_strategy', 'keystone'],
						...authtoken('placement', 'PLACEMENT_PASS', { authUrl: `${KEYSTONE_URL}/v3` }),
					],
				},
				uwsgiProcesses('/etc/placement/placement-api-uwsgi.ini'),
			],
			timeoutSec: 1200,
		},
		{
			id: 'populate',
			title: 'Populate the placement database',
			guide: 'Placement: placement-manage db sync',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'placement-manage db sync (as user placement)',
					script: asUser('placement', 'placement-manage db sync'),
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'start',
			title: 'Start placement-api (uwsgi on :8778)',
			guide: 'Placement: Finalize installation (Debian: service placement-api, not Apache)',
			on: 'controller',
			actions: [
				ensureServices(['placement-api']),
				waitHttp('http://{{CONTROLLER_HOST}}:8778', 'placement-api', '/var/log/placement/placement-api.log'),
			],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify operation: placement-status upgrade check, resource classes',
			guide: 'Placement: Verify Installation',
			on: 'controller',
			actions: [
				{ kind: 'shell', describe: 'placement-status upgrade check', script: 'placement-status upgrade check' },
				{
					kind: 'shell',
					describe: 'list resource classes and traits through the API',
					script: `${ADMIN_RC}
osc_out=$(openstack --os-placement-api-version 1.2 resource class list --sort-column name -f value)
printf '%s\n' "$osc_out" | head -n 5
osc_out=$(openstack --os-placement-api-version 1.6 trait list --sort-column name -f value)
printf '%s\n' "$osc_out" | head -n 5`,
				},
			],
			timeoutSec: 120,
		},
	],
};
