/**
 * Parsers against output of the real tools (chronyc, mysql, rabbitmqctl, memcached, the OpenStack client
 * without a cloud, oslo.upgradecheck's formatter) and against the documented JSON shapes of the OpenStack
 * CLI (test/fixtures/openstack-cli/README.md says which is which).
 */
import { describe, expect, it } from 'vitest';
import {
	describeTimestamp,
	errorLine,
	parseCatalog,
	parseChrony,
	parseComputeServices,
	parseDatabase,
	parseImageList,
	parseJsonOutput,
	parseMemcached,
	parseNetworkAgents,
	parsePlacement,
	parseRabbitUsers,
	parseToken,
	parseUpgradeCheck,
	parseUpgradeCheckTable,
	truthy,
} from '../../source/verify/parsers.js';
import { cloudProfile, context, deployedProfile, fixture } from './helpers.js';

const code = (name: string) => Number(fixture(name).trim());
/** The controller of the cloud the captures in captured/ (but the zctl ones) come from. */
const deployed = () => context('controller', { profile: deployedProfile() });

describe('chrony (real chronyc -c -n sources output)', () => {
	const profile = cloudProfile({
		nodes: [
			{ name: 'controller', host: '127.0.0.1', roles: ['controller'], managementIp: '127.0.0.1' },
			{ name: 'compute1', host: '127.0.0.3', roles: ['compute'], managementIp: '127.0.0.3' },
		],
	});

	it('passes on a compute node synchronized to the controller and names the source that does not answer', () => {
		const out = parseChrony(
			fixture('chrony/sources-selected-and-unreachable.csv'),
			'',
			0,
			context('compute1', { profile }),
		);
		expect(out.status).toBe('pass');
		expect(out.detail).toMatch(/^synchronized to 127\.0\.0\.1 \(stratum 10, reach 377\)/);
		expect(out.detail).toContain('not answering: 127.0.0.9 (reach 0)');
	});

	it('fails when no source answers, naming each', () => {
		const out = parseChrony(fixture('chrony/sources-unreachable.csv'), '', 0, context('controller', { profile }));
		expect(out.status).toBe('fail');
		expect(out.detail).toBe('no time source answers on controller: 127.0.0.9 (reach 0)');
		expect(out.hint).toBe('look at chrony on controller: systemctl status chrony; journalctl -u chrony');
	});

	it('fails on a compute node whose sources do not include the controller', () => {
		const out = parseChrony(fixture('chrony/sources-selected-and-unreachable.csv'), '', 0, context('compute1'));
		expect(out.status).toBe('fail');
		expect(out.detail).toContain('compute1 does not take its time from the controller (127.0.0.2)');
	});

	it("fails with chronyc's own words (on stdout) when chronyd is not running", () => {
		const out = parseChrony(
			fixture('chrony/no-daemon.stdout'),
			fixture('chrony/no-daemon.stderr'),
			1,
			context('controller', { runbook: 'centos7-ocata' }),
		);
		expect(out.status).toBe('fail');
		expect(out.detail).toBe('chronyc sources failed (exit 1): 506 Cannot talk to daemon');
		expect(out.hint).toContain('systemctl status chronyd');
	});
});

