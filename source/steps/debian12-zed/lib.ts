/**
 * Building blocks shared by the sections of the `debian12-zed` runbook, with the Zed values of the builders both
 * runbooks use (../shared). Everything here returns plain runbook data (actions and steps); values from the
 * profile appear only as `{{NAME}}` placeholders.
 *
 * Conventions of this runbook:
 * - Packages are installed with --no-install-recommends and with services kept from starting (noStart); the
 *   step that configures a service is followed by one that starts it and waits for it to answer.
 * - Services are started with `ensureServices`: started when stopped, restarted only when one of their
 *   configuration files changed since the console last (re)started them, left alone otherwise. That keeps
 *   every section re-runnable without restarting anything that did not change.
 * - Config files are edited key by key (ini actions), so values that Debian's debconf pre-filled (region
 *   `regionOne`, sqlite connections, OVS defaults ...) are overwritten, and re-runs change nothing.
 */
import type { ActionInput, RunbookStepInput } from '../../runbook/model.js';
import { createDatabases, serviceLoginCheck } from '../shared/database.js';
import { endpointList, roleAssignment, type ServiceIdentity, serviceIdentity, showId } from '../shared/identity.js';
import { type IniSetting, keystoneAuthtoken } from '../shared/keystone-auth.js';

/** Zed: keystone serves everything on :5000 (no admin port). */
export const KEYSTONE_URL = 'http://{{CONTROLLER_HOST}}:5000';

/** Where the runbook keeps its own state on the nodes (service stamps, generated images and keys). */
export const STATE_DIR = '/var/lib/os-console';

/**
 * The files each service reads: when one of them changes, the next `ensureServices` restarts the service.
 * One table for the whole runbook, so a service is judged by the same files in every section.
 */
export const SERVICE_CONFIG: Record<string, string[]> = {
	chrony: [
		'/etc/chrony/chrony.conf',
		'/etc/chrony/conf.d/openstack.conf',
		'/etc/default/chrony',
		'/etc/systemd/system/chrony.service.d/container.conf',
	],
	mariadb: ['/etc/mysql/mariadb.conf.d/99-openstack.cnf'],
	'rabbitmq-server': [],
	memcached: ['/etc/memcached.conf'],
	keystone: ['/etc/keystone/keystone.conf', '/etc/keystone/keystone-uwsgi.ini'],
	'glance-api': ['/etc/glance/glance-api.conf'],
	'placement-api': ['/etc/placement/placement.conf', '/etc/placement/placement-api-uwsgi.ini'],
	'nova-api': ['/etc/nova/nova.conf', '/etc/nova/nova-api-uwsgi.ini'],
	'nova-api-metadata': ['/etc/nova/nova.conf', '/etc/nova/nova-api-metadata-uwsgi.ini'],
	'nova-scheduler': ['/etc/nova/nova.conf'],
	'nova-conductor': ['/etc/nova/nova.conf'],
	'nova-novncproxy': ['/etc/nova/nova.conf', '/etc/default/nova-consoleproxy'],
	'nova-compute': ['/etc/nova/nova.conf', '/etc/nova/nova-compute.conf'],
	virtlogd: [],
	libvirtd: [],
	'neutron-api': [
		'/etc/neutron/neutron.conf',
		'/etc/neutron/plugins/ml2/ml2_conf.ini',
		'/etc/neutron/neutron-api-uwsgi.ini',
	],
	'neutron-rpc-server': ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ml2_conf.ini'],
	'neutron-linuxbridge-agent': [
		'/etc/neutron/neutron.conf',
		'/etc/neutron/plugins/ml2/ml2_conf.ini',
		'/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
	],
	'neutron-dhcp-agent': ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini'],
	'neutron-metadata-agent': ['/etc/neutron/neutron.conf', '/etc/neutron/metadata_agent.ini'],
	'neutron-l3-agent': ['/etc/neutron/neutron.conf', '/etc/neutron/l3_agent.ini'],
};

