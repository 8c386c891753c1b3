/**
 * The run journal: one JSON object per line, appended for every step start/finish and operator action,
 * so an operator can see (and replay) what happened.
 *
 * Crash safety: each event is one whole line written with O_APPEND in one call, so a crash can only leave
 * the last line cut short (a write the kernel had not finished). Before its first append, a writer cuts
 * such a torn tail off (keeping its bytes beside the journal, in journal.jsonl.torn-TIME) so the next line
 * starts on a line of its own. The reader accepts a torn last line (it is being written, or its writer was
 * killed) and nothing else: a damaged line in the middle is reported with the file and line number.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, ProfileError, stateDir } from '../profile/store.js';

export type JournalEvent = Record<string, unknown> & { type: string };

function isEvent(text: string): boolean {
	try {
		const event = JSON.parse(text) as unknown;
		return typeof event === 'object' && event !== null && typeof (event as JournalEvent).type === 'string';
	} catch {
		return false;
	}
}

export function journalFile(profileName: string): string {
	return path.join(stateDir(profileName), 'journal.jsonl');
}

export class Journal {
	readonly file: string;
	readonly runId: string;
	/** Set by read(): the file ended with an incomplete line, which was skipped. */
	tornTail = false;
	private repaired = false;

	constructor(profileName: string, runId = new Date().toISOString()) {
		const dir = ensurePrivateDir(stateDir(profileName));
		this.file = path.join(dir, 'journal.jsonl');
		this.runId = runId;
	}

	append(event: JournalEvent): void {
		if (!this.repaired) {
			this.repairTornTail();
			this.repaired = true;
		}
		const line = `${JSON.stringify({ at: new Date().toISOString(), run: this.runId, ...event })}\n`;
		fs.appendFileSync(this.file, line, { mode: 0o600 });
	}

	/**
	 * A journal whose last line was cut by a crash: cut it back to the last complete line, so the next event
	 * is not glued to the fragment. The fragment is kept in a side file (0600), never silently dropped.
	 */
	private repairTornTail(): void {
		let fd: number;
		try {
			fd = fs.openSync(this.file, 'r+');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
			throw error;
		}
		try {
			const size = fs.fstatSync(fd).size;
			if (size === 0) return;
			const last = Buffer.alloc(1);
			fs.readSync(fd, last, 0, 1, size - 1);
			if (last[0] === 0x0a) return;
			// Find the last newline, reading backwards in chunks.
			const chunk = Buffer.alloc(64 * 1024);
			let end = size;
			let cut = 0;
			search: while (end > 0) {
				const start = Math.max(0, end - chunk.length);
				const n = fs.readSync(fd, chunk, 0, end - start, start);
				for (let i = n - 1; i >= 0; i--) {
					if (chunk[i] === 0x0a) {
						cut = start + i + 1;
						break search;
					}
				}
				end = start;
			}
			const torn = Buffer.alloc(size - cut);
			fs.readSync(fd, torn, 0, torn.length, cut);
			if (isEvent(torn.toString('utf8'))) {
				// Whole but for its newline: keep it where it is.
				fs.writeSync(fd, '\n', size);
				fs.fsyncSync(fd);
				return;
			}
			const aside = `${this.file}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}`;
			fs.writeFileSync(aside, torn, { mode: 0o600 });
			fs.ftruncateSync(fd, cut);
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}
	}

	read(): JournalEvent[] {
		this.tornTail = false;
		let text: string;
		try {
			text = fs.readFileSync(this.file, 'utf8');
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === 'ENOENT') return [];
			throw new ProfileError(`journal ${this.file} cannot be read (${code ?? (error as Error).message})`, this.file);
		}
		const events: JournalEvent[] = [];
		const lines = text.split('\n');
		// After the last newline: '' when the file ends with one, else a line still being written or torn.
		const tail = lines.pop() ?? '';
		lines.forEach((line, index) => {
			if (line.trim() === '') return;
			let event: unknown;
			try {
				event = JSON.parse(line);
			} catch (error) {
				throw new ProfileError(
					`journal ${this.file} line ${index + 1} is damaged (${(error as Error).message}); it was left as it is. Only a last line cut short by a crash is expected; move the file aside to start a new journal.`,
					this.file,
				);
			}
			if (typeof event !== 'object' || event === null || typeof (event as JournalEvent).type !== 'string') {
				throw new ProfileError(
					`journal ${this.file} line ${index + 1} is not a journal event (an object with a "type"); it was left as it is`,
					this.file,
				);
			}
			events.push(event as JournalEvent);
		});
		if (tail !== '') {
			if (isEvent(tail)) events.push(JSON.parse(tail) as JournalEvent);
			else this.tornTail = true;
		}
		return events;
	}
}
