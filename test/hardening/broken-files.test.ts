/**
 * Broken files, headless: the profile, progress and secrets files each unreadable (a directory where the
 * file should be: the tests run as root, so modes do not stop reads), empty, truncated, not JSON, of
 * another version, or schema-invalid. `os-console status` and `os-console run` exit with code 2, the message
 * names the file and the field (or the JSON problem), and the file is left exactly as it was. Nothing
 * connects anywhere: the checks come before any SSH.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { demoProfile } from '../helpers/profiles.js';
import { ensureBuilt, runCli, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

type Target = 'profile' | 'progress' | 'secrets';
type Breakage = 'directory' | 'empty' | 'truncated' | 'not JSON' | 'wrong version' | 'schema-invalid';

const PROFILE: ProfileInput = demoProfile({ demoRoot: '/tmp/osc-broken', name: 'broken', port: 1 });

function validContent(target: Target): Record<string, unknown> {
	switch (target) {
		case 'profile':
			return Profile.parse(PROFILE) as unknown as Record<string, unknown>;
		case 'progress':
			return {
				version: 1,
				profile: 'broken',
				runbook: 'demo',
				steps: { 'services/count': { controller: { status: 'succeeded', attempt: 1, exitCode: 0 } } },
			};
		case 'secrets':
			return Object.fromEntries(
				['ADMIN_PASS', 'DEMO_PASS', 'KEYSTONE_DBPASS'].map((n, i) => [n, `Valid-secret-value-${i}-abcdef`]),
			);
	}
}

function brokenContent(target: Target, breakage: Exclude<Breakage, 'directory'>): string {
	const valid = validContent(target);
	const text = JSON.stringify(valid, null, 2);
	switch (breakage) {
		case 'empty':
			return '';
		case 'truncated':
			return text.slice(0, Math.floor(text.length / 2));
		case 'not JSON':
			return 'version = 1\n[profile]\nthis is not JSON\n';
		case 'wrong version':
			return JSON.stringify({ ...valid, version: 2 }, null, 2);
		case 'schema-invalid':
			if (target === 'profile') {
				const p = structuredClone(valid) as { nodes: { managementIp: string }[] };
				p.nodes[1]!.managementIp = '10.0.0.300';
				return JSON.stringify(p, null, 2);
			}
			if (target === 'progress') {
				return JSON.stringify({
					...valid,
					steps: { 'services/count': { controller: { status: 'exploded', attempt: 1 } } },
				});
			}
			return JSON.stringify({ ...valid, DEMO_PASS: 'has spaces in it' });
	}
}

/** What the message must say about the file, besides its path. */
const EXPECTED: Record<Target, Record<Breakage, RegExp>> = {
	profile: {
		directory: /profile \S+ is a directory, not a file; it was left as it is/,
		empty: /profile \S+ is empty \(truncated\?\); it was left as it is/,
		truncated: /profile \S+ is not valid JSON \(.+\); it was left as it is/,
		'not JSON': /profile \S+ is not valid JSON \(.+\); it was left as it is/,
		'wrong version': /profile \S+ is not valid; it was left as it is:\n {2}- version: must be 1/,
		'schema-invalid':
			/profile \S+ is not valid; it was left as it is:\n {2}- nodes\[1\]\.managementIp: must be an IPv4 address/,
	},
	progress: {
		directory: /progress file \S+ is a directory, not a file; it was left as it is/,
		empty: /progress file \S+ is empty \(truncated\?\); it was left as it is/,
		truncated: /progress file \S+ is not valid JSON \(.+\); it was left as it is/,
		'not JSON': /progress file \S+ is not valid JSON \(.+\); it was left as it is/,
		'wrong version': /progress file \S+ is not valid; it was left as it is .*:\n {2}- version: must be 1/,
		'schema-invalid':
			/progress file \S+ is not valid; it was left as it is .*:\n {2}- steps\.services\/count\.controller\.status: /,
	},
	secrets: {
		directory: /secrets file \S+ is a directory, not a file; it was left as it is/,
		empty: /secrets file \S+ is empty \(truncated\?\); it was left as it is/,
		truncated: /secrets file \S+ is not valid JSON \(.+\); it was left as it is/,
		'not JSON': /secrets file \S+ is not valid JSON \(.+\); it was left as it is/,
		'wrong version': /secrets file \S+ is not valid; it was left as it is .*:\n {2}- version: /,
		'schema-invalid':
			/secrets file \S+ is not valid; it was left as it is .*:\n {2}- DEMO_PASS: must be 8 to 128 characters/,
	},
};

