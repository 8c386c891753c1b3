#!/usr/bin/env bash
# lxc-nodes.sh: node harness for the os-console acceptance tests.
#
# Makes throwaway Debian 12 (bookworm) machines as LXC system containers (real systemd, sshd, chrony)
# so the console can install OpenStack on them over SSH. Needs root, a kernel with overlayfs, and apt.
#
#   lxc-nodes.sh prereqs                 install lxc & co, start lxc-net, egress filter, provider bridge
#   lxc-nodes.sh template [--force]      build the stopped template container (cached; rebuilt when this
#                                        script's template code changes; --force rebuilds base and template)
#   lxc-nodes.sh up NAME:IP [NAME:IP..]  overlay snapshots of the template, started, answering ssh;
#                                        prints one JSON document on stdout (logs go to stderr)
#   lxc-nodes.sh down NAME [NAME..]      stop and destroy nodes (NAME without the container prefix)
#   lxc-nodes.sh stale                   destroy every node container (prefix osc-acc-), e.g. after a killed run
#   lxc-nodes.sh ssh NAME [COMMAND..]    ssh into a node with the harness key and a strict known_hosts
#   lxc-nodes.sh status                  nodes, template, lxc-net, egress counters, disk usage
#
# Network: management addresses are static on lxcbr0 (10.0.3.0/24, gateway 10.0.3.1, lxc-net's DHCP pool is
# moved to .100-.200, so use .2-.99 or .201-.254). Every node's eth1 sits on the host bridge oscprov0, which has
# no address and no uplink. By default (OSC_LXC_EGRESS=mirror) containers may resolve only *.debian.org names and
# may leave the host only on tcp/80,443 towards the addresses those names resolved to (dnsmasq nftset).
#
# Environment: OSC_LXC_OWNER (the process id that owns the nodes while it runs; see claim), OSC_LXC_FORCE,
#              OSC_LXC_STATE_DIR (/var/lib/os-console-acceptance), OSC_LXC_EGRESS (mirror|open),
#              OSC_LXC_APT_CACHE (1|0: per-node apt archive cache bind-mounted from the state dir),
#              OSC_LXC_MIRROR, OSC_LXC_SECURITY_MIRROR.
set -Eeuo pipefail
umask 022

STATE_DIR="${OSC_LXC_STATE_DIR:-/var/lib/os-console-acceptance}"
LXC_PATH=/var/lib/lxc
TEMPLATE=osc-tmpl
PREFIX=osc-acc-
SUITE=bookworm
MIRROR="${OSC_LXC_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${OSC_LXC_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
MGMT_BRIDGE=lxcbr0
MGMT_NET=10.0.3
MGMT_GW=10.0.3.1
MGMT_PREFIXLEN=24
DHCP_FIRST=100
DHCP_LAST=200
PROVIDER_BRIDGE=oscprov0
PROVIDER_IF=eth1
EGRESS="${OSC_LXC_EGRESS:-mirror}"
APT_CACHE="${OSC_LXC_APT_CACHE:-1}"
KEY="$STATE_DIR/id_ed25519"
KNOWN_HOSTS="$STATE_DIR/known_hosts"
DNSMASQ_CONF="$STATE_DIR/dnsmasq-$MGMT_BRIDGE.conf"
NFT_TABLE=osc_acc

# lxc-templates ships /usr/share/lxc/config/debian.common.conf (only a Recommends of lxc).
HOST_PACKAGES="lxc lxc-templates debootstrap debian-archive-keyring rsync openssh-client nftables dnsmasq-base iproute2 util-linux"
# Packages of the node image (debootstrap --include, dependencies resolved, no Recommends).
BASE_PACKAGES="systemd-sysv,libpam-systemd,dbus,openssh-server,ifupdown,iproute2,iputils-ping,netbase,\
ca-certificates,locales,tzdata,apt-utils,chrony,iptables,ebtables,ipset,bridge-utils,python3,procps,kmod,\
less,sudo,curl,lsb-release"
# Timers/units that would fight the console for the apt lock or fail in a container.
MASKED_UNITS="apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer"

