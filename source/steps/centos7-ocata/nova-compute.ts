/**
 * 5. Nova (Compute service), compute nodes: openstack-nova-compute on each compute node with its own my_ip,
 * qemu when the CPU has no vmx/svm, then back on the controller: discover_hosts and the verification.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { forEachComputeHost, IS_CONTROLLER, restartWhenChanged } from './common.js';
import { NOVA_COMMON } from './nova-controller.js';

export const novaCompute: RunbookSectionInput = {
	id: 'nova-compute',
	title: 'Nova (Compute service), compute nodes',
	guide: '5. Nova, compute nodes',
	steps: [
		{
			id: 'packages',
			title: 'Install openstack-nova-compute',
			guide: '5.1 yum install openstack-nova-compute',
			on: 'compute',
			actions: [{ kind: 'packages', names: ['openstack-nova-compute'] }],
			timeoutSec: 1800,
		},
		{
			id: 'config',
			title: 'Configure nova.conf on the compute node',
			guide:
				"5.2-5.3 nova.conf with this node's my_ip, [vnc] novncproxy_base_url; [libvirt] virt_type = qemu without vmx/svm",
			on: 'compute',
			actions: [
				{
					kind: 'ini',
					file: '/etc/nova/nova.conf',
					set: [
						...NOVA_COMMON,
						['vnc', 'enabled', 'True'],
						['vnc', 'vncserver_proxyclient_address', '$my_ip'],
						['vnc', 'novncproxy_base_url', 'http://{{CONTROLLER_HOST}}:6080/vnc_auto.html'],
					],
				},
				{
					kind: 'shell',
					describe: '[vnc] vncserver_listen = 0.0.0.0 (an all-in-one controller keeps $my_ip)',
					uses: ['ini'],
					script: [
						`if ${IS_CONTROLLER}; then`,
						'\techo "all-in-one node: [vnc] vncserver_listen stays \\$my_ip"',
						'else',
						"\tosc_ini /etc/nova/nova.conf vnc vncserver_listen '0.0.0.0'",
						'fi',
					].join('\n'),
				},
				{
					kind: 'shell',
					describe: "egrep -c '(vmx|svm)' /proc/cpuinfo: 0 means [libvirt] virt_type = qemu, else kvm",
					uses: ['ini'],
					script: [
						"osc_n=$(egrep -c '(vmx|svm)' /proc/cpuinfo || true)",
						'if [ "${osc_n:-0}" = 0 ]; then',
						'\techo "no hardware acceleration (vmx/svm): using qemu"',
						"\tosc_ini /etc/nova/nova.conf libvirt virt_type 'qemu'",
						'else',
						'\techo "hardware acceleration available ($osc_n CPUs with vmx/svm): using kvm"',
						"\tosc_ini /etc/nova/nova.conf libvirt virt_type 'kvm'",
						'fi',
					].join('\n'),
				},
			],
			timeoutSec: 60,
		},
		{
			id: 'services',
			title: 'Start libvirt and the Compute service',
			guide: '5.4 enable and start libvirtd, openstack-nova-compute',
			on: 'compute',
			actions: [
				restartWhenChanged(['libvirtd.service'], 'libvirtd'),
				restartWhenChanged(['openstack-nova-compute.service'], 'nova'),
				{
					kind: 'wait',
					describe:
						'openstack-nova-compute stays running (if not: AMQP on the controller, port 5672, see /var/log/nova/nova-compute.log)',
					until: 'sleep 5; systemctl is-active openstack-nova-compute.service',
					timeoutSec: 60,
				},
			],
			timeoutSec: 300,
		},
		{
			id: 'discover',
			title: 'Add the compute nodes to the cell database',
			guide:
				'5.5 on the controller: openstack compute service list --service nova-compute; nova-manage cell_v2 discover_hosts',
			on: 'controller',
			actions: [
				{
					kind: 'wait',
					describe: 'every compute node reports nova-compute up',
					until: [
						'osc_list=$(osc_openstack admin "" compute service list --service nova-compute -f value -c Host -c State)',
						forEachComputeHost('printf \'%s\\n\' "$osc_list" | grep -E -e "(^| )$osc_h(\\.[^ ]*)?( |$)" | grep -qw up'),
					].join('\n'),
					uses: ['openstack-admin'],
					timeoutSec: 300,
				},
				{ kind: 'openstack', creds: 'admin', args: ['compute', 'service', 'list', '--service', 'nova-compute'] },
				{
					kind: 'shell',
					describe: 'nova-manage cell_v2 discover_hosts --verbose (as nova)',
					script: 'su -s /bin/sh -c "nova-manage cell_v2 discover_hosts --verbose" nova',
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'verify',
			title: 'Verify the Compute service',
			guide: '5.6 Verify: openstack compute service list, catalog list, image list, nova-status upgrade check',
			on: 'controller',
			actions: [
				{
					kind: 'wait',
					describe: 'every compute node has a hypervisor',
					until: [
						'osc_list=$(osc_openstack admin "" hypervisor list -f value -c "Hypervisor Hostname")',
						forEachComputeHost('printf \'%s\\n\' "$osc_list" | grep -Eq -e "^$osc_h(\\.|$)"'),
					].join('\n'),
					uses: ['openstack-admin'],
					timeoutSec: 180,
				},
				{ kind: 'openstack', creds: 'admin', args: ['compute', 'service', 'list'] },
				{ kind: 'openstack', creds: 'admin', args: ['catalog', 'list'] },
				{ kind: 'openstack', creds: 'admin', args: ['image', 'list'] },
				{ kind: 'shell', describe: 'nova-status upgrade check', script: 'nova-status upgrade check' },
			],
			timeoutSec: 600,
		},
	],
};
