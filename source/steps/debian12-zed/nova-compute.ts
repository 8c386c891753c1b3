/**
 * Compute service, compute nodes (Nova 26 with libvirt/QEMU). Debian specifics: virt_type lives in
 * /etc/nova/nova-compute.conf (read after nova.conf, ships virt_type=kvm); without systemd libvirt needs its
 * -sysv package and D-Bus started first.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { ADMIN_RC, asUser, ensureServices, tailLog } from './lib.js';
import { NOVA_CONF, novaCommonSettings } from './nova-common.js';

const sysvLibvirtScript = String.raw`if [ -d /run/systemd/system ]; then
	echo "systemd runs this node: libvirt's default (systemd) packaging is used"
else
	echo "systemd is not PID 1 here: installing libvirt-daemon-system-sysv, which has the init scripts"
	osc_pkg_apt --no-recommends --no-start libvirt-daemon-system-sysv
fi`;

const virtTypeScript = String.raw`osc_flags=$(grep -Ec '(vmx|svm)' /proc/cpuinfo || true)
if [ "$osc_flags" -gt 0 ] && [ -c /dev/kvm ]; then
	osc_vt=kvm
	echo "hardware acceleration: $osc_flags CPU(s) with vmx/svm and /dev/kvm present: virt_type = kvm"
else
	osc_vt=qemu
	echo "no hardware acceleration (CPUs with vmx/svm: $osc_flags; /dev/kvm: $([ -c /dev/kvm ] && echo present || echo absent)):"
	echo "virt_type = qemu, as the guide says (instances run under QEMU's TCG, slower but complete)"
fi
osc_ini /etc/nova/nova-compute.conf libvirt virt_type "$osc_vt"`;

export const novaCompute: RunbookSectionInput = {
	id: 'nova-compute',
	title: 'Compute service (Nova): compute nodes',
	guide: 'Nova Zed install guide: Install and configure a compute node (Ubuntu variant), adapted to Debian 12',
	steps: [
		{
			id: 'install',
			title: 'Install nova-compute with libvirt and QEMU',
			guide: 'Nova compute: Install the packages',
			on: 'compute',
			actions: [
				{
					kind: 'shell',
					describe: 'without systemd: the -sysv variant of libvirt-daemon-system',
					script: sysvLibvirtScript,
					uses: ['packages'],
				},
				{
					kind: 'packages',
					names: ['nova-compute', 'nova-compute-kvm'],
					noRecommends: true,
					noStart: true,
				},
			],
			timeoutSec: 1500,
		},
		{
			id: 'configure',
			title: 'Configure nova-compute (nova.conf, virt_type in nova-compute.conf)',
			guide: 'Nova compute: Edit nova.conf; Finalize installation (egrep -c (vmx|svm) /proc/cpuinfo)',
			on: 'compute',
			actions: [
				{ kind: 'ini', file: NOVA_CONF, set: novaCommonSettings() },
				{
					kind: 'ini',
					describe: 'libvirt driver in /etc/nova/nova-compute.conf (Debian reads it after nova.conf)',
					file: '/etc/nova/nova-compute.conf',
					set: [['DEFAULT', 'compute_driver', 'libvirt.LibvirtDriver']],
				},
				{
					kind: 'shell',
					describe: 'virt_type in /etc/nova/nova-compute.conf: kvm with vmx/svm and /dev/kvm, else qemu',
					script: virtTypeScript,
					uses: ['ini'],
				},
			],
			timeoutSec: 120,
		},
		{
			id: 'start',
			title: 'Start libvirt and nova-compute',
			guide: 'Nova compute: Finalize installation (restart nova-compute)',
			on: 'compute',
			actions: [
				{
					kind: 'shell',
					describe: 'without systemd: start D-Bus before libvirtd (libvirt authorizes nova through polkit on D-Bus)',
					script: String.raw`if [ -d /run/systemd/system ]; then
	echo "systemd runs D-Bus here"
else
	service dbus start
fi`,
				},
				ensureServices(['virtlogd', 'libvirtd']),
				{
					kind: 'wait',
					describe: 'libvirt answers for the nova user',
					until: `${asUser('nova', 'virsh -c qemu:///system version')}`,
					timeoutSec: 120,
				},
				ensureServices(['nova-compute']),
				{
					kind: 'wait',
					describe: 'nova-compute is running',
					until: String.raw`if [ -d /run/systemd/system ]; then systemctl is-active --quiet nova-compute; else kill -0 "$(cat /run/nova/nova-compute.pid 2>/dev/null)" 2>/dev/null; fi || { ${tailLog('/var/log/nova/nova-compute.log', 30)}; false; }`,
					timeoutSec: 60,
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'register',
			title: 'Add the compute nodes to the cell database',
			guide: 'Nova compute: Add the compute node to the cell database (discover_hosts on the controller)',
			on: 'controller',
			actions: [
				{
					kind: 'wait',
					describe: 'nova-compute of every compute node reports up',
					until: `${ADMIN_RC}
osc_hosts={{COMPUTE_HOSTS}}
for osc_h in $osc_hosts; do
	osc_state=$(openstack compute service list --service nova-compute --host "$osc_h" -f value -c State)
	if [ "$osc_state" != up ]; then echo "nova-compute on $osc_h: \${osc_state:-not registered yet}"; exit 1; fi
done`,
					timeoutSec: 300,
					intervalSec: 3,
				},
				{
					kind: 'shell',
					describe: 'nova-manage cell_v2 discover_hosts (as user nova)',
					script: asUser('nova', 'nova-manage cell_v2 discover_hosts --verbose'),
				},
				{
					kind: 'wait',
					describe: 'every compute node is a hypervisor of the cloud',
					until: `${ADMIN_RC}
osc_list=$(openstack hypervisor list -f value -c "Hypervisor Hostname")
osc_hosts={{COMPUTE_HOSTS}}
for osc_h in $osc_hosts; do
	printf '%s\\n' "$osc_list" | grep -Eq "^$osc_h(\\.|$)" || { echo "hypervisor $osc_h not listed yet"; exit 1; }
done`,
					timeoutSec: 120,
					intervalSec: 3,
				},
			],
			verify: `${ADMIN_RC}\nopenstack hypervisor list`,
			timeoutSec: 600,
		},
		{
			id: 'verify',
			title: 'Verify operation: services, catalog, images, nova-status upgrade check',
			guide: 'Nova: Verify operation',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'compute service list, catalog list, image list',
					script: `${ADMIN_RC}
openstack compute service list
openstack catalog list
openstack image list`,
				},
				{ kind: 'shell', describe: 'nova-status upgrade check', script: 'nova-status upgrade check' },
			],
			timeoutSec: 300,
		},
	],
};
