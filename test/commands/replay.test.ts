/**
 * `os-console replay`: a journal and attempt logs written by real engine runs (the demo runbook through
 * LocalShellRunner: the step scripts really execute), replayed headless: the run list, the events in order with
 * their times, each attempt's output from its log (masked), the outcome per step and node, --speed timing, an
 * unfinished attempt, and bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run as replay } from '../../source/commands/replay.js';
import { Journal } from '../../source/engine/journal.js';
import type { Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { MASK } from '../../source/runbook/render.js';
import { demoProfile, writeProfile } from '../helpers/profiles.js';
import { recordTwoSessions } from '../helpers/recorded-runs.js';
import { captureStdio, tempConsoleHome } from './helpers.js';

let root: string;
let profileFile: string;
let profile: Profile;
let runIds: string[] = [];
const home = tempConsoleHome('osc-replay-');
const stdio = captureStdio();

beforeAll(async () => {
	({ demoRoot: root, profileFile, profile, runIds } = await recordTwoSessions(home.dir, 'replay-demo', 'tester@ci'));
});

/** Lines of the replay without the "+12.345s" time column. */
function events(text: string): string[] {
	return text
		.split('\n')
		.filter((l) => /^ *\+\d+\.\d{3}s {2}/.test(l))
		.map((l) => l.replace(/^ *\+\d+\.\d{3}s {2}/, '').replace(/ {2,}/g, ' '));
}

