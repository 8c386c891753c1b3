/**
 * Launch an instance (install guide: "Launch an instance"): provider network (and for option 2 the
 * self-service network and router), flavor m1.nano, key pair, security group rules, and the instance(s).
 */
import type { ActionInput, RunbookSectionInput } from '../../runbook/model.js';
import { SELFSERVICE } from '../shared/conditions.js';
import { showId } from '../shared/identity.js';
import {
	dhcpServed,
	nanoFlavor,
	providerNetwork,
	replaceLostServer,
	router,
	selfserviceNetwork,
	serverSettles,
} from '../shared/launch.js';
import { ADMIN_RC, DEMO_RC, STATE_DIR } from './lib.js';

const KEY_FILE = `${STATE_DIR}/keys/mykey`;

/** When the profile gives a DNS server, make the subnet hand it out (the guide's --dns-nameserver). */
function subnetDns(rc: string, subnet: string): ActionInput {
	return {
		kind: 'shell',
		describe: `DNS server for subnet ${subnet} (only when the profile sets network.providerDns)`,
		script: `osc_dns={{PROVIDER_DNS}}
if [ -z "$osc_dns" ]; then
	echo "no DNS server in the profile: subnet ${subnet} hands out none"
	exit 0
fi
${rc}
if openstack subnet show ${subnet} -f value -c dns_nameservers | grep -qF "$osc_dns"; then
	echo "unchanged: subnet ${subnet} hands out DNS server $osc_dns"
else
	openstack subnet set --dns-nameserver "$osc_dns" ${subnet}
	echo "set:       DNS server $osc_dns on subnet ${subnet}"
fi`,
	};
}

/** The guide's instance: m1.nano, the runbook's image, the default security group and key pair mykey (demo). */
function createServer(server: string, network: string, describe: string): ActionInput {
	return {
		kind: 'openstack',
		creds: 'demo',
		describe,
		args: [
			'server',
			'create',
			'--flavor',
			'm1.nano',
			'--image',
			'{{IMAGE_NAME}}',
			'--network',
			network,
			'--security-group',
			'default',
			'--key-name',
			'mykey',
			'-f',
			'value',
			'-c',
			'id',
			server,
		],
		unless: showId('server', server),
	};
}

function serverVerify(server: string): string {
	// The server belongs to demo; admin looks it up by id to show where it runs.
	return `osc_id=$(${DEMO_RC} && openstack server show ${server} -f value -c id)
${ADMIN_RC}
osc_status=$(openstack server show "$osc_id" -f value -c status)
if [ "$osc_status" != ACTIVE ]; then
	echo "${server} is $osc_status" >&2
	openstack server show "$osc_id" -f value -c fault >&2
	exit 1
fi
openstack server show "$osc_id" -c name -c status -c OS-EXT-SRV-ATTR:host -c OS-EXT-SRV-ATTR:instance_name -c addresses -c image -c flavor
openstack console url show "$osc_id" -f value -c url`;
}

