import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../source/engine/engine.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { KNOWN_ERRORS, matchKnownErrors } from '../../source/triage/known-errors.js';
import {
	logSourceForService,
	logSourcesForStep,
	logTailScript,
	parseLogTails,
	triageFailure,
} from '../../source/triage/triage.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome } from '../helpers/profiles.js';

/** Error text as services, clients and package managers print it (one sample per known error). */
const SAMPLES: Record<string, string> = {
	'db-access-denied': `2017-03-10 10:18:36.401 2380 ERROR oslo_db.sqlalchemy.exc_filters [-] DBAPIError exception wrapped from (pymysql.err.OperationalError) (1045, u"Access denied for user 'nova'@'controller' (using password: YES)")`,
	'db-too-many-connections': `ERROR nova.servicegroup.drivers.db oslo_db.exception.DBConnectionError: (pymysql.err.OperationalError) (1040, 'Too many connections')`,
	'db-unreachable': `OperationalError: (pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on 'controller' ([Errno 111] Connection refused)")`,
	'amqp-unreachable': `ERROR oslo.messaging._drivers.impl_rabbit [-] [3f5e] AMQP server on controller:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in 1 seconds.`,
	'amqp-login-refused': `ERROR oslo.messaging._drivers.impl_rabbit [-] Connection failed: (0, 0): (403) ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.`,
	'rpc-timeout': `ERROR nova.compute.manager MessagingTimeout: Timed out waiting for a reply to message ID 8c0f3a6c1b7a4a0e9f1b2c3d4e5f6a7b`,
	'placement-403': `[Thu Mar 09 15:05:11.345 2017] [authz_core:error] [pid 1234] [client 10.0.0.31:52436] AH01630: client denied by server configuration: /usr/bin/nova-placement-api`,
	'no-valid-host': `Message: No valid host was found. There are not enough hosts available.`,
	'keystone-401': `The request you have made requires authentication. (HTTP 401) (Request-ID: req-6e0f4a3c-2b1d-4e5f-9a8b-7c6d5e4f3a2b)`,
	'keystone-unreachable': `Failed to discover available identity versions when contacting http://controller:35357/v3. Attempting to parse version from URL.`,
	'name-resolution': `curl: (6) Could not resolve host: controller`,
	'apt-lock': `E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 2173 (apt-get)`,
	'yum-lock': `Another app is currently holding the yum lock; waiting for it to exit...`,
	'package-missing': `No package openstack-nova-computer available.`,
	'libvirt-no-dbus': `libvirt.libvirtError: Unable to get system bus connection: Could not connect: No such file or directory`,
	'hypervisor-unavailable': `ERROR nova.compute.manager nova.exception.HypervisorUnavailable: Connection to the hypervisor is broken on host: compute1`,
	'linuxbridge-experimental': `ERROR neutron.plugins.ml2.managers The linuxbridge mechanism driver is experimental; set [experimental] linuxbridge = True to use it`,
	'port-binding-failed': `ERROR nova.compute.manager PortBindingFailed: Binding failed for port 6a1b, please check neutron logs for more information.`,
};

describe('known errors', () => {
	it('every entry of the table has a real sample that it matches, and only its own', () => {
		expect(Object.keys(SAMPLES).sort()).toEqual(KNOWN_ERRORS.map((k) => k.id).sort());
		for (const [id, text] of Object.entries(SAMPLES)) {
			expect(
				matchKnownErrors(text).map((m) => m.id),
				id,
			).toEqual([id]);
		}
	});

	it('finds matches inside longer output and reports the line', () => {
		const text = `starting\n${SAMPLES['amqp-unreachable']}\nmore\n${SAMPLES['no-valid-host']}`;
		const matches = matchKnownErrors(text);
		expect(matches.map((m) => m.id)).toEqual(['amqp-unreachable', 'no-valid-host']);
		expect(matches[0]!.evidence).toContain('AMQP server on controller:5672');
		expect(matchKnownErrors('all good\nnothing to see')).toEqual([]);
	});
});

describe('log sources', () => {
	it('maps RDO and Debian service names to their log files', () => {
		expect(logSourceForService('openstack-nova-compute').files).toEqual([
			'/var/log/nova/nova-compute.log',
			'/var/log/nova/compute.log',
		]);
		expect(logSourceForService('neutron-linuxbridge-agent').files).toContain(
			'/var/log/neutron/neutron-linuxbridge-agent.log',
		);
		expect(logSourceForService('neutron-server').files).toContain('/var/log/neutron/server.log');
		expect(logSourceForService('httpd').files).toContain('/var/log/httpd/error_log');
		expect(logSourceForService('mariadb')).toMatchObject({ files: [], unit: 'mariadb' });
	});

	it('the tail script passes bash -n and shellcheck, reads the newest matching file', () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-logs-'));
		fs.writeFileSync(path.join(dir, 'a.log'), 'old\n');
		fs.writeFileSync(path.join(dir, 'svc.log'), `x\n${SAMPLES['db-access-denied']}\n`);
		const script = logTailScript([
			{ label: 'svc', files: [path.join(dir, 'missing.log'), path.join(dir, 'svc.log')] },
			{ label: 'none', files: [path.join(dir, 'nope.log')] },
		]);
		execFileSync('bash', ['-n'], { input: script });
		try {
			execFileSync('shellcheck', ['-s', 'sh', '-S', 'warning', '-'], { input: script });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		}
		const tails = parseLogTails(execFileSync('sh', ['-c', script]).toString());
		expect(tails[0]!.source).toBe(`svc: ${path.join(dir, 'svc.log')}`);
		expect(tails[0]!.lines.join('\n')).toContain('Access denied');
		expect(tails[1]!.source).toBe('none: no log found');
	});

	it('a step with service actions gets their logs', () => {
		const runbook = getRunbook('demo');
		const section = runbook.sections[0]!;
		expect(logSourcesForStep(section, section.steps[0]!)).toEqual([]);
	});
});

describe('triage of a failed step', () => {
	it('collects the exit code, the failing action, stderr and hints', async () => {
		tempHome();
		const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-triage-'));
		const profile = Profile.parse(demoProfile({ demoRoot: root, settings: { DEMO_ROOT: root } } as never));
		const runbook = getRunbook('demo');
		const engine = new Engine({
			runbook,
			profile,
			secrets: loadOrCreateSecrets(profile.name),
			progress: new ProgressStore(profile.name, runbook.id),
			runner: new LocalShellRunner(),
		});
		fs.mkdirSync(path.join(root, 'controller'), { recursive: true });
		fs.writeFileSync(path.join(root, 'controller', 'fail'), '');
		await engine.runStep('services/flaky', { nodes: ['controller'] });
		const triage = await triageFailure(engine, 'services/flaky', 'controller');
		expect(triage.exitCode).toBe(3);
		expect(triage.action).toContain('1/1');
		expect(triage.stderrTail).toEqual(['flag file present: failing']);
		expect(triage.logs).toEqual([]);
		expect(triage.hints).toEqual([]);
	});
});
