/**
 * The launch plan: typed actions that create everything the instance needs, each only if absent, so that
 * submitting twice changes nothing the second time; and the equivalent OpenStack CLI commands the operator
 * can read and repeat (they hold no secret: credentials come from admin-openrc / demo-openrc).
 *
 * As the install guide does it: the provider network and subnet and the flavor as admin; the self-service
 * network, router, key pair, security group rules and the server as demo.
 */
import type { ActionInput } from '../runbook/model.js';
import { dhcpPortList, dhcpServed, replaceLostServer } from '../steps/shared/launch.js';
import { shellQuote } from '../util/shell.js';
import type { LaunchSpec } from './spec.js';

export interface PlanItem {
	title: string;
	creds: 'admin' | 'demo';
	/** The command as the operator would type it (after sourcing the openrc of `creds`). */
	command: string;
	actions: ActionInput[];
}

export interface LaunchPlan {
	items: PlanItem[];
	/** Every action in order: what runs on the controller (one script). */
	actions: ActionInput[];
	/** The equivalent commands, with "# as admin" / "# as demo" lines where the credentials change. */
	commands: string[];
}

export interface PlanOptions {
	/** The public key (one line): written to keyDir on the controller for `keypair create --public-key`. */
	publicKey: string;
	/** Where the key file goes on the controller. */
	keyDir: string;
	/** The physical network label of the flat provider network (ml2 flat_networks). */
	physicalNetwork: string;
	/** The security group the rules go into (the guide: default). */
	securityGroup?: string;
}

