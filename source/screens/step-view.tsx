/**
 * One step: a live output pane per node (follow mode, or scrollback), the commands it runs (the rendered
 * script, which never holds a secret value), and why it failed: the failure triage (the action, exit code,
 * stderr tail, hints for known errors and the service log tail on the node; t). The pane renders only its
 * visible window of the engine's ring, so a flood costs one screenful per frame.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useMemo, useReducer } from 'react';
import { OutputPane } from '../components/output-pane.js';
import { StatusIcon } from '../components/status-icon.js';
import type { NodeStepState } from '../engine/types.js';
import { sectionTitle, t } from '../i18n/index.js';
import { renderStep } from '../runbook/render.js';
import { useAppActions, useSession } from '../ui/context.js';
import { useEngineVersion } from '../ui/engine-store.js';
import { formatDuration, formatSilence, millisBetween, millisSince } from '../ui/format.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { useNow } from '../ui/use-now.js';
import type { ScreenProps } from './profile-picker.js';
import { SILENCE_MS } from './use-checklist-state.js';
import { initialStepViewState, outputWindow, scriptWindow, stepViewReducer } from './use-step-view-state.js';
import { attemptId, isFailure, type TriageLine, triageLines, triageSummary, useTriage } from './use-triage.js';

const TRIAGE_TONE: Record<NonNullable<TriageLine['tone']>, string> = {
	heading: theme.text.heading,
	error: theme.text.error,
	warning: theme.text.warning,
	muted: theme.text.muted,
	accent: theme.text.accent,
};

/** Lines above the pane: title, guide, node tabs, node status, log file. */
const HEADER_LINES = 5;
/** The pane's border, title and footer. */
const PANE_CHROME = 4;

function timingOf(state: NodeStepState, now: number): string {
	if (state.status === 'running') return formatDuration(millisSince(state.startedAt, now) ?? 0);
	const d = millisBetween(state.startedAt, state.endedAt);
	return d === undefined ? '' : formatDuration(d);
}