export const launch: RunbookSectionInput = {
	id: 'launch-instance',
	title: 'Launch an instance',
	guide: 'Install guide: Launch an instance (provider network; self-service network for option 2)',
	steps: [
		{
			id: 'provider-network',
			title: 'Create the provider network and subnet',
			guide: 'Launch an instance: Provider network',
			on: 'controller',
			actions: [
				providerNetwork('summary'),
				{
					kind: 'openstack',
					creds: 'admin',
					describe: 'ensure subnet provider (profile: providerCidr, providerGateway, pool)',
					args: [
						'subnet',
						'create',
						'--network',
						'provider',
						'--allocation-pool',
						'start={{PROVIDER_POOL_START}},end={{PROVIDER_POOL_END}}',
						'--gateway',
						'{{PROVIDER_GATEWAY}}',
						'--subnet-range',
						'{{PROVIDER_CIDR}}',
						'provider',
					],
					unless: ['subnet', 'show', 'provider', '-f', 'value', '-c', 'id'],
				},
				subnetDns(ADMIN_RC, 'provider'),
			],
			verify: `${ADMIN_RC}\nopenstack subnet show provider -c cidr -c allocation_pools -c gateway_ip -c dns_nameservers`,
			timeoutSec: 300,
		},
		{
			id: 'selfservice-network',
			title: 'Create the self-service network, subnet and router (option 2)',
			guide: 'Launch an instance: Self-service network',
			on: 'controller',
			when: SELFSERVICE,
			actions: [
				selfserviceNetwork('summary'),
				{
					kind: 'openstack',
					creds: 'demo',
					describe: 'ensure subnet selfservice (profile: selfserviceCidr, selfserviceGateway)',
					args: [
						'subnet',
						'create',
						'--network',
						'selfservice',
						'--gateway',
						'{{SELFSERVICE_GATEWAY}}',
						'--subnet-range',
						'{{SELFSERVICE_CIDR}}',
						'selfservice',
					],
					unless: ['subnet', 'show', 'selfservice', '-f', 'value', '-c', 'id'],
				},
				subnetDns(DEMO_RC, 'selfservice'),
				router('summary'),
				{
					kind: 'openstack',
					creds: 'demo',
					describe: 'ensure the self-service subnet is an interface of the router',
					args: ['router', 'add', 'subnet', 'router', 'selfservice'],
					unless: ['port', 'list', '--router', 'router', '--fixed-ip', 'subnet=selfservice', '-f', 'value', '-c', 'ID'],
				},
				{
					kind: 'shell',
					describe: 'ensure the router has its gateway on the provider network',
					script: `${DEMO_RC}
osc_gw=$(openstack router show router -f value -c external_gateway_info)
case "$osc_gw" in
'' | None | null | '{}')
	openstack router set router --external-gateway provider
	echo "set:       gateway of router on network provider"
	;;
*) echo "unchanged: router has a gateway ($osc_gw)" ;;
esac`,
				},
				{
					kind: 'wait',
					describe: 'the router namespace exists (qrouter-) and its ports are listed',
					until: `ip netns | grep -q '^qrouter-'`,
					timeoutSec: 120,
				},
			],
			verify: `ip netns\n${ADMIN_RC}\nopenstack port list --router router`,
			timeoutSec: 600,
		},
		{
			id: 'flavor',
			title: 'Create the m1.nano flavor',
			guide: 'Launch an instance: Create m1.nano flavor',
			on: 'controller',
			actions: [nanoFlavor('summary')],
			timeoutSec: 120,
		},
		{
			id: 'keypair',
			title: 'Generate a key pair and add it for demo',
			guide: 'Launch an instance: Generate a key pair',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: `make the key ${KEY_FILE} (ed25519) unless it exists`,
					script: `if [ -f ${KEY_FILE} ]; then
	echo "unchanged: ${KEY_FILE} exists"
else
	install -d -m 0700 ${STATE_DIR}/keys
	ssh-keygen -q -t ed25519 -N '' -C os-console-mykey -f ${KEY_FILE}
	echo "made:      ${KEY_FILE}"
fi`,
				},
				{
					kind: 'openstack',
					creds: 'demo',
					describe: 'ensure key pair mykey (demo)',
					args: ['keypair', 'create', '--public-key', `${KEY_FILE}.pub`, 'mykey'],
					unless: ['keypair', 'show', 'mykey', '-f', 'value', '-c', 'fingerprint'],
				},
			],
			verify: `${DEMO_RC}\nopenstack keypair list`,
			timeoutSec: 120,
		},
		{
			id: 'security-group',
			title: 'Permit ICMP (ping) and secure shell (SSH) in the default security group',
			guide: 'Launch an instance: Add security group rules',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'ensure ingress rules icmp and tcp 22 in security group default (demo)',
					script: `${DEMO_RC}
osc_rules=$(openstack security group rule list default --ingress --ethertype IPv4 -f value -c "IP Protocol" -c "Port Range")
if printf '%s\\n' "$osc_rules" | grep -q '^icmp'; then
	echo "unchanged: icmp is allowed"
else
	openstack security group rule create --proto icmp default -f value -c id
	echo "created:   rule icmp"
fi
if printf '%s\\n' "$osc_rules" | grep -q '^tcp 22:22$'; then
	echo "unchanged: tcp 22 is allowed"
else
	openstack security group rule create --proto tcp --dst-port 22 default -f value -c id
	echo "created:   rule tcp 22"
fi`,
				},
			],
			verify: `${DEMO_RC}\nopenstack security group rule list default --ingress`,
			timeoutSec: 120,
		},
		{
			id: 'provider-instance',
			title: 'Launch an instance on the provider network',
			guide: 'Launch an instance: Launch an instance on the provider network',
			on: 'controller',
			actions: [
				dhcpServed('provider'),
				replaceLostServer('provider-instance'),
				createServer(
					'provider-instance',
					'provider',
					'ensure server provider-instance (m1.nano, IMAGE_NAME, network provider, key mykey)',
				),
				serverSettles('provider-instance', 420, 3),
			],
			verify: serverVerify('provider-instance'),
			timeoutSec: 600,
		},
		{
			id: 'selfservice-instance',
			title: 'Launch an instance on the self-service network, with a floating IP (option 2)',
			guide: 'Launch an instance: Launch an instance on the self-service network',
			on: 'controller',
			when: SELFSERVICE,
			actions: [
				dhcpServed('selfservice'),
				replaceLostServer('selfservice-instance'),
				createServer(
					'selfservice-instance',
					'selfservice',
					'ensure server selfservice-instance (m1.nano, IMAGE_NAME, network selfservice)',
				),
				serverSettles('selfservice-instance', 420, 3),
				{
					kind: 'shell',
					describe: 'ensure a floating IP from the provider network on selfservice-instance',
					script: `${DEMO_RC}
osc_port=$(openstack port list --server selfservice-instance -f value -c ID | head -n 1)
[ -n "$osc_port" ] || { echo "selfservice-instance has no port" >&2; exit 1; }
osc_ip=$(openstack floating ip list --port "$osc_port" -f value -c "Floating IP Address")
if [ -n "$osc_ip" ]; then
	echo "unchanged: selfservice-instance has floating IP $osc_ip"
	exit 0
fi
osc_ip=$(openstack floating ip create provider -f value -c floating_ip_address)
openstack server add floating ip selfservice-instance "$osc_ip"
echo "set:       floating IP $osc_ip on selfservice-instance"`,
				},
			],
			verify: serverVerify('selfservice-instance'),
			timeoutSec: 600,
		},
	],
};
