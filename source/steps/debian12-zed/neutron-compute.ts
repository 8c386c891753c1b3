/**
 * Networking service, compute nodes: the Linux bridge agent, and nova-compute told about neutron.
 * The last step checks from the controller that every agent of the cloud is alive.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { ADMIN_RC, ensureServices, waitAgents } from './lib.js';
import { linuxbridgeAgentActions, NEUTRON_CONF, neutronCommonSettings } from './neutron-common.js';
import { NOVA_CONF, novaNeutronSettings } from './nova-common.js';

export const neutronCompute: RunbookSectionInput = {
	id: 'neutron-compute',
	title: 'Networking service (Neutron): compute nodes',
	guide: 'Neutron Zed install guide: Install and configure compute node, networking option 1 or 2 (Linux bridge)',
	steps: [
		{
			id: 'install',
			title: 'Install the Linux bridge agent',
			guide: 'Neutron compute: Install the components',
			on: 'compute',
			actions: [{ kind: 'packages', names: ['neutron-linuxbridge-agent'], noRecommends: true, noStart: true }],
			timeoutSec: 1200,
		},
		{
			id: 'configure',
			title: 'Configure the common component, the Linux bridge agent and nova-compute',
			guide: 'Neutron compute: neutron.conf, linuxbridge_agent.ini, nova.conf [neutron]',
			on: 'compute',
			actions: [
				{ kind: 'ini', file: NEUTRON_CONF, set: neutronCommonSettings() },
				{
					kind: 'shell',
					describe: 'lock directory /var/lib/neutron/tmp',
					script: 'install -d -o neutron -g neutron -m 0750 /var/lib/neutron/tmp',
				},
				...linuxbridgeAgentActions(),
				{ kind: 'ini', file: NOVA_CONF, set: novaNeutronSettings() },
			],
			timeoutSec: 120,
		},
		{
			id: 'start',
			title: 'Restart nova-compute (new settings) and start the Linux bridge agent',
			guide: 'Neutron compute: Finalize installation',
			on: 'compute',
			actions: [ensureServices(['nova-compute', 'neutron-linuxbridge-agent'])],
			timeoutSec: 300,
		},
		{
			id: 'verify',
			title: 'Verify operation: extensions and every network agent alive',
			guide: 'Neutron: Verify operation (extension list, network agent list)',
			on: 'controller',
			actions: [
				waitAgents(
					[{ type: 'Linux bridge agent', hosts: '{{COMPUTE_HOSTS}}' }],
					'the Linux bridge agent of every compute node, and every other agent,',
					{ everyAlive: true, timeoutSec: 240 },
				),
			],
			verify: `${ADMIN_RC}
echo "network API extensions: $(openstack extension list --network -f value -c Alias | wc -l)"
openstack network agent list`,
			timeoutSec: 600,
		},
	],
};