/** Log files worth showing when a service does not come up (also used by the acceptance test). */
export const SERVICE_LOGS: Record<string, string> = {
	mariadb: '/var/log/mysql/error.log',
	keystone: '/var/log/keystone/keystone.log',
	'glance-api': '/var/log/glance/glance-api.log',
	'placement-api': '/var/log/placement/placement-api.log',
	'nova-api': '/var/log/nova/nova-api.log',
	'nova-api-metadata': '/var/log/nova/nova-api-metadata.log',
	'nova-scheduler': '/var/log/nova/nova-scheduler.log',
	'nova-conductor': '/var/log/nova/nova-conductor.log',
	'nova-novncproxy': '/var/log/nova/nova-novncproxy.log',
	'nova-compute': '/var/log/nova/nova-compute.log',
	'neutron-api': '/var/log/neutron/neutron-api.log',
	'neutron-rpc-server': '/var/log/neutron/neutron-rpc-server.log',
	'neutron-linuxbridge-agent': '/var/log/neutron/neutron-linuxbridge-agent.log',
	'neutron-dhcp-agent': '/var/log/neutron/neutron-dhcp-agent.log',
	'neutron-metadata-agent': '/var/log/neutron/neutron-metadata-agent.log',
	'neutron-l3-agent': '/var/log/neutron/neutron-l3-agent.log',
};

/** Shell: print the last lines of a log file to stderr (used where a wait gives up). */
export function tailLog(file: string, lines = 40): string {
	return `{ osc_log=${file}; echo "--- last ${lines} lines of $osc_log:"; tail -n ${lines} "$osc_log" 2>/dev/null; } >&2`;
}

const ENSURE_FUNCTION = String.raw`osc_stamps=${STATE_DIR}/stamps
mkdir -p "$osc_stamps"
# osc_ensure SERVICE FILE...: start SERVICE when it is stopped; restart it when FILEs changed since the last (re)start
osc_ensure() {
	osc_svc=$1
	shift
	osc_sum=$(for osc_f in "$@"; do if [ -f "$osc_f" ]; then sha256sum "$osc_f"; else echo "absent $osc_f"; fi; done | sha256sum | cut -d' ' -f1)
	osc_old=$(cat "$osc_stamps/$osc_svc" 2>/dev/null || true)
	if [ -d /run/systemd/system ]; then
		systemctl enable "$osc_svc" >/dev/null 2>&1 || true
		if [ "$osc_sum" != "$osc_old" ]; then
			systemctl reset-failed "$osc_svc" >/dev/null 2>&1 || true
			if systemctl is-active --quiet "$osc_svc"; then
				systemctl restart "$osc_svc"
				echo "restarted: $osc_svc (its configuration changed)"
			else
				systemctl restart "$osc_svc"
				echo "started:   $osc_svc"
			fi
		elif ! systemctl is-active --quiet "$osc_svc"; then
			systemctl reset-failed "$osc_svc" >/dev/null 2>&1 || true
			systemctl start "$osc_svc"
			echo "started:   $osc_svc (it was not running)"
		else
			echo "unchanged: $osc_svc is running with its current configuration"
		fi
	else
		# No systemd: Debian's init scripts. Their "status" misses daemons that rename themselves, so
		# "start" (a no-op when the pidfile's process runs) is used instead of asking.
		update-rc.d "$osc_svc" defaults >/dev/null 2>&1 || true
		if [ "$osc_sum" != "$osc_old" ]; then
			service "$osc_svc" restart
			echo "restarted: $osc_svc (init script; its configuration changed or it was never started by os-console)"
		else
			service "$osc_svc" start
			echo "ensured:   $osc_svc (init script start)"
		fi
	fi
	echo "$osc_sum" > "$osc_stamps/$osc_svc"
}`;

/**
 * Start services (in order), restarting only those whose configuration changed since the console last
 * (re)started them. Idempotent: a second run reports "unchanged" and touches nothing.
 */
