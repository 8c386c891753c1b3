/**
 * Shell helper functions that rendered scripts call. Values reach these functions as shell variables or
 * function arguments (which are not process arguments); external commands get them through their
 * environment or stdin, so secrets never show in `ps`. Each function is emitted only when a step uses it.
 */

/** Marker lines the engine reads from stdout (and strips from the output panes). */
export const MARKER_PREFIX = '@@osc:';
export const MARKER_ACTION = `${MARKER_PREFIX}action`;
export const MARKER_ALREADY_DONE = `${MARKER_PREFIX}already-done`;

const INI_SET_AWK = String.raw`
function trim(x) { sub(/^[ \t]+/, "", x); sub(/[ \t]+$/, "", x); return x }
BEGIN { s = ENVIRON["OSC_S"]; k = ENVIRON["OSC_K"]; v = ENVIRON["OSC_V"]; del = ENVIRON["OSC_DEL"] == "1"; insec = 0; seen = 0; done = 0 }
/^[ \t]*\[[^]]*\][ \t]*$/ {
	if (insec && !done && !del) { print k " = " v; done = 1 }
	name = $0; sub(/^[ \t]*\[/, "", name); sub(/\][ \t]*$/, "", name)
	insec = (name == s); if (insec) seen = 1
	print; next
}
insec && /^[ \t]*[^#;[ \t][^=]*=/ {
	key = trim(substr($0, 1, index($0, "=") - 1))
	if (key == k) { if (!done && !del) { print k " = " v; done = 1 } next }
}
{ print }
END {
	if (del) exit
	if (!seen) { print ""; print "[" s "]" }
	if (!done) print k " = " v
}`;

export const PRELUDE_FUNCTIONS: Record<string, string> = {
	osc_action: `osc_action() {
	printf '${MARKER_ACTION} %s/%s %s\\n' "$1" "$2" "$3"
}`,
	osc_ini: `# osc_ini FILE SECTION KEY VALUE|--unset: edit one key in place; never appends a second copy
osc_ini() {
	if [ ! -f "$1" ]; then
		echo "os-console: $1 does not exist (is the package that ships it installed?)" >&2
		return 1
	fi
	osc_tmp=$(mktemp "$1.osc.XXXXXX")
	if [ "$4" = --unset ]; then osc_del=1; else osc_del=0; fi
	OSC_S="$2" OSC_K="$3" OSC_V="$4" OSC_DEL="$osc_del" awk '${INI_SET_AWK.replaceAll("'", `'\\''`)}' "$1" > "$osc_tmp"
	if cmp -s "$osc_tmp" "$1"; then
		rm -f "$osc_tmp"
		echo "unchanged: $1 [$2] $3"
	else
		cat "$osc_tmp" > "$1"
		rm -f "$osc_tmp"
		if [ "$osc_del" = 1 ]; then echo "removed:   $1 [$2] $3"; else echo "set:       $1 [$2] $3"; fi
	fi
}`,
	osc_write_file: `# osc_write_file PATH MODE OWNER < content: replaces the file only when the content differs
osc_write_file() {
	mkdir -p "$(dirname "$1")"
	osc_tmp=$(mktemp "$1.osc.XXXXXX")
	cat > "$osc_tmp"
	if [ -f "$1" ] && cmp -s "$osc_tmp" "$1"; then
		rm -f "$osc_tmp"
		echo "unchanged: $1"
	else
		chmod "$2" "$osc_tmp" && chown "$3" "$osc_tmp" && mv -f "$osc_tmp" "$1"
		echo "wrote:     $1"
	fi
	chmod "$2" "$1"
	chown "$3" "$1"
}`,
	osc_pkg_apt: `# osc_pkg_apt [--no-recommends] [--no-start] [--upgrade] PACKAGE...: installs only what is missing
