/**
 * The guide's "Launch an instance" objects that both runbooks create with the same command: the provider
 * network, the self-service network and router (option 2) and the m1.nano flavor, each only if absent.
 */
import type { ActionInput } from '../../runbook/model.js';
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
