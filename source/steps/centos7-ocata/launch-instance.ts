/**
 * 8. Launch an instance: the provider network (and for option 2 the self-service network and router), the
 * m1.nano flavor, a key pair, security group rules, and an instance that must reach ACTIVE.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { SELFSERVICE } from '../shared/conditions.js';
import {
	dhcpServed,
	nanoFlavor,
	providerNetwork,
	replaceLostServer,
	router,
	selfserviceNetwork,
	serverSettles,
} from '../shared/launch.js';
import { ADMIN_OPENRC, DEMO_OPENRC } from './common.js';

function createServer(name: string, network: string): string {
	return [
		`. ${DEMO_OPENRC}`,
		`if openstack server show ${name} >/dev/null 2>&1; then echo "exists, not created: server ${name}"; else`,
		`\tosc_net=$(openstack network show ${network} -f value -c id)`,
		// -f value -c id: the client's default table carries the generated adminPass, which would land in every log.
		`\topenstack server create --flavor m1.nano --image cirros --nic net-id="$osc_net" -f value -c id --security-group default --key-name mykey ${name}`,
		'fi',
	].join('\n');
}

export const launchInstance: RunbookSectionInput = {
	id: 'launch-instance',
	title: 'Launch an instance',
	guide: '8. Launch an instance',
	steps: [
		{
			id: 'provider-network',
			title: 'Create the provider network',
			guide: '8 openstack network create --share --external ... provider; openstack subnet create ... provider',
			on: 'controller',
			actions: [
				providerNetwork('command'),
				{
					kind: 'shell',
					describe:
						'openstack subnet create --network provider --allocation-pool start=POOL_START,end=POOL_END --dns-nameserver DNS --gateway GATEWAY --subnet-range CIDR provider',
					script: [
						`. ${ADMIN_OPENRC}`,
						'if openstack subnet show provider >/dev/null 2>&1; then echo "exists, not created: subnet provider"; else',
						'\tosc_dns={{PROVIDER_DNS}}',
						'\tset -- --network provider --allocation-pool start={{PROVIDER_POOL_START}},end={{PROVIDER_POOL_END}}',
						'\tif [ -n "$osc_dns" ]; then set -- "$@" --dns-nameserver "$osc_dns"; fi',
						'\topenstack subnet create "$@" --gateway {{PROVIDER_GATEWAY}} --subnet-range {{PROVIDER_CIDR}} provider',
						'fi',
					].join('\n'),
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'selfservice-network',
			title: 'Create the self-service network and the router (option 2)',
			guide:
				'8 openstack network create selfservice; subnet create; router create router; router add subnet; router set --external-gateway provider',
			on: 'controller',
			when: SELFSERVICE,
			actions: [
				selfserviceNetwork('command'),
				{
					kind: 'shell',
					describe:
						'openstack subnet create --network selfservice --dns-nameserver DNS --gateway SELFSERVICE_GATEWAY --subnet-range SELFSERVICE_CIDR selfservice',
					script: [
						`. ${DEMO_OPENRC}`,
						'if openstack subnet show selfservice >/dev/null 2>&1; then echo "exists, not created: subnet selfservice"; else',
						'\tosc_dns={{PROVIDER_DNS}}',
						'\tset -- --network selfservice',
						'\tif [ -n "$osc_dns" ]; then set -- "$@" --dns-nameserver "$osc_dns"; fi',
						'\topenstack subnet create "$@" --gateway {{SELFSERVICE_GATEWAY}} --subnet-range {{SELFSERVICE_CIDR}} selfservice',
						'fi',
					].join('\n'),
				},
				router('command'),
				{
					kind: 'shell',
					describe: 'openstack router add subnet router selfservice (once)',
					script: [
						`. ${DEMO_OPENRC}`,
						'osc_subnet=$(openstack subnet show selfservice -f value -c id)',
						'if openstack port list --router router -f value -c \'Fixed IP Addresses\' | grep -qF "$osc_subnet"; then',
						'\techo "exists, not added: router interface on selfservice"',
						'else',
						'\topenstack router add subnet router selfservice',
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: 'openstack router set router --external-gateway provider (once)',
					script: [
						`. ${DEMO_OPENRC}`,
						'osc_gw=$(openstack router show router -f value -c external_gateway_info)',
						'case "$osc_gw" in',
						'\t*network_id*) echo "exists, not set: router external gateway" ;;',
						'\t*) openstack router set router --external-gateway provider ;;',
						'esac',
					].join('\n'),
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'verify-router',
			title: 'Verify the router (option 2)',
			guide: '8 Verify: ip netns (qrouter-, qdhcp-); openstack port list --router router',
			on: 'controller',
			when: SELFSERVICE,
			actions: [
				{
					kind: 'wait',
					describe: 'the qrouter- namespace exists',
					until: 'ip netns | grep -q "^qrouter-"',
					timeoutSec: 120,
				},
				{ kind: 'shell', describe: 'ip netns', script: 'ip netns' },
				{
					kind: 'shell',
					describe: '. admin-openrc; openstack port list --router router',
					script: `. ${ADMIN_OPENRC}\nopenstack port list --router router`,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'flavor',
			title: 'Create the m1.nano flavor',
			guide: '8 openstack flavor create --id 0 --vcpus 1 --ram 64 --disk 1 m1.nano',
			on: 'controller',
			actions: [nanoFlavor('command')],
			timeoutSec: 120,
		},
		{
			id: 'keypair',
			title: 'Add a key pair',
			guide:
				'8 ssh-keygen -q -N ""; openstack keypair create --public-key ~/.ssh/id_rsa.pub mykey; openstack keypair list',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'ssh-keygen -q -N "" when SSH_PUBLIC_KEY does not exist',
					script: [
						'osc_pub={{SSH_PUBLIC_KEY}}',
						'if [ -f "$osc_pub" ]; then echo "public key present: $osc_pub"; else',
						'\tmkdir -p "$(dirname "$osc_pub")"',
						'\tssh-keygen -q -N "" -f "${osc_pub%.pub}"',
						'fi',
					].join('\n'),
				},
				{
					kind: 'openstack',
					creds: 'demo',
					args: ['keypair', 'create', '--public-key', '{{SSH_PUBLIC_KEY}}', 'mykey'],
					unless: ['keypair', 'show', 'mykey', '-f', 'value', '-c', 'name'],
				},
				{ kind: 'openstack', creds: 'demo', args: ['keypair', 'list'] },
			],
			timeoutSec: 120,
		},
		{
			id: 'security-group',
			title: 'Add security group rules',
			guide: '8 openstack security group rule create --proto icmp default; --proto tcp --dst-port 22 default',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'openstack security group rule create --proto icmp default (once)',
					script: [
						`. ${DEMO_OPENRC}`,
						"if openstack security group rule list default -f value -c 'IP Protocol' | grep -qx icmp; then",
						'\techo "exists, not created: icmp rule"',
						'else',
						'\topenstack security group rule create --proto icmp default',
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: 'openstack security group rule create --proto tcp --dst-port 22 default (once)',
					script: [
						`. ${DEMO_OPENRC}`,
						"if openstack security group rule list default -f value -c 'IP Protocol' -c 'Port Range' | grep -qx 'tcp 22:22'; then",
						'\techo "exists, not created: tcp 22 rule"',
						'else',
						'\topenstack security group rule create --proto tcp --dst-port 22 default',
						'fi',
					].join('\n'),
				},
			],
			timeoutSec: 120,
		},
		{
			id: 'provider-instance',
			title: 'Launch an instance on the provider network',
			guide:
				'8 openstack server create --flavor m1.nano --image cirros --nic net-id=NET_ID --security-group default --key-name mykey provider-instance',
			on: 'controller',
			actions: [
				dhcpServed('provider'),
				replaceLostServer('provider-instance'),
				{
					kind: 'shell',
					describe: 'openstack server create ... provider-instance (on the provider network)',
					script: createServer('provider-instance', 'provider'),
				},
				serverSettles('provider-instance', 600, 5),
				{
					kind: 'shell',
					describe: 'openstack server list; openstack console url show provider-instance',
					script: `. ${DEMO_OPENRC}\nopenstack server list\nopenstack console url show provider-instance`,
				},
			],
			timeoutSec: 900,
		},
		{
			id: 'selfservice-instance',
			title: 'Launch an instance on the self-service network (option 2)',
			guide:
				'8 server create ... selfservice-instance; openstack floating ip create provider; openstack server add floating ip',
			on: 'controller',
			when: SELFSERVICE,
			actions: [
				dhcpServed('selfservice'),
				replaceLostServer('selfservice-instance'),
				{
					kind: 'shell',
					describe: 'openstack server create ... selfservice-instance (on the self-service network)',
					script: createServer('selfservice-instance', 'selfservice'),
				},
				serverSettles('selfservice-instance', 600, 5),
				{
					kind: 'shell',
					describe:
						'openstack floating ip create provider; openstack server add floating ip selfservice-instance FIP (once)',
					script: [
						`. ${DEMO_OPENRC}`,
						'osc_addr=$(openstack server show selfservice-instance -f value -c addresses)',
						'case "$osc_addr" in',
						'\t*,*) echo "selfservice-instance has a floating IP: $osc_addr" ;;',
						'\t*)',
						'\t\tosc_fip=$(openstack floating ip create provider -f value -c floating_ip_address)',
						'\t\topenstack server add floating ip selfservice-instance "$osc_fip"',
						'\t\techo "floating IP $osc_fip added to selfservice-instance"',
						'\t\t;;',
						'esac',
						'openstack server list',
					].join('\n'),
				},
			],
			timeoutSec: 900,
		},
	],
};