describe('environment services (real output)', () => {
	it('database: passes on the real mysql --batch answer, fails on the real socket error', () => {
		const ok = parseDatabase(fixture('mariadb/select.stdout'), '', 0, context());
		expect(ok).toEqual({
			status: 'pass',
			detail: 'the database answers as root over the unix socket (10.11.19-MariaDB-0+deb12u1)',
		});
		const down = parseDatabase(
			'',
			fixture('mariadb/down.stderr'),
			1,
			context('controller', { runbook: 'centos7-ocata' }),
		);
		expect(down.status).toBe('fail');
		expect(down.detail).toContain("ERROR 2002 (HY000): Can't connect to local server through socket");
		expect(down.hint).toBe('look at mariadb on controller: systemctl status mariadb; log /var/log/mariadb/mariadb.log');
	});

	it('rabbitmq: user present, user missing, broker down', () => {
		expect(parseRabbitUsers(fixture('rabbitmq/list-users.stdout'), '', 0, context()).status).toBe('pass');
		const missing = parseRabbitUsers(fixture('rabbitmq/list-users-no-openstack.stdout'), '', 0, context());
		expect(missing.status).toBe('fail');
		expect(missing.detail).toBe('RabbitMQ has no user "openstack" (users: guest)');
		const down = parseRabbitUsers('', fixture('rabbitmq/down.stderr'), code('rabbitmq/down.code'), context());
		expect(down.detail).toMatch(
			/^rabbitmqctl list_users failed \(exit 69\): Error: unable to perform an operation on node/,
		);
		expect(down.hint).toContain('systemctl status rabbitmq-server');
	});

	it('memcached: version answer, connection refused', () => {
		const ok = parseMemcached(fixture('memcached/version.stdout'), '', 0, context());
		expect(ok).toEqual({ status: 'pass', detail: 'memcached 1.6.18 answers on 127.0.0.2:11211' });
		const refused = parseMemcached('', fixture('memcached/refused.stderr'), 1, context());
		expect(refused.status).toBe('fail');
		expect(refused.detail).toBe('memcached does not answer on 127.0.0.2:11211: [Errno 111] Connection refused');
		expect(refused.hint).toContain('log /var/log/memcached.log');
	});
});

describe('keystone', () => {
	it('token issue passes without showing the token', () => {
		const out = parseToken('admin')(fixture('captured/token-issue-admin.stdout'), '', 0, context());
		expect(out.status).toBe('pass');
		expect(out.detail).toBe('admin got a token for project 042ca735…, expires 2026-11-25T15:10:40+0000');
		expect(out.detail).not.toContain('gAAAA');
	});

	it('keystone unreachable: the real client error, shortened', () => {
		const out = parseToken('demo')(
			fixture('unreachable/token-issue.stdout'),
			fixture('unreachable/token-issue.stderr'),
			code('unreachable/token-issue.code'),
			context(),
		);
		expect(out.status).toBe('fail');
		expect(out.detail).toBe(
			'openstack token issue as demo failed (exit 1): Unable to establish connection to http://127.0.0.1:5999/v3/auth/tokens',
		);
		expect(out.hint).toContain('DEMO_PASS');
		expect(out.hint).toContain('/var/log/keystone/keystone.log');
	});

	it('the client missing on the node', () => {
		const out = parseToken('admin')(
			'',
			'Traceback (most recent call last):\n  File "<string>", line 2, in <module>\nModuleNotFoundError: No module named \'openstackclient\'',
			1,
			context(),
		);
		expect(out.detail).toContain('the OpenStack client is not installed');
	});
});

describe('glance', () => {
	it('the test image of the runbook is active', () => {
		const zed = parseImageList(fixture('captured/image-list.stdout'), '', 0, context());
		expect(zed.status).toBe('pass');
		expect(zed.detail).toContain('blank-qcow2-test is active');
	});

	it('fails when the image is queued or missing', () => {
		const queued = parseImageList(
			fixture('captured/image-list-queued.stdout'),
			'',
			0,
			context('controller', { profile: cloudProfile({ settings: { IMAGE_NAME: 'queued-image' } }) }),
		);
		expect(queued).toMatchObject({ status: 'fail', detail: 'image queued-image is queued, not active' });
		const missing = parseImageList(
			fixture('captured/image-list.stdout'),
			'',
			0,
			context('controller', { runbook: 'centos7-ocata' }),
		);
		expect(missing.detail).toBe('the test image cirros is not in the image list (images: blank-qcow2-test)');
		expect(missing.hint).toContain('/var/log/glance/api.log');
	});
});

