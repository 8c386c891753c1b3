/**
 * The optional action features, rendered and run for real under sh and bash:
 * - service `restartWhenChanged`: restart only when a listed file changed since the last restart (or the service
 *   is not running), with the checksums kept in the state directory;
 * - wait `failWhen`: stop waiting at once when the failure condition holds, its output as the reason;
 * - packages `lockTimeoutSec`: wait (bounded) while another process holds the dpkg/apt lock or yum's pid file,
 *   then fail naming it.
 *
 * What cannot run on this test machine is replaced by stand-ins on PATH, named as such: `service` and `update-rc.d`
 * (no init system runs here), and `apt-get`, `dpkg-query`, `yum` and `rpm` (installing packages would change this
 * machine). Each stand-in only records how it was called. The locks are real: a process holds a POSIX lock
 * (fcntl, as apt does) on the lock files, found through /proc/locks, or a live process's pid is in the pid file.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import type { ActionInput, RunbookInput } from '../../source/runbook/model.js';
import { validateRunbook } from '../../source/runbook/registry.js';
import { type RenderedStep, renderStep } from '../../source/runbook/render.js';
import { demoProfile } from '../helpers/profiles.js';

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const SHELLS = ['sh', 'bash'] as const;

let work: string;
let standIns: string;

/** Stand-ins (see the file comment): each appends "NAME ARGS" to $OSC_TEST_CALLS. */
const STAND_INS: Record<string, string> = {
	// status: the service "runs" when $OSC_TEST_STATE/NAME.running exists
	service: `echo "service $*" >> "$OSC_TEST_CALLS"
case "$2" in
	status) [ -f "$OSC_TEST_STATE/$1.running" ] ;;
	start|restart) touch "$OSC_TEST_STATE/$1.running" ;;
	stop) rm -f "$OSC_TEST_STATE/$1.running" ;;
esac`,
	'update-rc.d': 'echo "update-rc.d $*" >> "$OSC_TEST_CALLS"',
	'apt-get': 'echo "apt-get $*" >> "$OSC_TEST_CALLS"',
	// no package is installed
	'dpkg-query': 'exit 1',
	yum: 'echo "yum $*" >> "$OSC_TEST_CALLS"',
	rpm: 'exit 1',
	// the runbook's Python for the OpenStack client: records the client's arguments (after -c PROGRAM) and the
	// user its credentials named, and answers as `openstack ... -f value -c status` would for an active object
	osctestpython: `shift 2
echo "openstack $* as $OS_USERNAME" >> "$OSC_TEST_CALLS"
echo active`,
};

beforeAll(() => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-render-options-'));
	standIns = path.join(work, 'stand-ins');
	fs.mkdirSync(standIns);
	for (const [name, body] of Object.entries(STAND_INS)) {
		fs.writeFileSync(path.join(standIns, name), `#!/bin/sh\n# stand-in for ${name} (test)\n${body}\n`, { mode: 0o755 });
	}
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function runbookWith(
	actions: ActionInput[],
	packageManager: 'apt' | 'yum' = 'apt',
	settings: { name: string; default: string }[] = [],
): RunbookInput {
	return {
		id: 'options',
		title: 'options',
		description: 'optional action features',
		os: { id: 'debian', version: '12', packageManager, python: 'python3' },
		sqlAuth: 'socket',
		credentials: { admin: {}, demo: {} },
		settings: settings.map((s) => ({ ...s, describe: s.name, pattern: '^[\\s\\S]*$' })),
		sections: [{ id: 's', title: 'S', guide: 'test', steps: [{ id: 'step', title: 'the step', on: 'all', actions }] }],
	};
}

function render(input: RunbookInput, values: Record<string, string> = {}): RenderedStep {
	const runbook = validateRunbook(input);
	const profile = Profile.parse(demoProfile({ demoRoot: '/tmp/unused', settings: values } as never));
	const section = runbook.sections[0]!;
	return renderStep(runbook, section, section.steps[0]!, profile, profile.nodes[0]!);
}

interface Sandbox {
	dir: string;
	calls: string;
	state: string;
	env: NodeJS.ProcessEnv;
	callLines(): string[];
}

function sandbox(extraEnv: Record<string, string> = {}): Sandbox {
	const dir = fs.mkdtempSync(path.join(work, 'run-'));
	const calls = path.join(dir, 'calls');
	const state = path.join(dir, 'services');
	fs.mkdirSync(state);
	fs.writeFileSync(calls, '');
	return {
		dir,
		calls,
		state,
		env: {
			...process.env,
			PATH: `${standIns}:${process.env.PATH}`,
			OSC_TEST_CALLS: calls,
			OSC_TEST_STATE: state,
			OSC_STATE_DIR: path.join(dir, 'var-lib-os-console'),
			OSC_RUN_DIR: dir,
			...extraEnv,
		},
		callLines: () => fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean),
	};
}

