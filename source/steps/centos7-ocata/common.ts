/**
 * Building blocks shared by the centos7-ocata sections: the guide repeats the same patterns for every service
 * (database and grants, service user, service entity, three endpoints, [keystone_authtoken]), so they are
 * written once here. Everything returns plain runbook data; values appear only as `{{NAME}}` placeholders.
 */
import type { ActionInput } from '../../runbook/model.js';

type IniSetting = [string, string, string];

/** The openrc files the keystone section writes on the controller, as the guide does (`. admin-openrc`). */
export const ADMIN_OPENRC = '/root/admin-openrc';
export const DEMO_OPENRC = '/root/demo-openrc';

export const TRANSPORT_URL = 'rabbit://openstack:{{RABBIT_PASS}}@{{CONTROLLER_HOST}}';
export const KEYSTONE_PUBLIC = 'http://{{CONTROLLER_HOST}}:5000';
/** Ocata: the keystone admin endpoint still listens on 35357. */
export const KEYSTONE_ADMIN = 'http://{{CONTROLLER_HOST}}:35357';

/** `mysql+pymysql://USER:PASS@controller/DB` */
export function dbUrl(user: string, passVar: string, database: string): string {
	return `mysql+pymysql://${user}:{{${passVar}}}@{{CONTROLLER_HOST}}/${database}`;
}

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
	const statements = databases.flatMap((db) => [
		`CREATE DATABASE IF NOT EXISTS ${db};`,
		`GRANT ALL PRIVILEGES ON ${db}.* TO '${user}'@'localhost' IDENTIFIED BY '{{${passVar}}}';`,
		`GRANT ALL PRIVILEGES ON ${db}.* TO '${user}'@'%' IDENTIFIED BY '{{${passVar}}}';`,
	]);
	return {
		kind: 'sql',
		describe: `create the ${databases.join(', ')} database${databases.length > 1 ? 's' : ''} (if absent) and grant ${user} access`,
		sql: statements.join('\n'),
	};
}

/** `openstack user create --domain default --password PASS NAME` and `openstack role add --project service --user NAME admin`. */
export function serviceUser(user: string, passVar: string): ActionInput[] {
	return [
		{
			kind: 'openstack',
			creds: 'admin',
			args: ['user', 'create', '--domain', 'default', '--password', `{{${passVar}}}`, user],
			unless: ['user', 'show', '--domain', 'default', user, '-f', 'value', '-c', 'id'],
		},
		{
			kind: 'openstack',
			creds: 'admin',
			args: ['role', 'add', '--project', 'service', '--user', user, 'admin'],
			unless: [
				'role',
				'assignment',
				'list',
				'--project',
				'service',
				'--user',
				user,
				'--role',
				'admin',
				'-f',
				'value',
				'-c',
				'Role',
			],
		},
	];
}

/** `openstack service create --name NAME --description DESC TYPE` */
export function serviceEntity(name: string, type: string, description: string): ActionInput {
	return {
		kind: 'openstack',
		creds: 'admin',
		args: ['service', 'create', '--name', name, '--description', description, type],
		unless: ['service', 'show', name, '-f', 'value', '-c', 'id'],
	};
}

/** `openstack endpoint create --region REGION TYPE public|internal|admin URL`, each only if absent. */
export function endpoints(type: string, url: string): ActionInput[] {
	return (['public', 'internal', 'admin'] as const).map((iface) => ({
		kind: 'openstack',
		creds: 'admin',
		args: ['endpoint', 'create', '--region', '{{REGION}}', type, iface, url],
		unless: [
			'endpoint',
			'list',
			'--service',
			type,
			'--interface',
			iface,
			'--region',
			'{{REGION}}',
			'-f',
			'value',
			'-c',
			'ID',
		],
	}));
}

/** [keystone_authtoken] as every service in the guide has it. */
export function keystoneAuthtoken(user: string, passVar: string): IniSetting[] {
	return [
		['keystone_authtoken', 'auth_uri', KEYSTONE_PUBLIC],
		['keystone_authtoken', 'auth_url', KEYSTONE_ADMIN],
		['keystone_authtoken', 'memcached_servers', '{{CONTROLLER_HOST}}:11211'],
		['keystone_authtoken', 'auth_type', 'password'],
		['keystone_authtoken', 'project_domain_name', 'default'],
		['keystone_authtoken', 'user_domain_name', 'default'],
		['keystone_authtoken', 'project_name', 'service'],
		['keystone_authtoken', 'username', user],
		['keystone_authtoken', 'password', `{{${passVar}}}`],
	];
}

/** nova.conf [placement], the same 8 keys on the controller and on compute nodes. */
export const NOVA_PLACEMENT: IniSetting[] = [
	['placement', 'os_region_name', '{{REGION}}'],
	['placement', 'project_domain_name', 'Default'],
	['placement', 'project_name', 'service'],
	['placement', 'auth_type', 'password'],
	['placement', 'user_domain_name', 'Default'],
	['placement', 'auth_url', `${KEYSTONE_ADMIN}/v3`],
	['placement', 'username', 'placement'],
	['placement', 'password', '{{PLACEMENT_PASS}}'],
];

/** nova.conf [neutron] without the metadata keys (compute nodes); the controller adds those two. */
export const NOVA_NEUTRON: IniSetting[] = [
	['neutron', 'url', 'http://{{CONTROLLER_HOST}}:9696'],
	['neutron', 'auth_url', KEYSTONE_ADMIN],
	['neutron', 'auth_type', 'password'],
	['neutron', 'project_domain_name', 'default'],
	['neutron', 'user_domain_name', 'default'],
	['neutron', 'region_name', '{{REGION}}'],
	['neutron', 'project_name', 'service'],
	['neutron', 'username', 'neutron'],
	['neutron', 'password', '{{NEUTRON_PASS}}'],
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
