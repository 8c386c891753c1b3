import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import type { RunbookInput } from '../../source/runbook/model.js';
import { validateRunbook } from '../../source/runbook/registry.js';
import { renderSecretsEnv, renderStep } from '../../source/runbook/render.js';
import { asShellWord, parseTemplate } from '../../source/runbook/template.js';
import { SECRET_NAMES, type Secrets } from '../../source/runbook/variables.js';
import { HOSTILE_VALUES } from '../helpers/hostile.js';
import { demoProfile } from '../helpers/profiles.js';

const MULTILINE = ['line1\nline2', 'a\nOSC_EOF\nb', 'ends with newline\n'];

function hostileRunbook(): RunbookInput {
	return {
		id: 'hostile',
		title: 'hostile',
		description: 'quoting test',
		os: { id: 'debian', version: '', packageManager: 'apt', python: 'python3' },
		sqlAuth: 'socket',
		credentials: { admin: { OS_PASSWORD: '{{ADMIN_PASS}}' }, demo: { OS_PASSWORD: '{{DEMO_PASS}}' } },
		settings: [
			{ name: 'VALUE', default: '', describe: 'any text', pattern: '^[\\s\\S]*$' },
			{ name: 'OUT', default: '/tmp', describe: 'output dir', pattern: '^/.*$' },
		],
		sections: [
			{
				id: 's',
				title: 'S',
				guide: 'test',
				steps: [
					{
						id: 'echo',
						title: 'echo values back',
						on: 'all',
						actions: [
							{ kind: 'shell', describe: 'printf the value', script: 'printf "%s" {{VALUE}} > {{OUT}}/shell.out' },
							{ kind: 'file', path: '{{OUT}}/file.out', content: '{{VALUE}}', mode: '0600' },
							{
								kind: 'shell',
								describe: 'secret into a file',
								script: 'printf "%s" {{ADMIN_PASS}} > {{OUT}}/secret.out',
							},
						],
					},
					{
						id: 'mkini',
						title: 'make an ini file',
						on: 'all',
						actions: [
							{
								kind: 'shell',
								describe: 'make ini',
								script:
									'printf "[DEFAULT]\\nother = 1\\n[database]\\n#connection = old\\nconnection = old\\n" > {{OUT}}/x.ini',
							},
						],
					},
					{
						id: 'ini',
						title: 'ini value',
						on: 'all',
						actions: [
							{
								kind: 'ini',
								file: '{{OUT}}/x.ini',
								set: [
									['database', 'connection', '{{VALUE}}'],
									['new', 'key', 'v$my_ip'],
								],
							},
						],
					},
				],
			},
		],
	};
}

function secrets(): Secrets {
	return Object.fromEntries(SECRET_NAMES.map((n, i) => [n, `Secret${i}Value${'x'.repeat(10)}`])) as Secrets;
}

function render(value: string, out: string, stepIndex = 0) {
	const runbook = validateRunbook(hostileRunbook());
	const profile = Profile.parse(
		demoProfile({ demoRoot: '/tmp/unused', settings: { VALUE: value, OUT: out } } as never),
	);
	const section = runbook.sections[0]!;
	return renderStep(runbook, section, section.steps[stepIndex]!, profile, profile.nodes[0]!);
}

function runScript(shell: string, script: string, secretsEnv: string, cwd: string) {
	const file = path.join(cwd, 'script.sh');
	fs.writeFileSync(file, script);
	fs.writeFileSync(path.join(cwd, 'secrets.env'), secretsEnv, { mode: 0o600 });
	return spawnSync(shell, [file], {
		cwd,
		env: { ...process.env, OSC_SECRETS: path.join(cwd, 'secrets.env'), OSC_RUN_DIR: cwd },
		encoding: 'utf8',
	});
}

describe('templates', () => {
	it('parses placeholders and literals', () => {
		expect(parseTemplate('a {{X}} b{{ Y }}')).toEqual([
			{ literal: 'a ' },
			{ variable: 'X' },
			{ literal: ' b' },
			{ variable: 'Y' },
		]);
		expect(asShellWord("it's {{X}}")).toBe(`'it'\\''s '"\${X}"`);
	});
});

describe('rendering with hostile profile values', () => {
	for (const shell of ['sh', 'bash']) {
		for (const value of [...HOSTILE_VALUES, ...MULTILINE]) {
			it(`${shell}: ${JSON.stringify(value).slice(0, 40)} round-trips and runs nothing`, () => {
				const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-quote-'));
				const rendered = render(value, dir);
				execFileSync('bash', ['-n'], { input: rendered.script });
				const s = secrets();
				const result = runScript(shell, rendered.script, renderSecretsEnv(s, rendered.secrets), dir);
				expect(result.stderr).toBe('');
				expect(result.status).toBe(0);
				expect(fs.readFileSync(path.join(dir, 'shell.out'), 'utf8')).toBe(value);
				expect(fs.readFileSync(path.join(dir, 'file.out'), 'utf8')).toBe(`${value}\n`);
				expect(fs.readFileSync(path.join(dir, 'secret.out'), 'utf8')).toBe(s.ADMIN_PASS);
				expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
				expect(rendered.script).not.toContain(s.ADMIN_PASS);
			});
		}
	}
});

describe('ini action', () => {
	it('sets keys in place, never duplicates, keeps $ literal, and is idempotent', () => {
		for (const value of ['mysql+pymysql://k:p@h/db', "it's $(x) `y`", 'ünï 中']) {
			const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-ini-'));
			expect(runScript('sh', render(value, dir, 1).script, '', dir).status).toBe(0);
			const rendered = render(value, dir, 2);
			const first = runScript('sh', rendered.script, '', dir);
			expect(first.status, first.stderr).toBe(0);
			expect(first.stdout).toContain('set:');
			const once = fs.readFileSync(path.join(dir, 'x.ini'), 'utf8');
			expect(once).toBe(
				`[DEFAULT]\nother = 1\n[database]\n#connection = old\nconnection = ${value}\n\n[new]\nkey = v$my_ip\n`,
			);
			const second = runScript('sh', rendered.script, '', dir);
			expect(second.status, second.stderr).toBe(0);
			expect(second.stdout).toContain('unchanged:');
			expect(second.stdout).not.toContain('set:');
			expect(fs.readFileSync(path.join(dir, 'x.ini'), 'utf8')).toBe(once);
		}
	});
});

describe('secrets', () => {
	it('are never in script text; only the secrets a step uses are in its secrets file', () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-sec-'));
		const rendered = render('v', dir);
		expect(rendered.secrets).toEqual(['ADMIN_PASS']);
		const env = renderSecretsEnv(secrets(), rendered.secrets);
		expect(env).toBe(`ADMIN_PASS='${secrets().ADMIN_PASS}'\n`);
	});
});
