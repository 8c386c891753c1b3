/**
 * Full output of every attempt, one file per (step, node, attempt), masked like the panes. Files are 0600
 * in 0700 directories; a log that cannot be written (disk full, a directory in the way) never stops a step
 * or crashes the console: the first error is kept and reported by the engine's caller through `error`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, stateDir } from '../profile/store.js';

export function attemptLogFile(profileName: string, stepKey: string, node: string, attempt: number): string {
	return path.join(stateDir(profileName), 'logs', ...stepKey.split('/'), node, `attempt-${attempt}.log`);
}

/** Appends lines; writes are queued by the stream so a flood of output never blocks the event loop. */
export class AttemptLog {
	private stream: fs.WriteStream;
	/** The first write error, if any (the log is then incomplete). */
	error?: Error;
	constructor(readonly file: string) {
		ensurePrivateDir(path.dirname(file));
		this.stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
		this.stream.on('error', (error) => {
			this.error ??= error;
		});
	}
	write(line: string): boolean {
		if (this.error) return true;
		return this.stream.write(`${line}\n`);
	}
	/** Bytes as they are (whole lines, each ending in a newline; the stream keeps the buffer until written). */
	writeBytes(bytes: Buffer): boolean {
		if (this.error) return true;
		return this.stream.write(bytes);
	}
	close(): Promise<void> {
		if (this.error || this.stream.destroyed) return Promise.resolve();
		return new Promise((resolve) => {
			this.stream.once('error', () => resolve());
			this.stream.end(resolve);
		});
	}
}
