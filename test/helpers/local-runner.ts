/**
 * LocalShellRunner: runs rendered step scripts with the local `sh`, as the node would. Not a mock: the
 * scripts really execute (the demo runbook only writes under a temp dir). It stands in for SSH in tests of
 * the engine's own logic and of the screens; the SSH path itself (SshStepRunner, NodeSession, remote runs)
 * is tested against a real sshd in test/ssh.
 *
 * It reports connection states like the SSH runner does (connecting, then connected), so the dashboard's
 * node column has something real to show, and close() stops whatever is still running (test cleanup).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AttachRequest, RunOutcome, StepRunner, StepRunRequest } from '../../source/engine/engine.js';
import type { ProfileNode } from '../../source/profile/schema.js';

export class LocalShellRunner implements StepRunner {
	/** Every run, in order: the node, the run id and the script it was given. */
	readonly runs: { node: string; runId: string; script: string }[] = [];
	/** Where each run's script and secrets file are written (one directory per run id). */
	readonly base = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-local-runs-'));
	private readonly children = new Set<number>();

	async run(node: ProfileNode, request: StepRunRequest): Promise<RunOutcome> {
		this.runs.push({ node: node.name, runId: request.runId, script: request.script });
		request.onConnection?.({ state: 'connecting' });
		const dir = path.join(this.base, request.runId);
		fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
		const script = path.join(dir, 'script.sh');
		const secrets = path.join(dir, 'secrets.env');
		fs.writeFileSync(script, request.script, { mode: 0o600 });
		fs.writeFileSync(secrets, request.secretsEnv, { mode: 0o600 });
		request.onConnection?.({ state: 'connected', detail: 'local sh' });
		return new Promise((resolve) => {
			const child = spawn('sh', [script], {
				env: { ...process.env, OSC_RUN_DIR: dir, OSC_SECRETS: secrets },
				detached: true,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			if (child.pid) this.children.add(child.pid);
			let outcome: RunOutcome | undefined;
			const stop = (why: RunOutcome) => {
				outcome ??= why;
				try {
					process.kill(-child.pid!, 'SIGTERM');
				} catch {
					/* already gone */
				}
			};
			const timer = setTimeout(() => stop({ kind: 'timeout' }), request.timeoutMs);
			const onAbort = () => stop({ kind: 'cancelled', code: 143 });
			if (request.signal.aborted) onAbort();
			else request.signal.addEventListener('abort', onAbort, { once: true });
			child.stdout.on('data', (chunk: Buffer) => request.onStdout(chunk));
			child.stderr.on('data', (chunk: Buffer) => request.onStderr(chunk));
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				if (child.pid) this.children.delete(child.pid);
				if (outcome) resolve(outcome);
				else if (code !== null) resolve({ kind: 'exited', code });
				else resolve({ kind: 'signaled', signal: signal ?? 'unknown' });
			});
		});
	}

	async attach(_node: ProfileNode, _request: AttachRequest): Promise<RunOutcome> {
		// Local runs die with the test process; there is nothing on a node to re-attach to.
		return { kind: 'no-trace' };
	}

	/** Stop whatever is still running (test cleanup; Engine.close calls it). */
	async close(): Promise<void> {
		for (const pid of this.children) {
			try {
				process.kill(-pid, 'SIGKILL');
			} catch {
				/* gone */
			}
		}
		this.children.clear();
	}
}