T0=$(date +%s.%N)
log() { printf '[lxc-nodes %s +%ss] %s\n' "$(date +%T)" "$(elapsed "$T0")" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
sha() { sha256sum | cut -c1-16; }

[ "$(id -u)" = 0 ] || die "must run as root"

lock() {
	mkdir -p "$STATE_DIR"
	chmod 0700 "$STATE_DIR"
	exec 9>"$STATE_DIR/lock"
	flock -w 3600 9 || die "could not lock $STATE_DIR/lock"
}

# The nodes belong to one user at a time (an acceptance run, a deploy benchmark): each states its process id in
# OSC_LXC_OWNER, and up, down, stale and template refuse to touch the nodes while another live process owns them,
# instead of destroying a deploy in progress. OSC_LXC_FORCE=1 overrides (after a crash that left a live owner).
claim() {
	local file="$STATE_DIR/owner" other=''
	[ -f "$file" ] && other=$(cat "$file" 2>/dev/null || true)
	if [ -n "$other" ] && [ "$other" != "${OSC_LXC_OWNER:-}" ] && [ "${OSC_LXC_FORCE:-0}" != 1 ] && kill -0 "$other" 2>/dev/null; then
		die "the nodes are in use by process $other ($(ps -o args= -p "$other" 2>/dev/null | cut -c1-100)): an acceptance test or deploy benchmark is running; wait for it to end, or stop it (OSC_LXC_FORCE=1 overrides)"
	fi
	if [ -n "${OSC_LXC_OWNER:-}" ]; then echo "$OSC_LXC_OWNER" >"$file"; else rm -f "$file"; fi
}

container_exists() { [ -f "$LXC_PATH/$1/config" ]; }
list_nodes() { lxc-ls -1 2>/dev/null | grep "^$PREFIX" || true; }

# ---------------------------------------------------------------------------------------------- host
pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]; }

