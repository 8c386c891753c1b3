/**
 * Parsers against output captured from real debian12-zed deployments made by the acceptance test on LXC nodes:
 * one part way through (zctl and zcmp: keystone, glance, placement and the nova controller up; the compute node
 * not registered yet; neutron not installed), and one finished (controller and compute1, networking option 1),
 * healthy and then with services stopped and the catalog damaged on purpose
 * (test/acceptance/capture-states.sh). See test/fixtures/openstack-cli/README.md.
 */
import { describe, expect, it } from 'vitest';
import {
	parseCatalog,
	parseChrony,
	parseComputeServices,
	parseDatabase,
	parseImageList,
	parseMemcached,
	parseNetworkAgents,
	parsePlacement,
	parseRabbitUsers,
	parseToken,
	parseUpgradeCheck,
} from '../../source/verify/parsers.js';
import type { CheckParser } from '../../source/verify/types.js';
import { cloudProfile, context, deployedProfile, fixture } from './helpers.js';

const profile = cloudProfile({
	name: 'acceptance',
	nodes: [
		{ name: 'zctl', host: '10.0.3.61', roles: ['controller'], managementIp: '10.0.3.61' },
		{ name: 'zcmp', host: '10.0.3.62', roles: ['compute'], managementIp: '10.0.3.62' },
	],
});
const ctx = context('zctl', { profile });

function run(parser: CheckParser, name: string) {
	const base = `captured/${name}`;
	return parser(fixture(`${base}.stdout`), fixture(`${base}.stderr`), Number(fixture(`${base}.code`).trim()), ctx);
}

describe('captured from a real debian12-zed controller', () => {
	it('environment: database, RabbitMQ user, memcached pass; chrony with no sources fails', () => {
		expect(run(parseDatabase, 'mysql-select')).toEqual({
			status: 'pass',
			detail: 'the database answers as root over the unix socket (10.11.19-MariaDB-0+deb12u1)',
		});
		expect(run(parseRabbitUsers, 'rabbitmq-list-users')).toMatchObject({
			status: 'pass',
			detail: 'RabbitMQ user openstack exists (users: guest, openstack)',
		});
		expect(run(parseMemcached, 'memcached-version')).toEqual({
			status: 'pass',
			detail: 'memcached 1.6.18 answers on 10.0.3.61:11211',
		});
		expect(run(parseChrony, 'chrony-controller')).toMatchObject({
			status: 'fail',
			detail: 'chronyd on zctl has no time sources',
		});
	});

	it('keystone: tokens as admin and demo (token ids redacted in the fixture)', () => {
		expect(run(parseToken('admin'), 'token-issue-admin').status).toBe('pass');
		const demo = run(parseToken('demo'), 'token-issue-demo');
		expect(demo.status).toBe('pass');
		expect(demo.detail).toMatch(/^demo got a token for project [0-9a-f]{8}…, expires 2026-11-25T15:10:44\+0000$/);
	});

	it("glance: the runbook's test image is active", () => {
		expect(run(parseImageList, 'image-list')).toMatchObject({ status: 'pass' });
		expect(run(parseImageList, 'image-list').detail).toMatch(/^1 image; blank-qcow2-test is active/);
	});

	it('placement: the version document', () => {
		expect(run(parsePlacement, 'placement-root')).toEqual({
			status: 'pass',
			detail: 'the placement API answers: v1.0 CURRENT (microversions 1.0 to 1.39)',
		});
	});

	it('nova: services up but the compute node not registered yet; upgrade check all Success; catalog complete', () => {
		const services = run(parseComputeServices, 'compute-service-list');
		expect(services.status).toBe('fail');
		expect(services.detail).toBe('nova-compute on zcmp: not registered');
		expect(services.hint).toBe(
			"look at nova-compute on zcmp: systemctl status nova-compute; log /var/log/nova/nova-compute.log; then the nova-compute section's discover step",
		);
		const upgrade = run(parseUpgradeCheck, 'nova-status');
		expect(upgrade).toMatchObject({ status: 'pass' });
		expect(upgrade.detail).toMatch(/^all 7 checks Success/);
		expect(run(parseCatalog, 'catalog-list')).toMatchObject({
			status: 'pass',
			detail: 'the catalog has keystone (identity), nova (compute), glance (image), placement (placement)',
		});
	});

	it("neutron not installed yet: the client's own message", () => {
		const agents = run(parseNetworkAgents, 'network-agent-list');
		expect(agents.status).toBe('fail');
		expect(agents.detail).toBe(
			'openstack network agent list failed (exit 1): public endpoint for network service in RegionOne region not found',
		);
		expect(agents.hint).toBe(
			'look at neutron-server on zctl: systemctl status neutron-api; log /var/log/neutron/neutron-api.log',
		);
	});
});

