/**
 * The verification panel: every check of the install guide's "verify operation" sections on the node it runs
 * on, with pass / fail / not yet run, the detail that decided it, when it last ran and (failing) what to look
 * at next. `r` re-runs the selected check, `s` its section, `a` all of them. Results are saved with the
 * profile, so the panel shows the last results when it opens.
 */
import { Box, type Key, Text, useInput } from 'ink';
import { Fragment, type ReactNode, useEffect, useMemo, useReducer, useRef } from 'react';
import type { Engine } from '../engine/engine.js';
import { symbols, theme } from '../ui/theme.js';
import { planChecks } from '../verify/checks.js';
import { runChecks } from '../verify/run.js';
import { VerifyStore } from '../verify/store.js';
import { type CheckStatus, VERIFY_SECTIONS, type VerifySectionId } from '../verify/types.js';
import {
	formatRanAt,
	initialVerifyState,
	resolveLocalKey,
	rowStatus,
	summary,
	VERIFY_KEYS,
	type VerifyRow,
	verifyPanelReducer,
} from './use-verify-panel-state.js';

export interface VerifyPanelProps {
	/** The open profile's engine (checks run through engine.exec). */
	engine: Engine;
	/** False while an overlay is on top: the panel takes no keys. */
	isActive: boolean;
	/** Rows available to the panel. */
	height: number;
	/** Put the cursor on this section (e.g. the section that just ended). */
	section?: VerifySectionId;
	/** Run that section's checks when the panel opens (used when it opens by itself after a section). */
	autoRun?: boolean;
	/** esc. */
	onBack(): void;
	/** Told when a batch of checks ends (e.g. for the app's notice line). */
	onFinished?(result: { pass: number; fail: number }): void;
}

const STATUS_SYMBOL: Record<CheckStatus, string> = {
	pass: symbols.status.succeeded,
	fail: symbols.status.failed,
	'not-run': symbols.status.pending,
	running: symbols.status.running,
};

const STATUS_COLOR: Record<CheckStatus, string> = {
	pass: theme.status.succeeded,
	fail: theme.status.failed,
	'not-run': theme.status.pending,
	running: theme.status.running,
};

