/**
 * 3. Glance (Image service), on the controller.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { SERVICES, serviceIdentity } from '../shared/identity.js';
import { createDatabases, dbUrl, keystoneAuthtoken, restartWhenChanged } from './common.js';

const GLANCE_COMMON: [string, string, string][] = [
	['database', 'connection', dbUrl('glance', 'GLANCE_DBPASS', 'glance')],
	...keystoneAuthtoken('glance', 'GLANCE_PASS'),
	['paste_deploy', 'flavor', 'keystone'],
];

export const glance: RunbookSectionInput = {
	id: 'glance',
	title: 'Glance (Image service)',
	guide: '3. Glance, controller',
	steps: [
		{
			id: 'database',
			title: 'Create the glance database',
			guide: '3.1 CREATE DATABASE glance; GRANT ... IDENTIFIED BY GLANCE_DBPASS',
			on: 'controller',
			actions: [createDatabases(['glance'], 'glance', 'GLANCE_DBPASS')],
			timeoutSec: 120,
		},
		{
			id: 'identity',
			title: 'Create the glance user, service and endpoints',
			guide: '3.3 user glance (admin in service), service image, endpoints public/internal/admin on 9292',
			on: 'controller',
			actions: serviceIdentity('command', SERVICES.glance),
			timeoutSec: 300,
		},
		{
			id: 'packages',
			title: 'Install glance',
			guide: '3.4 yum install openstack-glance',
			on: 'controller',
			actions: [{ kind: 'packages', names: ['openstack-glance'] }],
			timeoutSec: 1800,
		},
		{
			id: 'config',
			title: 'Configure glance-api.conf and glance-registry.conf',
			guide: '3.5-3.6 [database], [keystone_authtoken], [paste_deploy], [glance_store]',
			on: 'controller',
			actions: [
				{
					kind: 'ini',
					file: '/etc/glance/glance-api.conf',
					set: [
						...GLANCE_COMMON,
						['glance_store', 'stores', 'file,http'],
						['glance_store', 'default_store', 'file'],
						['glance_store', 'filesystem_store_datadir', '/var/lib/glance/images/'],
					],
				},
				{ kind: 'ini', file: '/etc/glance/glance-registry.conf', set: GLANCE_COMMON },
			],
			timeoutSec: 60,
		},
		{
			id: 'db-sync',
			title: 'Populate the Image service database',
			guide: '3.7 su -s /bin/sh -c "glance-manage db_sync" glance',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'glance-manage db_sync (as glance)',
					script: 'su -s /bin/sh -c "glance-manage db_sync" glance',
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'services',
			title: 'Start the Image services',
			guide: '3.8 enable and start openstack-glance-api, openstack-glance-registry',
			on: 'controller',
			actions: [
				restartWhenChanged(['openstack-glance-api.service', 'openstack-glance-registry.service'], 'glance'),
				{
					kind: 'wait',
					describe: 'glance-api answers on 9292',
					until: 'curl -sS -o /dev/null http://{{CONTROLLER_HOST}}:9292/',
					timeoutSec: 120,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify: upload the CirrOS image and list images',
			guide: '3.9 Verify: download cirros 0.3.5, openstack image create "cirros" ... --public, openstack image list',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'download CIRROS_URL to CIRROS_FILE (unless the file is there)',
					script: [
						'if [ -s {{CIRROS_FILE}} ]; then echo "image file present: "{{CIRROS_FILE}}; else',
						'\tcurl -fsSL -o {{CIRROS_FILE}}.part {{CIRROS_URL}}',
						'\tmv -f {{CIRROS_FILE}}.part {{CIRROS_FILE}}',
						'fi',
					].join('\n'),
				},
				{
					kind: 'openstack',
					creds: 'admin',
					args: [
						'image',
						'create',
						'cirros',
						'--file',
						'{{CIRROS_FILE}}',
						'--disk-format',
						'qcow2',
						'--container-format',
						'bare',
						'--public',
					],
					unless: ['image', 'show', 'cirros', '-f', 'value', '-c', 'id'],
				},
				{
					kind: 'wait',
					describe: 'the cirros image is active',
					until: 'osc_openstack admin "" image show cirros -f value -c status | grep -qx active',
					uses: ['openstack-admin'],
					timeoutSec: 300,
				},
				{ kind: 'openstack', creds: 'admin', args: ['image', 'list'] },
			],
			timeoutSec: 900,
		},
	],
};
