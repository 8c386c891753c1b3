/**
 * The guide's "Launch an instance" objects that both runbooks create with the same command: the provider
 * network, the self-service network and router (option 2) and the m1.nano flavor, each only if absent.
 */
import type { ActionInput } from '../../runbook/model.js';
import { shellQuote } from '../../util/shell.js';
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

/**
 * Waits until neutron's DHCP agent serves the network (its DHCP port exists). The agent makes that port some
 * time after the subnet exists (seconds, more on a loaded controller); a server booted before it asks for an
 * address nobody answers and shows ACTIVE without one. A network without a DHCP subnet: nothing to wait for.
 */
export function dhcpServed(network: string): ActionInput {
	const net = shellQuote(network);
	return {
		kind: 'wait',
		describe: `neutron's DHCP agent serves network ${network} (its DHCP port exists)`,
		uses: ['openstack-admin'],
		until: [
			`if ! osc_openstack admin '' subnet list --network ${net} --dhcp -f value -c ID | grep -q .; then`,
			`\techo 'no subnet of network '${net}' hands out addresses by DHCP: nothing to wait for'`,
			'\texit 0',
			'fi',
			`osc_openstack admin '' ${dhcpPortList(network).map(shellQuote).join(' ')} -f value -c ID | grep -q . && exit 0`,
			`echo 'no DHCP port on network '${net}' yet: is neutron-dhcp-agent alive on the controller? (openstack network agent list; /var/log/neutron/neutron-dhcp-agent.log)'`,
			'exit 1',
		].join('\n'),
		timeoutSec: 180,
		intervalSec: 2,
	};
}

/** The client arguments that list a network's DHCP ports (what the operator runs to see it by hand). */
export function dhcpPortList(network: string): string[] {
	return ['port', 'list', '--network', network, '--device-owner', 'network:dhcp'];
}

/**
 * A server nova left behind that will never run, found before the server is created (again). A server that
 * has run once (nova recorded launched_at) is never touched. One that never ran is replaced when it is ERROR,
 * or when it has sat in BUILD with no change for STUCK_BUILD_SEC: nova's own waits inside a build (the VIF
 * plug event: 300 s) end in ACTIVE or ERROR before that, so such a build was lost (an RPC message that never
 * arrived), and only a new server gets it going. Both runbooks and `os-console launch` use it, so a retry of
 * a failed launch does what the operator would do by hand.
 */
export const STUCK_BUILD_SEC = 300;

/** Which part of nova holds a server in BUILD, by its task state; undefined when it has none. */
export function buildHolder(taskState: string | undefined): 'scheduling' | 'compute' | undefined {
	if (!taskState || taskState === 'None') return undefined;
	return taskState === 'scheduling' ? 'scheduling' : 'compute';
}

const BUILD_HINTS = {
	scheduling:
		'no compute node has taken it yet: see the nova-scheduler and nova-conductor logs (/var/log/nova/) and RabbitMQ',
	compute: 'its compute node is at it: see /var/log/nova/nova-compute.log and the neutron agent log on that node',
} as const;

/** Where to look for what holds a server in BUILD, by nova's task state; undefined when it has none. */
export function buildHint(taskState: string | undefined): string | undefined {
	const holder = buildHolder(taskState);
	return holder && BUILD_HINTS[holder];
}

/** What a retry does with a server still in BUILD (see replaceLostServer). */
export const RETRY_REPLACES_STUCK = `a retry replaces it once it has shown no change for ${STUCK_BUILD_SEC} s without ever running`;

/** `describe` of replaceLostServer's action. */
export function replaceLostServerTitle(server: string): string {
	return `remove server ${server} if an earlier attempt left it ERROR or stuck in BUILD without ever running`;
}