export function VerifyPanel({ engine, isActive, height, section, autoRun, onBack, onFinished }: VerifyPanelProps) {
	const rows: VerifyRow[] = useMemo(
		() =>
			planChecks(engine.profile).map((i) => ({
				key: i.key,
				check: i.def.id,
				section: i.def.section,
				sectionTitle: VERIFY_SECTIONS.find((s) => s.id === i.def.section)?.title ?? i.def.section,
				title: i.def.title,
				node: i.node.name,
			})),
		[engine],
	);
	const store = useMemo(() => new VerifyStore(engine.profile.name, engine.runbook.id), [engine]);
	const [state, dispatch] = useReducer(verifyPanelReducer, undefined, () => ({
		...initialVerifyState(rows, store.all(), section),
		message: store.warning,
	}));
	const controller = useRef<AbortController | undefined>(undefined);
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
			controller.current?.abort();
		},
		[],
	);

	const cursor = Math.min(state.cursor, rows.length - 1);
	const selected = rows[cursor];
	const busy = state.running.length > 0 || state.batch.length > 0;

	const run = (selection: { check?: string; section?: string }, label: string) => {
		if (busy) {
			dispatch({ type: 'message', message: 'checks are running: wait for them or press c to cancel' });
			return;
		}
		const keys = planChecks(engine.profile, selection).map((i) => i.key);
		dispatch({ type: 'batch', keys });
		const abort = new AbortController();
		controller.current = abort;
		let pass = 0;
		let fail = 0;
		void runChecks(engine, {
			...selection,
			store,
			signal: abort.signal,
			onStart: (i) => mounted.current && dispatch({ type: 'started', key: i.key }),
			onResult: (result, i) => {
				if (result.status === 'pass') pass++;
				else fail++;
				if (mounted.current) dispatch({ type: 'result', key: i.key, result });
			},
		})
			.catch((error: unknown) => {
				if (mounted.current)
					dispatch({ type: 'message', message: `could not run ${label}: ${(error as Error).message}` });
			})
			.finally(() => {
				if (!mounted.current) return;
				const cancelled = abort.signal.aborted;
				dispatch({
					type: 'finished',
					message: `${label}: ${pass} passed, ${fail} failed${cancelled ? ' (cancelled)' : ''}`,
				});
				onFinished?.({ pass, fail });
			});
	};

	// Opening by itself at the end of a section: run that section once.
	const autoRan = useRef(false);
	useEffect(() => {
		if (autoRun && section && !autoRan.current) {
			autoRan.current = true;
			run({ section }, `${VERIFY_SECTIONS.find((s) => s.id === section)?.title ?? section} checks`);
		}
	});

	useLatestInput(
		(input, key) => {
			switch (resolveLocalKey(VERIFY_KEYS, input, key)) {
				case 'up':
					dispatch({ type: 'move', delta: -1, count: rows.length });
					break;
				case 'down':
					dispatch({ type: 'move', delta: 1, count: rows.length });
					break;
				case 'run-one':
					if (selected) run({ check: selected.key }, `${selected.check} on ${selected.node}`);
					break;
				case 'run-section':
					if (selected) run({ section: selected.section }, `${selected.sectionTitle} checks`);
					break;
				case 'run-all':
					run({}, 'all checks');
					break;
				case 'cancel':
					if (busy) controller.current?.abort();
					break;
				case 'back':
					onBack();
					break;
				default:
					break;
			}
		},
		{ isActive },
	);

	const now = Date.now();
	const counts = summary(state, rows);
	const detailLines = selected ? detailOf(state, selected, now) : [];
	const listHeight = Math.max(3, height - detailLines.length - 4);
	// Rows with section headings; keep the cursor in view.
	const lines: { node: ReactNode; row?: number }[] = [];
	let lastSection = '';
	rows.forEach((row, index) => {
		if (row.section !== lastSection) {
			lastSection = row.section;
			lines.push({
				node: (
					<Text bold color={theme.text.heading}>
						{row.sectionTitle}
					</Text>
				),
			});
		}
		const status = rowStatus(state, row.key);
		const result = state.results[row.key];
		const focused = index === cursor;
		lines.push({
			row: index,
			node: (
				<Text wrap="truncate-end">
					<Text color={focused ? theme.focus.selected : undefined}>{focused ? symbols.pointer : ' '} </Text>
					<Text color={STATUS_COLOR[status]}>{STATUS_SYMBOL[status]} </Text>
					<Text color={focused ? theme.focus.selected : theme.text.primary} bold={focused}>
						{row.title}
					</Text>
					<Text color={theme.text.muted}> · {row.node}</Text>
					<Text color={theme.text.muted}>
						{'  '}
						{status === 'running' ? 'running…' : result ? `ran ${formatRanAt(result.ranAt, now)}` : 'not yet run'}
					</Text>
					{result && status !== 'running' ? (
						<Text color={result.status === 'fail' ? theme.text.error : theme.text.muted}>
							{'  '}
							{result.detail.split('\n')[0]}
						</Text>
					) : null}
				</Text>
			),
		});
	});
	const focusLine = lines.findIndex((l) => l.row === cursor);
	let start = Math.max(0, focusLine - Math.floor(listHeight / 2));
	start = Math.min(start, Math.max(0, lines.length - listHeight));
	const visible = lines.slice(start, start + listHeight);

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				Verify operation · {engine.profile.name} ({engine.runbook.id})
				<Text color={theme.text.muted}>
					{'  '}
					{counts.pass} passed · {counts.fail} failed · {counts.notRun} not yet run
				</Text>
			</Text>
			{visible.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: lines are positional in the window
				<Box key={start + i}>{line.node}</Box>
			))}
			<Box flexDirection="column" borderStyle="single" borderColor={theme.border.default} paddingX={1}>
				{detailLines.map((line, i) => (
					// biome-ignore lint/suspicious/noArrayIndexKey: detail lines are positional
					<Text key={i} color={line.color} wrap="wrap">
						{line.text}
					</Text>
				))}
			</Box>
			<Text color={busy ? theme.text.accent : theme.text.muted} wrap="truncate-end">
				{busy
					? `${symbols.status.running} running checks: ${state.batchDone} of ${state.batch.length} done (c cancels)`
					: (state.message ?? ' ')}
			</Text>
			<Text wrap="truncate-end">
				{VERIFY_KEYS.filter((k) => k.label).map((k, index) => (
					<Fragment key={k.action}>
						{index > 0 ? <Text color={theme.text.muted}> · </Text> : null}
						<Text color={theme.text.accent}>{k.keys}</Text>
						<Text color={theme.text.muted}> {k.label}</Text>
					</Fragment>
				))}
			</Text>
		</Box>
	);
}

function detailOf(
	state: ReturnType<typeof initialVerifyState>,
	row: VerifyRow,
	now: number,
): { text: string; color?: string }[] {
	const result = state.results[row.key];
	const head = { text: `${row.check} on ${row.node}: ${row.title}`, color: theme.text.accent };
	if (state.running.includes(row.key)) return [head, { text: 'running…', color: theme.text.muted }];
	if (!result) return [head, { text: 'not yet run: press r to run it', color: theme.text.muted }];
	return [
		head,
		...result.detail
			.split('\n')
			.map((text) => ({ text, color: result.status === 'fail' ? theme.text.error : theme.text.success })),
		...(result.status === 'fail' && result.hint ? [{ text: `→ ${result.hint}`, color: theme.text.warning }] : []),
		{
			text: `ran ${formatRanAt(result.ranAt, now)} in ${(result.durationMs / 1000).toFixed(1)}s`,
			color: theme.text.muted,
		},
	];
}

/**
 * useInput with a stable handler that always sees the latest render: ink re-subscribes when the handler
 * changes, and a key that arrives before that would reach the previous render's closure (stale cursor).
 */
function useLatestInput(handler: (input: string, key: Key) => void, options: { isActive: boolean }) {
	const latest = useRef(handler);
	latest.current = handler;
	const stable = useRef((input: string, key: Key) => latest.current(input, key));
	useInput(stable.current, options);
}
