/**
 * One console per profile. A console (the TUI, or a headless command that runs things) holds an exclusive
 * lock file in the profile's state directory, `console.lock` (mode 0600), whose content names the holder:
 * pid, host, since, command (and the process start time, to tell a reused pid from the holder).
 *
 * - Taking it: the content is written to a private temp file first and hard-linked to the lock path, which
 *   fails when the lock exists (the same exclusivity as O_CREAT|O_EXCL, and the file is never seen half
 *   written). Filesystems without hard links fall back to O_CREAT|O_EXCL.
 * - A second console refuses with ProfileLockedError, naming the holder and what to do.
 * - A lock whose holder is gone (same host, pid not alive, or alive but started at another time: a reused
 *   pid) is stale: it is taken over, under a short-lived guard file so two consoles starting at once cannot
 *   both take it over.
 * - Released when the holder closes it, at process exit, and on SIGINT/SIGTERM/SIGHUP when nothing else in
 *   the process handles the signal (the signal is then delivered again, so the process still ends the way
 *   it would have). After kill -9 the lock stays, and the next console detects it as stale.
 * - Re-entrant within one process: opening the same profile twice shares the lock.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePrivateDir, ProfileError, processAlive, stateDir } from './store.js';

export interface LockHolder {
	pid: number;
	host: string;
	/** ISO time the lock was taken. */
	since: string;
	/** What holds it, e.g. "os-console run --profile lab --yes". */
	command: string;
	user?: string;
	/** Linux: the holder's start time in clock ticks since boot (/proc/PID/stat field 22). */
	startTime?: string;
}

export class ProfileLockedError extends ProfileError {
	constructor(
		message: string,
		file: string,
		readonly holder?: LockHolder,
	) {
		super(message, file);
		this.name = 'ProfileLockedError';
	}
}

export interface ProfileLock {
	readonly file: string;
	readonly holder: LockHolder;
	/** The stale holder this lock was taken over from, if any. */
	readonly tookOverFrom?: LockHolder;
	/** Release (once per acquire: the lock file goes when the last holder in this process releases it). */
	release(): void;
}

