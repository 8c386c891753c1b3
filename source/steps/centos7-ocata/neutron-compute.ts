/**
 * 7. Neutron (Networking service), compute nodes: the Linux bridge agent with this node's provider interface
 * (and its management address as the VXLAN endpoint for option 2), nova.conf [neutron], then the verification
 * on the controller.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { IS_CONTROLLER, NOVA_NEUTRON, restartWhenChanged } from './common.js';
import { agentsAlive, LINUXBRIDGE_AGENT, NEUTRON_COMMON } from './neutron-controller.js';

export const neutronCompute: RunbookSectionInput = {
	id: 'neutron-compute',
	title: 'Neutron (Networking service), compute nodes',
	guide: '7. Neutron, compute nodes',
	steps: [
		{
			id: 'packages',
			title: 'Install the Networking components',
			guide: '7 yum install openstack-neutron-linuxbridge ebtables ipset',
			on: 'compute',
			actions: [{ kind: 'packages', names: ['openstack-neutron-linuxbridge', 'ebtables', 'ipset'] }],
			timeoutSec: 1800,
		},
		{
			id: 'common-config',
			title: 'Configure the common component (neutron.conf)',
			guide: '7 neutron.conf: no [database] connection; transport_url, auth_strategy, [keystone_authtoken], lock_path',
			on: 'compute',
			actions: [
				{ kind: 'ini', file: '/etc/neutron/neutron.conf', set: NEUTRON_COMMON },
				{
					kind: 'shell',
					describe:
						'remove [database] connection: compute nodes do not use the database (kept on an all-in-one controller)',
					uses: ['ini'],
					script: [
						`if ${IS_CONTROLLER}; then echo "all-in-one node: [database] connection stays"; else`,
						'\tosc_ini /etc/neutron/neutron.conf database connection --unset',
						'fi',
					].join('\n'),
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'linuxbridge',
			title: 'Configure the Linux bridge agent',
			guide: "7 linuxbridge_agent.ini as on the controller, local_ip = this node's management address (option 2)",
			on: 'compute',
			actions: [...LINUXBRIDGE_AGENT],
			timeoutSec: 60,
		},
		{
			id: 'nova-config',
			title: 'Configure the Compute service to use the Networking service',
			guide: '7 nova.conf [neutron] (no metadata keys)',
			on: 'compute',
			actions: [{ kind: 'ini', file: '/etc/nova/nova.conf', set: NOVA_NEUTRON }],
			timeoutSec: 60,
		},
		{
			id: 'services',
			title: 'Restart the Compute service and start the Linux bridge agent',
			guide: '7 restart openstack-nova-compute; enable and start neutron-linuxbridge-agent',
			on: 'compute',
			actions: [
				restartWhenChanged(['openstack-nova-compute.service'], 'nova', { enable: false }),
				restartWhenChanged(['neutron-linuxbridge-agent.service'], 'neutron'),
			],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify: the network agents are alive',
			guide: '7 Verify on the controller: openstack extension list --network; openstack network agent list',
			on: 'controller',
			actions: [
				{ kind: 'openstack', creds: 'admin', args: ['extension', 'list', '--network'] },
				{
					kind: 'wait',
					describe: 'the Linux bridge agent of every compute node is alive',
					until: agentsAlive(['neutron-linuxbridge-agent'], '{{COMPUTE_HOSTS}}'),
					uses: ['openstack-admin'],
					timeoutSec: 300,
				},
				{ kind: 'openstack', creds: 'admin', args: ['network', 'agent', 'list'] },
			],
			timeoutSec: 600,
		},
	],
};