describe('placement', () => {
	it('the version document', () => {
		const out = parsePlacement(fixture('captured/placement-root.stdout'), '', 0, context());
		expect(out).toEqual({
			status: 'pass',
			detail: 'the placement API answers: v1.0 CURRENT (microversions 1.0 to 1.39)',
		});
	});
	it('HTTP 503 and connection refused', () => {
		const unavailable = parsePlacement(fixture('docs-shape/placement-503.txt'), '', 0, context());
		expect(unavailable.status).toBe('fail');
		expect(unavailable.detail).toMatch(/^the placement API answers HTTP 503: <html>/);
		expect(unavailable.hint).toBe(
			'look at placement on controller: systemctl status placement-api; log /var/log/placement/placement-api.log',
		);
		const refused = parsePlacement(
			'\nosc-http-status 000\n',
			"curl: (7) Failed to connect to controller port 8778 after 0 ms: Couldn't connect to server",
			7,
			context(),
		);
		expect(refused.detail).toBe(
			"the placement API failed (exit 7): curl: (7) Failed to connect to controller port 8778 after 0 ms: Couldn't connect to server",
		);
	});
});

describe('nova', () => {
	it('compute service list: all enabled and up, one nova-compute per compute node', () => {
		const out = parseComputeServices(fixture('captured/compute-service-list-healthy.stdout'), '', 0, deployed());
		expect(out.status).toBe('pass');
		expect(out.detail).toBe(
			'3 services enabled and up (controller: nova-scheduler, nova-conductor; compute1: nova-compute)',
		);
	});

	it('a compute service down (with when it last reported) and one not registered', () => {
		// Captured on the two-node cloud with nova-compute stopped on compute1; read for a profile that also has compute2.
		const out = parseComputeServices(fixture('captured/compute-service-list-compute-down.stdout'), '', 0, context());
		expect(out.status).toBe('fail');
		expect(out.detail.split('\n')).toEqual([
			'nova-compute on compute1: down since 17:19 UTC on 2026-11-25',
			'nova-compute on compute2: not registered',
		]);
		expect(out.hint).toBe(
			'look at nova-compute on compute1: systemctl status nova-compute; log /var/log/nova/nova-compute.log',
		);
	});

	it('Ocata shape (integer ids, nova-consoleauth) with a disabled service', () => {
		const out = parseComputeServices(
			fixture('docs-shape/compute-service-list-ocata.stdout'),
			'',
			0,
			context('controller', { runbook: 'centos7-ocata' }),
		);
		expect(out.status).toBe('fail');
		expect(out.detail).toBe('nova-compute on compute1: disabled (maintenance)');
		expect(out.hint).toBe('openstack compute service set --enable compute1 nova-compute');
	});

	it('Ocata expects nova-consoleauth on the controller; Zed does not', () => {
		const zedList = fixture('captured/compute-service-list-healthy.stdout');
		const out = parseComputeServices(
			zedList,
			'',
			0,
			context('controller', { runbook: 'centos7-ocata', profile: deployedProfile() }),
		);
		expect(out.detail).toBe('nova-consoleauth on controller: not registered');
		expect(out.hint).toContain('openstack-nova-consoleauth');
	});

	it("nova-status upgrade check: the real formatter's table, Success, Failure and Warning", () => {
		expect(parseUpgradeCheckTable(fixture('nova-status/zed-success.txt'))).toHaveLength(7);
		const ok = parseUpgradeCheck(fixture('nova-status/zed-success.txt'), '', 0, context());
		expect(ok.status).toBe('pass');
		expect(ok.detail).toMatch(/^all 7 checks Success \(Cells v2, Placement API, /);
		const failure = parseUpgradeCheck(
			fixture('nova-status/zed-failure.txt'),
			'',
			code('nova-status/zed-failure.code'),
			context(),
		);
		expect(failure.status).toBe('fail');
		expect(failure.detail).toBe(
			"Cells v2: Failure (No host mappings found but there are compute nodes. Run command 'nova-manage cell_v2 simple_cell_setup' and then retry.)",
		);
		const warning = parseUpgradeCheck(
			fixture('nova-status/ocata-warning.txt'),
			'',
			code('nova-status/ocata-warning.code'),
			context('controller', { runbook: 'centos7-ocata' }),
		);
		expect(warning.status).toBe('fail');
		expect(warning.detail).toMatch(
			/^Resource Providers: Warning \(There are no compute resource providers in the Placement service .* See https:\/\/docs\.openstack\.org\/nova\/latest\/user\/placement\.html for more details\.\)$/,
		);
		const missing = parseUpgradeCheck('', 'sh: 1: nova-status: not found', 127, context());
		expect(missing.detail).toBe('nova-status upgrade check: command not found: sh: 1: nova-status: not found');
	});

	it('catalog: both client shapes, and a missing service or endpoint', () => {
		expect(parseCatalog(fixture('captured/catalog-list-complete.stdout'), '', 0, context()).status).toBe('pass');
		expect(parseCatalog(fixture('docs-shape/catalog-list-ocata.stdout'), '', 0, context()).status).toBe('pass');
		const out = parseCatalog(fixture('captured/catalog-list-missing-placement.stdout'), '', 0, context());
		expect(out.status).toBe('fail');
		expect(out.detail.split('\n')).toEqual([
			'placement (placement): not in the catalog',
			'compute (nova): no internal, admin endpoint',
		]);
	});
});

describe('neutron', () => {
	it('provider networks: every expected agent alive and up', () => {
		const out = parseNetworkAgents(fixture('captured/network-agent-list-healthy.stdout'), '', 0, deployed());
		expect(out.status).toBe('pass');
		expect(out.detail).toBe('4 expected agents alive and up for networking option 1 (provider) (4 listed)');
	});

	it('an agent not alive and agents missing', () => {
		// Captured on the two-node option-1 cloud with the agent stopped on compute1; read for a three-node
		// self-service profile, which also expects an L3 agent and compute2's agent.
		const out = parseNetworkAgents(fixture('captured/network-agent-list-agent-dead.stdout'), '', 0, context());
		expect(out.status).toBe('fail');
		expect(out.detail.split('\n')).toEqual([
			'L3 agent (neutron-l3-agent) on controller: not registered',
			'Linux bridge agent on compute1: not alive (false)',
			'Linux bridge agent (neutron-linuxbridge-agent) on compute2: not registered',
		]);
		expect(out.hint).toBe(
			'look at neutron-l3-agent on controller: systemctl status neutron-l3-agent; log /var/log/neutron/neutron-l3-agent.log',
		);
	});

	it('provider option does not expect the L3 agent; the Ocata client\'s ":-)"/"XXX" text', () => {
		const profile = cloudProfile({
			network: { ...cloudProfile().network, option: 'provider' },
		});
		const out = parseNetworkAgents(
			fixture('docs-shape/network-agent-list-ocata-dead.stdout'),
			'',
			0,
			context('controller', { runbook: 'centos7-ocata', profile }),
		);
		expect(out.status).toBe('fail');
		expect(out.detail).toBe('Linux bridge agent on compute2: not alive (XXX)');
		expect(out.hint).toBe(
			'look at neutron-linuxbridge-agent on compute2: systemctl status neutron-linuxbridge-agent; log /var/log/neutron/linuxbridge-agent.log',
		);
	});
});

describe('helpers', () => {
	it('truthy reads both client generations', () => {
		expect([true, ':-)', 'UP', 'up', 'enabled', 'True'].every(truthy)).toBe(true);
		expect([false, 'XXX', 'DOWN', 'down', 'disabled', null, undefined].some(truthy)).toBe(false);
	});
	it('JSON after stray lines, and not JSON', () => {
		expect(parseJsonOutput('note: something\n[{"a": 1}]')).toEqual({ ok: true, value: [{ a: 1 }] });
		expect(parseJsonOutput('+----+\n| ID |')).toMatchObject({ ok: false });
	});
	it('timestamps and error lines', () => {
		expect(describeTimestamp('2024-05-10T12:03:09.000000')).toBe('12:03 UTC on 2024-05-10');
		expect(errorLine('The request you have made requires authentication. (HTTP 401) (Request-ID: req-1a2b)')).toBe(
			'The request you have made requires authentication. (HTTP 401)',
		);
	});
});