export function ensureServices(names: string[], describe?: string): ActionInput {
	const lines = names.map((name) => {
		const files = SERVICE_CONFIG[name];
		if (!files) throw new Error(`no SERVICE_CONFIG entry for ${name}`);
		return `osc_ensure ${name}${files.length ? ` ${files.join(' ')}` : ''}`;
	});
	return {
		kind: 'shell',
		describe: describe ?? `start ${names.join(', ')} (restart only if its configuration changed)`,
		script: `${ENSURE_FUNCTION}\n${lines.join('\n')}`,
	};
}

/** Wait until an HTTP endpoint answers (any HTTP status counts: the service is up and parsing requests). */
export function waitHttp(url: string, what: string, log?: string, timeoutSec = 180): ActionInput {
	return {
		kind: 'wait',
		describe: `${what} answers on ${url}`,
		until: `curl -s -o /dev/null --max-time 5 ${url}${log ? ` || { ${tailLog(log)}; false; }` : ''}`,
		timeoutSec,
		intervalSec: 2,
	};
}

/** Wait until a TCP port accepts connections. */
export function waitTcp(host: string, port: number, what: string, timeoutSec = 120): ActionInput {
	return {
		kind: 'wait',
		describe: `${what} accepts connections on port ${port}`,
		until: `python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3).close()' ${host} ${port}`,
		timeoutSec,
		intervalSec: 2,
	};
}

/** Shell prefix that loads the admin credentials the keystone section writes (controller only). */
export const ADMIN_RC = '. /root/admin-openrc';
export const DEMO_RC = '. /root/demo-openrc';

/** The guide's database step: database(s), and the service user with access from anywhere. */
export function databaseStep(
	id: string,
	title: string,
	guide: string,
	databases: string[],
	user: string,
	password: string,
): RunbookStepInput {
	return {
		id,
		title,
		guide,
		on: 'controller',
		actions: [
			createDatabases(databases, user, password, `create ${databases.join(', ')} (if absent) and grant ${user} access`),
		],
		// Over the network, as the service will: proves the grant and the password.
		verify: serviceLoginCheck(databases, user, password),
		timeoutSec: 120,
	};
}

/** `[keystone_authtoken]` as every service's Zed guide has it, plus the region Debian pre-filled wrongly. */
export function authtoken(
	user: string,
	password: string,
	options: { section?: string; uri?: string; authUrl?: string } = {},
): IniSetting[] {
	return keystoneAuthtoken(user, password, {
		uriKey: 'www_authenticate_uri',
		uri: options.uri ?? KEYSTONE_URL,
		authUrl: options.authUrl ?? KEYSTONE_URL,
		domain: 'Default',
		// Debian: debconf wrote region_name = regionOne (lower-case r).
		regionName: true,
		section: options.section,
	});
}

/**
 * A step check that runs several read-only `openstack` commands in one client process (the client's batch
 * mode reads commands from stdin and authenticates once) and succeeds when they print exactly `lines`
 * non-empty lines. A missing object makes its command print nothing on stdout, so the check fails and the
 * step's actions (each create-if-absent) run. Used where a step ensures many objects: one process instead
 * of one per object on re-runs.
 */
export function openstackBatchCheck(rc: string, commands: string[][], lines: number): string {
	const words = commands.map((args) =>
		args
			.join(' ')
			.split(/(\{\{[A-Z_]+\}\})/)
			.filter((part) => part !== '')
			.map((part) => (/^\{\{[A-Z_]+\}\}$/.test(part) ? part : `'${part}'`))
			.join(''),
	);
	return [
		rc,
		`osc_out=$(printf '%s\\n' ${words.join(' ')} | openstack 2>/dev/null) || exit 1`,
		`[ "$(printf '%s\\n' "$osc_out" | grep -c .)" -eq ${lines} ]`,
	].join('\n');
}

/**
 * The guide's identity prerequisites of a service (user, service entity, endpoints), each created only if
 * absent; the step's check proves all of them with one client process, so a re-run makes no change.
 */
