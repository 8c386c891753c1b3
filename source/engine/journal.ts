/**
 * The run journal: one JSON object per line, appended for every step start/finish and operator action,
 * so an operator can see (and replay) what happened. Lines are written with O_APPEND in one write each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, stateDir } from '../profile/store.js';

export type JournalEvent = Record<string, unknown> & { type: string };

export class Journal {
	readonly file: string;
	readonly runId: string;
	constructor(profileName: string, runId = new Date().toISOString()) {
		const dir = ensurePrivateDir(stateDir(profileName));
		this.file = path.join(dir, 'journal.jsonl');
		this.runId = runId;
	}
	append(event: JournalEvent): void {
		const line = `${JSON.stringify({ at: new Date().toISOString(), run: this.runId, ...event })}\n`;
		fs.appendFileSync(this.file, line, { mode: 0o600 });
	}
	read(): JournalEvent[] {
		if (!fs.existsSync(this.file)) return [];
		const events: JournalEvent[] = [];
		for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
			if (!line.trim()) continue;
			try {
				events.push(JSON.parse(line) as JournalEvent);
			} catch {
				// A line cut short by a crash is skipped; every complete line before and after it still counts.
			}
		}
		return events;
	}
}
