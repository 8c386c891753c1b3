/**
 * The debian12-zed database steps against a real MariaDB server (a private instance on a unix socket, no
 * networking): the rendered step script creates the database and grants the service user, then its verify logs
 * in as that user with the password from a 0600 defaults file. A `mysql` wrapper on PATH records every client
 * process's arguments and environment, to prove the password is in neither; a wrong password fails the verify;
 * the defaults file is gone afterwards either way.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '../../../source/profile/schema.js';
import type { RunbookStep } from '../../../source/runbook/model.js';
import { renderSecretsEnv, renderStep } from '../../../source/runbook/render.js';
import { MYSQL_CLIENT, mariadbMissing, type PrivateMariaDb, startPrivateMariaDb } from '../../helpers/mariadb.js';
import { exampleProfile, runbook, secretsWithPrefix } from './helpers.js';

// Skipped (with the reason printed) where there is no MariaDB server or the tests do not run as root.
if (mariadbMissing) console.warn(`database login test skipped: ${mariadbMissing}`);

/** The two-node example with the controller named localhost: mysql --host=localhost uses the unix socket. */
function localProfile(): Profile {
	const example = exampleProfile('two-node');
	return Profile.parse({
		...example,
		nodes: example.nodes.map((n) => (n.roles.includes('controller') ? { ...n, name: 'localhost' } : n)),
	});
}

describe.skipIf(Boolean(mariadbMissing))('debian12-zed database steps against MariaDB', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-mariadb-test-'));
	const runDir = path.join(dir, 'run');
	const calls = path.join(dir, 'mysql-calls');
	let db: PrivateMariaDb;
	const rb = runbook();
	const profile = localProfile();
	const secrets = secretsWithPrefix('db');

	function rootSql(sql: string): string {
		return db.rootSql(sql);
	}

	/** Run a rendered step script as the console's runner does: sh, secrets in a 0600 file, OSC_RUN_DIR set. */
	function runStep(sectionId: string, step: RunbookStep): { status: number | null; stdout: string; stderr: string } {
		const section = rb.sections.find((s) => s.id === sectionId)!;
		const node = profile.nodes.find((n) => n.roles.includes('controller'))!;
		const rendered = renderStep(rb, section, step, profile, node);
		fs.writeFileSync(path.join(dir, 'script.sh'), rendered.script);
		fs.writeFileSync(path.join(dir, 'secrets.env'), renderSecretsEnv(secrets, rendered.secrets), { mode: 0o600 });
		const r = spawnSync('sh', [path.join(dir, 'script.sh')], {
			encoding: 'utf8',
			env: {
				PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
				// the client's own defaults (~/.my.cnf) point it at this test's server socket
				HOME: dir,
				OSC_RUN_DIR: runDir,
				OSC_SECRETS: path.join(dir, 'secrets.env'),
			},
			timeout: 60_000,
		});
		return { status: r.status, stdout: r.stdout, stderr: r.stderr };
	}

	function stepOf(sectionId: string): RunbookStep {
		return rb.sections.find((s) => s.id === sectionId)!.steps.find((s) => s.id === 'database')!;
	}

	beforeAll(async () => {
		db = await startPrivateMariaDb();
		fs.mkdirSync(runDir);
		fs.writeFileSync(path.join(dir, '.my.cnf'), `[client]\nsocket=${db.socket}\n`);
		// A wrapper that records each client process's arguments and environment, then runs the real client.
		fs.mkdirSync(path.join(dir, 'bin'));
		fs.writeFileSync(
			path.join(dir, 'bin', 'mysql'),
			`#!/bin/sh\n{ echo "--- args"; printf '%s\\n' "$@"; echo "--- env"; env; } >> '${calls}'\nexec '${MYSQL_CLIENT}' "$@"\n`,
			{ mode: 0o755 },
		);
	}, 60_000);

	afterAll(async () => {
		await db?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}, 30_000);

	it('creates the databases, grants the service user and logs in as it; the password reaches mysql only through the defaults file', () => {
		const result = runStep('nova-controller', stepOf('nova-controller'));
		expect(result.stderr).toBe('');
		expect(result.status).toBe(0);
		for (const db of ['nova_api', 'nova', 'nova_cell0']) {
			expect(result.stdout).toContain(`nova reaches database ${db} on localhost`);
		}
		expect(rootSql("SELECT COUNT(*) FROM mysql.user WHERE User = 'nova'").trim()).toBe('2');
		const recorded = fs.readFileSync(calls, 'utf8');
		// the root SQL action and three logins as nova
		expect(recorded.match(/^--- args$/gm)).toHaveLength(4);
		expect(recorded).toContain('--defaults-extra-file=');
		expect(recorded).not.toContain(secrets.NOVA_DBPASS);
		expect(recorded).not.toMatch(/MYSQL_PWD/);
		expect(fs.readdirSync(runDir)).toEqual([]);
	});

	it('fails the verify when the password is wrong, and still removes the defaults file', () => {
		expect(runStep('keystone', stepOf('keystone')).status).toBe(0);
		rootSql("ALTER USER 'keystone'@'localhost' IDENTIFIED BY 'not-the-profile-password'");
		// the verify alone (a no-op action instead of the GRANT, which would set the password again)
		const verifyOnly: RunbookStep = {
			...stepOf('keystone'),
			actions: [{ kind: 'shell', describe: 'nothing', script: 'true', uses: [] }],
		};
		const result = runStep('keystone', verifyOnly);
		expect(result.status).not.toBe(0);
		expect(result.stderr).toMatch(/Access denied for user 'keystone'@'localhost'/);
		expect(result.stdout).not.toContain('keystone reaches database keystone');
		expect(fs.readdirSync(runDir)).toEqual([]);
	});
});