function runScript(shell: string, script: string, box: Sandbox) {
	const file = path.join(box.dir, 'script.sh');
	fs.writeFileSync(file, script);
	const started = Date.now();
	const result = spawnSync(shell, [file], { cwd: box.dir, env: box.env, encoding: 'utf8', timeout: 60_000 });
	return { ...result, seconds: (Date.now() - started) / 1000 };
}

function shellcheck(script: string): string {
	const file = path.join(work, `check-${Math.random().toString(36).slice(2)}.sh`);
	fs.writeFileSync(file, script);
	const out: string[] = [];
	for (const dialect of ['sh', 'bash']) {
		const r = spawnSync('shellcheck', ['-s', dialect, '-f', 'gcc', file], { encoding: 'utf8' });
		out.push(r.stdout, r.stderr);
	}
	return out.join('').trim();
}

/** A process that holds a POSIX write lock (lockf/fcntl, what apt uses) on `file` for `seconds`. */
function holdLock(file: string, seconds: number): Promise<ChildProcess> {
	const child = spawn(
		'python3',
		[
			'-c',
			'import fcntl, sys, time\nf = open(sys.argv[1], "w")\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint("locked", flush=True)\ntime.sleep(float(sys.argv[2]))',
			file,
			String(seconds),
		],
		{ stdio: ['ignore', 'pipe', 'inherit'] },
	);
	return new Promise((resolve, reject) => {
		child.once('error', reject);
		child.stdout!.once('data', () => resolve(child));
	});
}

// ---------------------------------------------------------------------------------------------------------