osc_pkg_apt() {
	osc_opts=""; osc_nostart=0; osc_upgrade=0
	while :; do
		case "$1" in
			--no-recommends) osc_opts="--no-install-recommends"; shift ;;
			--no-start) osc_nostart=1; shift ;;
			--upgrade) osc_upgrade=1; shift ;;
			*) break ;;
		esac
	done
	export DEBIAN_FRONTEND=noninteractive
	if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then apt-get update; fi
	if [ "$osc_upgrade" = 1 ]; then apt-get update && apt-get -y -o Dpkg::Options::=--force-confold dist-upgrade; return; fi
	osc_missing=""
	for osc_p in "$@"; do
		dpkg-query -W -f='\${Status}' "$osc_p" 2>/dev/null | grep -q 'install ok installed' || osc_missing="$osc_missing $osc_p"
	done
	if [ -z "$osc_missing" ]; then echo "already installed: $*"; return 0; fi
	osc_policy=0
	if [ "$osc_nostart" = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && osc_policy=1
	fi
	osc_rc=0
	# shellcheck disable=SC2086
	apt-get install -y -o Dpkg::Options::=--force-confold $osc_opts $osc_missing || osc_rc=$?
	if [ "$osc_rc" != 0 ]; then
		echo "os-console: apt-get install failed ($osc_rc); refreshing package lists and trying once more" >&2
		# shellcheck disable=SC2086
		apt-get update && apt-get install -y -o Dpkg::Options::=--force-confold $osc_opts $osc_missing && osc_rc=0
	fi
	if [ "$osc_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
	return "$osc_rc"
}`,
	osc_pkg_yum: `# osc_pkg_yum [--upgrade] PACKAGE...: installs only what is missing
osc_pkg_yum() {
	case "\${1:-}" in --no-recommends|--no-start) shift ;; esac
	case "\${1:-}" in --no-recommends|--no-start) shift ;; esac
	if [ "\${1:-}" = --upgrade ]; then yum -y upgrade; return; fi
	osc_missing=""
	for osc_p in "$@"; do rpm -q "$osc_p" >/dev/null 2>&1 || osc_missing="$osc_missing $osc_p"; done
	if [ -z "$osc_missing" ]; then echo "already installed: $*"; return 0; fi
	# shellcheck disable=SC2086
	yum install -y $osc_missing
}`,
	osc_service: `# osc_service started|restarted|stopped enable|keep NAME...: systemd where it runs, else the init scripts
osc_service() {
	osc_state=$1; osc_enable=$2; shift 2
	for osc_s in "$@"; do
		if [ -d /run/systemd/system ]; then
			if [ "$osc_enable" = enable ]; then systemctl enable "$osc_s" >/dev/null 2>&1 || systemctl enable "$osc_s"; fi
			case "$osc_state" in
				started) systemctl start "$osc_s" ;;
				restarted) systemctl restart "$osc_s" ;;
				stopped) systemctl stop "$osc_s" ;;
			esac
		else
			if [ "$osc_enable" = enable ] && command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$osc_s" defaults >/dev/null 2>&1 || true; fi
			case "$osc_state" in
				started) service "$osc_s" start ;;
				restarted) service "$osc_s" restart ;;
				stopped) service "$osc_s" stop ;;
			esac
		fi
		echo "$osc_state: $osc_s"
	done
}`,
	osc_service_changed: `# osc_service_changed enable|keep FILE... -- NAME...: restart each service only when one of the files changed
# since the console last restarted it on this node; otherwise only start it (nothing happens when it runs; init
# scripts' "status" misses daemons that rename themselves, so it is not asked).
# The files' checksums of that restart are kept in \${OSC_STATE_DIR:-/var/lib/os-console}/config-sums/.
osc_service_changed() {
	osc_sc_enable=$1; shift
	osc_sc_dir="\${OSC_STATE_DIR:-/var/lib/os-console}/config-sums"
	mkdir -p "$osc_sc_dir"
	osc_sc_now=$(mktemp "\${OSC_RUN_DIR:-/tmp}/osc-sums.XXXXXX")
	osc_sc_files=""
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		if [ -f "$1" ]; then osc_sc_sum=$(sha256sum < "$1"); else osc_sc_sum=missing; fi
		printf '%s %s\\n' "\${osc_sc_sum%% *}" "$1" >> "$osc_sc_now"
		osc_sc_files="$osc_sc_files $1"
		shift
	done
	shift
	for osc_sc_name in "$@"; do
		osc_sc_sums="$osc_sc_dir/$osc_sc_name.sums"
		if [ -f "$osc_sc_sums" ] && cmp -s "$osc_sc_now" "$osc_sc_sums"; then
			osc_service started "$osc_sc_enable" "$osc_sc_name" > /dev/null
			echo "not restarted: $osc_sc_name (unchanged since its last restart:$osc_sc_files; started if it was not running)"
		else
			osc_service restarted "$osc_sc_enable" "$osc_sc_name"
			cp "$osc_sc_now" "$osc_sc_sums.tmp" && mv -f "$osc_sc_sums.tmp" "$osc_sc_sums"
		fi
	done
	rm -f "$osc_sc_now"
}`,
	osc_pkg_lock_holders: `# osc_pkg_lock_holders: "pid N (command), ..." for each process holding a dpkg/apt lock (/proc/locks) or yum's pid file
