/**
 * Identity objects every service section creates the same way in both runbooks: the service user with the
 * admin role in project service, the service entity, and its public, internal and admin endpoints, each
 * created only if absent (an `unless` command that prints something when the object exists). Also the
 * guide's projects, demo user and role.
 */
import type { ActionInput } from '../../runbook/model.js';

/**
 * How a runbook words the plan line of an openstack action: `command` leaves it to the renderer, which shows
 * the openstack command itself (centos7-ocata reads like the guide); `summary` says what is ensured in words
 * (debian12-zed).
 */
export type Wording = 'command' | 'summary';

/** An admin (or demo) openstack command that runs only when `unless` prints nothing. */
export function ensure(
	wording: Wording,
	creds: 'admin' | 'demo',
	summary: string,
	args: string[],
	unless: string[],
): ActionInput {
	return wording === 'summary'
		? { kind: 'openstack', creds, describe: summary, args, unless }
		: { kind: 'openstack', creds, args, unless };
}

/** `openstack KIND show [--domain default] NAME -f value -c id`: prints the id when the object exists. */
export function showId(kind: string, name: string, inDefaultDomain = false): string[] {
	return [kind, 'show', ...(inDefaultDomain ? ['--domain', 'default'] : []), name, '-f', 'value', '-c', 'id'];
}

/** `openstack role assignment list ...`: prints the role when USER has it in PROJECT. */
export function roleAssignment(project: string, user: string, role: string): string[] {
	return [
		'role',
		'assignment',
		'list',
		'--project',
		project,
		'--user',
		user,
		'--role',
		role,
		'-f',
		'value',
		'-c',
		'Role',
	];
}

/** Give USER the ROLE in PROJECT, unless it has it. */
export function roleGrant(wording: Wording, project: string, user: string, role: string): ActionInput {
	return ensure(
		wording,
		'admin',
		`ensure ${user} has role ${role} in project ${project}`,
		['role', 'add', '--project', project, '--user', user, role],
		roleAssignment(project, user, role),
	);
}

/** The service user (domain default) with the admin role in project service. */
export function serviceUser(wording: Wording, user: string, passVar: string): ActionInput[] {
	return [
		ensure(
			wording,
			'admin',
			`ensure user ${user} (domain default)`,
			['user', 'create', '--domain', 'default', '--password', `{{${passVar}}}`, user],
			showId('user', user, true),
		),
		roleGrant(wording, 'service', user, 'admin'),
	];
}

/** The service entity: `openstack service create --name NAME --description DESC TYPE`. */
export function serviceEntity(wording: Wording, name: string, type: string, description: string): ActionInput {
	return ensure(
		wording,
		'admin',
		`ensure service ${name} (${type})`,
		['service', 'create', '--name', name, '--description', description, type],
		showId('service', name),
	);
}

/** `openstack endpoint list ...` of one service type in the profile's region, optionally of one interface. */
export function endpointList(type: string, iface?: string, column = 'ID'): string[] {
	return [
		'endpoint',
		'list',
		'--service',
		type,
		...(iface ? ['--interface', iface] : []),
		'--region',
		'{{REGION}}',
		'-f',
		'value',
		'-c',
		column,
	];
}

/** The public, internal and admin endpoints of a service type, all at URL, in the profile's region. */
export function endpoints(wording: Wording, type: string, url: string): ActionInput[] {
	return (['public', 'internal', 'admin'] as const).map((iface) =>
		ensure(
			wording,
			'admin',
			`ensure ${iface} endpoint of ${type}: ${url}`,
			['endpoint', 'create', '--region', '{{REGION}}', type, iface, url],
			endpointList(type, iface),
		),
	);
}

/** The guide's projects and users: projects service and demo, user demo, role user, demo a user of demo. */
export function guideProjectsAndUsers(wording: Wording): ActionInput[] {
	const projects: [name: string, description: string][] = [
		['service', 'Service Project'],
		['demo', 'Demo Project'],
	];
	return [
		...projects.map(([name, description]) =>
			ensure(
				wording,
				'admin',
				`ensure project ${name}`,
				['project', 'create', '--domain', 'default', '--description', description, name],
				showId('project', name, true),
			),
		),
		ensure(
			wording,
			'admin',
			'ensure user demo',
			['user', 'create', '--domain', 'default', '--password', '{{DEMO_PASS}}', 'demo'],
			showId('user', 'demo', true),
		),
		ensure(wording, 'admin', 'ensure role user', ['role', 'create', 'user'], showId('role', 'user')),
		roleGrant(wording, 'demo', 'demo', 'user'),
	];
}

export interface ServiceIdentity {
	/** The service user and its password's secret name, e.g. glance, GLANCE_PASS. */
	user: string;
	passVar: string;
	/** The service entity: name, type and description, e.g. glance, image, OpenStack Image. */
	name: string;
	type: string;
	description: string;
	/** The URL of all three endpoints, e.g. http://{{CONTROLLER_HOST}}:9292. */
	url: string;
}

/** The identity of each service the guides install, the same in both runbooks. */
export const SERVICES = {
	glance: {
		user: 'glance',
		passVar: 'GLANCE_PASS',
		name: 'glance',
		type: 'image',
		description: 'OpenStack Image',
		url: 'http://{{CONTROLLER_HOST}}:9292',
	},
	placement: {
		user: 'placement',
		passVar: 'PLACEMENT_PASS',
		name: 'placement',
		type: 'placement',
		description: 'Placement API',
		url: 'http://{{CONTROLLER_HOST}}:8778',
	},
	nova: {
		user: 'nova',
		passVar: 'NOVA_PASS',
		name: 'nova',
		type: 'compute',
		description: 'OpenStack Compute',
		url: 'http://{{CONTROLLER_HOST}}:8774/v2.1',
	},
	neutron: {
		user: 'neutron',
		passVar: 'NEUTRON_PASS',
		name: 'neutron',
		type: 'network',
		description: 'OpenStack Networking',
		url: 'http://{{CONTROLLER_HOST}}:9696',
	},
} satisfies Record<string, ServiceIdentity>;

/** The guide's identity prerequisites of a service: its user, its service entity and its three endpoints. */
export function serviceIdentity(wording: Wording, service: ServiceIdentity): ActionInput[] {
	return [
		...serviceUser(wording, service.user, service.passVar),
		serviceEntity(wording, service.name, service.type, service.description),
		...endpoints(wording, service.type, service.url),
	];
}
