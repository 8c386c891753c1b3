/**
 * The verification panel: every check of the install guide's "verify operation" sections on the node it runs
 * on, with pass / fail / not yet run, the detail that decided it, when it last ran and (failing) what to look
 * at next. `r` re-runs the selected check, `s` its section, `a` all of them. Results are saved with the
 * profile, so the panel shows the last results when it opens.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useEffect, useMemo, useReducer, useRef } from 'react';
import { KeyHints } from '../components/key-hints.js';
import type { Engine } from '../engine/engine.js';
import { t } from '../i18n/index.js';
import { useAppActions, useSession } from '../ui/context.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { planChecks } from '../verify/checks.js';
import { runChecks } from '../verify/run.js';
import { VerifyStore } from '../verify/store.js';
import type { CheckStatus, VerifySectionId } from '../verify/types.js';
import type { ScreenProps } from './profile-picker.js';
import {
	formatRanAt,
	initialVerifyState,
	rowStatus,
	summary,
	type VerifyRow,
	verifyPanelReducer,
	verifySectionTitle,
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
	/** ? (the console's help overlay); nothing when the panel runs on its own. */
	onHelp?(): void;
	/** q (the console's quit); nothing when the panel runs on its own. */
	onQuit?(): void;
	/** Its own footer of key hints (default true; the console draws the footer itself). */
	showKeyHints?: boolean;
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

export function VerifyPanel({
	engine,
	isActive,
	height,
	section,
	autoRun,
	onBack,
	onFinished,
	onHelp,
	onQuit,
	showKeyHints = true,
}: VerifyPanelProps) {
	const rows: VerifyRow[] = useMemo(
		() =>
			planChecks(engine.profile).map((i) => ({
				key: i.key,
				check: i.def.id,
				section: i.def.section,
				sectionTitle: verifySectionTitle(i.def.section),
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
			dispatch({ type: 'message', message: t('verify.busy') });
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
					dispatch({ type: 'message', message: t('verify.couldNotRun', { label, message: (error as Error).message }) });
			})
			.finally(() => {
				if (!mounted.current) return;
				const cancelled = abort.signal.aborted;
				dispatch({
					type: 'finished',
					message: t(cancelled ? 'verify.finishedCancelled' : 'verify.finished', { label, pass, fail }),
				});
				onFinished?.({ pass, fail });
			});
	};

	// Opening by itself at the end of a section: run that section once.
	const autoRan = useRef(false);
	useEffect(() => {
		if (autoRun && section && !autoRan.current) {
			autoRan.current = true;
			run({ section }, t('verify.labelSection', { section: verifySectionTitle(section) }));
		}
	});

	useKeyBindings(
		'verify',
		{
			'move-up': () => dispatch({ type: 'move', delta: -1, count: rows.length }),
			'move-down': () => dispatch({ type: 'move', delta: 1, count: rows.length }),
			'run-check': () => {
				if (selected)
					run({ check: selected.key }, t('verify.labelOne', { check: selected.check, node: selected.node }));
			},
			'run-checks-section': () => {
				if (selected) run({ section: selected.section }, t('verify.labelSection', { section: selected.sectionTitle }));
			},
			'run-all-checks': () => run({}, t('verify.labelAll')),
			'cancel-checks': () => {
				if (busy) controller.current?.abort();
			},
			back: () => onBack(),
			help: () => onHelp?.(),
			quit: () => onQuit?.(),
		},
		{ isActive },
	);

	const now = Date.now();
	const counts = summary(state, rows);
	const detailLines = selected ? detailOf(state, selected, now) : [];
	const listHeight = Math.max(3, height - detailLines.length - (showKeyHints ? 5 : 4));
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
						{status === 'running'
							? t('verify.running')
							: result
								? t('verify.ran', { when: formatRanAt(result.ranAt, now) })
								: t('verify.notRun')}
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
				{t('verify.title', { profile: engine.profile.name, runbook: engine.runbook.id })}
				<Text color={theme.text.muted}>
					{'  '}
					{t('verify.counts', counts)}
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
					? `${symbols.status.running} ${t('verify.progress', { done: state.batchDone, total: state.batch.length })}`
					: (state.message ?? ' ')}
			</Text>
			{showKeyHints ? <KeyHints screen="verify" /> : null}
		</Box>
	);
}

/** The panel as a screen of the console: the open profile's engine, esc back, results on the notice line. */
export function VerifyScreen({
	isActive,
	height,
	section,
	autoRun,
}: ScreenProps & { section?: VerifySectionId; autoRun?: boolean }) {
	const { engine } = useSession();
	const actions = useAppActions();
	return (
		<VerifyPanel
			engine={engine}
			isActive={isActive}
			height={height}
			section={section}
			autoRun={autoRun}
			showKeyHints={false}
			onBack={() => actions.back()}
			onHelp={() => actions.showHelp('verify')}
			onQuit={() => actions.quit()}
			onFinished={({ pass, fail }) =>
				actions.notify(t('verify.notice', { pass, fail }), fail > 0 ? 'error' : 'success')
			}
		/>
	);
}

function detailOf(
	state: ReturnType<typeof initialVerifyState>,
	row: VerifyRow,
	now: number,
): { text: string; color?: string }[] {
	const result = state.results[row.key];
	const head = {
		text: t('verify.detailHead', { check: row.check, node: row.node, title: row.title }),
		color: theme.text.accent,
	};
	if (state.running.includes(row.key)) return [head, { text: t('verify.running'), color: theme.text.muted }];
	if (!result) return [head, { text: t('verify.notRunHint'), color: theme.text.muted }];
	return [
		head,
		...result.detail
			.split('\n')
			.map((text) => ({ text, color: result.status === 'fail' ? theme.text.error : theme.text.success })),
		...(result.status === 'fail' && result.hint ? [{ text: `→ ${result.hint}`, color: theme.text.warning }] : []),
		{
			text: t('verify.ranIn', { when: formatRanAt(result.ranAt, now), seconds: (result.durationMs / 1000).toFixed(1) }),
			color: theme.text.muted,
		},
	];
}