ensure_packages() {
	local need=() p
	for p in $HOST_PACKAGES; do pkg_installed "$p" || need+=("$p"); done
	[ ${#need[@]} -eq 0 ] && return 0
	log "installing host packages: ${need[*]}"
	# Only Debian's own archive: other repositories configured on the host are neither contacted nor used.
	local codename list="$STATE_DIR/host-debian.list"
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	local signed="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
	[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || signed=""
	mkdir -p "$STATE_DIR/empty.d"
	cat >"$list" <<EOF
deb $signed$MIRROR $codename main
deb $signed$MIRROR $codename-updates main
deb $signed$SECURITY_MIRROR $codename-security main
EOF
	local -a apt_opts=(-q -o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=$STATE_DIR/empty.d"
		-o APT::Get::List-Cleanup=false)
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}" >&2
}

ensure_key() {
	mkdir -p "$STATE_DIR"
	chmod 0700 "$STATE_DIR"
	if [ ! -f "$KEY" ]; then
		ssh-keygen -q -t ed25519 -N '' -C "os-console-acceptance@$(hostname)" -f "$KEY"
		log "generated harness key $KEY"
	fi
}

ensure_tun() {
	if [ ! -c /dev/net/tun ]; then
		mkdir -p /dev/net
		mknod -m 0666 /dev/net/tun c 10 200
		log "created /dev/net/tun"
	fi
}

# Writes the managed block of /etc/default/lxc-net and the dnsmasq config; prints "changed" if either changed.
configure_lxc_net() {
	local f=/etc/default/lxc-net block before after conf ns
	conf="# Managed by os-console scripts/lxc-nodes.sh (acceptance harness).
no-hosts"
	if [ "$EGRESS" = mirror ]; then
		conf+="
# Containers may resolve only Debian mirror names; answers go into the egress allow set.
no-resolv
nftset=/debian.org/4#inet#$NFT_TABLE#mirror4"
		for ns in $(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf); do
			case "$ns" in "$MGMT_GW") continue ;; esac
			conf+="
server=/debian.org/$ns"
		done
	fi
	before=$(cat "$DNSMASQ_CONF" 2>/dev/null || true)
	if [ "$before" != "$conf" ]; then
		printf '%s\n' "$conf" >"$DNSMASQ_CONF"
		echo changed
	fi
	block="# BEGIN os-console-acceptance (managed by scripts/lxc-nodes.sh)
USE_LXC_BRIDGE=\"true\"
LXC_BRIDGE=\"$MGMT_BRIDGE\"
LXC_ADDR=\"$MGMT_GW\"
LXC_NETMASK=\"255.255.255.0\"
LXC_NETWORK=\"$MGMT_NET.0/$MGMT_PREFIXLEN\"
LXC_DHCP_RANGE=\"$MGMT_NET.$DHCP_FIRST,$MGMT_NET.$DHCP_LAST\"
LXC_DHCP_MAX=\"$((DHCP_LAST - DHCP_FIRST + 1))\"
LXC_DHCP_CONFILE=\"$DNSMASQ_CONF\"
# END os-console-acceptance"
	before=$(cat "$f" 2>/dev/null || true)
	after=$(printf '%s\n' "$before" | sed '/^# BEGIN os-console-acceptance/,/^# END os-console-acceptance/d')
	after+="
$block"
	if [ "$before" != "$after" ]; then
		printf '%s\n' "$after" >"$f"
		echo changed
	fi
}

dnsmasq_pid() {
	local pid
	pid=$(cat /run/lxc/dnsmasq.pid 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] && echo "$pid"
}

lxc_net_ok() {
	local pid cmd
	[ -f /run/lxc/network_up ] || return 1
	ip -4 -o addr show dev "$MGMT_BRIDGE" 2>/dev/null | grep -q " $MGMT_GW/$MGMT_PREFIXLEN " || return 1
	pid=$(dnsmasq_pid) || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	[[ "$cmd" == *"--dhcp-range $MGMT_NET.$DHCP_FIRST,$MGMT_NET.$DHCP_LAST "* ]] || return 1
	[[ "$cmd" == *"--conf-file=$DNSMASQ_CONF "* ]] || return 1
}

ensure_lxc_net() {
	local changed="$1" running
	if [ -z "$changed" ] && lxc_net_ok; then return 0; fi
	if [ -f /run/lxc/network_up ] || [ -d "/sys/class/net/$MGMT_BRIDGE" ]; then
		running=$(lxc-ls -1 --running 2>/dev/null | tr '\n' ' ')
		[ -z "${running// /}" ] || die "lxc-net must be restarted (new config) but containers are running: $running"
		log "restarting lxc-net"
		/etc/init.d/lxc-net stop >&2 || true
	else
		log "starting lxc-net"
	fi
	/etc/init.d/lxc-net start >&2
	lxc_net_ok || die "lxc-net did not come up as configured (see /etc/default/lxc-net, $DNSMASQ_CONF)"
}

# Forward filter: containers on lxcbr0 may reach only the Debian mirror (addresses learned by dnsmasq),
# the provider bridge is never routed. Never flushes the address set (dnsmasq fills it only on upstream answers).
ensure_egress() {
	local fresh=0 pid
	if [ "$EGRESS" != mirror ]; then
		nft delete table inet "$NFT_TABLE" 2>/dev/null || true
		return 0
	fi
	nft list set inet "$NFT_TABLE" mirror4 >/dev/null 2>&1 || fresh=1
	nft -f - <<EOF
add table inet $NFT_TABLE
add set inet $NFT_TABLE mirror4 { type ipv4_addr; }
add chain inet $NFT_TABLE forward { type filter hook forward priority -10; policy accept; }
flush chain inet $NFT_TABLE forward
add rule inet $NFT_TABLE forward iifname "$MGMT_BRIDGE" oifname != "$MGMT_BRIDGE" ip daddr @mirror4 tcp dport { 80, 443 } counter accept
add rule inet $NFT_TABLE forward iifname "$MGMT_BRIDGE" oifname != "$MGMT_BRIDGE" counter reject with icmpx type admin-prohibited
add rule inet $NFT_TABLE forward iifname "$PROVIDER_BRIDGE" oifname != "$PROVIDER_BRIDGE" counter drop
add rule inet $NFT_TABLE forward oifname "$PROVIDER_BRIDGE" iifname != "$PROVIDER_BRIDGE" counter drop
EOF
	if [ "$fresh" = 1 ] && pid=$(dnsmasq_pid); then
		kill -HUP "$pid" # empty its cache so the next answers fill the new set
	fi
}

ensure_provider_bridge() {
	if [ ! -d "/sys/class/net/$PROVIDER_BRIDGE" ]; then
		ip link add name "$PROVIDER_BRIDGE" type bridge stp_state 0
		log "created provider bridge $PROVIDER_BRIDGE"
	fi
	echo 1 >"/proc/sys/net/ipv6/conf/$PROVIDER_BRIDGE/disable_ipv6"
	ip addr flush dev "$PROVIDER_BRIDGE"
	ip link set dev "$PROVIDER_BRIDGE" up
}

ensure_host() {
	local changed
	ensure_packages
	ensure_key
	ensure_tun
	changed=$(configure_lxc_net)
	ensure_egress
	ensure_lxc_net "$changed"
	ensure_provider_bridge
}

cmd_prereqs() {
	lock
	ensure_host
	log "host ready: $MGMT_BRIDGE $MGMT_GW/$MGMT_PREFIXLEN (dhcp .$DHCP_FIRST-.$DHCP_LAST), provider bridge $PROVIDER_BRIDGE, egress=$EGRESS"
	printf '{"ok":true,"seconds":%s}\n' "$(elapsed "$T0")"
}

# ---------------------------------------------------------------------------------------------- template
# Runs a command chrooted into $1, in private mount and pid namespaces (nothing stays mounted if we are killed).
in_chroot() {
	local root="$1" archives="$2"
	shift 2
	unshare --mount --pid --fork --propagation private -- /bin/sh -ec '
		root=$1 archives=$2; shift 2
		mount -t proc proc "$root/proc"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
		if [ -n "$archives" ]; then mkdir -p "$archives/partial"; mount --bind "$archives" "$root/var/cache/apt/archives"; fi
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
			DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$root" "$archives" "$@"
}

base_key() { { echo "$SUITE $MIRROR $SECURITY_MIRROR $BASE_PACKAGES"; declare -f build_base; } | sha; }

# Debootstrap + updates: the slow, rarely changing layer, kept as a plain directory under the state dir.
build_base() {
	local dir="$1" partial="$1.partial" t
	t=$(date +%s.%N)
	rm -rf --one-file-system "$partial"
	mkdir -p "$STATE_DIR/debootstrap-cache" "$STATE_DIR/apt-archives/_build"
	log "debootstrap $SUITE (minbase + node packages) from $MIRROR"
	debootstrap --variant=minbase --include="$BASE_PACKAGES" --cache-dir="$STATE_DIR/debootstrap-cache" \
		"$SUITE" "$partial" "$MIRROR" >&2
	rm -f "$partial"/var/cache/apt/archives/*.deb
	cat >"$partial/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
	printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"
	chmod 0755 "$partial/usr/sbin/policy-rc.d"
	log "apt full-upgrade in the base"
	in_chroot "$partial" "$STATE_DIR/apt-archives/_build" apt-get update -q >&2
	in_chroot "$partial" "$STATE_DIR/apt-archives/_build" apt-get -y -q full-upgrade >&2
	sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$partial/etc/locale.gen"
	in_chroot "$partial" "" locale-gen >&2
	echo 'LANG=en_US.UTF-8' >"$partial/etc/default/locale"
	rm -f "$partial/usr/sbin/policy-rc.d" "$partial"/var/cache/apt/*.bin
	mv "$partial" "$dir"
	log "base built in $(elapsed "$t") s"
}

ensure_base() {
	local force="$1" key dir old
	key=$(base_key)
	dir="$STATE_DIR/base/$SUITE-$key"
	mkdir -p "$STATE_DIR/base"
	if [ "$force" = 1 ] || [ ! -f "$dir.complete" ]; then
		rm -f "$dir.complete"
		rm -rf --one-file-system "$dir"
		build_base "$dir"
		touch "$dir.complete"
	fi
	for old in "$STATE_DIR"/base/*; do
		case "$old" in "$dir" | "$dir.complete") ;; *) rm -rf --one-file-system "$old" ;; esac
	done
	echo "$dir"
}

# Container-specific configuration of the template's rootfs (every node shares it through overlayfs).
configure_template_rootfs() {
	local r="$1" u
	cat >"$r/etc/network/interfaces" <<EOF
# eth0 (management) is configured by LXC before init runs: static address, gateway $MGMT_GW.
# eth1 is the unconfigured provider interface (attached to the host bridge $PROVIDER_BRIDGE, no uplink).
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet manual

source /etc/network/interfaces.d/*
EOF
	rm -f "$r/etc/resolv.conf"
	echo "nameserver $MGMT_GW" >"$r/etc/resolv.conf"
	echo "$TEMPLATE" >"$r/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' \
		>"$r/etc/hosts"
	# chrony in a container: no CAP_SYS_TIME, so skip the capability condition and never touch the clock (-x).
	mkdir -p "$r/etc/systemd/system/chrony.service.d"
	printf '[Unit]\nConditionCapability=\n' >"$r/etc/systemd/system/chrony.service.d/lxc.conf"
	if grep -q '^DAEMON_OPTS=' "$r/etc/default/chrony"; then
		sed -i 's/^DAEMON_OPTS=.*/DAEMON_OPTS="-F 1 -x"/' "$r/etc/default/chrony"
	else
		echo 'DAEMON_OPTS="-F 1 -x"' >>"$r/etc/default/chrony"
	fi
	# No internet NTP pool: the test network may not leave the host (the console configures chrony itself).
	sed -i 's/^pool /#pool /' "$r/etc/chrony/chrony.conf"
	for u in $MASKED_UNITS; do ln -sfn /dev/null "$r/etc/systemd/system/$u"; done
	# Identity is per node: host keys and machine-id are written into each node's overlay before its first boot.
	rm -f "$r"/etc/ssh/ssh_host_*
	: >"$r/etc/machine-id"
	mkdir -p "$r/var/lib/dbus"
	ln -sfn /etc/machine-id "$r/var/lib/dbus/machine-id"
	rm -f "$r/var/lib/systemd/random-seed"
	install -d -m 0700 "$r/root/.ssh"
}

write_template_config() {
	local dir="$1"
	cat >"$dir/config" <<EOF
# os-console acceptance template (scripts/lxc-nodes.sh); stays stopped, nodes are overlay snapshots of it.
lxc.include = /usr/share/lxc/config/debian.common.conf
lxc.arch = amd64
lxc.rootfs.path = dir:$dir/rootfs
lxc.uts.name = $TEMPLATE
lxc.tty.max = 4
lxc.pty.max = 1024
lxc.start.auto = 0
# This kernel has no AppArmor ("generated" would fail).
lxc.apparmor.profile = unconfined
# libvirt needs every cgroup controller (cpu,cpuacct are separate v1 hierarchies here).
lxc.mount.auto =
lxc.mount.auto = proc:mixed sys:mixed cgroup:rw:force
# tap devices for QEMU and neutron (the v1 devices rule for 10:200 is in debian.common.conf).
lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file 0 0
lxc.cgroup2.devices.allow = c 10:200 rwm
lxc.net.0.type = empty
EOF
}

template_key() {
	{
		base_key
		echo "$MASKED_UNITS $MGMT_GW $PROVIDER_BRIDGE"
		declare -f configure_template_rootfs write_template_config build_template
	} | sha
}

build_template() {
	local base="$1" key="$2" dir="$LXC_PATH/$TEMPLATE"
	if container_exists "$TEMPLATE"; then lxc-destroy -n "$TEMPLATE" >&2; fi
	rm -rf --one-file-system "$dir"
	install -d -m 0770 "$dir"
	mkdir "$dir/rootfs"
	rsync -aHAX --numeric-ids "$base/" "$dir/rootfs/"
	configure_template_rootfs "$dir/rootfs"
	write_template_config "$dir"
	echo "$key" >"$dir/osc-template.version"
}

ensure_template() {
	local force="$1" key base t rebuilt=false
	t=$(date +%s.%N)
	key=$(template_key)
	if [ "$force" = 1 ] || ! container_exists "$TEMPLATE" ||
		[ "$(cat "$LXC_PATH/$TEMPLATE/osc-template.version" 2>/dev/null || true)" != "$key" ]; then
		# Snapshots of an old template would break when it changes underneath them.
		local -a stale
		mapfile -t stale < <(list_nodes)
		destroy_nodes "${stale[@]+"${stale[@]}"}"
		base=$(ensure_base "$force")
		log "building template $TEMPLATE ($key)"
		build_template "$base" "$key"
		rebuilt=true
		log "template $TEMPLATE built in $(elapsed "$t") s"
	else
		log "template $TEMPLATE is current ($key)"
	fi
	TEMPLATE_JSON=$(printf '{"template":"%s","version":"%s","rebuilt":%s,"seconds":%s}' \
		"$TEMPLATE" "$key" "$rebuilt" "$(elapsed "$t")")
}

cmd_template() {
	local force=0
	[ "${1:-}" = --force ] && force=1
	lock
	claim
	ensure_packages
	ensure_key
	ensure_template "$force"
	echo "$TEMPLATE_JSON"
}

# ---------------------------------------------------------------------------------------------- nodes
node_ip() { sed -n 's/^lxc\.net\.0\.ipv4\.address = \([0-9.]*\)\/.*/\1/p' "$LXC_PATH/$1/config" 2>/dev/null; }

ssh_opts() {
	printf '%s\n' -F none -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=3 -o LogLevel=ERROR
}

# known_hosts for every existing node: "name,ip type key" per host key.
write_known_hosts() {
	local c name ip pub tmp="$KNOWN_HOSTS.tmp"
	: >"$tmp"
	for c in $(list_nodes); do
		name=$(sed -n 's/^lxc\.uts\.name = //p' "$LXC_PATH/$c/config")
		ip=$(node_ip "$c")
		[ -n "$ip" ] || continue
		for pub in "$LXC_PATH/$c"/overlay/delta/etc/ssh/ssh_host_*_key.pub; do
			[ -f "$pub" ] && awk -v h="$name,$ip" '{ print h, $1, $2 }' "$pub" >>"$tmp"
		done
	done
	mv "$tmp" "$KNOWN_HOSTS"
}

mac_for() { # $1 = first byte after the LXC OUI, $2 = IPv4 address
	local -a o
	IFS=. read -r -a o <<<"$2"
	printf '00:16:3e:%02x:%02x:%02x' "$1" "${o[2]}" "${o[3]}"
}

validate_specs() {
	local spec name ip last seen_names=" " seen_ips=" " c other
	[ $# -gt 0 ] || die "usage: up NAME:IP [NAME:IP ...]"
	for spec in "$@"; do
		name=${spec%%:*} ip=${spec#*:}
		[[ "$name" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "bad node name '$name' (lower case, digits, '-')"
		[[ "$ip" =~ ^${MGMT_NET//./\\.}\.([0-9]{1,3})$ ]] || die "bad address '$ip' (must be in $MGMT_NET.0/$MGMT_PREFIXLEN)"
		last=${BASH_REMATCH[1]}
		if [ "$last" -lt 2 ] || [ "$last" -gt 254 ] || { [ "$last" -ge "$DHCP_FIRST" ] && [ "$last" -le "$DHCP_LAST" ]; }; then
			die "address $ip is reserved (gateway/broadcast or lxc-net DHCP pool .$DHCP_FIRST-.$DHCP_LAST)"
		fi
		[[ "$seen_names" != *" $name "* ]] || die "duplicate node name $name"
		[[ "$seen_ips" != *" $ip "* ]] || die "duplicate address $ip"
		seen_names+="$name " seen_ips+="$ip "
	done
	# Another container (not one we are about to replace) must not hold one of the addresses.
	for c in $(lxc-ls -1 2>/dev/null); do
		[[ "$seen_names" == *" ${c#"$PREFIX"} "* && "$c" == "$PREFIX"* ]] && continue
		other=$(node_ip "$c")
		[ -n "$other" ] && [[ "$seen_ips" == *" $other "* ]] && die "address $other is used by container $c"
	done
	return 0
}

create_node() {
	local name="$1" ip="$2" hosts="$3" c="$PREFIX$1" cfg delta t
	cfg="$LXC_PATH/$c/config"
	lxc-copy -s -B overlay -n "$TEMPLATE" -N "$c" >&2
	delta="$LXC_PATH/$c/overlay/delta"
	[ -d "$delta" ] || die "lxc-copy did not create $delta"
	sed -i -e '/^lxc\.net\./d' -e '/^lxc\.uts\.name/d' "$cfg"
	cat >>"$cfg" <<EOF
# os-console acceptance node $name
lxc.uts.name = $name
lxc.net.0.type = veth
lxc.net.0.link = $MGMT_BRIDGE
lxc.net.0.flags = up
lxc.net.0.name = eth0
lxc.net.0.hwaddr = $(mac_for 10 "$ip")
lxc.net.0.ipv4.address = $ip/$MGMT_PREFIXLEN
lxc.net.0.ipv4.gateway = $MGMT_GW
lxc.net.1.type = veth
lxc.net.1.link = $PROVIDER_BRIDGE
lxc.net.1.flags = up
lxc.net.1.name = $PROVIDER_IF
lxc.net.1.hwaddr = $(mac_for 11 "$ip")
EOF
	if [ "$APT_CACHE" = 1 ]; then
		# Per node name, so concurrent apt runs on different nodes never share a lock.
		mkdir -p "$STATE_DIR/apt-archives/$name/partial"
		echo "lxc.mount.entry = $STATE_DIR/apt-archives/$name var/cache/apt/archives none bind,create=dir 0 0" >>"$cfg"
	fi
	# Per-node identity, written into the upper layer before the first boot.
	install -d -m 0755 "$delta/etc" "$delta/etc/ssh"
	install -d -m 0700 "$delta/root" "$delta/root/.ssh"
	echo "$name" >"$delta/etc/hostname"
	printf '%s\n' "$hosts" >"$delta/etc/hosts"
	tr -d '-' </proc/sys/kernel/random/uuid >"$delta/etc/machine-id"
	chmod 0444 "$delta/etc/machine-id"
	for t in ed25519 ecdsa rsa; do
		ssh-keygen -q -N '' -t "$t" -C "root@$name" -f "$delta/etc/ssh/ssh_host_${t}_key"
	done
	install -m 0600 "$KEY.pub" "$delta/root/.ssh/authorized_keys"
}

destroy_nodes() {
	local c
	for c in "$@"; do
		container_exists "$c" || continue
		lxc-stop -k -n "$c" >/dev/null 2>&1 || true
		lxc-destroy -n "$c" >&2 || die "lxc-destroy $c failed"
		log "destroyed $c"
	done
}

wait_ssh() {
	local deadline=$(($(date +%s) + $1)) ip state
	shift
	local -a opts pending=("$@") still
	mapfile -t opts < <(ssh_opts)
	while [ ${#pending[@]} -gt 0 ]; do
		still=()
		for ip in "${pending[@]}"; do
			ssh "${opts[@]}" "root@$ip" true 2>/dev/null || still+=("$ip")
		done
		pending=("${still[@]+"${still[@]}"}")
		[ ${#pending[@]} -eq 0 ] && break
		[ "$(date +%s)" -lt "$deadline" ] || die "no ssh answer from: ${pending[*]}"
		sleep 0.2
	done
	for ip in "$@"; do
		state=$(timeout 120 ssh "${opts[@]}" "root@$ip" systemctl is-system-running --wait 2>/dev/null || true)
		log "$ip answers ssh, systemd: $state"
		if [ "$state" != running ]; then
			log "$ip failed units: $(ssh "${opts[@]}" "root@$ip" systemctl --failed --no-legend --plain 2>&1 | tr '\n' ';')"
		fi
	done
}

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

cmd_up() {
	local spec name ip hosts t json first=1 kfirst pub line ed c
	local -a names=() ips=()
	t=$(date +%s.%N)
	lock
	claim
	validate_specs "$@"
	ensure_host
	ensure_template 0
	for spec in "$@"; do names+=("${spec%%:*}") ips+=("${spec#*:}"); done
	destroy_nodes "${names[@]/#/$PREFIX}"
	hosts=$(printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n# os-console acceptance nodes')
	for i in "${!names[@]}"; do hosts+=$(printf '\n%s\t%s' "${ips[$i]}" "${names[$i]}"); done
	for i in "${!names[@]}"; do create_node "${names[$i]}" "${ips[$i]}" "$hosts"; done
	write_known_hosts
	log "created ${names[*]} (overlay snapshots)"
	mkdir -p "$STATE_DIR/logs"
	for name in "${names[@]}"; do
		lxc-start -n "$PREFIX$name" -d -o "$STATE_DIR/logs/$PREFIX$name.log" -l INFO
	done
	log "started; waiting for ssh"
	wait_ssh 120 "${ips[@]}"
	json="{\"providerBridge\":\"$PROVIDER_BRIDGE\",\"managementBridge\":\"$MGMT_BRIDGE\",\"gateway\":\"$MGMT_GW\","
	json+="\"prefixLength\":$MGMT_PREFIXLEN,\"keyFile\":$(json_str "$KEY"),\"knownHostsFile\":$(json_str "$KNOWN_HOSTS"),\"nodes\":["
	for i in "${!names[@]}"; do
		name=${names[$i]} ip=${ips[$i]} c="$PREFIX${names[$i]}"
		[ $first = 1 ] || json+=","
		first=0
		json+="{\"name\":$(json_str "$name"),\"container\":$(json_str "$c"),\"ip\":\"$ip\",\"providerInterface\":\"$PROVIDER_IF\","
		json+="\"machineId\":\"$(cat "$LXC_PATH/$c/overlay/delta/etc/machine-id")\","
		ed=$(awk -v h="$ip" '{ print h, $1, $2 }' "$LXC_PATH/$c/overlay/delta/etc/ssh/ssh_host_ed25519_key.pub")
		json+="\"hostKeyLine\":$(json_str "$ed"),\"hostKeyLines\":["
		kfirst=1
		for pub in "$LXC_PATH/$c"/overlay/delta/etc/ssh/ssh_host_{ed25519,ecdsa,rsa}_key.pub; do
			line=$(awk -v h="$ip" '{ print h, $1, $2 }' "$pub")
			[ $kfirst = 1 ] || json+=","
			kfirst=0
			json+=$(json_str "$line")
		done
		json+="]}"
	done
	json+="],\"seconds\":$(elapsed "$t")}"
	log "up: ${names[*]} in $(elapsed "$t") s"
	echo "$json"
}

cmd_down() {
	local t name
	local -a cs=()
	t=$(date +%s.%N)
	lock
	claim
	for name in "$@"; do cs+=("$PREFIX${name#"$PREFIX"}"); done
	destroy_nodes "${cs[@]+"${cs[@]}"}"
	write_known_hosts
	log "down in $(elapsed "$t") s"
	printf '{"destroyed":%d,"seconds":%s}\n' "${#cs[@]}" "$(elapsed "$t")"
}

cmd_stale() {
	local t
	local -a cs
	t=$(date +%s.%N)
	lock
	claim
	mapfile -t cs < <(list_nodes)
	destroy_nodes "${cs[@]+"${cs[@]}"}"
	write_known_hosts 2>/dev/null || true
	printf '{"destroyed":['
	local first=1 c
	for c in "${cs[@]+"${cs[@]}"}"; do
		[ $first = 1 ] || printf ','
		first=0
		json_str "$c"
	done
	printf '],"seconds":%s}\n' "$(elapsed "$t")"
}

cmd_ssh() {
	local target="${1:?usage: ssh NAME [COMMAND...]}" ip
	shift
	ip=$(node_ip "$PREFIX${target#"$PREFIX"}")
	[ -n "$ip" ] || ip="$target"
	local -a opts
	mapfile -t opts < <(ssh_opts)
	if [ $# -eq 0 ] && [ -t 0 ]; then
		exec ssh "${opts[@]}" -t "root@$ip"
	fi
	exec ssh "${opts[@]}" "root@$ip" "$@"
}

cmd_status() {
	local c
	echo "template: $(cat "$LXC_PATH/$TEMPLATE/osc-template.version" 2>/dev/null || echo none) (current code: $(template_key))"
	echo "lxc-net: $(lxc_net_ok && echo "up, dhcp .$DHCP_FIRST-.$DHCP_LAST" || echo 'not running as configured')"
	echo "nodes:"
	for c in $(list_nodes); do echo "  $c $(lxc-info -s -H -n "$c") $(node_ip "$c")"; done
	echo "egress filter ($EGRESS):"
	nft list table inet "$NFT_TABLE" 2>/dev/null | sed 's/^/  /' || echo "  (none)"
	echo "disk:"
	du -sh "$STATE_DIR"/base "$LXC_PATH/$TEMPLATE" "$STATE_DIR"/debootstrap-cache "$STATE_DIR"/apt-archives/* \
		"$LXC_PATH"/"$PREFIX"*/overlay 2>/dev/null | sed 's/^/  /' || true
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
prereqs) cmd_prereqs ;;
template) cmd_template "$@" ;;
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
stale) cmd_stale ;;
ssh) cmd_ssh "$@" ;;
status) cmd_status ;;
*)
	sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