describe('service restartWhenChanged', () => {
	const files = (dir: string) => [path.join(dir, 'etc', 'svc.conf'), path.join(dir, 'etc', 'with space.ini')];

	function step(dir: string, names = ['osc-test-a', 'osc-test-b'], enable = false) {
		return render(
			runbookWith(
				[
					{
						kind: 'service',
						names,
						enable,
						state: 'restarted',
						restartWhenChanged: ['{{CONF}}', '{{DIR}}/etc/with space.ini'],
					},
				],
				'apt',
				[
					{ name: 'CONF', default: '' },
					{ name: 'DIR', default: '' },
				],
			),
			{ CONF: files(dir)[0]!, DIR: dir },
		);
	}

	for (const shell of SHELLS) {
		it(`${shell}: restarts on the first run, not again while the files are the same (only started when stopped); after a change it does`, () => {
			const box = sandbox();
			const [conf, ini] = files(box.dir);
			fs.mkdirSync(path.dirname(conf!));
			fs.writeFileSync(conf!, 'a = 1\n');
			// the second file does not exist yet: "missing" is part of what is compared
			const rendered = step(box.dir);
			expect(rendered.actions).toEqual([
				`restart osc-test-a osc-test-b if {{CONF}} or {{DIR}}/etc/with space.ini changed`,
			]);
			const restarts = () => box.callLines().filter((l) => / restart$/.test(l));
			const run = (why: string) => {
				const r = runScript(shell, rendered.script, box);
				expect(r.stderr, why).toBe('');
				expect(r.status, why).toBe(0);
				return r.stdout;
			};

			let out = run('first run');
			expect(out).toContain('restarted: osc-test-a');
			expect(out).toContain('restarted: osc-test-b');
			expect(restarts()).toEqual(['service osc-test-a restart', 'service osc-test-b restart']);
			const sums = path.join(box.dir, 'var-lib-os-console', 'config-sums', 'osc-test-a.sums');
			const kept = fs.readFileSync(sums, 'utf8');
			expect(kept).toBe(
				`${spawnSync('sha256sum', [conf!], { encoding: 'utf8' }).stdout.split(' ')[0]} ${conf}\nmissing ${ini}\n`,
			);

			out = run('same files, running');
			expect(out).toContain(
				`not restarted: osc-test-a (unchanged since its last restart: ${conf} ${ini}; started if it was not running)`,
			);
			expect(out).toContain('not restarted: osc-test-b');
			expect(restarts()).toHaveLength(2);

			fs.writeFileSync(ini!, '[x]\ny = 2\n');
			out = run('a file appeared');
			expect(restarts()).toHaveLength(4);
			run('same again');
			expect(restarts()).toHaveLength(4);

			fs.writeFileSync(conf!, 'a = 2\n');
			run('a file changed');
			expect(restarts()).toHaveLength(6);

			// osc-test-b stopped meanwhile: started again (not restarted), as nothing changed
			fs.rmSync(path.join(box.state, 'osc-test-b.running'));
			out = run('b stopped');
			expect(out).toContain('not restarted: osc-test-b');
			expect(restarts()).toHaveLength(6);
			expect(fs.existsSync(path.join(box.state, 'osc-test-b.running'))).toBe(true);
			expect(fs.readdirSync(box.dir).filter((n) => n.startsWith('osc-sums.'))).toEqual([]);
		});
	}

	it('enable: still enabled when not restarted; a failed restart keeps the old checksums, so the next run restarts', () => {
		const box = sandbox();
		const [conf] = files(box.dir);
		fs.mkdirSync(path.dirname(conf!));
		fs.writeFileSync(conf!, 'a = 1\n');
		const rendered = step(box.dir, ['osc-test-c'], true);
		expect(runScript('sh', rendered.script, box).status).toBe(0);
		expect(runScript('sh', rendered.script, box).stdout).toContain('not restarted: osc-test-c');
		expect(box.callLines().filter((l) => l.startsWith('update-rc.d'))).toEqual([
			'update-rc.d osc-test-c defaults',
			'update-rc.d osc-test-c defaults',
		]);
		// the restart fails: the script fails, and the checksums stay those of the last good restart
		fs.writeFileSync(conf!, 'a = broken\n');
		const failing = { ...box, env: { ...box.env, PATH: `${path.join(box.dir, 'failing')}:${box.env.PATH}` } };
		fs.mkdirSync(path.join(box.dir, 'failing'));
		fs.writeFileSync(path.join(box.dir, 'failing', 'service'), '#!/bin/sh\n# stand-in: service that fails\nexit 1\n', {
			mode: 0o755,
		});
		expect(runScript('sh', rendered.script, failing).status).not.toBe(0);
		const r = runScript('sh', rendered.script, box);
		expect(r.status).toBe(0);
		expect(r.stdout).toContain('restarted: osc-test-c');
	});

	it('is refused with a state other than restarted, and leaves every existing service action as it was', () => {
		expect(() =>
			validateRunbook(
				runbookWith([{ kind: 'service', names: ['x'], state: 'started', restartWhenChanged: ['/etc/x.conf'] }]),
			),
		).toThrow(/restartWhenChanged needs state: restarted/);
		expect(() =>
			validateRunbook(
				runbookWith([{ kind: 'service', names: ['x'], state: 'restarted', restartWhenChanged: ['etc/x'] }]),
			),
		).toThrow(/absolute path/);
		const plain = render(runbookWith([{ kind: 'service', names: ['x'], state: 'restarted' }]));
		expect(plain.parts.actions[0]?.script).toBe('osc_service restarted enable x');
		expect(plain.script).not.toContain('osc_service_changed');
	});
});