export function serviceEntitiesStep(title: string, guide: string, service: ServiceIdentity): RunbookStepInput {
	return {
		id: 'service-entities',
		title,
		guide,
		on: 'controller',
		check: openstackBatchCheck(
			ADMIN_RC,
			[
				showId('user', service.user, true),
				roleAssignment('service', service.user, 'admin'),
				showId('service', service.name),
				// one line per endpoint: public, internal and admin
				endpointList(service.type, undefined, 'Interface'),
			],
			6,
		),
		actions: serviceIdentity('summary', service),
		timeoutSec: 300,
	};
}

/** Set `processes` in a Debian *-uwsgi.ini: the worker count decides most of the API services' memory. */
export function uwsgiProcesses(file: string): ActionInput {
	return {
		kind: 'ini',
		describe: `uwsgi workers: processes = UWSGI_PROCESSES in ${file} (Debian ships 8 to 16)`,
		file,
		set: [['uwsgi', 'processes', '{{UWSGI_PROCESSES}}']],
	};
}

/**
 * RabbitMQ heartbeats of a uwsgi API service (nova-api, nova-api-metadata, neutron-api) from a native thread.
 * The API is eventlet-patched; between requests an idle uwsgi worker runs no green thread, so it sends no
 * heartbeat, RabbitMQ closes its connection after 60 s, and the first message the worker publishes afterwards
 * (a build, a delete) can be lost without an error: the server stays in BUILD, or ACTIVE after a 204. The
 * environment variable (oslo.config reads OS_<GROUP>__<OPTION>) reaches only the uwsgi service; the
 * conductor, scheduler and agents share nova.conf / neutron.conf and keep their green-thread heartbeats.
 */
export function uwsgiAmqpHeartbeat(file: string): ActionInput {
	return {
		kind: 'ini',
		describe: `RabbitMQ heartbeats from a thread of the uwsgi workers in ${file} (idle workers lose their connection otherwise)`,
		file,
		set: [['uwsgi', 'env', 'OS_OSLO_MESSAGING_RABBIT__HEARTBEAT_IN_PTHREAD=true']],
	};
}

/** Run a command as a service's system user, like the guide's `su -s /bin/sh -c "..." user`. */
export function asUser(user: string, command: string): string {
	return `su -s /bin/sh -c '${command}' ${user}`;
}

export interface AgentExpectation {
	/** As the "Agent Type" column shows it, e.g. "Linux bridge agent". */
	type: string;
	/** A shell word list of hosts (a template, e.g. "{{COMPUTE_HOSTS}}"). */
	hosts: string;
}

/**
 * Wait until the expected network agents report alive, with one `openstack network agent list` per try.
 * With everyAlive, every agent the cloud lists must be alive too.
 */
export function waitAgents(
	expected: AgentExpectation[],
	what: string,
	options: { log?: string; everyAlive?: boolean; timeoutSec?: number } = {},
): ActionInput {
	const lines = [
		ADMIN_RC,
		'osc_agents=$(openstack network agent list -f value -c "Agent Type" -c Host -c Alive) || exit 1',
		'osc_missing=""',
	];
	expected.forEach((agent, i) => {
		lines.push(
			`osc_hosts_${i}=${agent.hosts}`,
			`for osc_h in $osc_hosts_${i}; do`,
			`\tprintf '%s\\n' "$osc_agents" | grep -Fqx "${agent.type} $osc_h True" || osc_missing="$osc_missing, ${agent.type} on $osc_h"`,
			'done',
		);
	});
	if (options.everyAlive) {
		lines.push(
			`osc_dead=$(printf '%s\\n' "$osc_agents" | grep -v ' True$' | tr '\\n' ';' || true)`,
			'[ -z "$osc_dead" ] || osc_missing="$osc_missing, not alive: $osc_dead"',
		);
	}
	lines.push(
		'if [ -n "$osc_missing" ]; then',
		'\techo "waiting for:${osc_missing#,}"',
		...(options.log ? [`\t${tailLog(options.log, 20)}`] : []),
		'\texit 1',
		'fi',
	);
	return {
		kind: 'wait',
		describe: `${what} report${expected.length > 1 || options.everyAlive ? '' : 's'} alive`,
		until: lines.join('\n'),
		timeoutSec: options.timeoutSec ?? 180,
		intervalSec: 3,
	};
}