describe('os-console replay', () => {
	it('--list shows both sessions with their attempts and outcomes', async () => {
		expect(await replay(['--profile', profileFile, '--list'])).toBe(0);
		const lines = stdio.out.split('\n');
		expect(lines[0]).toContain('runs of profile replay-demo');
		const first = lines.find((l) => l.includes(runIds[0]!));
		const second = lines.find((l) => l.includes(runIds[1]!));
		// session 1: hosts x3, config x1, count x3, flaky x3 (compute2 failed)
		expect(first).toMatch(/ 10 +9 succeeded, 1 failed$/);
		// session 2: flaky on compute2 again, compute-only on compute2 (compute1 was skipped), secret-file
		expect(second).toMatch(/ 3 +3 succeeded$/);
		expect(lines.indexOf(first!)).toBeLessThan(lines.indexOf(second!));
	});

	it('replays a run: events in order, each attempt with its logged output, and the outcome per step and node', async () => {
		expect(await replay(['--profile', profileFile, '--run', runIds[0]!])).toBe(0);
		expect(stdio.out.split('\n')[0]).toContain(
			`replay of run ${runIds[0]}: profile replay-demo, runbook demo; 25 events over `,
		);
		const ev = events(stdio.out);
		expect(ev[0]).toBe('operator run environment/hosts on controller, compute1, compute2');
		expect(ev.slice(1, 4).sort()).toEqual([
			'compute1 ▶ environment/hosts attempt 1: Write the hosts file',
			'compute2 ▶ environment/hosts attempt 1: Write the hosts file',
			'controller ▶ environment/hosts attempt 1: Write the hosts file',
		]);
		expect(ev).toContain(
			'compute2 ✖ services/flaky attempt 1: failed (exit 3; exit code 3 in action 1/1 fail when DEMO_ROOT/NODE/fail exists)',
		);
		expect(ev.at(-1)).toBe('operator skip services/compute-only (by tester@ci)');
		// output from the attempt logs, per node, before the attempt's end
		const lines = stdio.out.split('\n');
		const squeezed = lines.map((l) => l.trim().replace(/ {2,}/g, ' '));
		const failedAt = squeezed.findIndex((l) => l.includes('compute2 ✖ services/flaky'));
		expect(
			squeezed
				.slice(0, failedAt)
				.filter((l) => l.startsWith('compute2 |'))
				.slice(-3),
		).toEqual([
			'compute2 | ── [1/1] fail when DEMO_ROOT/NODE/fail exists',
			'compute2 | [stderr] flag file present: failing',
			'compute2 | ── failed: exit code 3 in action 1/1 fail when DEMO_ROOT/NODE/fail exists',
		]);
		expect(squeezed).toContain('compute1 | line 3 of 3 on compute1');
		// every event's time is not before the one printed above it
		const times = lines.filter((l) => /^ *\+\d/.test(l)).map((l) => Number.parseFloat(l.trim().slice(1)));
		expect(times).toEqual([...times].sort((a, b) => a - b));
		const outcome = stdio.out.slice(stdio.out.indexOf(`outcome of run ${runIds[0]}`));
		expect(outcome).toMatch(/ environment\/hosts +controller=succeeded {2}compute1=succeeded {2}compute2=succeeded\n/);
		expect(outcome).toMatch(/ services\/flaky +.*compute2=failed \(exit 3; exit code 3 in action/);
		expect(outcome).not.toContain('finish/secret-file');
	});

	it('defaults to the last run; its output is masked as it was logged; --lines keeps the tail', async () => {
		expect(await replay(['--profile', profileFile])).toBe(0);
		expect(stdio.out).toContain(`replay of run ${runIds[1]}`);
		expect(events(stdio.out)).toContain('compute2 ✔ services/flaky attempt 2: succeeded (exit 0)');
		expect(stdio.out).toContain(`controller  | export OS_PASSWORD=${MASK}`);
		expect(stdio.out).not.toContain(loadOrCreateSecrets(profile.name).ADMIN_PASS);
		stdio.out = '';
		expect(await replay(['--profile', profileFile, '--lines', '2'])).toBe(0);
		expect(stdio.out).not.toContain('OS_PASSWORD');
		expect(stdio.out).toMatch(
			/controller {2}\| … 6 earlier lines in .*secret-file\/controller\/attempt-1\.log\n.*\n.*── succeeded\n/,
		);
		const outcome = stdio.out.slice(stdio.out.indexOf('outcome of run'));
		expect(outcome).toMatch(/ services\/compute-only +compute2=succeeded\n/);
		expect(outcome).toMatch(/ finish\/secret-file +controller=succeeded\n/);
	});

	it('replays the recorded timing scaled by --speed, and without it does not wait', async () => {
		// session 1 took more than a second (the count step sleeps 0.3 s between 3 lines)
		let t = Date.now();
		expect(await replay(['--profile', profileFile, '--run', runIds[0]!])).toBe(0);
		const instant = Date.now() - t;
		const span = Number(/ over (\d+\.\d+)s/.exec(stdio.out)?.[1]);
		expect(span).toBeGreaterThan(0.9);
		expect(instant).toBeLessThan(500);
		t = Date.now();
		expect(await replay(['--profile', profileFile, '--run', runIds[0]!, '--speed', '2'])).toBe(0);
		const scaled = Date.now() - t;
		expect(scaled).toBeGreaterThanOrEqual((span * 1000) / 2 - 50);
		expect(scaled).toBeLessThan(span * 1000);
		// gaps are cut to --max-wait
		t = Date.now();
		expect(await replay(['--profile', profileFile, '--run', runIds[0]!, '--speed', '0.01', '--max-wait', '0.01'])).toBe(
			0,
		);
		expect(Date.now() - t).toBeLessThan(2000);
	});

	it('reports an attempt whose end is not in the run (the console was killed) as unfinished', async () => {
		const crashed = new Journal(profile.name, `${new Date().toISOString()}-crashed`);
		crashed.append({ type: 'operator', action: 'run', step: 'services/count', nodes: ['controller'] });
		crashed.append({ type: 'step-started', step: 'services/count', node: 'controller', attempt: 9, runId: 'x' });
		expect(await replay(['--profile', profileFile, '--run', crashed.runId])).toBe(0);
		expect(events(stdio.out)).toContain('controller ▶ services/count attempt 9: Count slowly');
		expect(stdio.out).toContain(
			'services/count  controller=unfinished (the console stopped before it ended; a later session re-attaches)',
		);
		stdio.out = '';
		expect(await replay(['--profile', profileFile, '--run', crashed.runId.slice(0, -3)])).toBe(0);
		expect(stdio.out).toContain(`replay of run ${crashed.runId}`);
	});

	it('prints text without a terminal (as here) and with --plain; --lang takes zh or en only', async () => {
		expect(await replay(['--profile', profileFile, '--run', runIds[1]!, '--plain', '--lang', 'zh'])).toBe(0);
		expect(stdio.out).toContain(`replay of run ${runIds[1]}`);
		expect(stdio.out).toContain(`outcome of run ${runIds[1]}`);
		expect(await replay(['--profile', profileFile, '--lang', 'xx'])).toBe(2);
		expect(stdio.err).toContain('unknown language "xx" for --lang');
	});

	it('rejects a run id it does not know, bad numbers, and says when nothing was recorded', async () => {
		expect(await replay(['--profile', profileFile, '--run', 'nope'])).toBe(2);
		expect(stdio.err).toContain('--run nope: no such run; runs: ');
		stdio.err = '';
		expect(await replay(['--profile', profileFile, '--speed', '0'])).toBe(2);
		expect(stdio.err).toContain('--speed must be a positive number');
		stdio.err = '';
		expect(await replay(['--profile', profileFile, '--lines', 'x'])).toBe(2);
		stdio.err = '';
		expect(await replay([])).toBe(2);
		expect(stdio.err).toContain('--profile is required');
		const fresh = demoProfile({ demoRoot: root, name: 'never-ran' });
		const freshFile = writeProfile(home.dir, fresh);
		stdio.out = '';
		expect(await replay(['--profile', freshFile])).toBe(1);
		expect(stdio.out).toContain('no runs recorded for profile never-ran');
		expect(fs.existsSync(path.join(home.dir, 'state', 'never-ran'))).toBe(false);
		expect(await replay(['--profile', freshFile, '--list'])).toBe(0);
	});
});
