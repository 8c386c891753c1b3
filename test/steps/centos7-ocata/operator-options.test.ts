/**
 * The optional features an operator benefits from, where centos7-ocata uses them: the first package install on
 * each node waits for yum's lock (yum-cron on a fresh node), a wait for an instance stops at once on ERROR with
 * nova's fault, and a service restarted after config edits is restarted only when its files changed (so a re-run
 * of a finished section does not bounce it). The features themselves are run for real in
 * test/runbook/render-options.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Action } from '../../../source/runbook/model.js';
import { activeActions } from '../../../source/runbook/render.js';
import { replaceLostServer, serverSettles } from '../../../source/steps/shared/launch.js';
import { FIRST_INSTALL_LOCK_TIMEOUT_SEC } from '../../../source/steps/shared/packages.js';
import { firstPackageInstalls } from '../shared/operator-options.js';
import { exampleProfile, renderAll, runbook } from './helpers.js';

const PROFILES = (['two-node', 'all-in-one'] as const).flatMap((name) =>
	(['provider', 'selfservice'] as const).map((option) => ({
		name: `${name}, ${option}`,
		profile: exampleProfile(name, option),
	})),
);

function actions(): { where: string; section: string; action: Action }[] {
	return runbook().sections.flatMap((section) =>
		section.steps.flatMap((step) =>
			step.actions.map((action) => ({ where: `${section.id}/${step.id}`, section: section.id, action })),
		),
	);
}

describe.each(PROFILES)('centos7-ocata ($name)', ({ profile }) => {
	it('the first package install on every node waits for the package manager lock', () => {
		const first = firstPackageInstalls(runbook(), profile);
		expect(first.map((f) => f.node).sort()).toEqual(profile.nodes.map((n) => n.name).sort());
		for (const { node, entry, action } of first) {
			expect(entry.section.id, node).toBe('environment');
			expect(action.lockTimeoutSec, node).toBe(FIRST_INSTALL_LOCK_TIMEOUT_SEC);
			expect(entry.rendered.script, node).toContain(
				`osc_pkg_wait_lock ${FIRST_INSTALL_LOCK_TIMEOUT_SEC}\nosc_pkg_yum `,
			);
			// the step's own timeout leaves room for the lock wait and the install after it
			expect(entry.step.timeoutSec, node).toBeGreaterThanOrEqual(FIRST_INSTALL_LOCK_TIMEOUT_SEC + 300);
		}
	});

	it('every instance step replaces a server that never ran, then waits with the shared wait (ERROR stops it)', () => {
		const steps = renderAll(runbook(), profile).filter((e) => /-instance$/.test(e.step.id));
		expect(steps.map((e) => e.step.id)).toEqual(
			profile.network.option === 'selfservice' ? ['provider-instance', 'selfservice-instance'] : ['provider-instance'],
		);
		for (const e of steps) {
			const actions = activeActions(runbook(), e.step, profile, e.node);
			const create = actions.findIndex((a) => a.kind === 'shell' && a.describe.startsWith('openstack server create'));
			expect(actions[create - 1], e.key).toEqual(Action.parse(replaceLostServer(e.step.id)));
			expect(actions[create + 1], e.key).toEqual(Action.parse(serverSettles(e.step.id, 600, 5)));
			expect(e.rendered.script, e.key).toContain('if osc_failed=$( ( osc_server=');
		}
	});
});

describe('centos7-ocata service restarts', () => {
	const restarts = actions().filter(
		(a): a is { where: string; section: string; action: Extract<Action, { kind: 'service' }> } =>
			a.action.kind === 'service' && a.action.state === 'restarted',
	);

	it('every restart is a restart when the configuration changed', () => {
		expect(restarts.length).toBeGreaterThan(10);
		expect(restarts.filter((r) => !r.action.restartWhenChanged).map((r) => r.where)).toEqual([]);
		const names = new Set(restarts.flatMap((r) => r.action.names));
		for (const name of ['chronyd', 'mariadb', 'memcached', 'httpd', 'openstack-glance-api', 'openstack-nova-api'])
			expect(names).toContain(`${name}.service`);
		for (const name of ['neutron-server', 'neutron-linuxbridge-agent', 'openstack-nova-compute'])
			expect(names).toContain(`${name}.service`);
	});

	it('a service names the same files wherever it is restarted (its checksums are kept per service name)', () => {
		const lists = new Map<string, string>();
		const differing: string[] = [];
		for (const { where, action } of restarts) {
			for (const name of action.names) {
				const files = JSON.stringify(action.restartWhenChanged);
				const prior = lists.get(name);
				if (prior !== undefined && prior !== files) differing.push(`${name} at ${where}: ${files} vs ${prior}`);
				lists.set(name, files);
			}
		}
		expect(differing).toEqual([]);
		// httpd serves keystone and the placement API: both their configurations count
		expect(JSON.parse(lists.get('httpd.service')!)).toEqual(
			expect.arrayContaining(['/etc/keystone/keystone.conf', '/etc/httpd/conf.d/00-nova-placement-api.conf']),
		);
	});

	it('each config file a section edits is watched by a restart in that section', () => {
		const unwatched: string[] = [];
		for (const section of runbook().sections) {
			const inSection = actions().filter((a) => a.section === section.id);
			const watched = new Set(
				inSection.flatMap(({ action }) => (action.kind === 'service' ? (action.restartWhenChanged ?? []) : [])),
			);
			for (const { where, action } of inSection) {
				const file = action.kind === 'ini' ? action.file : action.kind === 'file' ? action.path : undefined;
				if (file?.startsWith('/etc/') && !watched.has(file)) unwatched.push(`${where}: ${file}`);
			}
		}
		expect(unwatched).toEqual([]);
	});

	it('renders as osc_service_changed with the files and the services', () => {
		const e = renderAll(runbook(), exampleProfile('two-node')).find((x) => x.key === 'glance/services@controller')!;
		expect(e.rendered.script).toContain(
			"osc_service_changed enable '/etc/glance/glance-api.conf' '/etc/glance/glance-registry.conf' -- openstack-glance-api.service openstack-glance-registry.service",
		);
	});
});
