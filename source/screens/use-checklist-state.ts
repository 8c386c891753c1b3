/**
 * What the checklist and the dashboard show, computed from the engine (pure: time is a parameter, so
 * "no output for 2m" is testable without waiting two minutes).
 */
import type { Engine } from '../engine/engine.js';
import { isDone, type NodeStepState, type StepStatus } from '../engine/types.js';
import { sectionTitle, t } from '../i18n/index.js';
import { formatDuration, formatSilence, millisBetween, millisSince } from '../ui/format.js';

/** A running step silent for this long says so, instead of looking hung. */
export const SILENCE_MS = 30_000;

export interface NodeCell {
	node: string;
	status: StepStatus;
	attempt: number;
}

export type DetailTone = 'muted' | 'warning' | 'error';

export interface ChecklistRow {
	key: string;
	/** 1-based position in the section. */
	number: number;
	title: string;
	status: StepStatus | 'not-applicable';
	nodes: NodeCell[];
	/** Elapsed time while running, the longest node's duration when finished. */
	timing?: string;
	/** The last output line, the silence warning, the failure reason or who skipped it. */
	detail?: { text: string; tone: DetailTone };
}

/**
 * The line a row shows. While running: the newest line in memory, the console's action markers included
 * ("── [2/5] install ..."), which say where the step is. When finished: the step's own last line.
 */
function lastLineOf(engine: Engine, key: string, node: string, state: NodeStepState): string | undefined {
	const lines = engine.output(key, node);
	const running = state.status === 'running';
	if (!running && state.lastLine) return state.lastLine;
	for (let i = lines.length - 1; i >= 0; i--) {
		const line = lines[i];
		if (line === undefined || line.trim() === '') continue;
		if (!running && line.startsWith('── ')) continue;
		return line;
	}
	return state.lastLine;
}

export function checklistRow(engine: Engine, key: string, number: number, now: number): ChecklistRow {
	const planned = engine.planned(key);
	const status = engine.stepStatus(key);
	const states = planned.nodes.map((n) => ({ node: n.name, state: engine.state(key, n.name) }));
	const nodes = states.map(({ node, state }) => ({ node, status: state.status, attempt: state.attempt }));
	const row: ChecklistRow = { key, number, title: planned.step.title, status, nodes };
	const multi = planned.nodes.length > 1;
	const prefix = (node: string) => (multi ? `${node}: ` : '');

	if (status === 'not-applicable') {
		row.detail = {
			text: planned.step.when
				? t('checklist.conditionFalse')
				: t('checklist.noRole', { role: planned.step.on === 'all' ? planned.step.on : t(`role.${planned.step.on}`) }),
			tone: 'muted',
		};
		return row;
	}

	const running = states.filter(({ state }) => state.status === 'running');
	if (running.length > 0) {
		const started = Math.min(...running.map(({ state }) => (state.startedAt ? Date.parse(state.startedAt) : now)));
		row.timing = formatDuration(now - started);
		// The most silent running node decides the warning: one hung node among busy ones must show.
		let silent: { node: string; ms: number } | undefined;
		for (const { node, state } of running) {
			const since = millisSince(state.lastOutputAt ?? state.startedAt, now) ?? 0;
			if (!silent || since > silent.ms) silent = { node, ms: since };
		}
		if (silent && silent.ms >= SILENCE_MS) {
			row.detail = {
				text: `${prefix(silent.node)}${t('common.silent', { duration: formatSilence(silent.ms) })}`,
				tone: 'warning',
			};
		} else {
			const first = running[0]!;
			const line = lastLineOf(engine, key, first.node, first.state);
			if (line) row.detail = { text: `${prefix(first.node)}${line}`, tone: 'muted' };
		}
		return row;
	}

	const durations = states
		.map(({ state }) => millisBetween(state.startedAt, state.endedAt))
		.filter((d): d is number => d !== undefined);
	if (durations.length && status !== 'skipped') row.timing = formatDuration(Math.max(...durations));

	const broken = states.find(({ state }) => state.status === 'failed' || state.status === 'interrupted');
	if (broken) {
		const { state } = broken;
		const reason =
			state.reason ??
			(state.exitCode !== undefined ? t('common.exitCode', { code: state.exitCode }) : t(`status.${state.status}`));
		row.detail = { text: `${prefix(broken.node)}${reason}`, tone: 'error' };
		return row;
	}
	const skipped = states.find(({ state }) => state.status === 'skipped');
	if (skipped) {
		const who = skipped.state.skippedBy;
		const names = states.filter(({ state }) => state.status === 'skipped').map(({ node }) => node);
		const text = who ? t('checklist.skippedBy', { who }) : t('status.skipped');
		row.detail = {
			text: multi ? `${text} ${t('checklist.onNodes', { nodes: names.join(', ') })}` : text,
			tone: 'warning',
		};
		return row;
	}
	if (isDone(status as StepStatus)) {
		const first = states[0];
		const line = first ? lastLineOf(engine, key, first.node, first.state) : undefined;
		if (line) row.detail = { text: `${prefix(first!.node)}${line}`, tone: 'muted' };
	}
	return row;
}

export function checklistRows(engine: Engine, sectionId: string, now: number): ChecklistRow[] {
	return engine.stepsOf(sectionId).map((planned, index) => checklistRow(engine, planned.key, index + 1, now));
}

/** Where the operator is in the whole runbook: "step 3 of 6". */
export function overallProgress(engine: Engine): {
	done: number;
	total: number;
	failed: number;
	running: number;
	/** 1-based number of the first step not done, among the steps that apply. */
	next?: { number: number; key: string; title: string; sectionTitle: string };
} {
	let done = 0;
	let total = 0;
	let failed = 0;
	let running = 0;
	let next: { number: number; key: string; title: string; sectionTitle: string } | undefined;
	for (const planned of engine.steps) {
		const status = engine.stepStatus(planned.key);
		if (status === 'not-applicable') continue;
		total++;
		if (isDone(status)) done++;
		else if (!next)
			next = {
				number: total,
				key: planned.key,
				title: planned.step.title,
				sectionTitle: sectionTitle(planned.section),
			};
		if (status === 'failed' || status === 'interrupted') failed++;
		if (status === 'running') running++;
	}
	return { done, total, failed, running, next };
}

/** The first step of a section that is not done (where the cursor starts), or 0. */
export function firstOpenIndex(engine: Engine, sectionId: string): number {
	const steps = engine.stepsOf(sectionId);
	const index = steps.findIndex((p) => {
		const status = engine.stepStatus(p.key);
		return status !== 'not-applicable' && !isDone(status);
	});
	return Math.max(0, index);
}

/** Running (step, nodes), for the quit and cancel questions. */
export function runningSteps(engine: Engine): { key: string; title: string; nodes: string[] }[] {
	const out: { key: string; title: string; nodes: string[] }[] = [];
	for (const planned of engine.steps) {
		const nodes = planned.nodes
			.filter((n) => engine.state(planned.key, n.name).status === 'running')
			.map((n) => n.name);
		if (nodes.length) out.push({ key: planned.key, title: planned.step.title, nodes });
	}
	return out;
}