// ---------------------------------------------------------------------------------------------------------

describe('wait failWhen', () => {
	// A server that is BUILD for two rounds, then ERROR (or ACTIVE): the state file stands in for `openstack server show`.
	function waitStep(final: 'ERROR' | 'ACTIVE', failWhen = true) {
		return render(
			runbookWith([
				{
					kind: 'shell',
					describe: 'boot',
					script: `printf 'BUILD\\nBUILD\\n${final}\\n' > rounds`,
				},
				{
					kind: 'wait',
					describe: 'the server is ACTIVE',
					until: '[ "$(head -n 1 rounds)" = ACTIVE ]',
					...(failWhen
						? {
								failWhen:
									'sed -i 1d rounds; [ "$(head -n 1 rounds)" = ERROR ] && echo "status: ERROR" && echo "fault: No valid host was found"',
							}
						: {}),
					timeoutSec: 30,
					intervalSec: 0.2,
				},
			]),
		);
	}

	for (const shell of SHELLS) {
		it(`${shell}: stops at once when the failure condition holds, with its output as the reason`, () => {
			const box = sandbox();
			const r = runScript(shell, waitStep('ERROR').script, box);
			expect(r.status).toBe(1);
			expect(r.seconds).toBeLessThan(10);
			expect(r.stderr).toBe(
				[
					`os-console: stopped waiting for: the server is ACTIVE (failure condition: sed -i 1d rounds; [ "$(head -n 1 rounds)" = ERROR ] && echo "status: ERROR" && echo "fault: No valid host was found")`,
					'status: ERROR',
					'fault: No valid host was found',
					'',
				].join('\n'),
			);
			expect(r.stdout).not.toContain('ready:');
		});

		it(`${shell}: a failure condition that never holds does not stop a wait that succeeds`, () => {
			const box = sandbox();
			const r = runScript(shell, waitStep('ACTIVE').script, box);
			expect(r.stderr).toBe('');
			expect(r.status).toBe(0);
			expect(r.stdout).toContain('ready: the server is ACTIVE');
		});
	}

	it('a multi-line failure condition is not repeated in the message; what it printed is', () => {
		const rendered = render(
			runbookWith([
				{
					kind: 'wait',
					describe: 'the server is ACTIVE',
					until: 'false',
					failWhen: 'osc_status=ERROR\n[ "$osc_status" = ERROR ] || exit 1\necho "fault: No valid host was found"',
					timeoutSec: 30,
				},
			]),
		);
		const r = runScript('sh', rendered.script, sandbox());
		expect(r.status).toBe(1);
		expect(r.stderr).toBe(
			[
				'os-console: stopped waiting for: the server is ACTIVE (its failure condition holds)',
				'fault: No valid host was found',
				'',
			].join('\n'),
		);
	});

	it('without failWhen the wait is rendered as before (no failure check)', () => {
		const plain = waitStep('ACTIVE', false).parts.actions[1]!.script;
		expect(plain).not.toContain('osc_failed');
		expect(plain.split('\n')[2]).toBe('\tif [ "$(date +%s)" -ge "$osc_deadline" ]; then');
	});
});

// ---------------------------------------------------------------------------------------------------------