interface Case {
	target: Target;
	breakage: Breakage;
	command: 'status' | 'run';
}

const CASES: Case[] = (['profile', 'progress', 'secrets'] as Target[]).flatMap((target) =>
	(['directory', 'empty', 'truncated', 'not JSON', 'wrong version', 'schema-invalid'] as Breakage[]).flatMap(
		(breakage) => (['status', 'run'] as const).map((command) => ({ target, breakage, command })),
	),
);

/** A console home with a saved profile (plus progress and secrets), one of its files broken. */
function setUp(c: Case): { home: string; file: string } {
	const home = tempDir('osc-broken-');
	const files: Record<Target, string> = {
		profile: path.join(home, 'profiles', 'broken.json'),
		progress: path.join(home, 'state', 'broken', 'progress.json'),
		secrets: path.join(home, 'state', 'broken', 'secrets.json'),
	};
	for (const target of ['profile', 'progress', 'secrets'] as Target[]) {
		fs.mkdirSync(path.dirname(files[target]), { recursive: true, mode: 0o700 });
		fs.writeFileSync(files[target], JSON.stringify(validContent(target), null, 2), { mode: 0o600 });
	}
	const file = files[c.target];
	fs.rmSync(file);
	if (c.breakage === 'directory') {
		fs.mkdirSync(file, { mode: 0o700 });
		fs.writeFileSync(path.join(file, 'inside'), 'keep me');
	} else {
		fs.writeFileSync(file, brokenContent(c.target, c.breakage), { mode: 0o600 });
	}
	// An old timestamp, so any rewrite would show.
	fs.utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
	return { home, file };
}

function snapshot(file: string): string {
	const st = fs.statSync(file);
	const content = st.isDirectory()
		? JSON.stringify(fs.readdirSync(file).map((n) => [n, fs.readFileSync(path.join(file, n), 'utf8')]))
		: fs.readFileSync(file, 'base64');
	return `${st.isDirectory() ? 'dir' : 'file'} ${st.mode.toString(8)} ${st.mtimeMs} ${content}`;
}

describe('broken profile, progress and secrets files, headless', () => {
	it(`${CASES.length} cases: exit code 2, the file and the field named, the file untouched`, async () => {
		const results: {
			c: Case;
			file: string;
			before: string;
			after: string;
			code: number | null;
			stderr: string;
			stdout: string;
			home: string;
		}[] = [];
		const queue = [...CASES];
		const lanes = Array.from({ length: 6 }, async () => {
			for (let c = queue.shift(); c; c = queue.shift()) {
				const { home, file } = setUp(c);
				const before = snapshot(file);
				const args = c.command === 'run' ? ['run', '--profile', 'broken', '--yes'] : ['status', '--profile', 'broken'];
				const r = await runCli(args, { home });
				results.push({
					c,
					file,
					before,
					after: snapshot(file),
					code: r.code,
					stderr: r.stderr,
					stdout: r.stdout,
					home,
				});
			}
		});
		await Promise.all(lanes);
		expect(results).toHaveLength(CASES.length);
		for (const r of results) {
			const what = `${r.c.command} with a ${r.c.breakage} ${r.c.target} file`;
			expect(r.code, `${what}: ${r.stderr}`).toBe(2);
			expect(r.stderr, what).toContain(r.file);
			expect(r.stderr, what).toMatch(EXPECTED[r.c.target][r.c.breakage]);
			expect(r.stderr.split('\n').filter(Boolean).length, what).toBeLessThan(12);
			expect(r.stderr, what).not.toMatch(/\n\s+at /); // no stack trace
			expect(r.stdout, what).toBe('');
			expect(r.after, `${what}: the file changed`).toBe(r.before);
			// Nothing was left behind: no lock, no temp files.
			const state = path.join(r.home, 'state', 'broken');
			if (fs.existsSync(state)) {
				expect(
					fs.readdirSync(state).filter((n) => n.includes('lock') || n.endsWith('.tmp')),
					what,
				).toEqual([]);
			}
		}
	});
});