export function StepView({ isActive, visible, height, stepKey }: ScreenProps & { stepKey: string }) {
	const session = useSession();
	// Follow the engine (throttled) only while on screen.
	useEngineVersion(visible ? session.store : undefined);
	const actions = useAppActions();
	const { engine, store } = session;
	const planned = engine.planned(stepKey);
	const nodes = planned.nodes;
	const [view, dispatch] = useReducer(stepViewReducer, initialStepViewState);
	const nodeIndex = Math.min(view.nodeIndex, Math.max(0, nodes.length - 1));
	const node = nodes[nodeIndex];
	const state = node ? engine.state(stepKey, node.name) : undefined;
	const anyRunning = nodes.some((n) => engine.state(stepKey, n.name).status === 'running');
	const now = useNow(1000, anyRunning);

	const lines = node ? engine.output(stepKey, node.name) : [];
	const total = node ? store.outputTotal(stepKey, node.name, lines.length) : 0;
	const script = useMemo(() => {
		if (!node) return [];
		try {
			return renderStep(engine.runbook, planned.section, planned.step, engine.profile, node)
				.script.trimEnd()
				.split('\n');
		} catch (error) {
			return [`os-console cannot render this step for ${node.name}: ${(error as Error).message}`];
		}
	}, [engine, planned, node]);

	const failed = node && state && isFailure(state) ? { stepKey, node: node.name, state } : undefined;
	const { fetches, fetch } = useTriage(engine, failed);
	const fetched = failed ? fetches[attemptId(stepKey, failed.node, failed.state)] : undefined;
	const triage =
		failed && view.mode === 'triage' ? triageLines(engine, stepKey, failed.node, failed.state, fetched) : [];

	const paneHeight = Math.max(3, height - HEADER_LINES - (failed ? 1 : 0) - PANE_CHROME);
	const pane =
		view.mode === 'output'
			? { total, length: lines.length, height: paneHeight }
			: view.mode === 'triage'
				? { total: triage.length, length: triage.length, height: paneHeight }
				: { total: script.length, length: script.length, height: paneHeight };
	const page = Math.max(1, paneHeight - 1);
	const count = nodes.length;

	useKeyBindings(
		'step',
		{
			back: () => actions.back(),
			run: () => actions.runStep(stepKey),
			skip: () => actions.skipStep(stepKey),
			cancel: () => actions.cancel(),
			'next-node': () => dispatch({ type: 'next-node', count }),
			'prev-node': () => dispatch({ type: 'prev-node', count }),
			'select-node': ({ input }) => dispatch({ type: 'select-node', index: Number(input) - 1, count }),
			'scroll-up': () => dispatch({ type: 'scroll', delta: -1, pane }),
			'scroll-down': () => dispatch({ type: 'scroll', delta: 1, pane }),
			'page-up': () => dispatch({ type: 'scroll', delta: -page, pane }),
			'page-down': () => dispatch({ type: 'scroll', delta: page, pane }),
			top: () => dispatch({ type: 'top', pane }),
			follow: () => dispatch({ type: 'follow' }),
			'toggle-script': () => dispatch({ type: 'toggle-script' }),
			triage: () => {
				if (!failed) {
					if (view.mode === 'triage') dispatch({ type: 'toggle-triage' });
					else actions.notify(t('triage.notFailed'), 'info');
					return;
				}
				// Opening the triage reads the service logs afresh.
				if (view.mode !== 'triage') fetch(failed.stepKey, failed.node, failed.state);
				dispatch({ type: 'toggle-triage' });
			},
			help: () => actions.showHelp('step'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const header = (
		<>
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					{sectionTitle(planned.section)} › {planned.step.title}
				</Text>
				<Text color={theme.text.muted}>
					{'  '}
					{stepKey} ·{' '}
					{planned.step.on === 'all'
						? t('step.runsOnAll')
						: t('step.runsOnRole', { role: t(`role.${planned.step.on}`) })}
				</Text>
			</Text>
			<Text color={theme.text.muted} wrap="truncate-end">
				{planned.step.guide
					? t('common.guide', { guide: planned.step.guide })
					: t('step.sectionGuide', { guide: planned.section.guide })}
			</Text>
		</>
	);

	if (!node || !state) {
		return (
			<Box flexDirection="column">
				{header}
				<Text color={theme.text.muted}>{t('step.notForProfile')}</Text>
			</Box>
		);
	}

	const tabs = (
		<Text wrap="truncate-end">
			{nodes.map((n, i) => {
				const s = engine.state(stepKey, n.name);
				const selected = i === nodeIndex;
				const timing = timingOf(s, now);
				return (
					<Text key={n.name}>
						{i > 0 ? ' ' : ''}
						<Text color={selected ? theme.focus.selected : theme.text.muted} bold={selected} inverse={selected}>
							{' '}
							{i < 9 ? `${i + 1} ` : ''}
							{n.name}{' '}
						</Text>
						<Text> </Text>
						<StatusIcon status={s.status} />
						{timing ? <Text color={theme.text.muted}> {timing}</Text> : null}
					</Text>
				);
			})}
		</Text>
	);

	let statusLine: ReactNode;
	const attempt = state.attempt > 0 ? ` · ${t('step.attempt', { attempt: state.attempt })}` : '';
	const exitCode = state.exitCode !== undefined ? ` · ${t('common.exitCode', { code: state.exitCode })}` : '';
	switch (state.status) {
		case 'failed':
		case 'interrupted':
			statusLine = (
				<Text color={theme.status[state.status]} wrap="truncate-end">
					{node.name}: {t(`status.${state.status}`)}
					{state.reason?.startsWith('exit code') ? '' : exitCode}
					{state.signal ? ` · ${t('step.signal', { signal: state.signal })}` : ''}
					{state.reason ? ` · ${state.reason}` : ''}
					{attempt} · {t('step.retryHint')}
				</Text>
			);
			break;
		case 'running': {
			const silent = millisSince(state.lastOutputAt ?? state.startedAt, now) ?? 0;
			statusLine = (
				<Text wrap="truncate-end">
					<Text color={theme.status.running}>
						{node.name}: {t('step.running', { time: timingOf(state, now) })}
						{attempt}
					</Text>
					{state.action ? <Text color={theme.text.muted}> · {t('step.action', { action: state.action })}</Text> : null}
					{silent >= SILENCE_MS ? (
						<Text color={theme.text.warning}> · {t('common.silent', { duration: formatSilence(silent) })}</Text>
					) : null}
				</Text>
			);
			break;
		}
		case 'skipped':
			statusLine = (
				<Text color={theme.status.skipped} wrap="truncate-end">
					{node.name}: {state.skippedBy ? t('checklist.skippedBy', { who: state.skippedBy }) : t('status.skipped')}
					{state.skippedAt ? ` ${t('step.skippedAt', { when: state.skippedAt })}` : ''} · {t('step.runHint')}
				</Text>
			);
			break;
		case 'pending':
			statusLine = (
				<Text color={theme.text.muted}>
					{node.name}: {t('step.notRunYet')} · {t('step.runHint')}
				</Text>
			);
			break;
		default:
			statusLine = (
				<Text color={theme.status[state.status]} wrap="truncate-end">
					{node.name}: {state.status === 'already-done' ? t('step.alreadyDone') : t('status.succeededWord')}
					{exitCode}
					{attempt}
				</Text>
			);
	}

	const summary = failed ? triageSummary(engine, stepKey, failed.node, failed.state, fetched) : undefined;
	const summaryLine = summary ? (
		<Text color={summary.tone === 'warning' ? theme.text.warning : theme.text.muted} wrap="truncate-end">
			{summary.text}
		</Text>
	) : null;

	// A long path loses its middle, not its end: the step, node and attempt are what the operator looks for.
	const logLine = (
		<Text color={theme.text.muted} wrap="truncate-middle">
			{state.attempt > 0 ? t('step.fullLog', { file: engine.logFile(stepKey, node.name, state.attempt) }) : ' '}
		</Text>
	);

	let paneNode: ReactNode;
	if (view.mode === 'output') {
		const win = outputWindow(view, pane);
		const shownLines = lines.slice(win.start, win.end);
		const range =
			total === 0
				? t('step.noLines')
				: t('step.lines', {
						from: win.firstNumber,
						to: win.firstNumber + Math.max(0, shownLines.length - 1),
						total,
					});
		paneNode = (
			<OutputPane
				lines={shownLines}
				height={paneHeight}
				firstLineNumber={total === 0 ? undefined : win.firstNumber}
				emptyText={state.status === 'pending' ? t('step.noOutputYet') : t('step.noOutputInMemory')}
				title={
					<Text wrap="truncate-end">
						<Text bold>{t('step.output')}</Text>
						<Text color={theme.text.muted}>
							{' '}
							· {node.name}
							{attempt}
						</Text>
					</Text>
				}
				footer={
					<Text wrap="truncate-end" color={theme.text.muted}>
						{view.follow || win.atEnd ? (
							<Text color={theme.text.accent}>{t('step.following')}</Text>
						) : (
							<Text color={theme.text.warning}>{t('step.scrolled')}</Text>
						)}{' '}
						· {range}
						{win.dropped > 0 && win.firstNumber <= win.dropped + 1
							? ` · ${t('step.dropped', { count: win.dropped })}`
							: ''}
					</Text>
				}
			/>
		);
	} else if (view.mode === 'triage' && failed) {
		const win = scriptWindow(view, triage.length, paneHeight);
		paneNode = (
			<OutputPane
				lines={triage.slice(win.start, win.end).map((l) => l.text)}
				height={paneHeight}
				colorize={(_line, i) => {
					const tone = triage[win.start + i]?.tone;
					return tone ? TRIAGE_TONE[tone] : undefined;
				}}
				title={
					<Text wrap="truncate-end">
						<Text bold>{t('triage.title')}</Text>
						<Text color={theme.text.muted}>
							{' '}
							· {node.name}
							{attempt}
						</Text>
					</Text>
				}
				footer={t('triage.footer', { from: win.start + 1, to: win.end, total: triage.length })}
			/>
		);
	} else if (view.mode === 'triage') {
		paneNode = (
			<OutputPane
				lines={[]}
				height={paneHeight}
				emptyText={t('triage.notFailed')}
				title={<Text bold>{t('triage.title')}</Text>}
				footer={t('triage.back')}
			/>
		);
	} else {
		const win = scriptWindow(view, script.length, paneHeight);
		paneNode = (
			<OutputPane
				lines={script.slice(win.start, win.end)}
				height={paneHeight}
				firstLineNumber={win.start + 1}
				colorize={(line) => (line.trimStart().startsWith('#') ? theme.text.muted : undefined)}
				title={
					<Text wrap="truncate-end">
						<Text bold>{t('step.commands')}</Text>
						<Text color={theme.text.muted}>
							{' '}
							· {node.name} · {t('step.commandsNote')}
						</Text>
					</Text>
				}
				footer={t('step.scriptFooter', { from: win.start + 1, to: win.end, total: script.length })}
			/>
		);
	}

	return (
		<Box flexDirection="column">
			{header}
			{tabs}
			{statusLine}
			{summaryLine}
			{logLine}
			{paneNode}
		</Box>
	);
}
