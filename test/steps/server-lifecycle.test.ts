/**
 * The shared server actions of the launch steps (source/steps/shared/launch.ts), run by sh against a FAKE
 * `osc_openstack`: a shell function that answers `server show` with the client's `-f shell` output (the shape
 * the real client printed on the acceptance test's Zed controller) and records every call it gets. The real
 * client and nova run in the acceptance test, which replaces a real ERROR server; a build that nova lost cannot
 * be made on demand, hence the fake here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceLostServer, STUCK_BUILD_SEC, serverSettles } from '../../source/steps/shared/launch.js';

const FAKE_OPENSTACK = String.raw`osc_openstack() {
	osc_fake_creds=$1
	shift 2
	printf '%s %s\n' "$osc_fake_creds" "$*" >> "$FAKE_CALLS"
	case "$*" in
	"server show "*" -f shell "*)
		if [ -z "$FAKE_SHOW" ]; then echo "No server with a name or ID of '$3' exists." >&2; return 1; fi
		printf '%s\n' "$FAKE_SHOW" ;;
	"server show "*" -f value -c status")
		if [ -n "$FAKE_RESET" ] && [ ! -e "$FAKE_CALLS.reset" ]; then
			: > "$FAKE_CALLS.reset"
			echo "Unable to establish connection to http://controller:8774/v2.1/servers/$3: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))" >&2
			return 1
		fi
		if [ -e "$FAKE_CALLS.deleted" ]; then echo "No server with a name or ID of '$3' exists." >&2; return 1; fi
		printf '%s\n' "$FAKE_SHOW" | sed -n 's/^status="\(.*\)"$/\1/p' ;;
	"server show "*" -f value -c id") printf '%s\n' "$FAKE_SHOW" | sed -n 's/^id="\(.*\)"$/\1/p' ;;
	"server show "*" -f value -c fault") printf '%s\n' "$FAKE_FAULT" ;;
	"server delete "*) : > "$FAKE_CALLS.deleted" ;;
	*) echo "fake osc_openstack: unexpected call: $*" >&2; return 2 ;;
	esac
}
`;

const ID = '6e918fc2-af61-4a19-9fc3-596cb25c1f44';

interface Server {
	status: string;
	task?: string;
	launchedAt?: string;
	/** Seconds since nova last changed it. */
	quietSec?: number;
}

/** `openstack server show NAME -f shell -c ...` as the Zed client prints it (fields in the client's order). */
function showShell(s: Server): string {
	const updated = new Date(Date.now() - (s.quietSec ?? 0) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
	return [
		`os_ext_sts_task_state="${s.task ?? 'None'}"`,
		`os_srv_usg_launched_at="${s.launchedAt ?? 'None'}"`,
		`id="${ID}"`,
		`status="${s.status}"`,
		`updated="${updated}"`,
	].join('\n');
}

function run(script: string, server: Server | undefined, fault = '', reset = false) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-server-'));
	const calls = path.join(dir, 'calls');
	fs.writeFileSync(calls, '');
	const r = spawnSync('sh', ['-c', `${FAKE_OPENSTACK}\n${script}`], {
		encoding: 'utf8',
		env: {
			...process.env,
			FAKE_CALLS: calls,
			FAKE_SHOW: server ? showShell(server) : '',
			FAKE_FAULT: fault,
			FAKE_RESET: reset ? '1' : '',
		},
	});
	return {
		code: r.status,
		out: `${r.stdout}${r.stderr}`,
		calls: fs
			.readFileSync(calls, 'utf8')
			.split('\n')
			.filter(Boolean)
			.map((c) => c.replace(/^demo /, '')),
	};
}

