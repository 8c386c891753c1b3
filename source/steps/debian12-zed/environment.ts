/**
 * Environment (install guide: "Environment"): host networking, NTP, OpenStack packages, SQL database,
 * message queue, memcached. On Debian 12 there is no repository to add: Zed is in bookworm's own archive.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { FIRST_INSTALL_LOCK_TIMEOUT_SEC } from '../shared/packages.js';
import { ensureServices, tailLog, waitTcp } from './lib.js';

const hostsScript = String.raw`# hostname (guide: set the node's host name)
osc_name={{NODE_NAME}}
if [ "$(hostname)" = "$osc_name" ] && [ "$(cat /etc/hostname 2>/dev/null)" = "$osc_name" ]; then
	echo "unchanged: host name is $osc_name"
else
	printf '%s\n' "$osc_name" > /etc/hostname
	hostname "$osc_name"
	echo "set:       host name $osc_name"
fi
# /etc/hosts: one managed block with every node; other lines naming these nodes (such as Debian's
# "127.0.1.1 <hostname>") are commented out, as the guide says.
osc_entries={{HOSTS_ENTRIES}}
osc_tmp=$(mktemp /etc/hosts.osc.XXXXXX)
OSC_ENTRIES="$osc_entries" awk '
BEGIN {
	n = split(ENVIRON["OSC_ENTRIES"], e, "\n")
	for (i = 1; i <= n; i++) { split(e[i], f, /[ \t]+/); if (f[2] != "") managed[f[2]] = 1 }
}
/^# BEGIN os-console/ { skip = 1; next }
/^# END os-console/ { skip = 0; next }
skip { next }
/^[ \t]*#/ || NF < 2 { print; next }
$1 == "127.0.0.1" || $1 == "::1" { print; next }
{
	hit = 0
	for (i = 2; i <= NF; i++) if ($i in managed) hit = 1
	if (hit) print "# os-console: " $0
	else print
}
END {
	print "# BEGIN os-console: OpenStack nodes of this profile (managed by os-console)"
	print ENVIRON["OSC_ENTRIES"]
	print "# END os-console"
}' /etc/hosts > "$osc_tmp"
if cmp -s "$osc_tmp" /etc/hosts; then
	echo "unchanged: /etc/hosts"
else
	cat "$osc_tmp" > /etc/hosts
	echo "wrote:     /etc/hosts"
fi
rm -f "$osc_tmp"
cat /etc/hosts`;

const providerScript = String.raw`osc_if={{PROVIDER_IFACE}}
if ! ip link show dev "$osc_if" >/dev/null 2>&1; then
	echo "the provider interface $osc_if does not exist on this node (profile: network.providerInterface or the node's providerInterface)" >&2
	ip -br link >&2
	exit 1
fi
if ip -4 addr show dev "$osc_if" | grep -q 'inet '; then
	echo "warning: $osc_if has an IPv4 address; the guide's provider interface has none" >&2
fi
if ip link show dev "$osc_if" | grep -q '[<,]UP[,>]'; then
	echo "unchanged: $osc_if is up"
else
	ip link set dev "$osc_if" up
	echo "set:       $osc_if up"
fi
# Persistent (ifupdown), as the guide's interfaces stanza: up without an address.
if [ -d /etc/network/interfaces.d ]; then
	osc_file=/etc/network/interfaces.d/os-console-provider
	osc_tmp=$(mktemp /etc/network/osc.XXXXXX)
	printf '# os-console: provider interface, up without an address\nauto %s\niface %s inet manual\n\tup ip link set dev $IFACE up\n\tdown ip link set dev $IFACE down\n' "$osc_if" "$osc_if" > "$osc_tmp"
	if cmp -s "$osc_tmp" "$osc_file"; then echo "unchanged: $osc_file"; rm -f "$osc_tmp"; else mv -f "$osc_tmp" "$osc_file"; chmod 0644 "$osc_file"; echo "wrote:     $osc_file"; fi
	if ! grep -Eq '^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces.d' /etc/network/interfaces 2>/dev/null; then
		echo "note: /etc/network/interfaces does not read interfaces.d; $osc_if is up now but may not come up at boot"
	fi
else
	echo "note: no ifupdown here; $osc_if is up now, make it persistent with this system's network tool"
fi`;

const containerChronyScript = String.raw`osc_virt=$(systemd-detect-virt --container 2>/dev/null || true)
if [ -n "$osc_virt" ] && [ "$osc_virt" != none ]; then
	echo "container detected ($osc_virt): the clock belongs to the host, so chronyd runs with -x (it serves and"
	echo "tracks time but never sets the clock) and without its CAP_SYS_TIME condition, as operators run chrony in containers"
	osc_dropin=/etc/systemd/system/chrony.service.d/container.conf
	mkdir -p /etc/systemd/system/chrony.service.d
	osc_tmp=$(mktemp /etc/systemd/system/chrony.service.d/osc.XXXXXX)
	printf '# os-console: in a container chronyd cannot set the clock (no CAP_SYS_TIME); it runs with -x\n[Unit]\nConditionCapability=\n' > "$osc_tmp"
	if cmp -s "$osc_tmp" "$osc_dropin"; then
		rm -f "$osc_tmp"
		echo "unchanged: $osc_dropin"
	else
		mv -f "$osc_tmp" "$osc_dropin"
		chmod 0644 "$osc_dropin"
		echo "wrote:     $osc_dropin"
		if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	fi
	if grep -Eq '^DAEMON_OPTS=.*-x' /etc/default/chrony 2>/dev/null; then
		echo "unchanged: /etc/default/chrony has -x"
	elif grep -q '^DAEMON_OPTS=' /etc/default/chrony 2>/dev/null; then
		sed -i 's/^DAEMON_OPTS="\(.*\)"$/DAEMON_OPTS="\1 -x"/' /etc/default/chrony
		grep -Eq '^DAEMON_OPTS=.*-x' /etc/default/chrony || sed -i 's/^DAEMON_OPTS=.*/DAEMON_OPTS="-F 1 -x"/' /etc/default/chrony
		echo "set:       /etc/default/chrony $(grep '^DAEMON_OPTS=' /etc/default/chrony)"
	else
		echo 'DAEMON_OPTS="-F 1 -x"' >> /etc/default/chrony
		echo "set:       /etc/default/chrony DAEMON_OPTS=\"-F 1 -x\""
	fi
