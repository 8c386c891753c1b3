/**
 * Neutron settings shared by the controller and the compute sections (one definition, so a node with both
 * roles gets the same values from both and re-runs change nothing).
 */
import type { ActionInput } from '../../runbook/model.js';
import type { IniSetting } from '../shared/keystone-auth.js';
import { linuxbridgeAgentIni } from '../shared/neutron.js';
import { authtoken } from './lib.js';

export { NEUTRON_CONF } from '../shared/neutron.js';

/** neutron.conf keys every neutron node needs. */
export function neutronCommonSettings(): IniSetting[] {
	return [
		['DEFAULT', 'transport_url', 'rabbit://openstack:{{RABBIT_PASS}}@{{CONTROLLER_HOST}}'],
		['DEFAULT', 'auth_strategy', 'keystone'],
		// Debian: debconf set openvswitch, and every agent's init script reads neutron.conf first.
		['DEFAULT', 'interface_driver', 'linuxbridge'],
		// This neutron (21.0.0, Debian) refuses to load the Linux bridge driver and agent without it.
		['experimental', 'linuxbridge', 'true'],
		...authtoken('neutron', 'NEUTRON_PASS'),
		['oslo_concurrency', 'lock_path', '/var/lib/neutron/tmp'],
	];
}

/** linuxbridge_agent.ini for networking option 1 or 2 (the provider interface is this node's). */
export function linuxbridgeAgentActions(): ActionInput[] {
	return [
		...linuxbridgeAgentIni('summary', { removeVxlanKeys: true }),
		{
			kind: 'shell',
			describe: 'bridge netfilter: net.bridge.bridge-nf-call-iptables and -ip6tables are 1',
			script: String.raw`if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
	modprobe br_netfilter 2>/dev/null || true
fi
if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
	echo "this kernel has no bridge netfilter (br_netfilter): security groups cannot filter bridged traffic" >&2
	exit 1
fi
if [ ! -e /etc/modules-load.d/br_netfilter.conf ] && [ -d /sys/module/br_netfilter ] && [ -f /proc/modules ] && grep -q '^br_netfilter ' /proc/modules; then
	echo br_netfilter > /etc/modules-load.d/br_netfilter.conf
	echo "wrote:     /etc/modules-load.d/br_netfilter.conf"
fi
for osc_k in bridge-nf-call-iptables bridge-nf-call-ip6tables; do
	if [ "$(cat /proc/sys/net/bridge/$osc_k)" = 1 ]; then
		echo "unchanged: net.bridge.$osc_k = 1"
	else
		sysctl -w "net.bridge.$osc_k=1"
		printf 'net.bridge.%s = 1\n' "$osc_k" >> /etc/sysctl.d/90-os-console-bridge.conf
	fi
done`,
		},
	];
}
