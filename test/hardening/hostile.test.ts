/**
 * Hostile input everywhere: quotes, $(), backticks, ; | &&, newlines, %, leading -, escape sequences, very
 * long strings and unicode.
 * - Every profile field: refused with a message naming the field, or (where legal) round-tripped exactly
 *   through a saved profile.
 * - Legal values that reach a node (runbook settings with a permissive pattern) go through every kind of
 *   action over the test sshd: what lands on the node is the value byte for byte, and nothing executes
 *   (marker files under an absolute path, and PWNED anywhere the scripts run).
 * - Every flag of every headless command: exit code 2 with a message naming the flag (or the profile), or
 *   (where legal) handled as plain data; nothing executes; terminal control characters come out escaped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openProfile } from '../../source/console/open-profile.js';
import { Engine } from '../../source/engine/engine.js';
import { Journal } from '../../source/engine/journal.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import { describeIssues, Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets, loadProfile, saveProfile } from '../../source/profile/store.js';
import type { RunbookInput } from '../../source/runbook/model.js';
import { checkSettings, getRunbook, registerRunbook } from '../../source/runbook/registry.js';
import { DEFAULT_RUNS_DIR } from '../../source/ssh/remote-run.js';
import { SshStepRunner } from '../../source/ssh/step-runner.js';
import { HOSTILE_VALUES } from '../helpers/hostile.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { closedPort, startSshd, type TestSshd } from '../helpers/sshd.js';
import { ensureBuilt, tempDir, walk } from './helpers.js';

const MARK = tempDir('osc-hostile-mark-');

/** Values that must stay inert; those with MARK create a file there if anything ever runs them. */
const VALUES: string[] = [
	...HOSTILE_VALUES,
	`$(touch ${MARK}/dollar)`,
	`\`touch ${MARK}/backtick\``,
	`x; touch ${MARK}/semicolon`,
	`x | touch ${MARK}/pipe`,
	`x && touch ${MARK}/and`,
	`x\ntouch ${MARK}/newline`,
	`'; touch ${MARK}/single; '`,
	`"; touch ${MARK}/double; "`,
	`$(printf 'touch ${MARK}/nested' | sh)`,
	'-e',
	'--help',
	'-',
	'*',
	'~',
	' leading and trailing ',
	'line1\nline2\n',
	'\u001b[31mred\u001b[0m\u0007',
	'%n%n%n%s',
	'y'.repeat(100_000),
	'',
];

beforeAll(() => ensureBuilt());
afterAll(() => {
	expect(fs.readdirSync(MARK)).toEqual([]);
});

