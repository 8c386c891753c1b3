/**
 * The values a runbook may use, by name. Templates reference them as `{{NAME}}`; the renderer defines each
 * as a shell variable (literal, single-quoted) at the top of the script, or for secrets loads it from the
 * root-only secrets file, so no profile value is ever spliced into code.
 */
import { controllerOf, type Profile, type ProfileNode, providerInterfaceOf } from '../profile/schema.js';
import type { Runbook } from './model.js';

/** One per service password, as in the guide's password table. */
export const SECRET_NAMES = [
	'DB_ROOT_PASS',
	'RABBIT_PASS',
	'ADMIN_PASS',
	'DEMO_PASS',
	'KEYSTONE_DBPASS',
	'GLANCE_DBPASS',
	'GLANCE_PASS',
	'PLACEMENT_DBPASS',
	'PLACEMENT_PASS',
	'NOVA_DBPASS',
	'NOVA_PASS',
	'NEUTRON_DBPASS',
	'NEUTRON_PASS',
	'METADATA_SECRET',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

export function isSecretName(name: string): name is SecretName {
	return (SECRET_NAMES as readonly string[]).includes(name);
}

interface VariableDef {
	describe: string;
	value(profile: Profile, node: ProfileNode): string;
}

/** Non-secret values, computed from the profile for the node a script runs on. */
export const PROFILE_VARIABLES: Record<string, VariableDef> = {
	CONTROLLER_HOST: { describe: "the controller's host name", value: (p) => controllerOf(p).name },
	CONTROLLER_IP: { describe: "the controller's management address", value: (p) => controllerOf(p).managementIp },
	MGMT_CIDR: { describe: 'the management network', value: (p) => p.network.managementCidr },
	REGION: { describe: 'the region name', value: (p) => p.region },
	NETWORK_OPTION: { describe: 'provider or selfservice', value: (p) => p.network.option },
	PROVIDER_CIDR: { describe: 'the provider network', value: (p) => p.network.providerCidr },
	PROVIDER_GATEWAY: { describe: 'the provider gateway', value: (p) => p.network.providerGateway },
	PROVIDER_POOL_START: { describe: 'first address of the provider pool', value: (p) => p.network.providerPoolStart },
	PROVIDER_POOL_END: { describe: 'last address of the provider pool', value: (p) => p.network.providerPoolEnd },
	PROVIDER_DNS: { describe: 'DNS server for instances (may be empty)', value: (p) => p.network.providerDns },
	SELFSERVICE_CIDR: { describe: 'the self-service network', value: (p) => p.network.selfserviceCidr },
	SELFSERVICE_GATEWAY: { describe: 'the self-service gateway', value: (p) => p.network.selfserviceGateway },
	HOSTS_ENTRIES: {
		describe: 'one "address name" line per node, for /etc/hosts',
		value: (p) => p.nodes.map((n) => `${n.managementIp} ${n.name}`).join('\n'),
	},
	COMPUTE_HOSTS: {
		describe: 'the compute nodes, space-separated',
		value: (p) =>
			p.nodes
				.filter((n) => n.roles.includes('compute'))
				.map((n) => n.name)
				.join(' '),
	},
	NODE_NAME: { describe: "this node's host name", value: (_p, n) => n.name },
	NODE_IP: { describe: "this node's management address", value: (_p, n) => n.managementIp },
	PROVIDER_IFACE: { describe: "this node's provider interface", value: (p, n) => providerInterfaceOf(p, n) },
};

export function isKnownVariable(runbook: Pick<Runbook, 'settings'>, name: string): boolean {
	return name in PROFILE_VARIABLES || isSecretName(name) || runbook.settings.some((s) => s.name === name);
}

/** The value of a non-secret variable for a node (runbook settings fall back to their defaults). */
export function variableValue(runbook: Runbook, profile: Profile, node: ProfileNode, name: string): string {
	const def = PROFILE_VARIABLES[name];
	if (def) return def.value(profile, node);
	const setting = runbook.settings.find((s) => s.name === name);
	if (setting) return profile.settings[name] ?? setting.default;
	throw new Error(`unknown variable ${name}`);
}
