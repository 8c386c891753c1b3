/**
 * The debian12-zed runbook as data: it validates, the example profiles fit it, profile values reach only the
 * profile they belong to, secrets never appear in script text, and the properties the runbook promises
 * (Debian deviations handled, no sleeps, packages without recommends and without auto-start, one value per
 * config key across sections) hold.
 */
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../source/profile/schema.js';
import { Action, type Runbook } from '../../../source/runbook/model.js';
import { checkSettings, getRunbook, listRunbooks, validateRunbook } from '../../../source/runbook/registry.js';
import { activeActions, renderSecretsEnv, renderStep } from '../../../source/runbook/render.js';
import { SECRET_NAMES } from '../../../source/runbook/variables.js';
import { debian12ZedRunbook } from '../../../source/steps/debian12-zed/index.js';
import { SERVICE_CONFIG } from '../../../source/steps/debian12-zed/lib.js';
import { replaceLostServer, serverSettles } from '../../../source/steps/shared/launch.js';
import { FIRST_INSTALL_LOCK_TIMEOUT_SEC } from '../../../source/steps/shared/packages.js';
import { firstPackageInstalls } from '../shared/operator-options.js';
import { exampleProfile, otherProfile, renderAll, runbook, secretsWithPrefix } from './helpers.js';

function iniSettings(rb: Runbook, profile: Profile, nodeName: string) {
	const node = profile.nodes.find((n) => n.name === nodeName)!;
	const seen = new Map<string, { value: string; where: string }>();
	const conflicts: string[] = [];
	for (const section of rb.sections) {
		for (const step of section.steps) {
			const onNode = step.on === 'all' || node.roles.includes(step.on);
			if (!onNode) continue;
			for (const action of activeActions(rb, step, profile)) {
				if (action.kind !== 'ini') continue;
				for (const [s, k, v] of action.set) {
					const key = `${action.file} [${s}] ${k}`;
					const prior = seen.get(key);
					if (prior && prior.value !== v) {
						conflicts.push(`${key}: "${prior.value}" (${prior.where}) vs "${v}" (${section.id}/${step.id})`);
					}
					seen.set(key, { value: v, where: `${section.id}/${step.id}` });
				}
				for (const [s, k] of action.unset) {
					const key = `${action.file} [${s}] ${k}`;
					if (seen.has(key))
						conflicts.push(`${key}: set in ${seen.get(key)!.where}, removed in ${section.id}/${step.id}`);
				}
			}
		}
	}
	return { seen, conflicts };
}

function allActions(rb: Runbook): { where: string; action: Action }[] {
	return rb.sections.flatMap((section) =>
		section.steps.flatMap((step) => step.actions.map((action) => ({ where: `${section.id}/${step.id}`, action }))),
	);
}

