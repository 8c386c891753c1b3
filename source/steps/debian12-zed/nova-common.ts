/**
 * nova.conf settings that the controller and the compute guide both set. One list for both, so on a node that
 * is controller and compute at once the two sections agree on every value and re-runs change nothing.
 */
import { type IniSetting, novaPlacementAuth, serviceClientAuth } from '../shared/keystone-auth.js';
import { authtoken, KEYSTONE_URL } from './lib.js';

export const NOVA_CONF = '/etc/nova/nova.conf';

export function novaCommonSettings(): IniSetting[] {
	return [
		['DEFAULT', 'transport_url', 'rabbit://openstack:{{RABBIT_PASS}}@{{CONTROLLER_HOST}}:5672/'],
		// Debian: debconf pre-filled a guessed address.
		['DEFAULT', 'my_ip', '{{NODE_IP}}'],
		['api', 'auth_strategy', 'keystone'],
		...authtoken('nova', 'NOVA_PASS', { uri: `${KEYSTONE_URL}/`, authUrl: `${KEYSTONE_URL}/` }),
		['service_user', 'send_service_user_token', 'true'],
		// The guide's https://controller/identity is a devstack path; keystone is at :5000/v3 here.
		['service_user', 'auth_url', 'http://{{CONTROLLER_HOST}}:5000/v3'],
		['service_user', 'auth_strategy', 'keystone'],
		['service_user', 'auth_type', 'password'],
		['service_user', 'project_domain_name', 'Default'],
		['service_user', 'project_name', 'service'],
		['service_user', 'user_domain_name', 'Default'],
		['service_user', 'username', 'nova'],
		['service_user', 'password', '{{NOVA_PASS}}'],
		['vnc', 'enabled', 'true'],
		// The compute guide's value (the controller guide's $my_ip only matters where instances run).
		['vnc', 'server_listen', '0.0.0.0'],
		['vnc', 'server_proxyclient_address', '$my_ip'],
		['vnc', 'novncproxy_base_url', 'http://{{CONTROLLER_HOST}}:6080/vnc_auto.html'],
		// Debian: debconf made SPICE the console; the guide uses noVNC.
		['spice', 'enabled', 'false'],
		['glance', 'api_servers', 'http://{{CONTROLLER_HOST}}:9292'],
		['oslo_concurrency', 'lock_path', '/var/lib/nova/tmp'],
		// Debian: debconf left "username = =" in [placement]; every key is set.
		...novaPlacementAuth({ regionKey: 'region_name', authUrl: `${KEYSTONE_URL}/v3` }),
		// Debian: debconf wrote regionOne.
		['cinder', 'os_region_name', '{{REGION}}'],
	];
}

/** nova.conf [neutron] as the neutron compute guide has it (the controller adds the metadata proxy keys). */
export function novaNeutronSettings(): IniSetting[] {
	// Debian: debconf pre-filled region regionOne, project admin and user admin: every key is set.
	return serviceClientAuth('neutron', 'neutron', 'NEUTRON_PASS', { authUrl: KEYSTONE_URL, domain: 'Default' });
}