describe('replaceLostServer: a retry makes again only a server that never ran', () => {
	const action = replaceLostServer('provider-instance');
	if (action.kind !== 'shell') throw new Error('replaceLostServer is a shell action');
	const deletes = (calls: string[]) => calls.filter((c) => c.startsWith('server delete'));

	it('absent: nothing to remove', () => {
		const r = run(action.script, undefined);
		expect(r.code).toBe(0);
		expect(r.out).toBe('absent:    server provider-instance\n');
		expect(deletes(r.calls)).toEqual([]);
	});

	it('ERROR and never launched: shows the fault, deletes it by id and waits', () => {
		const r = run(action.script, { status: 'ERROR' }, "{'code': 500, 'message': 'No valid host was found. '}");
		expect(r.code).toBe(0);
		expect(r.out).toContain(`server provider-instance (${ID}) is ERROR and never ran; nova's fault`);
		expect(r.out).toContain('No valid host was found.');
		expect(deletes(r.calls)).toEqual([`server delete ${ID}`]);
		expect(r.out).toMatch(/^removed: {3}server provider-instance \(6e918fc2-.*\), created again below$/m);
	});

	it('a reset connection while it waits for the delete is asked again, not taken for "gone"', () => {
		const r = run(action.script, { status: 'ERROR' }, 'No valid host was found.', true);
		expect(r.code).toBe(0);
		expect(r.calls.filter((c) => c === `server show ${ID} -f value -c status`)).toHaveLength(2);
		expect(r.out).toMatch(/^removed: {3}server provider-instance/m);
	});

	it(`BUILD, never launched, no change for ${STUCK_BUILD_SEC} s or more: nova lost it, it is replaced`, () => {
		const r = run(action.script, { status: 'BUILD', task: 'scheduling', quietSec: STUCK_BUILD_SEC + 120 });
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/has been in BUILD with no change for 4\d\ds and never ran: nova lost its build/);
		expect(deletes(r.calls)).toEqual([`server delete ${ID}`]);
	});

	it('BUILD that changed lately: still building, left alone', () => {
		const r = run(action.script, { status: 'BUILD', task: 'spawning', quietSec: 20 });
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/^unchanged: server provider-instance is building \(its last change 2\ds ago\)$/m);
		expect(deletes(r.calls)).toEqual([]);
	});

	it('a server that has run is never removed, whatever its state', () => {
		for (const status of ['ACTIVE', 'ERROR', 'SHUTOFF']) {
			const r = run(action.script, { status, launchedAt: '2026-11-26T08:05:03.000000', quietSec: 3600 });
			expect(r.code, status).toBe(0);
			expect(r.out, status).toContain(`is ${status} and has run (launched 2026-11-26T08:05:03.000000): never replaced`);
			expect(deletes(r.calls), status).toEqual([]);
		}
	});
});

describe('serverSettles: the wait for ACTIVE', () => {
	const action = serverSettles('provider-instance', 420, 3);
	if (action.kind !== 'wait' || action.failWhen === undefined) throw new Error('serverSettles is a wait with failWhen');

	it('ACTIVE ends the wait', () => {
		expect(run(action.until, { status: 'ACTIVE', launchedAt: 'x' }).code).toBe(0);
	});

	it('BUILD: not yet, and what it prints (shown at a timeout) names the task state and where to look', () => {
		const scheduling = run(action.until, { status: 'BUILD', task: 'scheduling' });
		expect(scheduling.code).toBe(1);
		expect(scheduling.out).toContain('provider-instance: BUILD (task state: scheduling)');
		expect(scheduling.out).toContain('no compute node has taken it yet: see the nova-scheduler and nova-conductor');
		expect(scheduling.out).toContain(`replaces it once it has shown no change for ${STUCK_BUILD_SEC} s`);
		const spawning = run(action.until, { status: 'BUILD', task: 'spawning' });
		expect(spawning.out).toContain('its compute node is at it: see /var/log/nova/nova-compute.log');
	});

	it('ERROR stops the wait with the fault; BUILD and ACTIVE do not', () => {
		const error = run(
			action.failWhen!,
			{ status: 'ERROR' },
			'Build of instance aborted: Failed to allocate the network(s)',
		);
		expect(error.code).toBe(0);
		expect(error.out).toContain('provider-instance is ERROR; its fault');
		expect(error.out).toContain('Failed to allocate the network(s)');
		expect(error.calls).toContain(`admin server show ${ID} -f value -c fault`);
		expect(run(action.failWhen!, { status: 'BUILD', task: 'spawning' }).code).toBe(1);
		expect(run(action.failWhen!, { status: 'ACTIVE', launchedAt: 'x' }).code).toBe(1);
	});
});