export function lockFile(profileName: string): string {
	return path.join(stateDir(profileName), 'console.lock');
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface Held {
	file: string;
	holder: LockHolder;
	count: number;
}

const held = new Map<string, Held>();
let hooksInstalled = false;
const signalHandlers = new Map<NodeJS.Signals, () => void>();

function ownStartTime(pid: number): string | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function describeHolder(h: LockHolder): string {
	return `pid ${h.pid} on ${h.host}${h.user ? ` (user ${h.user})` : ''} since ${h.since}${h.command ? `, running "${h.command}"` : ''}`;
}

export function currentCommand(): string {
	const args = process.argv.slice(2).join(' ');
	const text = `os-console${args ? ` ${args}` : ''}`;
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
	return (text.length > 200 ? `${text.slice(0, 197)}...` : text).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** The holder recorded in a lock file; undefined when it does not exist; 'unreadable' when it is garbage. */
export function readLock(file: string): LockHolder | 'unreadable' | undefined {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		return 'unreadable';
	}
	try {
		const data = JSON.parse(text) as Partial<LockHolder>;
		if (typeof data.pid !== 'number' || typeof data.host !== 'string' || typeof data.since !== 'string') {
			return 'unreadable';
		}
		return {
			pid: data.pid,
			host: data.host,
			since: data.since,
			command: typeof data.command === 'string' ? data.command : '',
			user: typeof data.user === 'string' ? data.user : undefined,
			startTime: typeof data.startTime === 'string' ? data.startTime : undefined,
		};
	} catch {
		return 'unreadable';
	}
}

/** A lock is stale when its holder ran on this host and is gone (or its pid now belongs to another process). */
export function isStale(holder: LockHolder): boolean {
	if (holder.host !== os.hostname()) return false;
	if (!processAlive(holder.pid)) return true;
	if (holder.startTime) {
		const now = ownStartTime(holder.pid);
		if (now !== undefined && now !== holder.startTime) return true;
	}
	return false;
}

function sleepSync(ms: number): void {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
	return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/** Create the lock file with `content`, atomically; false when it exists. */
function createExclusive(file: string, content: string): boolean {
	const tmp = path.join(
		path.dirname(file),
		`.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
	);
	fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
	try {
		fs.linkSync(tmp, file);
		return true;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') return false;
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
	} finally {
		fs.rmSync(tmp, { force: true });
	}
	// No hard links here: O_CREAT|O_EXCL, then the content (a reader may briefly see it empty: 'unreadable').
	let fd: number;
	try {
		fd = fs.openSync(file, 'wx', 0o600);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw error;
	}
	try {
		fs.writeFileSync(fd, content);
		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}
	return true;
}

/**
 * Remove a stale lock, unless another console got there first. A guard file makes check-and-remove one
 * step among consoles that start at the same moment; a guard older than 10 s was left by a crash.
 */
function removeStale(file: string, stale: LockHolder): void {
	const guard = `${file}.takeover`;
	try {
		fs.writeFileSync(guard, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		try {
			if (Date.now() - fs.statSync(guard).mtimeMs > 10_000) fs.rmSync(guard, { force: true });
		} catch {
			/* gone meanwhile */
		}
		sleepSync(20);
		return;
	}
	try {
		const now = readLock(file);
		if (now && now !== 'unreadable' && sameHolder(now, stale)) fs.rmSync(file, { force: true });
	} finally {
		fs.rmSync(guard, { force: true });
	}
}

function releaseFile(file: string): void {
	const entry = held.get(file);
	if (!entry) return;
	held.delete(file);
	// Only our own lock: if an operator removed it and another console took it since, that one stays.
	const now = readLock(file);
	if (now && now !== 'unreadable' && sameHolder(now, entry.holder)) fs.rmSync(file, { force: true });
	if (held.size === 0) uninstallHooks();
}

function releaseAll(): void {
	for (const file of [...held.keys()]) {
		try {
			releaseFile(file);
		} catch {
			/* exiting anyway */
		}
	}
}

/** How many listeners of this signal belong to signal-exit (used by Ink), which only acts when it is alone. */
function signalExitListeners(): number {
	const emitter = (process as unknown as { __signal_exit_emitter__?: { count?: number } }).__signal_exit_emitter__;
	return typeof emitter?.count === 'number' ? emitter.count : 0;
}

function installHooks(): void {
	if (hooksInstalled) return;
	hooksInstalled = true;
	process.on('exit', releaseAll);
	for (const signal of SIGNALS) {
		const handler = () => {
			// Somebody else in this process handles the signal (e.g. `run` cancels its steps and exits in
			// order): leave the lock to the 'exit' hook or to their close().
			const others = process.listeners(signal).filter((l) => l !== handler).length - signalExitListeners();
			if (others > 0) return;
			releaseAll();
			uninstallHooks();
			process.kill(process.pid, signal);
		};
		signalHandlers.set(signal, handler);
		// First in line, so it sees the once-listeners of others before they remove themselves.
		process.prependListener(signal, handler);
	}
}

function uninstallHooks(): void {
	if (!hooksInstalled) return;
	hooksInstalled = false;
	process.off('exit', releaseAll);
	for (const [signal, handler] of signalHandlers) process.off(signal, handler);
	signalHandlers.clear();
}

/**
 * Take the profile's lock or throw ProfileLockedError naming the holder. `command` is recorded for the
 * message another console shows.
 */
export function acquireProfileLock(profileName: string, command = currentCommand()): ProfileLock {
	const dir = ensurePrivateDir(stateDir(profileName));
	const file = path.join(dir, 'console.lock');
	const mine = held.get(file);
	if (mine) {
		mine.count++;
		return handle(mine);
	}
	const holder: LockHolder = {
		pid: process.pid,
		host: os.hostname(),
		since: new Date().toISOString(),
		command,
		user: safeUser(),
		startTime: ownStartTime(process.pid),
	};
	const content = `${JSON.stringify(holder)}\n`;
	let tookOverFrom: LockHolder | undefined;
	for (let attempt = 0; attempt < 50; attempt++) {
		if (createExclusive(file, content)) {
			const entry: Held = { file, holder, count: 1 };
			held.set(file, entry);
			installHooks();
			return handle(entry, tookOverFrom);
		}
		const current = readLock(file);
		if (current === undefined) continue; // released meanwhile: try again
		if (current === 'unreadable') {
			// A console without hard links writes its content right after creating the file.
			if (attempt < 10) {
				sleepSync(20);
				continue;
			}
			throw new ProfileLockedError(
				`profile ${profileName} is locked by ${file}, which does not say who holds it. If no other os-console is running with this profile, remove that file and try again.`,
				file,
			);
		}
		if (isStale(current)) {
			tookOverFrom = current;
			removeStale(file, current);
			continue;
		}
		const sameHost = current.host === os.hostname();
		throw new ProfileLockedError(
			`profile ${profileName} is open in another console: ${describeHolder(current)}. ` +
				(sameHost
					? `Close that console (or wait for its run to end) and try again; "os-console status --profile ${profileName}" works meanwhile. If that process is not an os-console, remove ${file}.`
					: `Close it on ${current.host} and try again. If that console is gone (the machine crashed), remove ${file}.`),
			file,
			current,
		);
	}
	throw new ProfileLockedError(
		`profile ${profileName}: could not take the lock ${file} (other consoles keep taking it); try again`,
		file,
	);
}

function handle(entry: Held, tookOverFrom?: LockHolder): ProfileLock {
	let released = false;
	return {
		file: entry.file,
		holder: entry.holder,
		tookOverFrom,
		release() {
			if (released) return;
			released = true;
			entry.count--;
			if (entry.count <= 0) releaseFile(entry.file);
		},
	};
}

function safeUser(): string | undefined {
	try {
		return os.userInfo().username;
	} catch {
		return undefined;
	}
}
