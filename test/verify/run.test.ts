/**
 * The checks through the real pipeline: Engine.exec renders the typed actions and the LocalShellRunner runs
 * the scripts with sh on this machine (no OpenStack here: the OpenStack checks fail with the client's or
 * the shell's own words, which is what is asserted). Results are saved with the profile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCommand } from '../../source/commands/verify.js';
import { openProfile } from '../../source/console/open-profile.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { planChecks, VerifySelectionError, verifySectionForRunbookSection } from '../../source/verify/checks.js';
import { runChecks } from '../../source/verify/run.js';
import { VerifyStore, verifyFile } from '../../source/verify/store.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { mariadbMissing, startPrivateMariaDb } from '../helpers/mariadb.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { cloudProfile } from './helpers.js';

let profileFile: string;
let runner: LocalShellRunner;
const engines: { close(): Promise<void> }[] = [];

beforeEach(() => {
	tempHome();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-verify-'));
	profileFile = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'verify-lab' }));
	runner = new LocalShellRunner();
});

afterEach(async () => {
	for (const e of engines.splice(0)) await e.close();
});

async function open() {
	const opened = await openProfile(profileFile, { hostKeys: { mode: 'strict' }, runner });
	engines.push(opened.engine);
	return opened.engine;
}

describe('planChecks', () => {
	it('expands checks onto their nodes in guide order, and narrows by section, check, node', () => {
		const profile = cloudProfile();
		const all = planChecks(profile);
		expect(all.filter((i) => i.def.id === 'environment.chrony').map((i) => i.node.name)).toEqual([
			'controller',
			'compute1',
			'compute2',
		]);
		expect(all.map((i) => i.def.section)).toEqual(
			[...all.map((i) => i.def.section)].sort((a, b) => order(a) - order(b)),
		);
		expect(planChecks(profile, { section: 'nova' }).map((i) => i.key)).toEqual([
			'nova.services@controller',
			'nova.upgrade-check@controller',
			'nova.catalog@controller',
		]);
		expect(planChecks(profile, { check: 'environment.chrony@compute2' }).map((i) => i.key)).toEqual([
			'environment.chrony@compute2',
		]);
		expect(planChecks(profile, { node: 'compute1' }).map((i) => i.key)).toEqual(['environment.chrony@compute1']);
		expect(() => planChecks(profile, { section: 'cinder' })).toThrow(VerifySelectionError);
		expect(() => planChecks(profile, { check: 'nova.nope' })).toThrow(/no check "nova.nope"/);
		expect(() => planChecks(profile, { node: 'compute9' })).toThrow(/no node "compute9"/);
	});

	it('maps runbook sections to the verification section that follows them', () => {
		expect(verifySectionForRunbookSection('environment')).toBe('environment');
		expect(verifySectionForRunbookSection('nova-compute')).toBe('nova');
		expect(verifySectionForRunbookSection('neutron-controller')).toBe('neutron');
		expect(verifySectionForRunbookSection('placement')).toBe('placement');
		expect(verifySectionForRunbookSection('launch-instance')).toBeUndefined();
	});
});

const order = (s: string) => ['environment', 'keystone', 'glance', 'placement', 'nova', 'neutron'].indexOf(s);

describe('runChecks through Engine.exec and the LocalShellRunner', () => {
	it('runs the environment checks on their nodes and saves each result (0600) with when it ran', async () => {
		const engine = await open();
		const started: string[] = [];
		const results = await runChecks(engine, { section: 'environment', onStart: (i) => started.push(i.key) });
		expect(results.map((r) => `${r.check}@${r.node}`)).toEqual([
			'environment.chrony@controller',
			'environment.chrony@compute1',
			'environment.chrony@compute2',
			'environment.database@controller',
			'environment.rabbitmq@controller',
			'environment.memcached@controller',
		]);
		expect(started).toHaveLength(6);
		for (const r of results) {
			expect(['pass', 'fail']).toContain(r.status);
			expect(r.detail).not.toBe('');
			expect(Date.parse(r.ranAt)).not.toBeNaN();
		}
		// Nothing listens for memcached on the demo controller's 127.0.0.2 here.
		const memcached = results.find((r) => r.check === 'environment.memcached')!;
		expect(memcached.status).toBe('fail');
		expect(memcached.detail).toMatch(/^memcached does not answer on 127\.0\.0\.2:11211/);
		const file = verifyFile('verify-lab');
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		const saved = new VerifyStore('verify-lab', 'demo');
		expect(saved.all()).toHaveLength(6);
		expect(saved.get('environment.memcached', 'controller')).toEqual(memcached);
		// The scripts ran on the nodes the checks name.
		expect(runner.runs.map((r) => r.node).sort()).toEqual([
			'compute1',
			'compute2',
			'controller',
			'controller',
			'controller',
			'controller',
		]);
	});

	// A private server on its own socket; the check's client finds it through ~/.my.cnf (read after the system's
	// my.cnf; the local runner passes this process's environment, HOME included, to the script).
	it.skipIf(Boolean(mariadbMissing))(
		'the database check passes against a real MariaDB over the socket',
		async () => {
			const db = await startPrivateMariaDb();
			const previous = process.env.HOME;
			const home = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-verify-db-home-'));
			fs.writeFileSync(path.join(home, '.my.cnf'), `[client]\nsocket=${db.socket}\n`);
			process.env.HOME = home;
			try {
				const engine = await open();
				const [result] = await runChecks(engine, { check: 'environment.database' });
				expect(result, result!.detail).toMatchObject({ status: 'pass' });
				expect(result!.detail).toMatch(/^the database answers as root over the unix socket \(.*MariaDB/);
				// and with the server gone, the same check fails with the client's own words
				await db.stop();
				const [down] = await runChecks(engine, { check: 'environment.database' });
				expect(down!.status).toBe('fail');
			} finally {
				process.env.HOME = previous;
				await db.stop();
				fs.rmSync(home, { recursive: true, force: true });
			}
		},
		90_000,
	);

	it('OpenStack checks run the client with credentials from the environment; no secret reaches the script', async () => {
		const engine = await open();
		const results = await runChecks(engine, { section: 'keystone' });
		expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
		expect(results[0]!.detail).toMatch(/^openstack token issue as admin/);
		expect(results[1]!.hint).toContain('DEMO_PASS');
		const secrets = loadOrCreateSecrets('verify-lab');
		for (const run of runner.runs) {
			expect(run.script).toContain('osc_openstack');
			expect(run.script).not.toContain(secrets.ADMIN_PASS);
			expect(run.script).not.toContain(secrets.DEMO_PASS);
		}
	});

	it('a check that cannot finish in time fails with its timeout and a hint about the connection', async () => {
		const engine = await open();
		const { CHECKS } = await import('../../source/verify/checks.js');
		const def = {
			...CHECKS[0]!,
			timeoutSec: 1,
			actions: () => [{ kind: 'shell' as const, describe: 'hang', script: 'sleep 30' }],
		};
		const { runCheck } = await import('../../source/verify/run.js');
		const result = await runCheck(engine, { key: 'x@controller', def, node: engine.profile.nodes[0]! });
		expect(result.status).toBe('fail');
		expect(result.detail).toBe('no answer within 1s on controller');
		expect(result.hint).toContain('over SSH');
	});
});

describe('os-console verify', () => {
	function io() {
		const out: string[] = [];
		const err: string[] = [];
		return { out, err, io: { runner, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) } };
	}

	it('--json prints the results, exits 1 when one fails, and --saved reads them back without running', async () => {
		const a = io();
		const code = await verifyCommand(['--profile', profileFile, '--section', 'keystone', '--json'], a.io);
		expect(code).toBe(1);
		const doc = JSON.parse(a.out.join(''));
		expect(doc).toMatchObject({ ok: false, profile: 'verify-lab', runbook: 'demo', passed: 0, failed: 2 });
		expect(doc.results.map((r: { check: string }) => r.check)).toEqual(['keystone.token-admin', 'keystone.token-demo']);

		const runsBefore = runner.runs.length;
		const b = io();
		expect(await verifyCommand(['--profile', profileFile, '--saved'], b.io)).toBe(1);
		expect(runner.runs.length).toBe(runsBefore);
		const text = b.out.join('');
		expect(text).toContain('✘ keystone.token-admin@controller');
		expect(text).toContain('→ look at keystone on controller');
		expect(text).toContain('○ nova.services@controller');
		expect(text).toMatch(/2 checks: 0 passed, 2 failed, \d+ not run yet/);
	});

	it('exit 2 with the reason for bad flags', async () => {
		const a = io();
		expect(await verifyCommand(['--profile', profileFile, '--section', 'cinder'], a.io)).toBe(2);
		expect(a.err.join('')).toContain('no verification section "cinder"');
		const b = io();
		expect(await verifyCommand(['--section', 'nova'], b.io)).toBe(2);
		expect(b.err.join('')).toContain('--profile is required');
	});
});
