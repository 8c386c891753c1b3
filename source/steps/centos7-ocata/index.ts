/**
 * `centos7-ocata`: OpenStack Ocata on CentOS 7 from the RDO packages, the way the official install guide does
 * it (shared/reference/ocata-rdo-install-guide.md), one file per section of the guide and of the operators'
 * notes: environment, keystone, glance, nova (controller, compute), neutron (controller, compute), launch.
 */
import type { RunbookInput } from '../../runbook/model.js';
import { ADMIN_CREDENTIALS, DEMO_CREDENTIALS } from './credentials.js';
import { environment } from './environment.js';
import { glance } from './glance.js';
import { keystone } from './keystone.js';
import { launchInstance } from './launch-instance.js';
import { neutronCompute } from './neutron-compute.js';
import { neutronController } from './neutron-controller.js';
import { novaCompute } from './nova-compute.js';
import { novaController } from './nova-controller.js';

export const centos7OcataRunbook: RunbookInput = {
	id: 'centos7-ocata',
	title: 'OpenStack Ocata on CentOS 7 (RDO install guide)',
	description:
		'Keystone, Glance, Nova, Neutron (Linux bridge; provider or self-service networks) on CentOS 7 from the RDO Ocata packages, step by step as in the official install guide, ending with a launched instance.',
	os: { id: 'centos', version: '7', packageManager: 'yum', python: 'python' },
	// mysql_secure_installation is interactive: environment/mariadb-secure sets the root password instead.
	sqlAuth: 'password',
	credentials: { admin: ADMIN_CREDENTIALS, demo: DEMO_CREDENTIALS },
	settings: [
		{
			name: 'NTP_SERVER',
			default: 'pool.ntp.org',
			describe: 'upstream time server the controller synchronizes with (chrony "server NTP_SERVER iburst")',
			pattern: '^[A-Za-z0-9][A-Za-z0-9.:-]*$',
		},
		{
			name: 'CIRROS_URL',
			default: 'http://download.cirros-cloud.net/0.3.5/cirros-0.3.5-x86_64-disk.img',
			describe: 'where the controller downloads the CirrOS test image from (skipped when CIRROS_FILE exists)',
			pattern: '^(https?|ftp)://[A-Za-z0-9._:/~%+-]+$',
		},
		{
			name: 'CIRROS_FILE',
			default: '/root/cirros-0.3.5-x86_64-disk.img',
			describe: 'the CirrOS image file on the controller (put it there yourself when the nodes have no internet)',
			pattern: '^/[A-Za-z0-9._/-]+$',
		},
		{
			name: 'SSH_PUBLIC_KEY',
			default: '/root/.ssh/id_rsa.pub',
			describe: 'public key on the controller for the "mykey" key pair (generated with ssh-keygen when missing)',
			pattern: '^/[A-Za-z0-9._/-]+\\.pub$',
		},
	],
	sections: [
		environment,
		keystone,
		glance,
		novaController,
		novaCompute,
		neutronController,
		neutronCompute,
		launchInstance,
	],
};
