/**
 * The bash export: built from the runner's own step scripts (every body verbatim, in order; helpers, values
 * and secrets once), secrets masked unless revealed, valid bash, and it really runs: the demo runbook's export
 * is executed here, including a failing step, the failure message, and resuming with OSC_FROM.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import { parseProfile } from '../../source/profile/store.js';
import { EXPORTERS, planNodeSteps, renderNodeScript, renderSecretsTemplate } from '../../source/runbook/export.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { MASK, renderStep } from '../../source/runbook/render.js';
import { SECRET_NAMES, type Secrets } from '../../source/runbook/variables.js';
import { LOOPBACK_NETWORK } from '../helpers/profiles.js';
import { exampleProfile, ROOT, secretsWithPrefix } from '../steps/centos7-ocata/helpers.js';

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

const ocata = getRunbook('centos7-ocata');
const secrets = secretsWithPrefix('exp');
const profiles = [
	{ name: 'two-node provider', profile: exampleProfile('two-node', 'provider') },
	{ name: 'two-node selfservice', profile: exampleProfile('two-node', 'selfservice') },
	{ name: 'all-in-one', profile: exampleProfile('all-in-one') },
];

describe.each(profiles)('bash export of centos7-ocata, $name', ({ profile }) => {
	it('holds every step body the runner renders, verbatim and in runbook order, for each node', () => {
		for (const node of profile.nodes) {
			const script = renderNodeScript(ocata, profile, node, undefined);
			let from = 0;
			const planned = planNodeSteps(ocata, profile, { node: node.name });
			expect(planned.length).toBeGreaterThan(10);
			for (const p of planned) {
				const { parts } = renderStep(ocata, p.section, p.step, profile, node);
				const at = script.indexOf(`(\nset -eu\n${parts.body}\n)\n`, from);
				expect(at, `${p.key} on ${node.name}`).toBeGreaterThanOrEqual(from);
				from = at + parts.body.length;
				// the values and helpers the export states once are the step's own, verbatim
				for (const text of [...parts.values.map((v) => v.line), ...parts.helpers.map((h) => h.text)])
					expect(script).toContain(text);
			}
		}
	});

	it('states each helper function and each value once', () => {
		for (const node of profile.nodes) {
			const script = renderNodeScript(ocata, profile, node, undefined);
			for (const fn of ['osc_action', 'osc_ini', 'osc_pkg_yum', 'osc_service', 'osc_openstack', 'osc_creds_admin']) {
				const defs = script.match(new RegExp(`^${fn}\\(\\) \\{$`, 'gm')) ?? [];
				if (script.includes(`${fn} `)) expect(defs.length, `${fn} on ${node.name}`).toBe(1);
			}
			for (const name of ['CONTROLLER_HOST', 'NODE_IP', 'REGION']) {
				expect(script.match(new RegExp(`^${name}=`, 'gm'))?.length, name).toBe(1);
			}
		}
	});

	it('masks secrets by default and reveals them only when asked', () => {
		for (const node of profile.nodes) {
			const masked = renderNodeScript(ocata, profile, node, secrets);
			expect(SECRET_NAMES.filter((n) => masked.includes(secrets[n]))).toEqual([]);
			expect(masked).toContain(`#   RABBIT_PASS=${MASK}`);
			expect(masked).toContain('OSC_SECRETS="${OSC_SECRETS:-$(dirname "$0")/secrets.env}"');
			const revealed = renderNodeScript(ocata, profile, node, secrets, { reveal: true });
			expect(revealed).toContain(`RABBIT_PASS='${secrets.RABBIT_PASS}'`);
			expect(revealed).not.toContain('secrets.env');
		}
		const controller = profile.nodes.find((n) => n.roles.includes('controller'))!;
		const revealed = renderNodeScript(ocata, profile, controller, secrets, { reveal: true });
		// Ocata's placement API uses the nova_api database: PLACEMENT_DBPASS is the one secret this runbook never needs
		for (const name of SECRET_NAMES.filter((n) => n !== 'PLACEMENT_DBPASS')) {
			expect(revealed, name).toContain(`${name}='${secrets[name]}'`);
		}
		expect(revealed).not.toContain('PLACEMENT_DBPASS');
	});

	it('passes bash -n and shellcheck (bash, severity warning)', () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-export-'));
		try {
			const files = profile.nodes.flatMap((node) =>
				[false, true].map((reveal) => {
					const file = path.join(dir, `${node.name}-${reveal ? 'revealed' : 'masked'}.sh`);
					fs.writeFileSync(file, renderNodeScript(ocata, profile, node, secrets, { reveal }));
					return file;
				}),
			);
			for (const file of files) {
				const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
				expect(r.stderr, file).toBe('');
				expect(r.status).toBe(0);
			}
			if (hasShellcheck) {
				const r = spawnSync('shellcheck', ['-s', 'bash', '-S', 'warning', '-f', 'gcc', ...files], { encoding: 'utf8' });
				expect(r.stdout).toBe('');
				expect(r.status).toBe(0);
			}
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});

	it('the bash exporter writes one script per node and a secrets template without values', () => {
		const files = EXPORTERS.bash!.render({ runbook: ocata, profile, nodes: profile.nodes });
		expect(files.map((f) => f.path)).toEqual([...profile.nodes.map((n) => `${n.name}.sh`), 'secrets.env.example']);
		const template = renderSecretsTemplate(ocata, profile);
		expect(template).toContain("ADMIN_PASS=''");
		expect(SECRET_NAMES.filter((n) => template.includes(secrets[n]))).toEqual([]);
		const revealed = EXPORTERS.bash!.render({ runbook: ocata, profile, nodes: profile.nodes, secrets });
		expect(revealed.every((f) => f.secret && (f.mode & 0o077) === 0)).toBe(true);
	});
});

describe('the parts renderStep returns', () => {
	// Every line of every step script is one of its parts, in the documented order: what the exports take from
	// the parts is exactly what the runner runs, and nothing in the script is left out of them.
	it.each(['centos7-ocata', 'debian12-zed', 'demo'])('make up each script of %s exactly', (id) => {
		const runbook = getRunbook(id);
		const examples = fs
			.readdirSync(path.join(ROOT, 'profiles'))
			.filter((f) => f.startsWith(`${id === 'demo' ? 'demo' : id}-`))
			.map((f) => parseProfile(JSON.parse(fs.readFileSync(path.join(ROOT, 'profiles', f), 'utf8')), f));
		expect(examples.length).toBeGreaterThan(0);
		let checked = 0;
		for (const example of examples) {
			for (const option of ['provider', 'selfservice'] as const) {
				const profile = { ...example, network: { ...example.network, option } };
				for (const p of planNodeSteps(runbook, profile)) {
					const { script, actions, parts } = renderStep(runbook, p.section, p.step, profile, p.node);
					const expected = [
						...parts.head,
						...(parts.values.length ? ['# values from the profile', ...parts.values.map((v) => v.line)] : []),
						...parts.secretsLoader,
						...parts.helpers.map((h) => h.text),
						...(parts.check ? [parts.check] : []),
						...[...parts.actions, ...(parts.verify ? [parts.verify] : [])].flatMap((a) => [a.marker, a.script]),
						'',
					].join('\n');
					expect(script, p.key).toBe(expected);
					expect(script.endsWith(`${parts.body}\n`)).toBe(true);
					expect([...parts.actions, ...(parts.verify ? [parts.verify] : [])].map((a) => a.describe)).toEqual(actions);
					expect(parts.values.map((v) => v.name)).toEqual([...parts.values.map((v) => v.name)].sort());
					checked++;
				}
			}
		}
		expect(checked).toBeGreaterThan(10);
	});
});

describe.skipIf(!isRoot)('running an exported script (demo runbook, this machine)', () => {
	const demo = getRunbook('demo');
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-export-run-'));
	const profile = Profile.parse({
		version: 1,
		name: 'export-run',
		runbook: 'demo',
		network: { ...LOOPBACK_NETWORK },
		nodes: [{ name: 'node-a', host: '127.0.0.1', roles: ['controller', 'compute'], managementIp: '127.0.0.1' }],
		settings: { DEMO_ROOT: root, DEMO_LINES: '2' },
	});
	const node = profile.nodes[0]!;
	const demoSecrets: Secrets = secretsWithPrefix('run');
	const run = (script: string, env: Record<string, string> = {}) => {
		const file = path.join(root, 'node-a.sh');
		fs.writeFileSync(file, script, { mode: 0o700 });
		return spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, OSC_FORCE: '1', ...env } });
	};

	it('runs every step, stops at a failing one with a clear message, and resumes with OSC_FROM', () => {
		const script = renderNodeScript(demo, profile, node, demoSecrets, { reveal: true });
		const flag = path.join(root, 'node-a', 'fail');
		fs.mkdirSync(path.dirname(flag), { recursive: true });
		fs.writeFileSync(flag, '');
		const failed = run(script);
		expect(failed.status).toBe(3);
		expect(failed.stderr).toContain(
			'os-console: step services/flaky (Fail while a flag file exists) failed with exit code 3 on node-a.',
		);
		expect(failed.stderr).toContain('OSC_FROM=services/flaky bash');
		expect(failed.stdout).toContain('line 2 of 2 on node-a');
		expect(fs.existsSync(path.join(root, 'node-a', 'compute-marked'))).toBe(false);

		fs.rmSync(flag);
		const resumed = run(script, { OSC_FROM: 'services/flaky' });
		expect(resumed.stderr).toBe('');
		expect(resumed.status).toBe(0);
		expect(resumed.stdout).toContain('skipped (before services/flaky): environment/hosts');
		expect(resumed.stdout).not.toContain('line 1 of 2');
		expect(resumed.stdout).toContain('steps done on node-a');
		expect(fs.readFileSync(path.join(root, 'node-a', 'admin-openrc'), 'utf8')).toContain(demoSecrets.ADMIN_PASS);
		expect(fs.readFileSync(path.join(root, 'node-a', 'demo.conf'), 'utf8')).toContain(demoSecrets.KEYSTONE_DBPASS);

		const again = run(script);
		expect(again.status).toBe(0);
		expect(again.stdout).toContain('@@osc:already-done');
		expect(again.stdout).toContain('unchanged:');

		const until = run(script, { OSC_UNTIL: 'services/count' });
		expect(until.status).toBe(0);
		expect(until.stdout).toContain('stopped before services/count');
		expect(until.stdout).not.toContain('line 1 of 2');

		const unknown = run(script, { OSC_FROM: 'nope/nothing' });
		expect(unknown.status).toBe(2);
		expect(unknown.stderr).toContain('no step nope/nothing on node-a');
	});

	it('reads secrets from secrets.env when they are not revealed, and says when it is missing', () => {
		const script = renderNodeScript(demo, profile, node, undefined);
		const missing = run(script, { OSC_SECRETS: path.join(root, 'absent.env') });
		expect(missing.status).toBe(2);
		expect(missing.stderr).toContain('cannot read the secrets file');
		const env = path.join(root, 'secrets.env');
		fs.writeFileSync(env, `ADMIN_PASS='fromfile1234'\nKEYSTONE_DBPASS='fromfile5678'\n`, { mode: 0o600 });
		const ok = run(script, { OSC_SECRETS: env });
		expect(ok.stderr).toBe('');
		expect(ok.status).toBe(0);
		expect(fs.readFileSync(path.join(root, 'node-a', 'admin-openrc'), 'utf8')).toContain('fromfile1234');
		fs.writeFileSync(env, `ADMIN_PASS='fromfile1234'\n`, { mode: 0o600 });
		const partial = run(script, { OSC_SECRETS: env });
		expect(partial.status).not.toBe(0);
		expect(partial.stderr).toContain('KEYSTONE_DBPASS is missing');
	});
});