else
	echo "not a container: chronyd keeps the clock as usual"
fi`;

const chronyConfigScript = String.raw`osc_conf=/etc/chrony/conf.d/openstack.conf
osc_ntp={{NTP_SERVER}}
osc_tmp=$(mktemp /etc/chrony/osc.XXXXXX)
mkdir -p /etc/chrony/conf.d
if [ {{NODE_NAME}} = {{CONTROLLER_HOST}} ]; then
	{
		echo "# os-console: the controller serves time to the management network"
		if [ -n "$osc_ntp" ]; then echo "server $osc_ntp iburst"; fi
		echo "allow" {{MGMT_CIDR}}
		echo "# keep serving (at a high stratum) when no upstream server is reachable"
		echo "local stratum 10"
	} > "$osc_tmp"
	osc_replace_sources=$([ -n "$osc_ntp" ] && echo yes || echo no)
else
	{
		echo "# os-console: other nodes take their time from the controller only"
		echo "server" {{CONTROLLER_HOST}} "iburst"
	} > "$osc_tmp"
	osc_replace_sources=yes
fi
if cmp -s "$osc_tmp" "$osc_conf"; then
	rm -f "$osc_tmp"
	echo "unchanged: $osc_conf"
else
	mv -f "$osc_tmp" "$osc_conf"
	chmod 0644 "$osc_conf"
	echo "wrote:     $osc_conf"
fi
grep -q '^confdir /etc/chrony/conf.d' /etc/chrony/chrony.conf || echo 'confdir /etc/chrony/conf.d' >> /etc/chrony/chrony.conf
if [ "$osc_replace_sources" = yes ] && grep -Eq '^(pool|server) ' /etc/chrony/chrony.conf; then
	sed -i -e 's/^pool /#os-console: pool /' -e 's/^server /#os-console: server /' /etc/chrony/chrony.conf
	echo "set:       /etc/chrony/chrony.conf: Debian's default pool commented out (the guide keeps one source)"