function pathOf(p: (string | number)[]): string {
	return p
		.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`))
		.join('')
		.replace(/^\./, '');
}

function setAt(target: Record<string, unknown>, p: (string | number)[], value: unknown): void {
	let cur = target as Record<string | number, unknown>;
	for (const key of p.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
	cur[p[p.length - 1]!] = value;
}

function getAt(target: unknown, p: (string | number)[]): unknown {
	let cur = target as Record<string | number, unknown>;
	for (const key of p) cur = cur[key] as Record<string | number, unknown>;
	return cur;
}

/** Every string-valued field of a profile (and the port, given strings). */
const FIELDS: (string | number)[][] = [
	['name'],
	['runbook'],
	['description'],
	['region'],
	['network', 'managementCidr'],
	['network', 'providerInterface'],
	['network', 'providerCidr'],
	['network', 'providerGateway'],
	['network', 'providerPoolStart'],
	['network', 'providerPoolEnd'],
	['network', 'providerDns'],
	['network', 'option'],
	['network', 'selfserviceCidr'],
	['network', 'selfserviceGateway'],
	['nodes', 0, 'name'],
	['nodes', 0, 'host'],
	['nodes', 0, 'port'],
	['nodes', 0, 'user'],
	['nodes', 0, 'roles', 0],
	['nodes', 0, 'managementIp'],
	['nodes', 0, 'providerInterface'],
	['nodes', 0, 'auth', 'keyFile'],
	['nodes', 0, 'auth', 'type'],
	['settings', 'DEMO_ROOT'],
	['settings', 'DEMO_LINES'],
];

/** Free text, or values only the console itself reads locally: anything is legal there. */
const FREE_FIELDS = new Set([
	'description',
	'runbook',
	'nodes[0].auth.keyFile',
	'settings.DEMO_ROOT',
	'settings.DEMO_LINES',
]);

/**
 * Fields whose value reaches a command line on a node as an argument: a leading - would be read as an
 * option there (`--region -x`). KNOWN GAP: region (schema.ts) accepts a leading -; see the it.fails below.
 */
const OPTION_SAFE_EXCEPTIONS = new Set(['region']);

/** Shell metacharacters, whitespace and control characters: never accepted outside free text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what is refused
const UNSAFE = /[\s'"`$;|&<>(){}\\*?~!#%\u0000-\u001f\u007f]/;

describe('hostile values in every profile field', () => {
	it(`${FIELDS.length} fields × ${VALUES.length} values: refused naming the field, or round-tripped exactly`, async () => {
		const home = tempDir('osc-hostile-home-');
		process.env.OS_CONSOLE_HOME = home;
		let saved = 0;
		const legalSeen = new Set<string>();
		for (const field of FIELDS) {
			for (const value of VALUES) {
				const input = demoProfile({ demoRoot: '/tmp/osc-hostile', name: 'hostile' }) as unknown as Record<
					string,
					unknown
				>;
				if (field[0] === 'nodes' && field[2] === 'auth')
					setAt(input, ['nodes', 0, 'auth'], { type: 'key', keyFile: '/k' });
				setAt(input, field, value);
				const where = pathOf(field);
				const result = Profile.safeParse(input);
				if (!result.success) {
					const lines = describeIssues(result.error, '/x/profile.json');
					expect(
						lines.some((l) => l.startsWith(`/x/profile.json: ${where}:`)),
						`${where} = ${JSON.stringify(value).slice(0, 60)}: ${lines.join(' | ')}`,
					).toBe(true);
					continue;
				}
				legalSeen.add(where);
				if (!FREE_FIELDS.has(where)) {
					// Legal in a checked field: plain characters only, and no option look-alike.
					expect(UNSAFE.test(value), `${where} accepted ${JSON.stringify(value).slice(0, 60)}`).toBe(false);
					if (!OPTION_SAFE_EXCEPTIONS.has(where))
						expect(value.startsWith('-'), `${where} accepted ${value}`).toBe(false);
				}
				// Legal for the schema: saved and loaded back exactly.
				const name = `hostile-${saved++}`;
				saveProfile({ ...result.data, name });
				const back = loadProfile(name).profile;
				expect(getAt(back, field)).toBe(value);
				// The next layer still decides: the runbook must exist, settings must match their pattern.
				if (where === 'runbook' && value !== 'demo') {
					await expect(openProfile(name, { hostKeys: { mode: 'strict' }, lock: false })).rejects.toThrow(
						/unknown runbook/,
					);
				}
				if (where.startsWith('settings.')) {
					const problems = checkSettings(getRunbook('demo'), back.settings);
					expect(
						problems.length > 0 ||
							new RegExp(getRunbook('demo').settings.find((s) => `settings.${s.name}` === where)!.pattern).test(value),
					).toBe(true);
					for (const p of problems) expect(p.startsWith(`${where}: `)).toBe(true);
				}
			}
		}
		for (const f of FREE_FIELDS) expect(legalSeen.has(f), f).toBe(true);
		// Setting names themselves are checked too.
		for (const key of ['lower', 'WITH SPACE', '$(X)', 'A;B', '-A', 'ÄÖ']) {
			const input = demoProfile({ demoRoot: '/tmp/x' }) as unknown as Record<string, unknown>;
			input.settings = { [key]: 'x' };
			const result = Profile.safeParse(input);
			expect(result.success, key).toBe(false);
			expect(describeIssues(result.error!).join('\n')).toContain('settings');
		}
	});

	it('a region starting with - is refused (it is an option to openstack and keystone-manage)', () => {
		for (const region of ['-', '--help', '-e']) {
			const input = demoProfile({ demoRoot: '/tmp/x' });
			input.region = region;
			expect(Profile.safeParse(input).success, region).toBe(false);
		}
	});
});

describe('legal hostile values on a node (test sshd)', () => {
	let sshd: TestSshd;
	const N = VALUES.length;
	const settingNames = VALUES.map((_, i) => `H${i}`);

	const probe: RunbookInput = {
		id: 'hostile-probe',
		title: 'hostile values probe',
		description: 'every action kind with values that try to break out of their quoting',
		os: { id: 'debian', version: '', packageManager: 'apt', python: 'python3' },
		sqlAuth: 'socket',
		credentials: { admin: { OS_USERNAME: 'admin' }, demo: { OS_USERNAME: 'demo' } },
		settings: [
			{ name: 'DEMO_ROOT', default: '/tmp/x', describe: 'where', pattern: '^/[A-Za-z0-9._/-]+$' },
			...settingNames.map((name) => ({ name, default: '', describe: 'anything', pattern: '^[\\s\\S]*$' })),
		],
		sections: [
			{
				id: 'probe',
				title: 'Probe',
				guide: 'none',
				steps: [
					{
						id: 'shell',
						title: 'values as shell words, a check and a verify',
						on: 'all',
						check: `test -e {{DEMO_ROOT}}/never-{{H0}}`,
						actions: [
							{
								kind: 'shell',
								describe: 'printf each value into a file',
								script: [
									'mkdir -p {{DEMO_ROOT}}/{{NODE_NAME}}',
									...settingNames.map((n, i) => `printf '%s' {{${n}}} > {{DEMO_ROOT}}/{{NODE_NAME}}/shell-${i}`),
								].join('\n'),
							},
						],
						verify: `test -n {{H1}}`,
						timeoutSec: 60,
					},
					{
						id: 'file',
						title: 'values as file content',
						on: 'all',
						actions: settingNames.map((n, i) => ({
							kind: 'file' as const,
							path: `{{DEMO_ROOT}}/{{NODE_NAME}}/file-${i}`,
							content: `{{${n}}}`,
							mode: '0600',
						})),
						timeoutSec: 60,
					},
					{
						id: 'ini',
						title: 'values in an ini file',
						on: 'all',
						actions: [
							{ kind: 'shell', describe: 'create it', script: 'touch {{DEMO_ROOT}}/{{NODE_NAME}}/probe.ini' },
							{
								kind: 'ini',
								file: '{{DEMO_ROOT}}/{{NODE_NAME}}/probe.ini',
								set: settingNames.map((n, i) => ['probe', `k${i}`, `{{${n}}}`] as [string, string, string]),
							},
						],
						timeoutSec: 60,
					},
					{
						id: 'wait',
						title: 'a wait on a value',
						on: 'all',
						actions: [
							{
								kind: 'wait',
								describe: 'the first file is there',
								until: 'test -e {{DEMO_ROOT}}/{{NODE_NAME}}/file-0 && test -n {{H2}}',
								timeoutSec: 10,
								intervalSec: 1,
							},
						],
						timeoutSec: 60,
					},
				],
			},
		],
	};

	beforeAll(async () => {
		sshd = await startSshd({ addresses: ['127.0.0.2'] });
		registerRunbook(probe);
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	it('reach the node byte for byte through shell words, file content, ini values, checks, verifies and waits; nothing executes', async () => {
		const home = tempDir('osc-hostile-node-home-');
		process.env.OS_CONSOLE_HOME = home;
		const root = tempDir('osc-hostile-root-');
		const knownHosts = path.join(sshd.dir, 'kh');
		fs.writeFileSync(knownHosts, `${sshd.knownHostsLine()}\n`);
		const input = demoProfile({ demoRoot: root, name: 'probe', port: sshd.port, keyFile: sshd.clientKeyPath });
		input.runbook = 'hostile-probe';
		input.nodes = [input.nodes[0]!];
		input.settings = { DEMO_ROOT: root, ...Object.fromEntries(settingNames.map((n, i) => [n, VALUES[i]!])) };
		// Round trip through a saved profile first: what runs is what was loaded.
		saveProfile(Profile.parse(input));
		const { profile } = loadProfile('probe');
		expect(profile.settings).toEqual(input.settings);
		const runbook = getRunbook('hostile-probe');
		expect(checkSettings(runbook, profile.settings)).toEqual([]);
		const engine = new Engine({
			runbook,
			profile,
			secrets: loadOrCreateSecrets('probe'),
			progress: new ProgressStore('probe', runbook.id),
			runner: new SshStepRunner({ profile, hostKeys: { mode: 'strict', knownHostsFiles: [knownHosts] } }),
			journal: new Journal('probe'),
		});
		try {
			for (const key of ['probe/shell', 'probe/file', 'probe/ini', 'probe/wait']) {
				const ok = await engine.runStep(key);
				expect(
					ok,
					`${key}: ${engine.state(key, 'controller').reason} ${engine.stderrTail(key, 'controller').join('\n')}`,
				).toBe(true);
			}
		} finally {
			await engine.close();
		}
		const dir = path.join(root, 'controller');
		const ini = fs.readFileSync(path.join(dir, 'probe.ini'), 'utf8');
		for (let i = 0; i < N; i++) {
			const value = VALUES[i]!;
			const what = `H${i} = ${JSON.stringify(value).slice(0, 50)}`;
			expect(fs.readFileSync(path.join(dir, `shell-${i}`), 'utf8'), what).toBe(value);
			expect(fs.readFileSync(path.join(dir, `file-${i}`), 'utf8'), what).toBe(`${value}\n`);
			expect(ini.includes(`\nk${i} = ${value}\n`), what).toBe(true);
		}
		// Nothing ran: no marker under MARK (checked after all tests), no PWNED where the scripts ran.
		const runDirs = Object.values(new ProgressStore('probe', runbook.id).all()).flatMap((nodes) =>
			Object.values(nodes).map((s) => path.join(DEFAULT_RUNS_DIR, s.runId!)),
		);
		expect(runDirs).toHaveLength(4);
		for (const place of [...runDirs, root]) {
			expect(
				walk(place).filter((e) => path.basename(e.file) === 'PWNED'),
				place,
			).toEqual([]);
		}
		for (const place of [os.homedir(), process.cwd(), sshd.dir, '/', os.tmpdir()]) {
			expect(fs.existsSync(path.join(place, 'PWNED')), place).toBe(false);
		}
		expect(fs.readdirSync(MARK)).toEqual([]);
	});
});

const COMMAND_MODULES: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
	run: () => import('../../source/commands/run.js'),
	status: () => import('../../source/commands/status.js'),
	plan: () => import('../../source/commands/plan.js'),
	export: () => import('../../source/commands/export.js'),
	secrets: () => import('../../source/commands/secrets.js'),
	openrc: () => import('../../source/commands/openrc.js'),
	verify: () => import('../../source/commands/verify.js'),
	launch: () => import('../../source/commands/launch.js'),
};

describe('hostile values in every flag of every headless command', () => {
	let home: string;
	let profileFile: string;
	let outRoot: string;
	let out = '';
	let err = '';

	beforeAll(async () => {
		home = tempDir('osc-hostile-flags-home-');
		process.env.OS_CONSOLE_HOME = home;
		const dir = tempDir('osc-hostile-flags-');
		outRoot = tempDir('osc-hostile-out-');
		// Nodes that refuse connections at once: a legal value that reaches the SSH layer fails fast.
		const port = await closedPort();
		const input = demoProfile({ demoRoot: dir, name: 'flags', port, keyFile: '/nonexistent/key' });
		input.nodes = input.nodes.map((n) => ({ ...n, host: '127.0.0.1' }));
		profileFile = writeProfile(dir, input);
		fs.chmodSync(profileFile, 0o600);
	});

	async function call(command: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
		out = '';
		err = '';
		const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
			out += String(c);
			return true;
		});
		const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
			err += String(c);
			return true;
		});
		try {
			const code = await COMMAND_MODULES[command]!().then((m) => m.run(argv));
			return { code, out, err };
		} finally {
			o.mockRestore();
			e.mockRestore();
		}
	}

	interface FlagCase {
		command: string;
		flag: string;
		base: string[];
		/** Values this flag accepts as data; the command then goes on (and fails on the unreachable nodes). */
		legal?: 'path';
	}
	const withProfile = () => ['--profile', profileFile];
	const CASES: FlagCase[] = [
		{ command: 'run', flag: 'profile', base: ['--yes'] },
		{ command: 'run', flag: 'section', base: ['--yes'] },
		{ command: 'run', flag: 'step', base: ['--yes'] },
		{ command: 'run', flag: 'node', base: ['--yes'] },
		{ command: 'run', flag: 'concurrency', base: ['--yes'] },
		{ command: 'run', flag: 'known-hosts', base: ['--yes', '--step', 'environment/config'], legal: 'path' },
		{ command: 'status', flag: 'profile', base: [] },
		{ command: 'plan', flag: 'profile', base: [] },
		{ command: 'plan', flag: 'section', base: [] },
		{ command: 'plan', flag: 'node', base: [] },
		{ command: 'export', flag: 'profile', base: ['--format', 'bash', '--node', 'controller'] },
		{ command: 'export', flag: 'format', base: ['--node', 'controller'] },
		{ command: 'export', flag: 'node', base: ['--format', 'bash'] },
		{ command: 'export', flag: 'out', base: ['--format', 'bash'], legal: 'path' },
		{ command: 'secrets', flag: 'profile', base: [] },
		{ command: 'secrets', flag: 'reveal', base: [] },
		{ command: 'secrets', flag: 'set', base: [] },
		{ command: 'openrc', flag: 'profile', base: [] },
		{ command: 'openrc', flag: 'out', base: [], legal: 'path' },
		{ command: 'verify', flag: 'profile', base: [] },
		{ command: 'verify', flag: 'section', base: [] },
		{ command: 'verify', flag: 'check', base: [] },
		{ command: 'verify', flag: 'node', base: [] },
		{ command: 'launch', flag: 'profile', base: ['--plan'] },
		{ command: 'launch', flag: 'spec', base: ['--plan'] },
		{ command: 'launch', flag: 'timeout', base: ['--plan'] },
	];
	/** Terminal control characters other than tab and newline. */
	// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is looked for
	const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/;
	/** KNOWN GAP: these print errors with their own writer (verify.ts, launch.ts: reportTo), unescaped. */
	const OWN_ERROR_WRITERS = new Set(['verify', 'launch']);

	it('verify and launch error messages escape terminal control characters', async () => {
		for (const command of OWN_ERROR_WRITERS) {
			const r = await call(command, ['--profile', '\u001b]0;retitled\u0007\u001b[2J']);
			expect(r.code).toBe(2);
			expect(RAW_CONTROLS.test(r.err), r.err).toBe(false);
		}
	});

	/** Shorter values for flags (the long one stays: 100 000 characters in one argument). */
	const FLAG_VALUES = VALUES.filter((v) => v !== '');

	it(`${CASES.length} flags × ${FLAG_VALUES.length} values: exit 2 naming the flag, or plain data; nothing executes`, async () => {
		const cwd = process.cwd();
		const before = fs.readdirSync(cwd).sort();
		const problems: string[] = [];
		for (const c of CASES) {
			for (const value of FLAG_VALUES) {
				let v = value;
				// A path value goes under a temp dir (never the repository); it stays one path component.
				if (c.legal === 'path') v = path.join(outRoot, value.replaceAll('/', '_'));
				const argv =
					c.flag === 'profile' ? [...c.base, '--profile', v] : [...withProfile(), ...c.base, `--${c.flag}`, v];
				const r = await call(c.command, argv);
				const what = `${c.command} --${c.flag} ${JSON.stringify(value).slice(0, 40)} → ${r.code}: ${r.err.slice(0, 300)}`;
				if (/\n\s+at /.test(r.err)) problems.push(`stack trace: ${what}`);
				if (RAW_CONTROLS.test(r.err) && !OWN_ERROR_WRITERS.has(c.command)) {
					problems.push(`raw control characters in the message: ${what}`);
				}
				if (c.legal === 'path' && !v.startsWith('-')) {
					// Data: a file or directory name like any other. The run then fails (unreachable nodes) or,
					// for export, writes its files there.
					if (c.command === 'export') {
						if (r.code === 0) {
							if (!fs.existsSync(path.join(v, 'controller.sh')))
								problems.push(`export did not write into the exact path: ${what}`);
						} else if (!(r.code === 2 && r.err.includes('--out'))) problems.push(`export --out: ${what}`);
					} else if (r.code !== 1 && !(r.code === 2 && r.err.includes(`--${c.flag}`)))
						problems.push(`unexpected: ${what}`);
					continue;
				}
				if (r.code !== 2) problems.push(`not refused with exit code 2: ${what}`);
				// The flag, or what it names ("no node ...", "no verification section ...", "no saved profile ...").
				const noun = { reveal: 'secret', set: 'secret' }[c.flag] ?? c.flag;
				const named = r.err.includes(`--${c.flag}`) || new RegExp(`\\b${noun}\\b`).test(r.err);
				if (!named) problems.push(`message does not name --${c.flag}: ${what}`);
			}
		}
		expect(problems).toEqual([]);
		// Nothing was created where the commands ran, nothing executed.
		expect(fs.readdirSync(cwd).sort()).toEqual(before);
		expect(fs.readdirSync(MARK)).toEqual([]);
		expect(walk(outRoot).filter((e) => path.basename(e.file) === 'PWNED')).toEqual([]);
	}, 180_000);
});
