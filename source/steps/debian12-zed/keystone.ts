/**
 * Identity service (Keystone 22, Zed). Debian runs keystone under uwsgi as service `keystone` on :5000;
 * there is no Apache ServerName step.
 */
import type { ActionInput, RunbookSectionInput } from '../../runbook/model.js';
import { dbUrl } from '../shared/database.js';
import { guideProjectsAndUsers, roleGrant } from '../shared/identity.js';
import {
	ADMIN_RC,
	asUser,
	DEMO_RC,
	databaseStep,
	ensureServices,
	openstackBatchCheck,
	uwsgiProcesses,
	waitHttp,
} from './lib.js';

const openrc = (project: string, user: string, password: string) => `export OS_PROJECT_DOMAIN_NAME=Default
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=${project}
export OS_USERNAME=${user}
export OS_PASSWORD={{${password}}}
export OS_AUTH_URL=http://{{CONTROLLER_HOST}}:5000/v3
export OS_IDENTITY_API_VERSION=3
export OS_IMAGE_API_VERSION=2
export OS_REGION_NAME={{REGION}}
`;

/** The guide's projects, demo user and roles, and the role "member" Zed's policies need. */
const PROJECTS_AND_USERS: ActionInput[] = [
	...guideProjectsAndUsers('summary'),
	// Zed's default policies grant project members (role "member", made by bootstrap) what the guide's demo
	// user does; the guide's role "user" alone is not enough for every API.
	roleGrant('summary', 'demo', 'demo', 'member'),
];

export const keystone: RunbookSectionInput = {
	id: 'keystone',
	title: 'Identity service (Keystone)',
	guide: 'Keystone Zed install guide (Ubuntu variant), adapted to Debian 12 packages',
	steps: [
		databaseStep(
			'database',
			'Keystone database',
			'Keystone: Prerequisites (database)',
			['keystone'],
			'keystone',
			'KEYSTONE_DBPASS',
		),
		{
			id: 'install',
			title: 'Install and configure keystone',
			guide: 'Keystone: Install and configure components (keystone.conf [database], [token])',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['keystone'], noRecommends: true, noStart: true },
				{
					kind: 'ini',
					file: '/etc/keystone/keystone.conf',
					set: [
						['database', 'connection', dbUrl('keystone', 'KEYSTONE_DBPASS', 'keystone')],
						['token', 'provider', 'fernet'],
					],
				},
				uwsgiProcesses('/etc/keystone/keystone-uwsgi.ini'),
			],
			timeoutSec: 1200,
		},
		{
			id: 'populate',
			title: 'Populate the database; Fernet and credential key repositories',
			guide: 'Keystone: keystone-manage db_sync, fernet_setup, credential_setup',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'keystone-manage db_sync (as user keystone)',
					script: asUser('keystone', 'keystone-manage db_sync'),
				},
				{
					kind: 'shell',
					describe: 'keystone-manage fernet_setup and credential_setup (only when the repositories are empty)',
					script: String.raw`for osc_repo in fernet-keys credential-keys; do
	mkdir -p /etc/keystone/$osc_repo
	chown keystone:keystone /etc/keystone/$osc_repo
	chmod 0700 /etc/keystone/$osc_repo
done
if [ -f /etc/keystone/fernet-keys/0 ]; then
	echo "unchanged: Fernet key repository is set up"
else
	${asUser('keystone', 'keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone')}
	echo "created:   Fernet key repository"
fi
if [ -f /etc/keystone/credential-keys/0 ]; then
	echo "unchanged: credential key repository is set up"
else
	${asUser('keystone', 'keystone-manage credential_setup --keystone-user keystone --keystone-group keystone')}
	echo "created:   credential key repository"
fi`,
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'bootstrap',
			title: 'Bootstrap the Identity service (admin user, region, identity endpoints)',
			guide: 'Keystone: keystone-manage bootstrap',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe:
						'keystone-manage bootstrap (ADMIN_PASS through the environment, not arguments); existing entities are kept',
					// su keeps the environment (not a login shell): values reach keystone-manage as variables.
					script: String.raw`OS_BOOTSTRAP_PASSWORD={{ADMIN_PASS}}
OSC_URL=http://{{CONTROLLER_HOST}}:5000/v3/
OSC_REGION={{REGION}}
export OS_BOOTSTRAP_PASSWORD OSC_URL OSC_REGION
su -s /bin/sh -c 'keystone-manage bootstrap --bootstrap-admin-url "$OSC_URL" --bootstrap-internal-url "$OSC_URL" --bootstrap-public-url "$OSC_URL" --bootstrap-region-id "$OSC_REGION"' keystone`,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'start',
			title: 'Start keystone (uwsgi on :5000)',
			guide: 'Keystone: Configure the Apache HTTP server / Finalize (Debian: service keystone, uwsgi, no Apache)',
			on: 'controller',
			actions: [
				ensureServices(['keystone']),
				waitHttp('http://{{CONTROLLER_HOST}}:5000/v3', 'keystone', '/var/log/keystone/keystone.log'),
			],
			timeoutSec: 300,
		},
		{
			id: 'openrc',
			title: 'OpenStack client environment scripts (admin-openrc, demo-openrc)',
			guide: 'Keystone: Create OpenStack client environment scripts',
			on: 'controller',
			actions: [
				{ kind: 'file', path: '/root/admin-openrc', content: openrc('admin', 'admin', 'ADMIN_PASS'), mode: '0600' },
				{ kind: 'file', path: '/root/demo-openrc', content: openrc('demo', 'demo', 'DEMO_PASS'), mode: '0600' },
			],
			timeoutSec: 60,
		},
		{
			id: 'projects',
			title: 'Projects, users and roles: service, demo',
			guide: 'Keystone: Create a domain, projects, users, and roles',
			on: 'controller',
			// One client process proves every object exists (each action's own create-if-absent check, batched).
			check: openstackBatchCheck(
				ADMIN_RC,
				PROJECTS_AND_USERS.map((action) => (action.kind === 'openstack' && action.unless) || []),
				PROJECTS_AND_USERS.length,
			),
			actions: PROJECTS_AND_USERS,
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify operation: request tokens as admin and demo',
			guide: 'Keystone: Verify operation (openstack token issue)',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'openstack token issue as admin',
					script: `${ADMIN_RC}\nopenstack token issue -c expires -c project_id -c user_id`,
				},
				{
					kind: 'shell',
					describe: 'openstack token issue as demo',
					script: `${DEMO_RC}\nopenstack token issue -c expires -c project_id -c user_id`,
				},
			],
			timeoutSec: 120,
		},
	],
};