/** The finished cloud (controller 10.0.3.11, compute1 10.0.3.31, networking option 1; README in the fixtures). */
const deployed = deployedProfile();
const onController = context('controller', { profile: deployed });

function runDeployed(parser: CheckParser, name: string, ctx = onController) {
	const base = `captured/${name}`;
	return parser(fixture(`${base}.stdout`), fixture(`${base}.stderr`), Number(fixture(`${base}.code`).trim()), ctx);
}

describe('captured from the finished debian12-zed cloud (after the acceptance deploy)', () => {
	it('nova: every compute service enabled and up, nova-compute on compute1', () => {
		expect(runDeployed(parseComputeServices, 'compute-service-list-healthy')).toEqual({
			status: 'pass',
			detail: '3 services enabled and up (controller: nova-scheduler, nova-conductor; compute1: nova-compute)',
		});
	});

	it('neutron: every agent of option 1 alive and up', () => {
		expect(runDeployed(parseNetworkAgents, 'network-agent-list-healthy')).toEqual({
			status: 'pass',
			detail: '4 expected agents alive and up for networking option 1 (provider) (4 listed)',
		});
	});

	it('the catalog with every service of the deployment', () => {
		expect(runDeployed(parseCatalog, 'catalog-list-complete')).toEqual({
			status: 'pass',
			detail:
				'the catalog has nova (compute), placement (placement), glance (image), keystone (identity), neutron (network)',
		});
	});

	it('nova-compute stopped on compute1 until nova reported it down: when it last reported', () => {
		expect(runDeployed(parseComputeServices, 'compute-service-list-compute-down')).toEqual({
			status: 'fail',
			detail: 'nova-compute on compute1: down since 17:19 UTC on 2026-11-25',
			hint: 'look at nova-compute on compute1: systemctl status nova-compute; log /var/log/nova/nova-compute.log',
		});
	});

	it('the Linux bridge agent stopped on compute1 until neutron reported it dead', () => {
		expect(runDeployed(parseNetworkAgents, 'network-agent-list-agent-dead')).toEqual({
			status: 'fail',
			detail: 'Linux bridge agent on compute1: not alive (false)',
			hint: 'look at neutron-linuxbridge-agent on compute1: systemctl status neutron-linuxbridge-agent; log /var/log/neutron/neutron-linuxbridge-agent.log',
		});
	});

	it('placement deleted from the catalog, compute left with its public endpoint only', () => {
		expect(runDeployed(parseCatalog, 'catalog-list-missing-placement')).toEqual({
			status: 'fail',
			detail: 'placement (placement): not in the catalog\ncompute (nova): no internal, admin endpoint',
			hint: 'openstack endpoint list; the service-entities step of the section that installs it',
		});
	});

	it('an image registered without data is queued', () => {
		const ctx = context('controller', { profile: deployedProfile({ settings: { IMAGE_NAME: 'queued-image' } }) });
		expect(runDeployed(parseImageList, 'image-list-queued', ctx)).toEqual({
			status: 'fail',
			detail: 'image queued-image is queued, not active',
			hint: 'look at glance-api on controller: systemctl status glance-api; log /var/log/glance/glance-api.log',
		});
	});
});