fi`;

export const environment: RunbookSectionInput = {
	id: 'environment',
	title: 'Environment',
	guide:
		'Install guide: Environment (host networking, NTP, OpenStack packages, SQL database, message queue, Memcached)',
	steps: [
		{
			id: 'host-networking',
			title: 'Host networking: host name, /etc/hosts, provider interface',
			guide: 'Environment: Host networking (controller node, compute node, verify connectivity)',
			on: 'all',
			actions: [
				{ kind: 'shell', describe: 'set the host name and list every node in /etc/hosts', script: hostsScript },
				{
					kind: 'shell',
					describe: 'bring the provider interface up without an address (and keep it so at boot)',
					script: providerScript,
				},
			],
			verify: String.raw`osc_entries={{HOSTS_ENTRIES}}
for osc_h in $(printf '%s\n' "$osc_entries" | awk '{ print $2 }'); do
	ping -c 1 -W 2 "$osc_h" >/dev/null && echo "reached $osc_h ($(getent hosts "$osc_h" | awk '{ print $1 }'))"
done`,
			timeoutSec: 120,
		},
		{
			id: 'ntp',
			title: 'Network Time Protocol (chrony)',
			guide:
				'Environment: Network Time Protocol (NTP): controller serves the management network, other nodes follow it',
			on: 'all',
			actions: [
				// the first install on a node: a fresh Debian runs unattended-upgrades at boot, which holds the dpkg lock
				{
					kind: 'packages',
					names: ['chrony'],
					noRecommends: true,
					noStart: true,
					lockTimeoutSec: FIRST_INSTALL_LOCK_TIMEOUT_SEC,
				},
				{
					kind: 'shell',
					describe: 'in a container: run chronyd with -x (detected with systemd-detect-virt --container)',
					script: containerChronyScript,
				},
				{
					kind: 'shell',
					describe: 'controller: allow the management network; other nodes: the controller as only server',
					script: chronyConfigScript,
				},
				ensureServices(['chrony']),
				{
					kind: 'wait',
					describe: 'chrony answers (and other nodes have selected the controller)',
					until: String.raw`if [ {{NODE_NAME}} = {{CONTROLLER_HOST}} ]; then
	chronyc -n tracking
else
	chronyc -n sources | grep -q '^\^[*+]' || { chronyc -n sources; false; }
fi`,
					timeoutSec: 120,
					intervalSec: 2,
				},
			],
			verify: 'chronyc -n sources',
			// the lock wait (FIRST_INSTALL_LOCK_TIMEOUT_SEC) comes on top of the install
			timeoutSec: 900,
		},
		{
			id: 'openstack-packages',
			title: 'OpenStack packages (Debian 12 archive) and the OpenStack client',
			guide: 'Environment: OpenStack packages (Debian ships Zed in bookworm: no repository to add)',
			on: 'all',
			actions: [
				{
					kind: 'shell',
					describe: 'check this is Debian 12 and refresh the package lists when they are old',
					script: String.raw`. /etc/os-release
if [ "$ID" != debian ] || [ "$(echo "$VERSION_ID" | cut -d. -f1)" != 12 ]; then
	echo "this runbook is for Debian 12 (bookworm); this node runs $PRETTY_NAME" >&2
	exit 1
fi
echo "Debian $VERSION_ID ($VERSION_CODENAME): OpenStack Zed comes from Debian's own archive, no repository to add"
if find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -360 2>/dev/null | grep -q .; then
	echo "unchanged: package lists are less than 6 hours old"
else
	DEBIAN_FRONTEND=noninteractive apt-get update
fi`,
				},
				{
					kind: 'packages',
					describe: 'upgrade every installed package (setting UPGRADE_PACKAGES=yes)',
					names: ['apt'],
					upgrade: true,
					when: { setting: { name: 'UPGRADE_PACKAGES', equals: 'yes' } },
				},
				{ kind: 'packages', names: ['python3-openstackclient', 'curl'], noRecommends: true, noStart: true },
			],
			verify: 'openstack --version',
			timeoutSec: 1200,
		},
		{
			id: 'sql-database',
			title: 'SQL database (MariaDB), max_connections raised before any OpenStack service',
			guide: 'Environment: SQL database (99-openstack.cnf; mysql_secure_installation)',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['mariadb-server', 'python3-pymysql'], noRecommends: true, noStart: true },
				{
					kind: 'file',
					// Debian's uwsgi API services hold many pooled connections: 151 (the default) runs out and
					// instances then hang in BUILD. This must be in place before nova starts.
					path: '/etc/mysql/mariadb.conf.d/99-openstack.cnf',
					content: `[mysqld]