describe('debian12-zed runbook', () => {
	it('validates and is registered', () => {
		expect(() => validateRunbook(debian12ZedRunbook)).not.toThrow();
		expect(listRunbooks().map((r) => r.id)).toContain('debian12-zed');
		expect(runbook().sections.map((s) => s.id)).toEqual([
			'environment',
			'keystone',
			'glance',
			'placement',
			'nova-controller',
			'nova-compute',
			'neutron-controller',
			'neutron-compute',
			'launch-instance',
		]);
	});

	it('the example profiles name it and their settings are valid', () => {
		for (const name of ['two-node', 'all-in-one'] as const) {
			const profile = exampleProfile(name);
			expect(profile.runbook).toBe('debian12-zed');
			expect(checkSettings(getRunbook(profile.runbook), profile.settings)).toEqual([]);
		}
		expect(checkSettings(runbook(), otherProfile().settings)).toEqual([]);
		expect(checkSettings(runbook(), { UWSGI_PROCESSES: '0' })).toHaveLength(1);
		expect(checkSettings(runbook(), { UWSGI_PROCESSES: '2; reboot' })).toHaveLength(1);
		expect(checkSettings(runbook(), { IMAGE_URL: "http://x/'a" })).toHaveLength(1);
	});

	it('the uwsgi worker count comes from the UWSGI_PROCESSES setting (default 2)', () => {
		const rb = runbook();
		expect(rb.settings.find((s) => s.name === 'UWSGI_PROCESSES')?.default).toBe('2');
		const uwsgiFiles = allActions(rb)
			.map(({ action }) => action)
			.filter((a) => a.kind === 'ini' && a.file.endsWith('-uwsgi.ini') && a.set.some(([, key]) => key === 'processes'))
			.map((a) => (a.kind === 'ini' ? a.file : ''));
		// The uwsgi APIs that talk to RabbitMQ send heartbeats from a native thread (an idle worker's connection is
		// closed by RabbitMQ otherwise, and the next message it publishes can be lost).
		const heartbeatFiles = allActions(rb)
			.map(({ action }) => action)
			.filter(
				(a) =>
					a.kind === 'ini' &&
					a.set.some(
						([section, key, value]) =>
							section === 'uwsgi' && key === 'env' && value === 'OS_OSLO_MESSAGING_RABBIT__HEARTBEAT_IN_PTHREAD=true',
					),
			)
			.map((a) => (a.kind === 'ini' ? a.file : ''));
		expect(heartbeatFiles.sort()).toEqual([
			'/etc/neutron/neutron-api-uwsgi.ini',
			'/etc/nova/nova-api-metadata-uwsgi.ini',
			'/etc/nova/nova-api-uwsgi.ini',
		]);
		expect(uwsgiFiles.sort()).toEqual([
			'/etc/keystone/keystone-uwsgi.ini',
			'/etc/neutron/neutron-api-uwsgi.ini',
			'/etc/nova/nova-api-metadata-uwsgi.ini',
			'/etc/nova/nova-api-uwsgi.ini',
			'/etc/placement/placement-api-uwsgi.ini',
		]);
		const profile = otherProfile();
		const ctl = profile.nodes[0]!;
		const section = rb.sections.find((s) => s.id === 'keystone')!;
		const step = section.steps.find((s) => s.id === 'install')!;
		const { script } = renderStep(rb, section, step, profile, ctl);
		expect(script).toContain("UWSGI_PROCESSES='5'");
		expect(script).toContain(`osc_ini '/etc/keystone/keystone-uwsgi.ini' 'uwsgi' 'processes' "\${UWSGI_PROCESSES}"`);
	});

	it('installs every package without recommends and without starting services', () => {
		const loose = allActions(runbook()).filter(
			({ action }) => action.kind === 'packages' && !action.upgrade && !(action.noRecommends && action.noStart),
		);
		expect(loose.map((l) => l.where)).toEqual([]);
	});

	it.each([
		['two-node', exampleProfile('two-node')],
		['all-in-one', exampleProfile('all-in-one')],
		['three nodes', otherProfile()],
	] as const)('the first package install on every node waits for the dpkg lock (%s)', (_name, profile) => {
		const first = firstPackageInstalls(runbook(), profile);
		expect(first.map((f) => f.node).sort()).toEqual(profile.nodes.map((n) => n.name).sort());
		for (const { node, entry, action } of first) {
			expect(entry.key, node).toBe(`environment/ntp@${node}`);
			expect(action.lockTimeoutSec, node).toBe(FIRST_INSTALL_LOCK_TIMEOUT_SEC);
			expect(entry.rendered.script, node).toContain(
				`osc_pkg_wait_lock ${FIRST_INSTALL_LOCK_TIMEOUT_SEC}\nosc_pkg_apt --no-recommends --no-start chrony`,
			);
			expect(entry.step.timeoutSec, node).toBeGreaterThanOrEqual(FIRST_INSTALL_LOCK_TIMEOUT_SEC + 300);
		}
	});

	it('the instance steps replace a server that never ran, then wait with the shared wait (ERROR stops it)', () => {
		const steps = runbook()
			.sections.flatMap((s) => s.steps.map((step) => ({ where: `${s.id}/${step.id}`, step })))
			.filter(({ step }) => /-instance$/.test(step.id));
		expect(steps.map((s) => s.where)).toEqual([
			'launch-instance/provider-instance',
			'launch-instance/selfservice-instance',
		]);
		for (const { where, step } of steps) {
			const create = step.actions.findIndex((a) => a.kind === 'openstack' && a.args[0] === 'server');
			expect(step.actions[create - 1], where).toEqual(Action.parse(replaceLostServer(step.id)));
			expect(step.actions[create + 1], where).toEqual(Action.parse(serverSettles(step.id, 420, 3)));
		}
	});

	it('never sleeps to wait: steps wait for conditions with a timeout', () => {
		// A shell loop may poll only against a deadline (replaceLostServer's wait for nova's delete).
		const sleepers = allActions(runbook()).filter(
			({ action }) =>
				action.kind === 'shell' &&
				/\bsleep\b/.test(action.script) &&
				!/osc_deadline=\$\(\( \$\(date \+%s\) \+ \d+ \)\)[\s\S]*-ge "\$osc_deadline"[\s\S]*exit 1[\s\S]*\bsleep \d+/.test(
					action.script,
				),
		);
		expect(sleepers.map((s) => s.where)).toEqual([]);
	});

	it('waits for what every start step starts', () => {
		for (const section of runbook().sections) {
			for (const step of section.steps) {
				const starts = step.actions.some((a) => a.kind === 'shell' && a.script.includes('osc_ensure '));
				const waits = step.actions.some((a) => a.kind === 'wait');
				const laterStepWaits = section.steps
					.slice(section.steps.indexOf(step) + 1)
					.some((s) => s.actions.some((a) => a.kind === 'wait'));
				if (starts) expect(waits || laterStepWaits, `${section.id}/${step.id}`).toBe(true);
			}
		}
	});

	it('judges every service it starts by a known set of config files', () => {
		for (const { action } of allActions(runbook())) {
			if (action.kind !== 'shell') continue;
			for (const m of action.script.matchAll(/^osc_ensure ([a-z0-9-]+)/gm))
				expect(SERVICE_CONFIG).toHaveProperty(m[1]!);
		}
	});

	it.each([
		['all-in-one', 'provider'],
		['all-in-one', 'selfservice'],
		['two-node', 'provider'],
		['two-node', 'selfservice'],
	] as const)('sets one value per config key across sections (%s, %s), so re-runs change nothing', (name, option) => {
		const profile = exampleProfile(name, option);
		for (const node of profile.nodes) {
			expect(iniSettings(runbook(), profile, node.name).conflicts).toEqual([]);
		}
	});

	it('overwrites the values Debian pre-fills and sets what Debian needs', () => {
		const profile = exampleProfile('all-in-one');
		const { seen } = iniSettings(runbook(), profile, 'controller');
		const value = (key: string) => seen.get(key)?.value;
		for (const file of [
			'/etc/glance/glance-api.conf',
			'/etc/placement/placement.conf',
			'/etc/nova/nova.conf',
			'/etc/neutron/neutron.conf',
		]) {
			expect(value(`${file} [keystone_authtoken] region_name`), file).toBe('{{REGION}}');
		}
		expect(value('/etc/nova/nova.conf [database] connection')).toMatch(/^mysql\+pymysql:/);
		expect(value('/etc/neutron/neutron.conf [database] connection')).toMatch(/^mysql\+pymysql:/);
		expect(value('/etc/glance/glance-api.conf [database] connection')).toMatch(/^mysql\+pymysql:/);
		expect(value('/etc/nova/nova.conf [placement] username')).toBe('placement');
		expect(value('/etc/nova/nova.conf [cinder] os_region_name')).toBe('{{REGION}}');
		expect(value('/etc/nova/nova.conf [neutron] region_name')).toBe('{{REGION}}');
		expect(value('/etc/nova/nova.conf [spice] enabled')).toBe('false');
		expect(value('/etc/neutron/neutron.conf [experimental] linuxbridge')).toBe('true');
		expect(value('/etc/neutron/neutron.conf [DEFAULT] interface_driver')).toBe('linuxbridge');
		expect(value('/etc/neutron/neutron.conf [DEFAULT] service_plugins')).toBe('');
		expect(value('/etc/neutron/plugins/ml2/ml2_conf.ini [ml2] mechanism_drivers')).toBe('linuxbridge');
		expect(value('/etc/neutron/dhcp_agent.ini [DEFAULT] interface_driver')).toBe('linuxbridge');
		expect(value('/etc/nova/nova-compute.conf [DEFAULT] compute_driver')).toBe('libvirt.LibvirtDriver');
		const all = JSON.stringify(runbook());
		expect(all).toContain('osc_ini /etc/nova/nova-compute.conf libvirt virt_type');
		expect(all).toContain('NOVA_CONSOLE_PROXY_TYPE=novnc');
		expect(all).toContain('systemd-detect-virt --container');
	});

	it('raises max_connections before any nova service exists', () => {
		const rb = runbook();
		const order = rb.sections.map((s) => s.id);
		const sql = rb.sections[0]!.steps.find((s) => s.id === 'sql-database')!;
		expect(JSON.stringify(sql)).toContain('max_connections = 4096');
		expect(order.indexOf('environment')).toBeLessThan(order.indexOf('nova-controller'));
	});

	it('uses Debian service names', () => {
		const started = new Set(
			allActions(runbook()).flatMap(({ action }) =>
				action.kind === 'shell' ? [...action.script.matchAll(/^osc_ensure ([a-z0-9-]+)/gm)].map((m) => m[1]) : [],
			),
		);
		for (const name of [
			'keystone',
			'placement-api',
			'nova-api',
			'nova-api-metadata',
			'nova-novncproxy',
			'neutron-api',
			'neutron-rpc-server',
			'neutron-linuxbridge-agent',
		]) {
			expect(started, name).toContain(name);
		}
		for (const name of ['apache2', 'neutron-server', 'openstack-nova-api', 'httpd'])
			expect(started).not.toContain(name);
	});
});

