#!/usr/bin/env bash
# Captures the unhealthy states the verification and launch parsers must read, for real, from a kept
# acceptance cloud (networking option 1):
#
#   OSC_KEEP_NODES=1 OSC_ACC_CAPTURE=test/fixtures/openstack-cli/captured npm run test:acceptance
#   bash test/acceptance/capture-states.sh [OUT_DIR]        # default test/fixtures/openstack-cli/captured
#   bash scripts/lxc-nodes.sh stale                          # then destroy the nodes
#
# It CHANGES the cloud, so only for a throwaway one: creates a server and reads it while it builds, registers an
# image without data through the image API (queued), stops nova-compute and the Linux bridge agent on compute1 until the controller
# reports them down, starts them again, and last deletes the placement service and two compute endpoints from
# the catalog. Each capture is NAME.stdout, NAME.stderr, NAME.code, from the command the console runs on the
# controller (credentials from /root/admin-openrc or demo-openrc, `-f json`). None of them prints a secret.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-test/fixtures/openstack-cli/captured}
mkdir -p "$out"

on() { bash scripts/lxc-nodes.sh ssh "$@"; }

# cap NAME CREDS OPENSTACK-ARGS: one capture on the controller.
cap() {
	local name=$1 creds=$2 args=$3 code=0
	on controller ". /root/$creds-openrc && openstack $args" >"$out/$name.stdout" 2>"$out/$name.stderr" || code=$?
	echo "$code" >"$out/$name.code"
	echo "captured $name (exit $code)"
}

# wait_for WHAT SECONDS COMMAND: until COMMAND (on the controller) succeeds.
wait_for() {
	local what=$1 limit=$2 command=$3 waited=0
	until on controller "$command" >/dev/null 2>&1; do
		[ "$waited" -lt "$limit" ] || { echo "gave up waiting for $what after ${limit}s" >&2; exit 1; }
		sleep 5
		waited=$((waited + 5))
	done
	echo "$what after ~${waited}s"
}

# A server while it builds: created and read at once, then deleted.
on controller '. /root/demo-openrc && openstack server create --flavor m1.nano --image blank-qcow2-test --network provider --key-name mykey -f value -c id building-instance >/dev/null'
cap server-show-build demo 'server show building-instance -f json'
on controller '. /root/demo-openrc && openstack server delete --wait building-instance'

# An image with no data yet: glance lists it as queued. Registered through the image API itself: the Zed
# client's `image create` without --file uploads empty data, and the image goes active.
# shellcheck disable=SC2016 # expanded on the controller
# The token goes to curl on its standard input (printf is a builtin), not in its arguments.
on controller '. /root/admin-openrc && osc_token=$(openstack token issue -f value -c id) &&
	printf "X-Auth-Token: %s\n" "$osc_token" | curl -sS -o /dev/null -w "%{http_code}\n" -X POST -H @- -H "Content-Type: application/json" \
		-d "{\"name\": \"queued-image\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\"}" http://controller:9292/v2/images'
cap image-list-queued admin 'image list -f json'
on controller '. /root/admin-openrc && openstack image delete queued-image'

# nova-compute and the Linux bridge agent on compute1 stopped until the controller says so
# (nova's service_down_time 60 s, neutron's agent_down_time 75 s).
on compute1 'systemctl stop nova-compute neutron-linuxbridge-agent'
trap "on compute1 'systemctl start nova-compute neutron-linuxbridge-agent' || true" EXIT
wait_for 'nova-compute on compute1 down' 240 \
	". /root/admin-openrc && openstack compute service list --service nova-compute --host compute1 -f value -c State | grep -qx down"
wait_for 'Linux bridge agent on compute1 dead' 240 \
	'. /root/admin-openrc && openstack network agent list --host compute1 --agent-type linux-bridge -f json | grep -q "\"Alive\": false"'
cap compute-service-list-compute-down admin 'compute service list --long -f json'
cap network-agent-list-agent-dead admin 'network agent list -f json'
on compute1 'systemctl start nova-compute neutron-linuxbridge-agent'
trap - EXIT
wait_for 'nova-compute on compute1 up again' 240 \
	". /root/admin-openrc && openstack compute service list --service nova-compute --host compute1 -f value -c State | grep -qx up"

# shellcheck disable=SC2016 # expanded on the controller
# Last, as it breaks the cloud: placement out of the catalog, compute left with its public endpoint only.
on controller '. /root/admin-openrc && openstack service delete placement &&
	for i in internal admin; do openstack endpoint list --service compute --interface "$i" -f value -c ID | xargs -r openstack endpoint delete; done'
cap catalog-list-missing-placement admin 'catalog list -f json'