export function replaceLostServer(server: string): ActionInput {
	const name = shellQuote(server);
	return {
		kind: 'shell',
		describe: replaceLostServerTitle(server),
		uses: ['openstack-demo'],
		script: String.raw`osc_server=${name}
if ! osc_show=$(osc_openstack demo '' server show "$osc_server" -f shell -c id -c status -c updated -c OS-SRV-USG:launched_at 2>/dev/null); then
	echo "absent:    server $osc_server"
	exit 0
fi
osc_field() { printf '%s\n' "$osc_show" | sed -n "s/^$1=\"\(.*\)\"\$/\1/p"; }
osc_id=$(osc_field id)
osc_status=$(osc_field status)
osc_launched=$(osc_field os_srv_usg_launched_at)
if [ -n "$osc_launched" ] && [ "$osc_launched" != None ]; then
	echo "unchanged: server $osc_server is $osc_status and has run (launched $osc_launched): never replaced"
	exit 0
fi
case "$osc_status" in
ERROR) osc_why='is ERROR and never ran' ;;
BUILD)
	osc_quiet=$(( $(date +%s) - $(date -d "$(osc_field updated)" +%s) ))
	if [ "$osc_quiet" -lt ${STUCK_BUILD_SEC} ]; then
		echo "unchanged: server $osc_server is building (its last change ${'$'}{osc_quiet}s ago)"
		exit 0
	fi
	osc_why="has been in BUILD with no change for ${'$'}{osc_quiet}s and never ran: nova lost its build" ;;
*)
	echo "unchanged: server $osc_server is $osc_status"
	exit 0 ;;
esac
echo "server $osc_server ($osc_id) $osc_why; nova's fault, if it recorded one:"
osc_openstack demo '' server show "$osc_id" -f value -c fault || true
# Not --wait: nova-api under uwsgi may reset the client's next request after the DELETE, and --wait gives up on
# the first error. Gone is what nova says ("No server ..."); any other error is asked again.
osc_deadline=$(( $(date +%s) + 180 ))
osc_deleted=
while :; do
	if [ -z "$osc_deleted" ]; then osc_openstack demo '' server delete "$osc_id" && osc_deleted=yes; fi
	if ! osc_left=$(osc_openstack demo '' server show "$osc_id" -f value -c status 2>&1); then
		case "$osc_left" in *'No server with'* | *'could not be found'*) break ;; esac
	fi
	if [ "$(date +%s)" -ge "$osc_deadline" ]; then
		echo "server $osc_server ($osc_id) is still there 180 s after its delete: $osc_left" >&2
		exit 1
	fi
	sleep 2
done
echo "removed:   server $osc_server ($osc_id), created again below"`,
	};
}

/**
 * Wait for a server to become ACTIVE. ERROR ends the wait at once with nova's fault, so nothing after the wait
 * (a floating IP, say) runs for a failed server. Each round costs one status query as demo; only an ERROR
 * looks the server up as admin (by id: it belongs to demo), who sees the fault's details. A timeout shows the
 * server's status and task state and where to look for what holds it.
 */
export function serverSettles(server: string, timeoutSec: number, intervalSec: number): ActionInput {
	const name = shellQuote(server);
	return {
		kind: 'wait',
		describe: `instance ${server} is ACTIVE (ERROR stops the wait, with the fault)`,
		uses: ['openstack-demo', 'openstack-admin'],
		until: String.raw`osc_server=${name}
osc_show=$(osc_openstack demo '' server show "$osc_server" -f shell -c status -c OS-EXT-STS:task_state) || exit 1
osc_status=$(printf '%s\n' "$osc_show" | sed -n 's/^status="\(.*\)"$/\1/p')
[ "$osc_status" = ACTIVE ] && exit 0
osc_task=$(printf '%s\n' "$osc_show" | sed -n 's/^os_ext_sts_task_state="\(.*\)"$/\1/p')
echo "$osc_server: $osc_status (task state: $osc_task)"
[ "$osc_status" = BUILD ] || exit 1
case "$osc_task" in
scheduling) echo ${shellQuote(buildHint('scheduling')!)} ;;
None | '') ;;
*) echo ${shellQuote(buildHint('spawning')!)} ;;
esac
echo ${shellQuote(RETRY_REPLACES_STUCK)}
exit 1`,
		failWhen: String.raw`osc_server=${name}
osc_status=$(osc_openstack demo '' server show "$osc_server" -f value -c status) || exit 1
[ "$osc_status" = ERROR ] || exit 1
osc_id=$(osc_openstack demo '' server show "$osc_server" -f value -c id) || exit 1
echo "$osc_server is ERROR; its fault (a retry of this step replaces it, as it never ran):"
osc_openstack admin '' server show "$osc_id" -f value -c fault || true`,
		timeoutSec,
		intervalSec,
	};
}