describe('debian12-zed: profile values and secrets', () => {
	const rb = runbook();
	const a = exampleProfile('two-node', 'selfservice');
	const b = otherProfile('selfservice');
	const secretsA = secretsWithPrefix('aaSecret');
	const secretsB = secretsWithPrefix('bbSecret');

	it('scripts for one profile carry none of the other profile values', () => {
		const valuesA = [
			'10.0.0.11',
			'10.0.0.31',
			'10.0.0.0/24',
			'203.0.113.',
			'172.16.1.',
			"'controller'",
			"'compute1'",
			"'eth1'",
			"'RegionOne'",
			"'blank-qcow2-test'",
		];
		const leaks: string[] = [];
		for (const e of renderAll(rb, b)) {
			for (const v of valuesA) if (e.rendered.script.includes(v)) leaks.push(`${e.key}: ${v}`);
		}
		expect(leaks).toEqual([]);
		const scriptsB = renderAll(rb, b)
			.map((e) => e.rendered.script)
			.join('\n');
		for (const v of ["'ctl-a'", "'LabRegion7'", "'ens9'", "'ens10'", "'198.51.100.53'", "'lab-image'", "'5'"]) {
			expect(scriptsB).toContain(v);
		}
	});

	it('no script contains a secret value; each step gets only the secrets it uses', () => {
		for (const [profile, secrets] of [
			[a, secretsA],
			[b, secretsB],
		] as const) {
			for (const e of renderAll(rb, profile)) {
				for (const name of SECRET_NAMES) expect(e.rendered.script, e.key).not.toContain(secrets[name]);
				const env = renderSecretsEnv(secrets, e.rendered.secrets);
				for (const name of SECRET_NAMES) {
					if (e.rendered.secrets.includes(name)) expect(env).toContain(secrets[name]);
					else expect(env, `${e.key} gets ${name}`).not.toContain(secrets[name]);
				}
			}
		}
	});

	it('secrets reach commands through variables, the environment or stdin, never as literal arguments', () => {
		// Every reference to a secret variable in a script is one of: an ini/file/sql function input, an
		// environment assignment, printf to a pipe, an openstack secret slot, or a credentials export.
		const offenders: string[] = [];
		let checked = 0;
		for (const e of renderAll(rb, a)) {
			for (const line of e.rendered.script.split('\n')) {
				const m = /\$\{(ADMIN_PASS|DEMO_PASS|RABBIT_PASS|[A-Z]+_DBPASS|[A-Z]+_PASS|METADATA_SECRET)\}/.exec(line);
				if (!m) continue;
				checked++;
				const ok =
					/^\s*osc_ini /.test(line) ||
					/^\s*(export )?[A-Z_]+="?\$\{/.test(line) ||
					// printf is a shell builtin: the value goes into the 0600 defaults file, in no process's arguments
					/^\s*printf '\[client\]\\nuser=%s\\npassword=%s\\n' [a-z]+ "\$\{[A-Z_]+\}" > "\$osc_cnf"$/.test(line) ||
					/printf '%s\\n' "\$\{[A-Z_]+\}" \| rabbitmqctl/.test(line) ||
					/^\s*\t?export OS_PASSWORD=/.test(line) ||
					/IDENTIFIED BY '\$\{/.test(line) ||
					/^(export [A-Z_]+=|[a-z_]+:\/\/|[a-z]+ = )/.test(line) ||
					/mysql\+pymysql:\/\/|rabbit:\/\//.test(line);
				if (!ok) offenders.push(`${e.key}: ${line.trim()}`);
			}
		}
		expect(offenders).toEqual([]);
		expect(checked).toBeGreaterThan(40);
	});

	it('no script passes a password to mysql through the environment (MYSQL_PWD) or its arguments', () => {
		let logins = 0;
		for (const e of renderAll(rb, a)) {
			expect(e.rendered.script, e.key).not.toMatch(/MYSQL_PWD|mysql[^\n]*(--password|-p\S)/);
			logins += e.rendered.script.match(/mysql --defaults-extra-file="\$osc_cnf"/g)?.length ?? 0;
		}
		// keystone, glance, placement, neutron: one database each; nova: three
		expect(logins).toBe(7);
	});
});
