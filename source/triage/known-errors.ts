/**
 * Known errors: text that OpenStack services, clients and package managers print, and what it usually
 * means. Data, not code: each entry is a pattern, a title and the next thing to check. The tests feed
 * each one real error text.
 */
export interface KnownError {
	id: string;
	/** Matched against the failing step's output and the service log tail (case-insensitive). */
	pattern: RegExp;
	title: string;
	hint: string;
}

export const KNOWN_ERRORS: KnownError[] = [
	{
		id: 'db-access-denied',
		pattern: /\(1045, u?["']Access denied for user '([^']+)'@/i,
		title: 'Database access denied',
		hint: "The password in the service's [database] connection does not match the one granted. Re-run this section's database step (it grants with the profile's password), then this step.",
	},
	{
		id: 'db-too-many-connections',
		pattern: /\(1040, ['"]Too many connections['"]\)/i,
		title: 'MariaDB ran out of connections',
		hint: 'max_connections is too low for the API workers (Environment > SQL database sets 4096). Re-run that step, or SET GLOBAL max_connections = 4096 on the controller.',
	},
	{
		id: 'db-unreachable',
		pattern: /\(2003, "Can't connect to MySQL server on '([^']+)'|Can't connect to local MySQL server through socket/i,
		title: 'Database unreachable',
		hint: 'MariaDB is not running or not listening on the management address: check `systemctl status mariadb` and bind-address in the openstack .cnf file on the controller.',
	},
	{
		id: 'amqp-unreachable',
		pattern: /AMQP server on (\S+) is unreachable/i,
		title: 'RabbitMQ unreachable',
		hint: 'The message queue cannot be reached: is rabbitmq-server running on the controller, does the node resolve the controller name, and is port 5672 open (firewall)?',
	},
	{
		id: 'amqp-login-refused',
		pattern: /ACCESS_REFUSED - Login was refused|AMQPLAIN login refused/i,
		title: 'RabbitMQ refused the login',
		hint: 'The openstack RabbitMQ user is missing or has another password: re-run Environment > Message queue (rabbitmqctl add_user/change_password), and check transport_url.',
	},
	{
		id: 'rpc-timeout',
		pattern: /MessagingTimeout: Timed out waiting for a reply to message ID/i,
		title: 'No service answered over RPC',
		hint: 'The service that should answer (nova-conductor, neutron-rpc-server ...) is not running or not on the same RabbitMQ: check its log and `openstack compute service list` / `network agent list`.',
	},
	{
		id: 'placement-403',
		pattern:
			/client denied by server configuration: \/usr\/bin\/nova-placement-api|You don't have permission to access \/(placement|resource_providers)|placement[^\n]*\b403\b|\b403\b[^\n]*placement/i,
		title: 'Placement API returns 403 Forbidden',
		hint: 'On CentOS 7 / Ocata this is RH bug 1430540: add the <Directory /usr/bin> grant to /etc/httpd/conf.d/00-nova-placement-api.conf (Nova controller > placement httpd fix) and restart httpd.',
	},
	{
		id: 'no-valid-host',
		pattern: /No valid host was found/i,
		title: 'The scheduler found no compute host',
		hint: 'Run discover_hosts on the controller (Nova compute > discover hosts), and check that nova-compute is up in `openstack compute service list` and has room for the flavor.',
	},
	{
		id: 'keystone-401',
		pattern: /requires authentication\.? \(HTTP 401\)|The request you have made requires authentication/i,
		title: 'Keystone rejected the credentials',
		hint: "A password differs from the one keystone has: the admin/demo openrc or a service's [keystone_authtoken] password. Re-run the step that creates that user (it sets the profile's password) or check the config file.",
	},
	{
		id: 'keystone-unreachable',
		pattern:
			/Failed to discover available identity versions|Unable to establish connection to https?:\/\/[^\s:]+:(5000|35357)/i,
		title: 'Keystone is not reachable',
		hint: 'The identity API does not answer: is httpd (CentOS) / keystone (Debian) running on the controller, and does this node resolve the controller name?',
	},
	{
		id: 'name-resolution',
		pattern: /Temporary failure in name resolution|Name or service not known|Could not resolve host/i,
		title: 'A host name does not resolve',
		hint: 'Check /etc/hosts on this node (Environment > host networking writes every node) and the names in the profile.',
	},
	{
		id: 'apt-lock',
		pattern: /Could not get lock \/var\/lib\/dpkg\/lock/i,
		title: 'Another package manager is running',
		hint: 'apt or unattended-upgrades holds the dpkg lock on this node: wait for it to finish (ps aux | grep -i apt), then retry.',
	},
	{
		id: 'yum-lock',
		pattern: /Another app is currently holding the yum lock/i,
		title: 'Another yum is running',
		hint: 'Wait for the other yum (often PackageKit) to finish, then retry.',
	},
	{
		id: 'package-missing',
		pattern: /E: Unable to locate package (\S+)|No package (\S+) available/i,
		title: 'A package is not in the configured repositories',
		hint: 'Enable the OpenStack repository first (Environment > OpenStack packages) and refresh the package lists; check the package name for this release.',
	},
	{
		id: 'libvirt-no-dbus',
		pattern: /Unable to get system bus connection/i,
		title: 'libvirt cannot reach D-Bus',
		hint: 'Start dbus before libvirtd (polkit needs the system bus), then restart libvirtd and nova-compute.',
	},
	{
		id: 'hypervisor-unavailable',
		pattern:
			/HypervisorUnavailable|Connection to the hypervisor is broken|Failed to connect socket to '\/var\/run\/libvirt/i,
		title: 'nova-compute cannot reach libvirt',
		hint: 'libvirtd is not running or nova cannot use its socket: start libvirtd, and check virt_type (qemu when the CPU has no vmx/svm).',
	},
	{
		id: 'linuxbridge-experimental',
		pattern: /linuxbridge[^\n]*experimental|experimental[^\n]*linuxbridge/i,
		title: 'This neutron treats Linux bridge as experimental',
		hint: 'Set [experimental] linuxbridge = true in /etc/neutron/neutron.conf (the neutron steps do), then restart the agents.',
	},
	{
		id: 'port-binding-failed',
		pattern: /Binding failed for port|PortBindingFailed/i,
		title: 'Neutron could not bind the instance port',
		hint: "The linuxbridge agent on the instance's compute node is down or its physical_interface_mappings do not name the provider interface: check `openstack network agent list` and linuxbridge_agent.ini.",
	},
];

export interface KnownErrorMatch {
	id: string;
	title: string;
	hint: string;
	/** The line that matched. */
	evidence: string;
}

/** Every known error found in the text, once each, in table order. */
export function matchKnownErrors(text: string): KnownErrorMatch[] {
	const lines = text.split('\n');
	const matches: KnownErrorMatch[] = [];
	for (const known of KNOWN_ERRORS) {
		const pattern = new RegExp(
			known.pattern.source,
			known.pattern.flags.includes('i') ? known.pattern.flags : `${known.pattern.flags}i`,
		);
		const line = lines.find((l) => pattern.test(l));
		if (line !== undefined)
			matches.push({ id: known.id, title: known.title, hint: known.hint, evidence: line.trim().slice(0, 300) });
	}
	return matches;
}