describe('packages lockTimeoutSec', () => {
	function pkgStep(packageManager: 'apt' | 'yum', lockTimeoutSec?: number) {
		return render(
			runbookWith(
				[{ kind: 'packages', names: ['osc-test-pkg'], ...(lockTimeoutSec ? { lockTimeoutSec } : {}) }],
				packageManager,
			),
		);
	}
	const installs = (box: Sandbox) => box.callLines().filter((l) => / install /.test(l));

	for (const shell of SHELLS) {
		it(`${shell}: waits while another process holds the dpkg lock, then installs`, async () => {
			const box = sandbox();
			const locks = [path.join(box.dir, 'lock-frontend'), path.join(box.dir, 'lock')];
			box.env.OSC_PKG_LOCKS = locks.join(' ');
			box.env.OSC_YUM_PID = path.join(box.dir, 'yum.pid');
			const holder = await holdLock(locks[0]!, 3);
			const rendered = pkgStep('apt', 30);
			expect(rendered.actions).toEqual(["install osc-test-pkg (waiting up to 30 s for the package manager's lock)"]);
			const r = await new Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }>(
				(resolve) => {
					const started = Date.now();
					const file = path.join(box.dir, 'script.sh');
					fs.writeFileSync(file, rendered.script);
					const child = spawn(shell, [file], { cwd: box.dir, env: box.env });
					let stdout = '';
					let stderr = '';
					child.stdout.on('data', (c: Buffer) => {
						stdout += c.toString();
					});
					child.stderr.on('data', (c: Buffer) => {
						stderr += c.toString();
					});
					child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
				},
			);
			holder.kill();
			expect(r.stderr).toBe('');
			expect(r.status).toBe(0);
			expect(r.stdout).toMatch(
				new RegExp(
					`waiting up to 30 s for the package manager's lock, held by: pid ${holder.pid} \\(\\S*python3 -c import fcntl, sys, time f = open`,
				),
			);
			expect(r.stdout).toContain("the package manager's lock is free");
			expect(r.seconds).toBeGreaterThan(1.5);
			expect(installs(box)).toEqual(['apt-get install -y -o Dpkg::Options::=--force-confold osc-test-pkg']);
		});

		it(`${shell}: gives up after the timeout naming the holder, and installs nothing`, async () => {
			const box = sandbox();
			const lock = path.join(box.dir, 'lists-lock');
			box.env.OSC_PKG_LOCKS = lock;
			box.env.OSC_YUM_PID = path.join(box.dir, 'yum.pid');
			const holder = await holdLock(lock, 30);
			try {
				const r = runScript(shell, pkgStep('apt', 2).script, box);
				expect(r.status).toBe(1);
				expect(r.seconds).toBeGreaterThanOrEqual(2);
				expect(r.seconds).toBeLessThan(15);
				expect(r.stderr).toMatch(
					new RegExp(
						`^os-console: the package manager's lock is still held after 2 s by: pid ${holder.pid} \\(\\S*python3 -c import fcntl[^\\n]*\\)\\nos-console: let it finish \\(unattended-upgrades logs to /var/log/unattended-upgrades/\\) or stop it, then run the step again\\n$`,
					),
				);
				expect(installs(box)).toEqual([]);
			} finally {
				holder.kill();
			}
		});
	}

	it('yum: waits while the pid in yum.pid is alive; a stale pid file does not block', async () => {
		const box = sandbox();
		box.env.OSC_PKG_LOCKS = path.join(box.dir, 'no-such-lock');
		const pidFile = path.join(box.dir, 'yum.pid');
		box.env.OSC_YUM_PID = pidFile;
		const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
		try {
			fs.writeFileSync(pidFile, `${sleeper.pid}\n`);
			const held = runScript('sh', pkgStep('yum', 2).script, box);
			expect(held.status).toBe(1);
			expect(held.stderr).toContain(`still held after 2 s by: pid ${sleeper.pid} (sleep 30)`);
			expect(installs(box)).toEqual([]);
		} finally {
			sleeper.kill();
			await new Promise((r) => sleeper.once('close', r));
		}
		// the process is gone: the pid file alone does not hold the lock
		const free = runScript('bash', pkgStep('yum', 2).script, box);
		expect(free.stderr).toBe('');
		expect(free.status).toBe(0);
		expect(free.stdout).not.toContain('held by');
		expect(installs(box)).toEqual(['yum install -y osc-test-pkg']);
	});

	it('no lock held: no waiting, and without lockTimeoutSec nothing is rendered for it', () => {
		const box = sandbox();
		box.env.OSC_PKG_LOCKS = path.join(box.dir, 'lock');
		fs.writeFileSync(path.join(box.dir, 'lock'), '');
		box.env.OSC_YUM_PID = path.join(box.dir, 'yum.pid');
		const r = runScript('sh', pkgStep('apt', 5).script, box);
		expect(r.status).toBe(0);
		expect(r.stdout).not.toContain('held by');
		expect(r.seconds).toBeLessThan(5);
		const plain = pkgStep('apt');
		expect(plain.parts.actions[0]?.script).toBe('osc_pkg_apt osc-test-pkg');
		expect(plain.script).not.toContain('osc_pkg_wait_lock');
	});
});

