/**
 * Building blocks of the centos7-ocata sections: the Ocata values of the builders in ../shared (database and
 * grants, [keystone_authtoken], service credentials) and what only this runbook needs. Everything returns plain
 * runbook data; values appear only as `{{NAME}}` placeholders.
 */
import type { ActionInput, Condition } from '../../runbook/model.js';
import { createDatabases as createDatabasesAs } from '../shared/database.js';
import {
	type IniSetting,
	novaPlacementAuth,
	serviceClientAuth,
	keystoneAuthtoken as sharedAuthtoken,
} from '../shared/keystone-auth.js';

export { dbUrl } from '../shared/database.js';

/** The openrc files the keystone section writes on the controller, as the guide does (`. admin-openrc`). */
export const ADMIN_OPENRC = '/root/admin-openrc';
export const DEMO_OPENRC = '/root/demo-openrc';

/**
 * The configuration files of each service the runbook restarts after editing them (service `restartWhenChanged`):
 * a re-run restarts a service only when one of them changed since the console last restarted it. The checksums
 * are kept per service name, so every restart of a service names the same list (httpd is restarted by keystone
 * and by nova's placement fix; nova and neutron services by their own section and by the neutron sections).
 */
export const RESTART_WHEN_CHANGED = {
	chronyd: ['/etc/chrony.conf'],
	mariadb: ['/etc/my.cnf.d/openstack.cnf'],
	memcached: ['/etc/sysconfig/memcached'],
	// httpd runs keystone and the placement API (WSGI): their configuration counts as well as Apache's
	httpd: [
		'/etc/httpd/conf/httpd.conf',
		'/etc/httpd/conf.d/wsgi-keystone.conf',
		'/etc/httpd/conf.d/00-nova-placement-api.conf',
		'/etc/keystone/keystone.conf',
		'/etc/nova/nova.conf',
	],
	glance: ['/etc/glance/glance-api.conf', '/etc/glance/glance-registry.conf'],
	nova: ['/etc/nova/nova.conf'],
	// the runbook does not edit libvirt's files; a package update may
	libvirtd: ['/etc/libvirt/libvirtd.conf', '/etc/libvirt/qemu.conf'],
	neutron: [
		'/etc/neutron/neutron.conf',
		'/etc/neutron/plugins/ml2/ml2_conf.ini',
		'/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
		'/etc/neutron/dhcp_agent.ini',
		'/etc/neutron/metadata_agent.ini',
		'/etc/neutron/l3_agent.ini',
	],
} as const satisfies Record<string, readonly string[]>;

/** Restart `names` only when one of the service's configuration files changed (see RESTART_WHEN_CHANGED). */
export function restartWhenChanged(
	names: string[],
	config: keyof typeof RESTART_WHEN_CHANGED,
	extra: { enable?: boolean; when?: Condition } = {},
): ActionInput {
	return {
		kind: 'service',
		names,
		state: 'restarted',
		restartWhenChanged: [...RESTART_WHEN_CHANGED[config]],
		...extra,
	};
}

export const TRANSPORT_URL = 'rabbit://openstack:{{RABBIT_PASS}}@{{CONTROLLER_HOST}}';
export const KEYSTONE_PUBLIC = 'http://{{CONTROLLER_HOST}}:5000';
/** Ocata: the keystone admin endpoint still listens on 35357. */
export const KEYSTONE_ADMIN = 'http://{{CONTROLLER_HOST}}:35357';

/**
 * One shell word for script text: literal parts single-quoted, placeholders left for the renderer (which turns
 * them into "${NAME}"). Use it wherever a value sits inside a larger word, e.g. `'server '{{NTP_SERVER}}' iburst'`.
 */
export function word(template: string): string {
	return template
		.split(/(\{\{[A-Z][A-Z0-9_]*\}\})/)
		.filter((part) => part !== '')
		.map((part) => (part.startsWith('{{') ? part : `'${part.replaceAll("'", `'\\''`)}'`))
		.join('');
}

/** The database of a service and its grants, created only if absent (CREATE DATABASE IF NOT EXISTS). */
export function createDatabases(databases: string[], user: string, passVar: string): ActionInput {
	const plural = databases.length > 1 ? 's' : '';
	const describe = `create the ${databases.join(', ')} database${plural} (if absent) and grant ${user} access`;
	return createDatabasesAs(databases, user, passVar, describe);
}

/** [keystone_authtoken] as every service in the Ocata guide has it: auth_uri on 5000, auth_url on 35357. */
export function keystoneAuthtoken(user: string, passVar: string): IniSetting[] {
	return sharedAuthtoken(user, passVar, {
		uriKey: 'auth_uri',
		uri: KEYSTONE_PUBLIC,
		authUrl: KEYSTONE_ADMIN,
		domain: 'default',
	});
}

/** nova.conf [placement], the same 8 keys on the controller and on compute nodes. */
export const NOVA_PLACEMENT: IniSetting[] = novaPlacementAuth({
	regionKey: 'os_region_name',
	authUrl: `${KEYSTONE_ADMIN}/v3`,
});

/** nova.conf [neutron] without the metadata keys (compute nodes); the controller adds those two. */
export const NOVA_NEUTRON: IniSetting[] = [
	['neutron', 'url', 'http://{{CONTROLLER_HOST}}:9696'],
	...serviceClientAuth('neutron', 'neutron', 'NEUTRON_PASS', { authUrl: KEYSTONE_ADMIN, domain: 'default' }),
];

/**
 * A shell action that rewrites a line-oriented config file (not INI): lines matching `remove` (an ERE) are
 * dropped and `add` appended, and the file is replaced only when that changes it. Re-running changes nothing.
 */
export function managedLines(file: string, remove: string, add: string[], describe: string): ActionInput {
	return {
		kind: 'shell',
		describe,
		script: [
			`osc_f=${word(file)}`,
			'touch "$osc_f"',
			'osc_new=$(mktemp)',
			`{ grep -Ev ${word(remove)} "$osc_f" || true; printf '%s\\n' ${add.map(word).join(' ')}; } > "$osc_new"`,
			'if cmp -s "$osc_new" "$osc_f"; then echo "unchanged: $osc_f"; else cat "$osc_new" > "$osc_f"; echo "changed:   $osc_f"; fi',
			'rm -f "$osc_new"',
		].join('\n'),
	};
}

/** Shell text: true when this node is the controller (all-in-one profiles run compute steps there too). */
export const IS_CONTROLLER = '[ {{NODE_NAME}} = {{CONTROLLER_HOST}} ]';

/**
 * A wait condition over every compute host: `test` is shell text in which `$osc_h` is one compute host name.
 * COMPUTE_HOSTS is space-separated; it is split on purpose.
 */
export function forEachComputeHost(test: string): string {
	return [
		`osc_hosts=${'{{COMPUTE_HOSTS}}'}`,
		'# shellcheck disable=SC2086',
		'for osc_h in $osc_hosts; do',
		`\t${test} || exit 1`,
		'done',
	].join('\n');
}
