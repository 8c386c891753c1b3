/** Full output of every attempt, one file per (step, node, attempt), masked like the panes. */
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, stateDir } from '../profile/store.js';

export function attemptLogFile(profileName: string, stepKey: string, node: string, attempt: number): string {
	return path.join(stateDir(profileName), 'logs', ...stepKey.split('/'), node, `attempt-${attempt}.log`);
}

/** Appends lines; writes are queued by the stream so a flood of output never blocks the event loop. */
export class AttemptLog {
	private stream: fs.WriteStream;
	constructor(readonly file: string) {
		ensurePrivateDir(path.dirname(file));
		this.stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
	}
	write(line: string): boolean {
		return this.stream.write(`${line}\n`);
	}
	close(): Promise<void> {
		return new Promise((resolve) => this.stream.end(resolve));
	}
}
