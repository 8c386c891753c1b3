/**
 * `debian12-zed`: OpenStack Zed from Debian 12's own archive (keystone 22, glance 25, placement 8, nova 26,
 * neutron 21), following the Zed install guide (Ubuntu variant, the closest to Debian) section by section,
 * with what Debian's packages need on top:
 * - debconf pre-fills config files (region regionOne, sqlite connections, `[placement] username = =`,
 *   Open vSwitch defaults in neutron): every key the guide sets is set explicitly, the bad ones removed;
 * - service names: keystone, placement-api, nova-api and neutron-api are uwsgi services; the metadata API is
 *   nova-api-metadata; neutron-server is neutron-api + neutron-rpc-server; noVNC comes from
 *   nova-consoleproxy (SPICE by default);
 * - uwsgi worker counts (8 to 16 per API by default) decide most of the memory: UWSGI_PROCESSES;
 * - MariaDB's max_connections is raised before nova starts (instances hang in BUILD otherwise);
 * - neutron 21 on Debian needs `[experimental] linuxbridge = true`;
 * - virt_type lives in /etc/nova/nova-compute.conf.
 * In containers (detected with systemd-detect-virt) chrony runs with -x, and the steps say so.
 */
import type { RunbookInput } from '../../runbook/model.js';
import { environment } from './environment.js';
import { glance } from './glance.js';
import { keystone } from './keystone.js';
import { launch } from './launch.js';
import { neutronCompute } from './neutron-compute.js';
import { neutronController } from './neutron-controller.js';
import { novaCompute } from './nova-compute.js';
import { novaController } from './nova-controller.js';
import { placement } from './placement.js';

const identity = (user: string, project: string, password: string) => ({
	OS_USERNAME: user,
	OS_PASSWORD: `{{${password}}}`,
	OS_PROJECT_NAME: project,
	OS_USER_DOMAIN_NAME: 'Default',
	OS_PROJECT_DOMAIN_NAME: 'Default',
	OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3',
	OS_IDENTITY_API_VERSION: '3',
	OS_IMAGE_API_VERSION: '2',
	OS_REGION_NAME: '{{REGION}}',
});

export const debian12ZedRunbook: RunbookInput = {
	id: 'debian12-zed',
	title: 'OpenStack Zed on Debian 12 (Debian packages)',
	description:
		"OpenStack Zed from Debian 12's own archive, section by section like the Zed install guide: keystone, glance, placement, nova (libvirt/QEMU), neutron (Linux bridge, option 1 or 2), launch an instance.",
	os: { id: 'debian', version: '12', packageManager: 'apt', python: 'python3' },
	sqlAuth: 'socket',
	credentials: {
		admin: identity('admin', 'admin', 'ADMIN_PASS'),
		demo: identity('demo', 'demo', 'DEMO_PASS'),
	},
	settings: [
		{
			name: 'UWSGI_PROCESSES',
			default: '2',
			describe:
				'uwsgi worker processes of each API service (keystone, placement, nova-api, nova-api-metadata, neutron-api); Debian ships 8 to 16, which takes several GB of RAM',
			pattern: '^[1-9][0-9]?$',
		},
		{
			name: 'NTP_SERVER',
			default: '',
			describe:
				"upstream NTP server for the controller (empty: keep Debian's pool; the controller serves the nodes either way)",
			pattern: '^([A-Za-z0-9][A-Za-z0-9.-]*)?$',
		},
		{
			name: 'IMAGE_NAME',
			default: 'blank-qcow2-test',
			describe: 'name of the image the glance section uploads and instances boot',
			pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
		},
		{
			name: 'IMAGE_URL',
			default: '',
			describe:
				'where to download that image (a qcow2, e.g. CirrOS); empty: an empty 64 MB qcow2 disk made with qemu-img (boots to ACTIVE, runs no OS)',
			pattern: '^(https?://[A-Za-z0-9._~:/?#@!&+,;=%-]+)?$',
		},
		{
			name: 'UPGRADE_PACKAGES',
			default: 'no',
			describe: 'yes: upgrade every installed package first, as the guide\'s "OpenStack packages" step does',
			pattern: '^(yes|no)$',
		},
	],
	sections: [
		environment,
		keystone,
		glance,
		placement,
		novaController,
		novaCompute,
		neutronController,
		neutronCompute,
		launch,
	],
};
