/**
 * The profile: the operator's nodes, roles, SSH access and network settings. Every field is validated
 * strictly because every value ends up on a node; messages say what is wrong and what is expected.
 */
import { z } from 'zod';

export const PROFILE_VERSION = 1;

const ipv4 = z
	.string()
	.regex(
		/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
		'must be an IPv4 address like 10.0.0.11',
	);
const cidr = z
	.string()
	.regex(
		/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/,
		'must be an IPv4 network in CIDR form like 10.0.0.0/24',
	);
export const hostname = z
	.string()
	.regex(
		/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
		'must be a host name: letters, digits and dashes, no spaces or dots, at most 63 characters',
	);
const interfaceName = z
	.string()
	.regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/, 'must be a network interface name like eth1 (at most 15 characters)');

export const NodeAuth = z.discriminatedUnion('type', [
	z.object({ type: z.literal('key'), keyFile: z.string().min(1, 'must name a private key file') }).strict(),
	z.object({ type: z.literal('agent') }).strict(),
	z.object({ type: z.literal('password') }).strict(),
]);
export type NodeAuth = z.infer<typeof NodeAuth>;

export const Role = z.enum(['controller', 'compute']);
export type Role = z.infer<typeof Role>;

export const ProfileNode = z
	.object({
		/** The node's host name in the cloud (controller, compute1): goes into /etc/hosts and configs. */
		name: hostname,
		/** Where to SSH to: an address or DNS name (or an ~/.ssh/config Host alias). */
		host: z
			.string()
			.regex(
				/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/,
				'must be an address or host name (letters, digits, . : _ -; no spaces, not starting with -)',
			)
			.max(253),
		port: z.number().int().min(1).max(65535).default(22),
		user: z
			.string()
			.regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Unix user name like root or ubuntu')
			.default('root'),
		roles: z.array(Role).min(1, 'give at least one role: controller or compute'),
		/** This node's address on the management network. */
		managementIp: ipv4,
		/** The interface on the provider network (no address); defaults to network.providerInterface. */
		providerInterface: interfaceName.optional(),
		auth: NodeAuth.default({ type: 'agent' }),
		/** Non-root users elevate with sudo (a sudo password is asked for when needed, never stored). */
		sudo: z.boolean().default(false),
	})
	.strict();
export type ProfileNode = z.infer<typeof ProfileNode>;

export const NetworkSettings = z
	.object({
		managementCidr: cidr,
		providerInterface: interfaceName,
		providerCidr: cidr,
		providerGateway: ipv4,
		providerPoolStart: ipv4,
		providerPoolEnd: ipv4,
		/** DNS server handed to instances; empty for none. */
		providerDns: z.union([ipv4, z.literal('')]).default(''),
		/** Networking option 1 (provider) or 2 (self-service, with L3 agent and VXLAN). */
		option: z.enum(['provider', 'selfservice']),
		selfserviceCidr: cidr.default('172.16.1.0/24'),
		selfserviceGateway: ipv4.default('172.16.1.1'),
	})
	.strict();
export type NetworkSettings = z.infer<typeof NetworkSettings>;

/**
 * Where host keys the operator accepts (in the console, or with --accept-new) are recorded:
 * - `console` (the default): the console's own known_hosts (in its config directory);
 * - `user`: where `ssh` itself would write them: the first UserKnownHostsFile the ssh config gives for that host,
 *   else ~/.ssh/known_hosts;
 * - a path (absolute, or starting with ~/): that file.
 * Keys are checked against all of these files, whichever is chosen.
 */
export const KnownHostsFileSetting = z.union([
	z.enum(['console', 'user']),
	z
		.string()
		.regex(
			/^(\/|~\/)[^\0\n\r]*$/,
			'must be "console", "user", or the path of a known_hosts file (absolute, or starting with ~/)',
		)
		.max(4096),
]);
export type KnownHostsFileSetting = z.infer<typeof KnownHostsFileSetting>;

export const SshSettings = z
	.object({
		/** Where accepted host keys are recorded (see KnownHostsFileSetting). */
		knownHostsFile: KnownHostsFileSetting.optional(),
	})
	.strict();
export type SshSettings = z.infer<typeof SshSettings>;

/** Secret values are limited to an alphabet that is safe in URLs, INI files, SQL and shell alike. */
export const secretValue = z
	.string()
	.regex(
		/^[A-Za-z0-9_][A-Za-z0-9_-]{7,127}$/,
		'must be 8 to 128 characters of letters, digits, _ and - only, not starting with - (it would read as an option)',
	);

export const Profile = z
	.object({
		version: z.literal(PROFILE_VERSION, { error: `must be ${PROFILE_VERSION} (this console's profile format)` }),
		name: z
			.string()
			.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lower-case letters, digits, . _ - (at most 64 characters)'),
		runbook: z.string().min(1),
		description: z.string().max(500).optional(),
		region: z
			.string()
			.regex(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/, 'must be letters, digits, _ and - only, not starting with -')
			.default('RegionOne'),
		network: NetworkSettings,
		nodes: z.array(ProfileNode).min(1, 'add at least one node'),
		/** Runbook settings (e.g. UWSGI_PROCESSES); each runbook declares its own with defaults. */
		settings: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).default({}),
		/** How the console's SSH behaves for this profile; left out, OpenSSH-like defaults apply. */
		ssh: SshSettings.optional(),
	})
	.strict()
	.superRefine((profile, ctx) => {
		const controllers = profile.nodes.filter((n) => n.roles.includes('controller'));
		if (controllers.length !== 1) {
			ctx.addIssue({
				code: 'custom',
				path: ['nodes'],
				message: `exactly one node must have the controller role (found ${controllers.length})`,
			});
		}
		const seen = new Map<string, number>();
		profile.nodes.forEach((node, index) => {
			const prior = seen.get(node.name.toLowerCase());
			if (prior !== undefined) {
				ctx.addIssue({
					code: 'custom',
					path: ['nodes', index, 'name'],
					message: `node name "${node.name}" is already used by nodes[${prior}]`,
				});
			}
			seen.set(node.name.toLowerCase(), index);
		});
	});
export type Profile = z.infer<typeof Profile>;
export type ProfileInput = z.input<typeof Profile>;

export function controllerOf(profile: Profile): ProfileNode {
	const node = profile.nodes.find((n) => n.roles.includes('controller'));
	if (!node) throw new Error(`profile ${profile.name} has no controller node`);
	return node;
}

export function providerInterfaceOf(profile: Profile, node: ProfileNode): string {
	return node.providerInterface ?? profile.network.providerInterface;
}

/** Turn zod issues into lines that name the field and the problem. */
export function describeIssues(error: z.ZodError, file?: string): string[] {
	return error.issues.map((issue) => {
		const where =
			issue.path.length > 0
				? issue.path
						.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
						.join('')
						.replace(/^\./, '')
				: '(top level)';
		return `${file ? `${file}: ` : ''}${where}: ${issue.message}`;
	});
}