osc_pkg_lock_holders() {
	osc_lk_pids=""
	# shellcheck disable=SC2086
	for osc_lk in \${OSC_PKG_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}; do
		[ -e "$osc_lk" ] || continue
		osc_lk_dev=$(stat -c %d "$osc_lk" 2>/dev/null) || continue
		osc_lk_ino=$(stat -c %i "$osc_lk" 2>/dev/null) || continue
		# /proc/locks names a file MAJOR:MINOR:INODE (hex device numbers)
		osc_lk_id=$(printf '%02x:%02x:%s' $(( (osc_lk_dev >> 8) & 4095 )) $(( (osc_lk_dev & 255) | ((osc_lk_dev >> 12) & 1048320) )) "$osc_lk_ino")
		osc_lk_pids="$osc_lk_pids $(awk -v id="$osc_lk_id" '$2 != "->" && $6 == id { print $5 }' /proc/locks 2>/dev/null | tr '\\n' ' ')"
	done
	osc_lk_pidfile="\${OSC_YUM_PID:-/var/run/yum.pid}"
	if [ -s "$osc_lk_pidfile" ]; then
		osc_lk_pid=$(head -n 1 "$osc_lk_pidfile")
		case "$osc_lk_pid" in *[!0-9]* | '') ;; *) if kill -0 "$osc_lk_pid" 2>/dev/null; then osc_lk_pids="$osc_lk_pids $osc_lk_pid"; fi ;; esac
	fi
	osc_lk_seen=" "
	osc_lk_out=""
	for osc_lk_pid in $osc_lk_pids; do
		case "$osc_lk_seen" in *" $osc_lk_pid "*) continue ;; esac
		osc_lk_seen="$osc_lk_seen$osc_lk_pid "
		osc_lk_cmd=$(tr '\\0\\n' '  ' < "/proc/$osc_lk_pid/cmdline" 2>/dev/null | cut -c1-120) || osc_lk_cmd=""
		osc_lk_out="\${osc_lk_out:+$osc_lk_out, }pid $osc_lk_pid (\${osc_lk_cmd% })"
	done
	printf '%s' "$osc_lk_out"
}`,
	osc_pkg_wait_lock: `# osc_pkg_wait_lock SECONDS: while another process (unattended-upgrades on a fresh node, say) holds the package
# manager's lock, wait for it, at most SECONDS; then fail naming it
osc_pkg_wait_lock() {
	osc_lw_deadline=$(( $(date +%s) + $1 ))
	osc_lw_said=""
	while :; do
		osc_lw_holders=$(osc_pkg_lock_holders)
		if [ -z "$osc_lw_holders" ]; then
			if [ -n "$osc_lw_said" ]; then echo "the package manager's lock is free"; fi
			return 0
		fi
		if [ "$(date +%s)" -ge "$osc_lw_deadline" ]; then
			echo "os-console: the package manager's lock is still held after $1 s by: $osc_lw_holders" >&2
			echo "os-console: let it finish (unattended-upgrades logs to /var/log/unattended-upgrades/) or stop it, then run the step again" >&2
			return 1
		fi
		if [ "$osc_lw_holders" != "$osc_lw_said" ]; then
			echo "waiting up to $1 s for the package manager's lock, held by: $osc_lw_holders"
			osc_lw_said=$osc_lw_holders
		fi
		sleep 2
	done
}`,
	osc_sql_socket: `# osc_sql < statements: as the database root user over the unix socket
osc_sql() {
	mysql --user=root --batch
}`,
	osc_sql_password: `# osc_sql < statements: as the database root user; the password goes through a 0600 defaults file
osc_sql() {
	osc_cnf="\${OSC_RUN_DIR:-/tmp}/osc-my.cnf"
	( umask 077; printf '[client]\\nuser=root\\npassword=%s\\n' "$DB_ROOT_PASS" > "$osc_cnf" )
	osc_rc=0
	mysql --defaults-extra-file="$osc_cnf" --batch || osc_rc=$?
	rm -f "$osc_cnf"
	return "$osc_rc"
}`,
	osc_openstack: `# osc_openstack admin|demo SECRET_SPEC ARG...: the OpenStack client, credentials in its environment;
# SECRET_SPEC ("INDEX:NAME ...") places secret values into argument slots inside Python, so they never
# appear in the process arguments that ps shows.
OSC_OPENSTACK_PY='import os, sys
from openstackclient import shell
argv = sys.argv[1:]
for spec in os.environ.get("OSC_SECRET_ARGS", "").split():
    index, name = spec.split(":", 1)
    argv[int(index)] = os.environ[name]
sys.exit(shell.main(argv))'
osc_openstack() {
	(
		"osc_creds_$1"
		for osc_spec in $2; do export "\${osc_spec#*:}"; done
		OSC_SECRET_ARGS="$2"
		export OSC_SECRET_ARGS
		shift 2
		exec "$OSC_PYTHON" -c "$OSC_OPENSTACK_PY" "$@"
	)
}
# osc_exists admin|demo ARG...: true when the command succeeds and prints something
osc_exists() {
	osc_creds=$1; shift
	osc_out=$(osc_openstack "$osc_creds" "" "$@" 2>/dev/null) && [ -n "$osc_out" ]
}`,
};
