/**
 * The guide's "Launch an instance" objects that both runbooks create with the same command: the provider
 * network, the self-service network and router (option 2) and the m1.nano flavor, each only if absent.
 */
import type { ActionInput } from '../../runbook/model.js';
import { shellQuote } from '../../util/shell.js';
import { ensure, showId, type Wording } from './identity.js';

/** The shared external flat network `provider` on physical network `provider` (admin). */
export function providerNetwork(wording: Wording): ActionInput {
	return ensure(
		wording,
		'admin',
		'ensure shared external flat network provider on physical network provider',
		[
			'network',
			'create',
			'--share',
			'--external',
			'--provider-physical-network',
			'provider',
			'--provider-network-type',
			'flat',
			'provider',
		],
		showId('network', 'provider'),
	);
}

/** The self-service network (demo). */
export function selfserviceNetwork(wording: Wording): ActionInput {
	return ensure(
		wording,
		'demo',
		'ensure network selfservice (demo)',
		['network', 'create', 'selfservice'],
		showId('network', 'selfservice'),
	);
}

/** The router `router` (demo). */
export function router(wording: Wording): ActionInput {
	return ensure(
		wording,
		'demo',
		'ensure router router (demo)',
		['router', 'create', 'router'],
		showId('router', 'router'),
	);
}

/** The guide's m1.nano flavor: 1 vCPU, 64 MB RAM, 1 GB disk. */
export function nanoFlavor(wording: Wording): ActionInput {
	return ensure(
		wording,
		'admin',
		'ensure flavor m1.nano (1 vCPU, 64 MB RAM, 1 GB disk)',
		['flavor', 'create', '--id', '0', '--vcpus', '1', '--ram', '64', '--disk', '1', 'm1.nano'],
		showId('flavor', 'm1.nano'),
	);
}

/**
 * Waits until neutron's DHCP agent serves the network (its DHCP port exists). The agent makes that port some
 * time after the subnet exists (seconds, more on a loaded controller); a server booted before it asks for an
 * address nobody answers and shows ACTIVE without one. A network without a DHCP subnet: nothing to wait for.
 */
export function dhcpServed(network: string): ActionInput {
	const net = shellQuote(network);
	return {
		kind: 'wait',
		describe: `neutron's DHCP agent serves network ${network} (its DHCP port exists)`,
		uses: ['openstack-admin'],
		until: [
			`if ! osc_openstack admin '' subnet list --network ${net} --dhcp -f value -c ID | grep -q .; then`,
			`\techo 'no subnet of network '${net}' hands out addresses by DHCP: nothing to wait for'`,
			'\texit 0',
			'fi',
			`osc_openstack admin '' ${dhcpPortList(network).map(shellQuote).join(' ')} -f value -c ID | grep -q . && exit 0`,
			`echo 'no DHCP port on network '${net}' yet: is neutron-dhcp-agent alive on the controller? (openstack network agent list; /var/log/neutron/neutron-dhcp-agent.log)'`,
			'exit 1',
		].join('\n'),
		timeoutSec: 180,
		intervalSec: 2,
	};
}

/** The client arguments that list a network's DHCP ports (what the operator runs to see it by hand). */
export function dhcpPortList(network: string): string[] {
	return ['port', 'list', '--network', network, '--device-owner', 'network:dhcp'];
}