/** A word as an operator types it: options and plain words bare, "~/" kept so the shell expands it. */
function displayWord(word: string): string {
	if (/^~?[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
	return shellQuote(word);
}

function command(args: string[]): string {
	return `openstack ${args.map(displayWord).join(' ')}`;
}

function ensure(title: string, creds: 'admin' | 'demo', args: string[], unless: string[]): PlanItem {
	return {
		title,
		creds,
		command: command(args),
		actions: [{ kind: 'openstack', creds, describe: `ensure ${title}`, args, unless }],
	};
}

/**
 * A create that the CLI cannot guard with a "show" command: a shell test over a list, run with the same
 * client helper as the openstack actions (osc_openstack, credentials in its environment; declared in `uses`).
 */
function ensureByList(title: string, creds: 'admin' | 'demo', test: string, args: string[]): PlanItem {
	const run = `osc_openstack ${creds} '' ${args.map(shellQuote).join(' ')}`;
	return {
		title,
		creds,
		command: command(args),
		actions: [
			{
				kind: 'shell',
				describe: `ensure ${title}`,
				uses: [creds === 'admin' ? 'openstack-admin' : 'openstack-demo'],
				script: [
					`if ${test}; then`,
					`\techo ${shellQuote(`exists, not created: ${title}`)}`,
					'else',
					`\t${run}`,
					'fi',
				].join('\n'),
			},
		],
	};
}

/** The wait for the DHCP port of the instance's network, with the command that shows it by hand. */
function dhcpServedItem(network: string): PlanItem {
	return {
		title: `DHCP on network ${network} is served`,
		creds: 'admin',
		command: command(dhcpPortList(network)),
		actions: [dhcpServed(network)],
	};
}

export function planLaunch(spec: LaunchSpec, options: PlanOptions): LaunchPlan {
	const sg = options.securityGroup ?? 'default';
	const p = spec.provider;
	const items: PlanItem[] = [];
	items.push(
		ensure(
			`provider network ${p.network}`,
			'admin',
			[
				'network',
				'create',
				'--share',
				'--external',
				'--provider-physical-network',
				options.physicalNetwork,
				'--provider-network-type',
				'flat',
				p.network,
			],
			['network', 'show', p.network, '-f', 'value', '-c', 'id'],
		),
		ensure(
			`subnet ${p.subnet} on ${p.network}`,
			'admin',
			[
				'subnet',
				'create',
				'--network',
				p.network,
				'--allocation-pool',
				`start=${p.poolStart},end=${p.poolEnd}`,
				...(p.dns ? ['--dns-nameserver', p.dns] : []),
				'--gateway',
				p.gateway,
				'--subnet-range',
				p.cidr,
				p.subnet,
			],
			['subnet', 'show', p.subnet, '-f', 'value', '-c', 'id'],
		),
	);
	let instanceNetwork = p.network;
	const s = spec.network === 'selfservice' ? spec.selfservice : undefined;
	if (s) {
		instanceNetwork = s.network;
		const subnetId = `$(osc_openstack demo '' subnet show ${shellQuote(s.subnet)} -f value -c id)`;
		items.push(
			ensure(
				`self-service network ${s.network}`,
				'demo',
				['network', 'create', s.network],
				['network', 'show', s.network, '-f', 'value', '-c', 'id'],
			),
			ensure(
				`subnet ${s.subnet} on ${s.network}`,
				'demo',
				[
					'subnet',
					'create',
					'--network',
					s.network,
					...(s.dns ? ['--dns-nameserver', s.dns] : []),
					'--gateway',
					s.gateway,
					'--subnet-range',
					s.cidr,
					s.subnet,
				],
				['subnet', 'show', s.subnet, '-f', 'value', '-c', 'id'],
			),
			ensure(
				`router ${s.router}`,
				'demo',
				['router', 'create', s.router],
				['router', 'show', s.router, '-f', 'value', '-c', 'id'],
			),
			ensureByList(
				`subnet ${s.subnet} on router ${s.router}`,
				'demo',
				`osc_sub=${subnetId} && osc_openstack demo '' port list --router ${shellQuote(s.router)} -f value -c 'Fixed IP Addresses' | grep -qF "$osc_sub"`,
				['router', 'add', 'subnet', s.router, s.subnet],
			),
			{
				// Setting the same gateway again changes nothing: no guard needed.
				title: `gateway of router ${s.router} on ${p.network}`,
				creds: 'demo',
				command: command(['router', 'set', s.router, '--external-gateway', p.network]),
				actions: [
					{
						kind: 'openstack',
						creds: 'demo',
						describe: `set the gateway of router ${s.router} on ${p.network} (the same again changes nothing)`,
						args: ['router', 'set', s.router, '--external-gateway', p.network],
					},
				],
			},
		);
	}
	const f = spec.flavor;
	items.push(
		ensure(
			`flavor ${f.name}`,
			'admin',
			['flavor', 'create', '--vcpus', String(f.vcpus), '--ram', String(f.ramMb), '--disk', String(f.diskGb), f.name],
			['flavor', 'show', f.name, '-f', 'value', '-c', 'id'],
		),
	);
	// The server is created only once the DHCP agent serves its network (see dhcpServed).
	items.push(dhcpServedItem(instanceNetwork));
	const keyPath = `${options.keyDir}/${spec.keypair.name}.pub`;
	items.push({
		title: `key pair ${spec.keypair.name}`,
		creds: 'demo',
		command: command(['keypair', 'create', '--public-key', spec.keypair.publicKeyFile, spec.keypair.name]),
		actions: [
			{
				kind: 'file',
				describe: `the public key from ${spec.keypair.publicKeyFile}, for keypair create (${keyPath})`,
				path: keyPath,
				content: options.publicKey.endsWith('\n') ? options.publicKey : `${options.publicKey}\n`,
				mode: '0644',
			},
			{
				kind: 'openstack',
				creds: 'demo',
				describe: `ensure key pair ${spec.keypair.name}`,
				args: ['keypair', 'create', '--public-key', keyPath, spec.keypair.name],
				unless: ['keypair', 'show', spec.keypair.name, '-f', 'value', '-c', 'name'],
			},
		],
	});
	// Rules are listed with their protocol, port range and direction (--long: the Ocata client needs it
	// for the direction; newer ones accept it) and matched here, as the CLI cannot filter by port.
	const rules = `osc_openstack demo '' security group rule list ${shellQuote(sg)} --long -f value -c 'IP Protocol' -c 'Port Range' -c Direction 2>/dev/null`;
	if (spec.securityGroup.icmp) {
		items.push(
			ensureByList(
				`ICMP (ping) into security group ${sg}`,
				'demo',
				`${rules} | awk '$1 == "icmp" && $NF == "ingress" { found = 1 } END { exit !found }'`,
				['security', 'group', 'rule', 'create', '--proto', 'icmp', sg],
			),
		);
	}
	if (spec.securityGroup.ssh) {
		items.push(
			ensureByList(
				`SSH (tcp 22) into security group ${sg}`,
				'demo',
				`${rules} | awk '$1 == "tcp" && $2 == "22:22" && $NF == "ingress" { found = 1 } END { exit !found }'`,
				['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', sg],
			),
		);
	}
	const server = ensure(
		`server ${spec.instance}`,
		'demo',
		[
			'server',
			'create',
			'--flavor',
			f.name,
			'--image',
			spec.image,
			'--nic',
			`net-id=${instanceNetwork}`,
			'--security-group',
			sg,
			'--key-name',
			spec.keypair.name,
			// Only the id: the client's default table includes the server's generated adminPass.
			'-f',
			'value',
			'-c',
			'id',
			spec.instance,
		],
		['server', 'show', spec.instance, '-f', 'value', '-c', 'id'],
	);
	// A server an earlier submit left ERROR (or stuck in BUILD) without ever running is made again, not kept.
	server.actions.unshift(replaceLostServer(spec.instance));
	items.push(server);
	const commands: string[] = [];
	let creds: string | undefined;
	for (const item of items) {
		if (item.creds !== creds) {
			creds = item.creds;
			commands.push(`# as ${creds}: . ${creds}-openrc`);
		}
		commands.push(item.command);
	}
	commands.push(command(['server', 'show', spec.instance]), command(['console', 'url', 'show', spec.instance]));
	return { items, actions: items.flatMap((i) => i.actions), commands };
}