bind-address = {{CONTROLLER_IP}}
default-storage-engine = innodb
innodb_file_per_table = on
max_connections = 4096
collation-server = utf8_general_ci
character-set-server = utf8
`,
					mode: '0644',
				},
				ensureServices(['mariadb']),
				{
					kind: 'wait',
					describe: 'MariaDB answers on its socket',
					until: `mysqladmin --user=root ping || { ${tailLog('/var/log/mysql/error.log', 20)}; false; }`,
					timeoutSec: 120,
				},
				{
					kind: 'sql',
					describe: 'what mysql_secure_installation does (root already uses the unix socket on Debian)',
					sql: `DELETE FROM mysql.global_priv WHERE User='';
DROP DATABASE IF EXISTS test;
DELETE FROM mysql.db WHERE Db='test' OR Db='test\\_%';
FLUSH PRIVILEGES;`,
				},
			],
			verify: String.raw`osc_max=$(mysql --user=root --batch --skip-column-names --execute='SELECT @@max_connections')
echo "max_connections = $osc_max"
[ "$osc_max" -ge 4096 ]`,
			timeoutSec: 900,
		},
		{
			id: 'message-queue',
			title: 'Message queue (RabbitMQ) and its openstack user',
			guide: 'Environment: Message queue (rabbitmqctl add_user openstack RABBIT_PASS; set_permissions)',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['rabbitmq-server'], noRecommends: true, noStart: true },
				ensureServices(['rabbitmq-server']),
				{
					kind: 'wait',
					describe: 'RabbitMQ is running',
					until: 'rabbitmq-diagnostics -q ping',
					timeoutSec: 180,
					intervalSec: 3,
				},
				{
					kind: 'shell',
					describe: 'ensure user openstack with RABBIT_PASS (password on stdin, never in arguments)',
					script: String.raw`if rabbitmqctl -q list_users | awk '{ print $1 }' | grep -qx openstack; then
	if printf '%s\n' {{RABBIT_PASS}} | rabbitmqctl -q authenticate_user openstack >/dev/null 2>&1; then
		echo "unchanged: user openstack exists with the profile's password"
	else
		printf '%s\n' {{RABBIT_PASS}} | rabbitmqctl -q change_password openstack
		echo "set:       password of user openstack"
	fi
else
	printf '%s\n' {{RABBIT_PASS}} | rabbitmqctl -q add_user openstack
	echo "created:   user openstack"
fi
if rabbitmqctl -q list_user_permissions openstack | grep -Eq '^/[[:space:]]+\.\*[[:space:]]+\.\*[[:space:]]+\.\*$'; then
	echo "unchanged: permissions of openstack on / are .* .* .*"
else
	rabbitmqctl -q set_permissions openstack '.*' '.*' '.*'
	echo "set:       permissions of openstack on / to .* .* .*"
fi`,
				},
			],
			verify: String.raw`printf '%s\n' {{RABBIT_PASS}} | rabbitmqctl -q authenticate_user openstack >/dev/null && echo "openstack authenticates to RabbitMQ"`,
			timeoutSec: 900,
		},
		{
			id: 'memcached',
			title: 'Memcached on the management address',
			guide: 'Environment: Memcached (-l on the management address of the controller)',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['memcached', 'python3-memcache'], noRecommends: true, noStart: true },
				{
					kind: 'shell',
					describe: 'listen on the management address (and loopback) in /etc/memcached.conf',
					script: String.raw`osc_tmp=$(mktemp /etc/memcached.conf.osc.XXXXXX)
OSC_LISTEN="127.0.0.1,"{{CONTROLLER_IP}} awk '
/^-l[ \t]/ { next }
{ print }
END { print "-l " ENVIRON["OSC_LISTEN"] }' /etc/memcached.conf > "$osc_tmp"
if cmp -s "$osc_tmp" /etc/memcached.conf; then
	rm -f "$osc_tmp"
	echo "unchanged: /etc/memcached.conf"
else
	cat "$osc_tmp" > /etc/memcached.conf
	rm -f "$osc_tmp"
	echo "set:       /etc/memcached.conf $(grep '^-l' /etc/memcached.conf)"
fi`,
				},
				ensureServices(['memcached']),
				waitTcp('{{CONTROLLER_IP}}', 11211, 'memcached'),
			],
			timeoutSec: 600,
		},
	],
};
