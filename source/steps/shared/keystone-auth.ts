/**
 * How services authenticate against keystone: the `[keystone_authtoken]` block every API service has, and the
 * credentials one service uses to call another (nova.conf [neutron] and [placement], neutron.conf [nova]).
 * The blocks are the same in both runbooks but for what the releases name or place differently (Ocata's
 * `auth_uri` and admin port 35357, Zed's `www_authenticate_uri` and :5000 only), so those are parameters.
 */

/** [section, key, value] of an ini action. */
export type IniSetting = [string, string, string];

export interface AuthtokenOptions {
	/** The key of the public identity URI: `auth_uri` (Ocata) or `www_authenticate_uri` (Zed). */
	uriKey: 'auth_uri' | 'www_authenticate_uri';
	uri: string;
	authUrl: string;
	/** How the guide of the release spells the default domain's name. */
	domain: 'default' | 'Default';
	/** Also set `region_name` (Debian's debconf pre-fills a wrong one). */
	regionName?: boolean;
	section?: string;
}

/** `[keystone_authtoken]` as every service's install guide has it. */
export function keystoneAuthtoken(user: string, passVar: string, options: AuthtokenOptions): IniSetting[] {
	const section = options.section ?? 'keystone_authtoken';
	return [
		[section, options.uriKey, options.uri],
		[section, 'auth_url', options.authUrl],
		[section, 'memcached_servers', '{{CONTROLLER_HOST}}:11211'],
		[section, 'auth_type', 'password'],
		[section, 'project_domain_name', options.domain],
		[section, 'user_domain_name', options.domain],
		[section, 'project_name', 'service'],
		[section, 'username', user],
		[section, 'password', `{{${passVar}}}`],
		...(options.regionName ? [[section, 'region_name', '{{REGION}}'] as IniSetting] : []),
	];
}

/** The credentials a service uses to call another (e.g. nova.conf [neutron] as user neutron), in the guide's order. */
export function serviceClientAuth(
	section: string,
	user: string,
	passVar: string,
	options: { authUrl: string; domain: 'default' | 'Default' },
): IniSetting[] {
	return [
		[section, 'auth_url', options.authUrl],
		[section, 'auth_type', 'password'],
		[section, 'project_domain_name', options.domain],
		[section, 'user_domain_name', options.domain],
		[section, 'region_name', '{{REGION}}'],
		[section, 'project_name', 'service'],
		[section, 'username', user],
		[section, 'password', `{{${passVar}}}`],
	];
}

/** nova.conf [placement]: the region key is `os_region_name` in Ocata, `region_name` in Zed. */
export function novaPlacementAuth(options: {
	regionKey: 'os_region_name' | 'region_name';
	authUrl: string;
}): IniSetting[] {
	return [
		['placement', options.regionKey, '{{REGION}}'],
		['placement', 'project_domain_name', 'Default'],
		['placement', 'project_name', 'service'],
		['placement', 'auth_type', 'password'],
		['placement', 'user_domain_name', 'Default'],
		['placement', 'auth_url', options.authUrl],
		['placement', 'username', 'placement'],
		['placement', 'password', '{{PLACEMENT_PASS}}'],
	];
}
