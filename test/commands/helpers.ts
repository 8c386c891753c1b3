/**
 * Setup shared by the tests of headless commands: what a command writes to stdout and stderr, captured
 * per test, and a temporary OS_CONSOLE_HOME for a whole file, restored and removed after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';

/** What the command under test wrote; emptied before each test (a test may empty it again). */
export interface CapturedStdio {
	out: string;
	err: string;
}

/** Captures process.stdout and process.stderr for each test of the file or describe block it is called in. */
export function captureStdio(): CapturedStdio {
	const stdio: CapturedStdio = { out: '', err: '' };
	beforeEach(() => {
		stdio.out = '';
		stdio.err = '';
		vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
			stdio.out += String(chunk);
			return true;
		});
		vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
			stdio.err += String(chunk);
			return true;
		});
	});
	afterEach(() => {
		vi.restoreAllMocks();
	});
	return stdio;
}

/** The temporary console home; `dir` is set before the file's (or block's) other beforeAll hooks run. */
export interface TempConsoleHome {
	dir: string;
}

/**
 * A fresh directory as OS_CONSOLE_HOME for all the tests of the file or describe block it is called in
 * (call it before the block's own beforeAll hooks, which may then use `dir`); the previous value is put
 * back and the directory removed afterwards.
 */
export function tempConsoleHome(prefix: string): TempConsoleHome {
	const home: TempConsoleHome = { dir: '' };
	let previous: string | undefined;
	beforeAll(() => {
		previous = process.env.OS_CONSOLE_HOME;
		home.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
		process.env.OS_CONSOLE_HOME = home.dir;
	});
	afterAll(() => {
		if (previous === undefined) delete process.env.OS_CONSOLE_HOME;
		else process.env.OS_CONSOLE_HOME = previous;
		fs.rmSync(home.dir, { recursive: true, force: true });
	});
	return home;
}
