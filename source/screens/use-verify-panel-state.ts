/**
 * The verification panel's state: a pure reducer over the checks of the profile (one row per check and
 * node), the saved results, which checks are running, and the cursor. The panel's keys are rows of the
 * console's key-binding table (screen "verify").
 */
import { t } from '../i18n/index.js';
import type { CheckResult, CheckStatus, VerifySectionId } from '../verify/types.js';

export interface VerifyRow {
	key: string;
	check: string;
	section: VerifySectionId;
	sectionTitle: string;
	title: string;
	node: string;
}

export interface VerifyPanelState {
	cursor: number;
	results: Record<string, CheckResult>;
	running: string[];
	/** Keys queued to run in this batch, and how many of them have finished (for "3 of 12"). */
	batch: string[];
	batchDone: number;
	/** What the panel says on its status line. */
	message?: string;
}

export type VerifyPanelAction =
	| { type: 'move'; delta: number; count: number }
	| { type: 'cursor'; index: number; count: number }
	| { type: 'batch'; keys: string[] }
	| { type: 'started'; key: string }
	| { type: 'result'; key: string; result: CheckResult }
	| { type: 'finished'; message?: string }
	| { type: 'message'; message: string | undefined };

export function initialVerifyState(
	rows: VerifyRow[],
	saved: CheckResult[],
	section?: VerifySectionId,
): VerifyPanelState {
	const results: Record<string, CheckResult> = {};
	for (const r of saved) {
		const key = `${r.check}@${r.node}`;
		if (rows.some((row) => row.key === key)) results[key] = r;
	}
	const first = section ? rows.findIndex((r) => r.section === section) : 0;
	return { cursor: Math.max(0, first), results, running: [], batch: [], batchDone: 0 };
}

export function verifyPanelReducer(state: VerifyPanelState, action: VerifyPanelAction): VerifyPanelState {
	switch (action.type) {
		case 'move': {
			if (action.count <= 0) return state;
			const next = (state.cursor + action.delta + action.count) % action.count;
			return { ...state, cursor: next };
		}
		case 'cursor':
			return { ...state, cursor: Math.min(Math.max(0, action.index), Math.max(0, action.count - 1)) };
		case 'batch':
			return { ...state, batch: action.keys, batchDone: 0, message: undefined };
		case 'started':
			return state.running.includes(action.key) ? state : { ...state, running: [...state.running, action.key] };
		case 'result':
			return {
				...state,
				running: state.running.filter((k) => k !== action.key),
				results: { ...state.results, [action.key]: action.result },
				batchDone: state.batch.includes(action.key) ? state.batchDone + 1 : state.batchDone,
			};
		case 'finished':
			return { ...state, running: [], batch: [], batchDone: 0, message: action.message };
		case 'message':
			return { ...state, message: action.message };
	}
}

export function rowStatus(state: VerifyPanelState, key: string): CheckStatus {
	if (state.running.includes(key)) return 'running';
	return state.results[key]?.status ?? 'not-run';
}

export function summary(state: VerifyPanelState, rows: VerifyRow[]): { pass: number; fail: number; notRun: number } {
	let pass = 0;
	let fail = 0;
	for (const row of rows) {
		const s = state.results[row.key]?.status;
		if (s === 'pass') pass++;
		else if (s === 'fail') fail++;
	}
	return { pass, fail, notRun: rows.length - pass - fail };
}

/** "14:03:11" today, "2024-05-10 14:03" on another day; local time. */
export function formatRanAt(iso: string, now: number): string {
	const t = new Date(iso);
	if (Number.isNaN(t.getTime())) return iso;
	const pad = (n: number) => String(n).padStart(2, '0');
	const sameDay = new Date(now).toDateString() === t.toDateString();
	const time = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
	return sameDay
		? `${time}:${pad(t.getSeconds())}`
		: `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${time}`;
}

/** A verification section's title in the operator's language. */
export function verifySectionTitle(id: VerifySectionId): string {
	return t(`verify.section.${id}`);
}
