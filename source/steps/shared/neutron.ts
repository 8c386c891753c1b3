/**
 * Neutron settings of the guide's Linux bridge deployment (option 1 provider networks, option 2 self-service
 * networks) that both runbooks set with the same values. What differs between the releases is a parameter.
 */
import type { ActionInput } from '../../runbook/model.js';
import { PROVIDER, SELFSERVICE } from './conditions.js';
import { dbUrl } from './database.js';
import type { Wording } from './identity.js';
import type { IniSetting } from './keystone-auth.js';

export const NEUTRON_CONF = '/etc/neutron/neutron.conf';
export const ML2_INI = '/etc/neutron/plugins/ml2/ml2_conf.ini';
export const LINUXBRIDGE_INI = '/etc/neutron/plugins/ml2/linuxbridge_agent.ini';

/** neutron.conf of the server (controller): its database, the ML2 core plug-in, then `settings`. */
export function serverConf(settings: IniSetting[]): ActionInput {
	return {
		kind: 'ini',
		file: NEUTRON_CONF,
		set: [
			// replaces whatever the package put there (Debian's debconf: sqlite)
			['database', 'connection', dbUrl('neutron', 'NEUTRON_DBPASS', 'neutron')],
			['DEFAULT', 'core_plugin', 'ml2'],
			...settings,
		],
	};
}

/** neutron.conf of the server: tell nova when a port's status or data changes. */
export const NOTIFY_NOVA: IniSetting[] = [
	['DEFAULT', 'notify_nova_on_port_status_changes', 'true'],
	['DEFAULT', 'notify_nova_on_port_data_changes', 'true'],
];

/** neutron.conf [DEFAULT] service_plugins of option 2 (option 1 has none). */
export const SELFSERVICE_PLUGINS: IniSetting[] = [
	['DEFAULT', 'service_plugins', 'router'],
	['DEFAULT', 'allow_overlapping_ips', 'true'],
];

/** ml2_conf.ini keys, by what they are; each runbook lists them in the order its guide does. */
export const ML2 = {
	providerDrivers: [
		['ml2', 'type_drivers', 'flat,vlan'],
		['ml2', 'tenant_network_types', ''],
		['ml2', 'mechanism_drivers', 'linuxbridge'],
	] as IniSetting[],
	selfserviceDrivers: [
		['ml2', 'type_drivers', 'flat,vlan,vxlan'],
		['ml2', 'tenant_network_types', 'vxlan'],
		['ml2', 'mechanism_drivers', 'linuxbridge,l2population'],
	] as IniSetting[],
	extensionDrivers: ['ml2', 'extension_drivers', 'port_security'] as IniSetting,
	flatNetworks: ['ml2_type_flat', 'flat_networks', 'provider'] as IniSetting,
	vniRanges: ['ml2_type_vxlan', 'vni_ranges', '1:1000'] as IniSetting,
	enableIpset: ['securitygroup', 'enable_ipset', 'true'] as IniSetting,
};

/**
 * linuxbridge_agent.ini for option 1 or 2 (the provider interface and VXLAN address are this node's).
 * `removeVxlanKeys`: option 1 also removes local_ip and l2_population, which a switch from option 2 leaves.
 */
export function linuxbridgeAgentIni(wording: Wording, options: { removeVxlanKeys: boolean }): ActionInput[] {
	const summary = wording === 'summary';
	return [
		{
			kind: 'ini',
			file: LINUXBRIDGE_INI,
			set: [
				['linux_bridge', 'physical_interface_mappings', 'provider:{{PROVIDER_IFACE}}'],
				['securitygroup', 'enable_security_group', 'true'],
				['securitygroup', 'firewall_driver', 'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver'],
			],
		},
		{
			kind: 'ini',
			...(summary ? { describe: 'option 1 (provider networks): no VXLAN overlay' } : {}),
			when: PROVIDER,
			file: LINUXBRIDGE_INI,
			set: [['vxlan', 'enable_vxlan', 'false']],
			...(options.removeVxlanKeys
				? {
						unset: [
							['vxlan', 'local_ip'],
							['vxlan', 'l2_population'],
						] as [string, string][],
					}
				: {}),
		},
		{
			kind: 'ini',
			...(summary
				? { describe: 'option 2 (self-service networks): VXLAN overlay on the management address, l2population' }
				: {}),
			when: SELFSERVICE,
			file: LINUXBRIDGE_INI,
			set: [
				['vxlan', 'enable_vxlan', 'true'],
				['vxlan', 'local_ip', '{{NODE_IP}}'],
				['vxlan', 'l2_population', 'true'],
			],
		},
	];
}

/** dhcp_agent.ini */
export const DHCP_AGENT: ActionInput = {
	kind: 'ini',
	file: '/etc/neutron/dhcp_agent.ini',
	set: [
		['DEFAULT', 'interface_driver', 'linuxbridge'],
		['DEFAULT', 'dhcp_driver', 'neutron.agent.linux.dhcp.Dnsmasq'],
		['DEFAULT', 'enable_isolated_metadata', 'true'],
	],
};

/** l3_agent.ini (option 2) */
export const L3_AGENT: ActionInput = {
	kind: 'ini',
	file: '/etc/neutron/l3_agent.ini',
	set: [['DEFAULT', 'interface_driver', 'linuxbridge']],
};

/** metadata_agent.ini: the key of the nova metadata host is `nova_metadata_ip` in Ocata, `nova_metadata_host` in Zed. */
export function metadataAgent(hostKey: 'nova_metadata_ip' | 'nova_metadata_host'): ActionInput {
	return {
		kind: 'ini',
		file: '/etc/neutron/metadata_agent.ini',
		set: [
			['DEFAULT', hostKey, '{{CONTROLLER_HOST}}'],
			['DEFAULT', 'metadata_proxy_shared_secret', '{{METADATA_SECRET}}'],
		],
	};
}

/** nova.conf [neutron] keys of the controller only: nova proxies metadata requests with the shared secret. */
export const NOVA_METADATA_PROXY: IniSetting[] = [
	['neutron', 'service_metadata_proxy', 'true'],
	['neutron', 'metadata_proxy_shared_secret', '{{METADATA_SECRET}}'],
];
