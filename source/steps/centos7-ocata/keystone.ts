/**
 * 2. Keystone (Identity service), on the controller.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { guideProjectsAndUsers } from '../shared/identity.js';
import {
	ADMIN_OPENRC,
	createDatabases,
	DEMO_OPENRC,
	dbUrl,
	KEYSTONE_ADMIN,
	KEYSTONE_PUBLIC,
	managedLines,
	restartWhenChanged,
} from './common.js';
import { ADMIN_CREDENTIALS, DEMO_CREDENTIALS } from './credentials.js';

function openrc(credentials: Record<string, string>): string {
	return `${Object.entries(credentials)
		.map(([key, value]) => `export ${key}=${value}`)
		.join('\n')}\n`;
}

export const keystone: RunbookSectionInput = {
	id: 'keystone',
	title: 'Keystone (Identity service)',
	guide: '2. Keystone, controller',
	steps: [
		{
			id: 'database',
			title: 'Create the keystone database',
			guide: '2.1 CREATE DATABASE keystone; GRANT ... IDENTIFIED BY KEYSTONE_DBPASS',
			on: 'controller',
			actions: [createDatabases(['keystone'], 'keystone', 'KEYSTONE_DBPASS')],
			timeoutSec: 120,
		},
		{
			id: 'packages',
			title: 'Install keystone, httpd and mod_wsgi',
			guide: '2.2 yum install openstack-keystone httpd mod_wsgi',
			on: 'controller',
			actions: [{ kind: 'packages', names: ['openstack-keystone', 'httpd', 'mod_wsgi'] }],
			timeoutSec: 1800,
		},
		{
			id: 'config',
			title: 'Configure keystone.conf',
			guide: '2.3 keystone.conf: [database] connection, [token] provider = fernet',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: '/etc/keystone/keystone.conf',
					set: [
						['database', 'connection', dbUrl('keystone', 'KEYSTONE_DBPASS', 'keystone')],
						['token', 'provider', 'fernet'],
					],
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'db-sync',
			title: 'Populate the Identity database',
			guide: '2.4 su -s /bin/sh -c "keystone-manage db_sync" keystone',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'keystone-manage db_sync (as keystone)',
					script: 'su -s /bin/sh -c "keystone-manage db_sync" keystone',
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'fernet',
			title: 'Initialize the Fernet and credential key repositories',
			guide: '2.4 keystone-manage fernet_setup / credential_setup',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'keystone-manage fernet_setup (only when no key exists)',
					script: [
						'if [ -f /etc/keystone/fernet-keys/0 ]; then echo "fernet keys exist"; else',
						'\tkeystone-manage fernet_setup --keystone-user keystone --keystone-group keystone',
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: 'keystone-manage credential_setup (only when no key exists)',
					script: [
						'if [ -f /etc/keystone/credential-keys/0 ]; then echo "credential keys exist"; else',
						'\tkeystone-manage credential_setup --keystone-user keystone --keystone-group keystone',
						'fi',
					].join('\n'),
				},
			],
			verify: 'test -f /etc/keystone/fernet-keys/0 && test -f /etc/keystone/credential-keys/0',
			timeoutSec: 120,
		},
		{
			id: 'bootstrap',
			title: 'Bootstrap the Identity service',
			guide: '2.5 keystone-manage bootstrap (admin URL on 35357, internal and public on 5000)',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe:
						'keystone-manage bootstrap (the admin password through OS_BOOTSTRAP_PASSWORD, not the command line)',
					script: [
						'OS_BOOTSTRAP_PASSWORD={{ADMIN_PASS}} keystone-manage bootstrap \\',
						`\t--bootstrap-admin-url ${KEYSTONE_ADMIN}/v3/ \\`,
						`\t--bootstrap-internal-url ${KEYSTONE_PUBLIC}/v3/ \\`,
						`\t--bootstrap-public-url ${KEYSTONE_PUBLIC}/v3/ \\`,
						'\t--bootstrap-region-id {{REGION}}',
					].join('\n'),
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'httpd',
			title: 'Configure and start the Apache HTTP server',
			guide: '2.6 httpd.conf ServerName controller; link wsgi-keystone.conf; enable and start httpd',
			on: 'controller',
			actions: [
				managedLines(
					'/etc/httpd/conf/httpd.conf',
					'^ServerName[[:space:]]',
					['ServerName {{CONTROLLER_HOST}}'],
					'/etc/httpd/conf/httpd.conf: ServerName controller',
				),
				{
					kind: 'shell',
					describe: 'ln -s /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/',
					script: [
						'if [ -e /etc/httpd/conf.d/wsgi-keystone.conf ]; then echo "exists: /etc/httpd/conf.d/wsgi-keystone.conf"; else',
						'\tln -s /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/',
						'fi',
					].join('\n'),
				},
				restartWhenChanged(['httpd.service'], 'httpd'),
				{
					kind: 'wait',
					describe: 'keystone answers on 5000 and 35357',
					until: `curl -fsS ${KEYSTONE_PUBLIC}/v3/ && curl -fsS ${KEYSTONE_ADMIN}/v3/`,
					timeoutSec: 120,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'projects',
			title: 'Create the service and demo projects, the demo user and the user role',
			guide: '2.8 openstack project create service, demo; user create demo; role create user; role add',
			on: 'controller',
			actions: guideProjectsAndUsers('command'),
			timeoutSec: 300,
		},
		{
			id: 'openrc',
			title: 'Write the admin-openrc and demo-openrc files',
			guide: '2.10 OpenRC files (root only: they hold passwords)',
			on: 'controller',
			actions: [
				{ kind: 'file', path: ADMIN_OPENRC, mode: '0600', content: openrc(ADMIN_CREDENTIALS) },
				{ kind: 'file', path: DEMO_OPENRC, mode: '0600', content: openrc(DEMO_CREDENTIALS) },
			],
			timeoutSec: 60,
		},
		{
			id: 'verify',
			title: 'Verify: request tokens as admin and as demo',
			guide: '2.9 Verify: openstack token issue (admin on 35357, demo on 5000), then with the openrc files',
			on: 'controller',
			actions: [
				{
					kind: 'openstack',
					creds: 'admin',
					describe: 'openstack token issue (admin, port 35357)',
					args: ['token', 'issue'],
				},
				{
					kind: 'openstack',
					creds: 'demo',
					describe: 'openstack token issue (demo, port 5000)',
					args: ['token', 'issue'],
				},
				{
					kind: 'shell',
					describe: '. admin-openrc; openstack token issue',
					script: `. ${ADMIN_OPENRC}\nopenstack token issue`,
				},
			],
			timeoutSec: 120,
		},
	],
};
