/**
 * What a replay reads, and nothing it writes: the profile's journal (grouped into runs), the runbook's
 * sections and steps for titles and order, and the attempt logs. A profile that never ran has no state
 * directory, and reading it here does not make one.
 */
import fs from 'node:fs';
import { Journal, journalFile } from '../engine/journal.js';
import { attemptLogFile } from '../engine/logs.js';
import type { Profile } from '../profile/schema.js';
import { stateDir } from '../profile/store.js';
import type { Runbook } from '../runbook/model.js';
import { stepKey } from '../runbook/model.js';
import { getRunbook } from '../runbook/registry.js';
import { nodesForStep } from '../runbook/render.js';
import { journalRuns, type RunSummary } from './runs.js';

export interface ReplaySource {
	profile: Profile;
	/** The runbook as this console has it (undefined: a runbook it no longer knows; keys only then). */
	runbook?: Runbook;
	journalFile: string;
	runs: RunSummary[];
	/** The journal's last line was incomplete (a run still writing, or a crash) and was left out. */
	tornTail: boolean;
	/** The profile has a state directory (it was opened or ran at least once). */
	hasState: boolean;
	/** The run the open console is still writing (steps of it running when the journal was read). */
	liveRunId?: string;
}

/** Reads the journal (a damaged line throws the journal's ProfileError, with the file and line). */
export function loadReplaySource(profile: Profile): ReplaySource {
	let runbook: Runbook | undefined;
	try {
		runbook = getRunbook(profile.runbook);
	} catch {
		runbook = undefined;
	}
	const file = journalFile(profile.name);
	if (!fs.existsSync(stateDir(profile.name)))
		return { profile, runbook, journalFile: file, runs: [], tornTail: false, hasState: false };
	// The state directory exists, so the journal's constructor (which makes it when missing) writes nothing.
	const journal = new Journal(profile.name);
	const runs = journalRuns(journal.read());
	return { profile, runbook, journalFile: journal.file, runs, tornTail: journal.tornTail, hasState: true };
}

/** An attempt's output as its log file holds it now: its lines, or why there are none. */
export interface AttemptOutput {
	file: string;
	lines?: string[];
	/** Bytes at the start of the file left out (only the tail was asked for); 0 when the lines are all of it. */
	skippedBytes: number;
	/** Why the file could not be read ("ENOENT"). */
	problem?: string;
}

/**
 * Reads an attempt's log. With `tailBytes`, a larger file is read from that many bytes before its end, from
 * the first whole line there on: a flood of output must not stall the console that shows it.
 */
export function readAttemptOutput(
	profileName: string,
	step: string,
	node: string,
	attempt: number,
	options: { tailBytes?: number } = {},
): AttemptOutput {
	const file = attemptLogFile(profileName, step, node, attempt);
	let fd: number | undefined;
	try {
		fd = fs.openSync(file, 'r');
		const size = fs.fstatSync(fd).size;
		const start = options.tailBytes !== undefined && size > options.tailBytes ? size - options.tailBytes : 0;
		const buffer = Buffer.alloc(size - start);
		let read = 0;
		while (read < buffer.length) {
			const n = fs.readSync(fd, buffer, read, buffer.length - read, start + read);
			if (n === 0) break;
			read += n;
		}
		let text = buffer.subarray(0, read).toString('utf8');
		let skippedBytes = start;
		if (start > 0) {
			// From the first whole line: the cut may fall inside a line (or a character).
			const newline = text.indexOf('\n');
			skippedBytes += Buffer.byteLength(text.slice(0, newline + 1));
			text = text.slice(newline + 1);
		}
		return { file, lines: text.replace(/\n$/, '').split('\n'), skippedBytes };
	} catch (error) {
		return { file, skippedBytes: 0, problem: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
	} finally {
		if (fd !== undefined) fs.closeSync(fd);
	}
}

export interface ReplayStep {
	key: string;
	/** Its number in its section (1-based). */
	number: number;
	title: string;
	/** The nodes it runs on for this profile, then any other node the journal names for it. */
	nodes: string[];
}

export interface ReplaySection {
	id: string;
	title: string;
	/** False for the steps the journal names that the runbook does not have (any more). */
	inRunbook: boolean;
	steps: ReplayStep[];
}

/** The runbook's sections and steps as the checklist orders them, with the steps of the run it lacks after them. */
export function replaySections(source: ReplaySource, run: RunSummary): ReplaySection[] {
	const named = new Map<string, Set<string>>();
	for (const event of run.events) {
		const step = typeof event.step === 'string' ? event.step : '';
		if (!step || step === '*') continue;
		const nodes = named.get(step) ?? new Set<string>();
		if (typeof event.node === 'string' && event.node) nodes.add(event.node);
		if (Array.isArray(event.nodes)) for (const n of event.nodes) if (typeof n === 'string') nodes.add(n);
		named.set(step, nodes);
	}
	const sections: ReplaySection[] = [];
	const known = new Set<string>();
	for (const section of source.runbook?.sections ?? []) {
		const steps = section.steps.map((step, index) => {
			const key = stepKey(section, step);
			known.add(key);
			const nodes = nodesForStep(source.runbook!, step, source.profile).map((n) => n.name);
			for (const extra of named.get(key) ?? []) if (!nodes.includes(extra)) nodes.push(extra);
			return { key, number: index + 1, title: step.title, nodes };
		});
		sections.push({ id: section.id, title: section.title, inRunbook: true, steps });
	}
	const others = [...named.entries()].filter(([key]) => !known.has(key));
	if (others.length > 0) {
		sections.push({
			id: '',
			title: '',
			inRunbook: false,
			steps: others.map(([key, nodes], index) => ({ key, number: index + 1, title: key, nodes: [...nodes] })),
		});
	}
	return sections;
}
