/**
 * LocalShellRunner: runs rendered step scripts with the local `sh`, as the node would. Not a mock: the
 * scripts really execute (the demo runbook only writes under a temp dir). It stands in for SSH in tests of
 * the engine's own logic and of the screens; the SSH path itself is tested against a real sshd in test/ssh.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AttachRequest, RunOutcome, StepRunner, StepRunRequest } from '../../source/engine/engine.js';
import type { ProfileNode } from '../../source/profile/schema.js';

export class LocalShellRunner implements StepRunner {
	readonly runs: { node: string; runId: string; script: string }[] = [];
	private readonly base = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-local-runs-'));

	async run(node: ProfileNode, request: StepRunRequest): Promise<RunOutcome> {
		this.runs.push({ node: node.name, runId: request.runId, script: request.script });
		const dir = path.join(this.base, request.runId);
		fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
		fs.writeFileSync(path.join(dir, 'script.sh'), request.script, { mode: 0o600 });
		fs.writeFileSync(path.join(dir, 'secrets.env'), request.secretsEnv, { mode: 0o600 });
		return new Promise((resolve) => {
			const child = spawn('sh', [path.join(dir, 'script.sh')], {
				env: { ...process.env, OSC_RUN_DIR: dir, OSC_SECRETS: path.join(dir, 'secrets.env') },
				detached: true,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let outcome: RunOutcome | undefined;
			const killGroup = (why: RunOutcome) => {
				outcome = why;
				try {
					process.kill(-child.pid!, 'SIGTERM');
				} catch {
					/* already gone */
				}
			};
			const timer = setTimeout(() => killGroup({ kind: 'timeout' }), request.timeoutMs);
			request.signal.addEventListener('abort', () => killGroup({ kind: 'cancelled', code: 143 }), { once: true });
			child.stdout.on('data', (c: Buffer) => request.onStdout(c));
			child.stderr.on('data', (c: Buffer) => request.onStderr(c));
			child.on('close', (code, signal) => {
				clearTimeout(timer);
				if (outcome) resolve(outcome);
				else if (code !== null) resolve({ kind: 'exited', code });
				else resolve({ kind: 'signaled', signal: signal ?? 'unknown' });
			});
		});
	}

	async attach(_node: ProfileNode, _request: AttachRequest): Promise<RunOutcome> {
		// Local runs die with the test process; there is nothing to re-attach to.
		return { kind: 'no-trace' };
	}
}