// ---------------------------------------------------------------------------------------------------------

describe('uses on shell and wait actions', () => {
	/** A one-action step of a runbook whose admin credentials name user "admin" and whose Python is the stand-in. */
	function alone(action: ActionInput, packageManager: 'apt' | 'yum' = 'apt'): RenderedStep {
		const input = runbookWith([action], packageManager);
		return render({
			...input,
			os: { ...input.os, python: 'osctestpython' },
			credentials: { admin: { OS_USERNAME: 'admin' }, demo: { OS_USERNAME: 'demo' } },
		});
	}

	it('a wait that declares openstack-admin defines osc_openstack and the admin credentials, and runs alone', () => {
		const rendered = alone({
			kind: 'wait',
			describe: 'the image is active',
			until: 'osc_openstack admin "" image show cirros -f value -c status | grep -qx active',
			uses: ['openstack-admin'],
			timeoutSec: 5,
		});
		expect(rendered.parts.helpers.map((h) => h.name)).toEqual([
			'OSC_PYTHON',
			'osc_creds_admin',
			'osc_action',
			'osc_openstack',
		]);
		const box = sandbox();
		const r = runScript('sh', rendered.script, box);
		expect(r.stderr).toBe('');
		expect(r.status).toBe(0);
		expect(r.stdout).toContain('ready: the image is active');
		expect(box.callLines()).toEqual(['openstack image show cirros -f value -c status as admin']);
	});

	it('a wait without uses defines no OpenStack helper (the lint tests catch a wait that calls one)', () => {
		const rendered = alone({ kind: 'wait', describe: 'w', until: 'true' });
		expect(rendered.parts.helpers.map((h) => h.name)).toEqual(['osc_action']);
	});

	for (const packageManager of ['apt', 'yum'] as const) {
		it(`a shell action that declares packages gets the runbook's package helper (${packageManager})`, () => {
			const helper = packageManager === 'apt' ? 'osc_pkg_apt' : 'osc_pkg_yum';
			const rendered = alone(
				{ kind: 'shell', describe: 'one package', script: `${helper} osc-test-pkg`, uses: ['packages'] },
				packageManager,
			);
			expect(rendered.parts.helpers.map((h) => h.name)).toEqual(['osc_action', helper]);
			const box = sandbox();
			const r = runScript('sh', rendered.script, box);
			expect(r.status, r.stderr).toBe(0);
			expect(box.callLines().filter((l) => / install /.test(l))).toEqual([
				packageManager === 'apt'
					? 'apt-get install -y -o Dpkg::Options::=--force-confold osc-test-pkg'
					: 'yum install -y osc-test-pkg',
			]);
		});
	}
});

// ---------------------------------------------------------------------------------------------------------

describe.skipIf(!hasShellcheck)('shellcheck', () => {
	it('the scripts with every new option are clean as sh and as bash (all severities)', () => {
		for (const packageManager of ['apt', 'yum'] as const) {
			const rendered = render(
				runbookWith(
					[
						{ kind: 'packages', names: ['a', 'b'], lockTimeoutSec: 300 },
						{ kind: 'service', names: ['x', 'y'], state: 'restarted', restartWhenChanged: ['/etc/x.conf', '{{F}}'] },
						{ kind: 'wait', describe: 'w', until: 'true', failWhen: 'false', timeoutSec: 5 },
					],
					packageManager,
					[{ name: 'F', default: '/etc/y file.conf' }],
				),
			);
			expect(shellcheck(rendered.script), packageManager).toBe('');
		}
	});
});
