/**
 * Every test run gets its own temporary root, removed when the run ends: tests make many temp dirs (profiles,
 * homes, sshd keys) and a machine that runs the suite again and again must not collect them in /tmp.
 * os.tmpdir() reads TMPDIR on each call, and the test workers are forked after this runs, so they inherit it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-test-run-'));
	// mkdtemp makes it 0700: the SSH tests' other users (sudo tests) need to reach their homes below it, and
	// sshd's StrictModes wants no group or other write on the way.
	fs.chmodSync(root, 0o755);
	const previous = process.env.TMPDIR;
	process.env.TMPDIR = root;
	return () => {
		if (previous === undefined) delete process.env.TMPDIR;
		else process.env.TMPDIR = previous;
		fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
	};
}
