/**
 * One step: a live output pane per node (follow mode, or scrollback), the commands it runs (the rendered
 * script, which never holds a secret value), and why it failed. The pane renders only its visible window
 * of the engine's ring, so a flood costs one screenful per frame.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useMemo, useReducer } from 'react';
import { OutputPane } from '../components/output-pane.js';
import { StatusIcon } from '../components/status-icon.js';
import type { NodeStepState } from '../engine/types.js';
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

	const paneHeight = Math.max(3, height - HEADER_LINES - PANE_CHROME);
	const pane =
		view.mode === 'output'
			? { total, length: lines.length, height: paneHeight }
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
			help: () => actions.showHelp('step'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const header = (
		<>
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					{planned.section.title} › {planned.step.title}
				</Text>
				<Text color={theme.text.muted}>
					{'  '}
					{stepKey} · runs on {planned.step.on === 'all' ? 'every node' : `${planned.step.on} nodes`}
				</Text>
			</Text>
			<Text color={theme.text.muted} wrap="truncate-end">
				{planned.step.guide ? `guide: ${planned.step.guide}` : `section guide: ${planned.section.guide}`}
			</Text>
		</>
	);

	if (!node || !state) {
		return (
			<Box flexDirection="column">
				{header}
				<Text color={theme.text.muted}>This step is not for this profile: no node has to run it.</Text>
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
	const attempt = state.attempt > 0 ? ` · attempt ${state.attempt}` : '';
	switch (state.status) {
		case 'failed':
		case 'interrupted':
			statusLine = (
				<Text color={theme.status[state.status]} wrap="truncate-end">
					{node.name}: {state.status}
					{state.exitCode !== undefined && !state.reason?.startsWith('exit code')
						? ` · exit code ${state.exitCode}`
						: ''}
					{state.signal ? ` · signal ${state.signal}` : ''}
					{state.reason ? ` · ${state.reason}` : ''}
					{attempt} · r retries the nodes that did not finish
				</Text>
			);
			break;
		case 'running': {
			const silent = millisSince(state.lastOutputAt ?? state.startedAt, now) ?? 0;
			statusLine = (
				<Text wrap="truncate-end">
					<Text color={theme.status.running}>
						{node.name}: running {timingOf(state, now)}
						{attempt}
					</Text>
					{state.action ? <Text color={theme.text.muted}> · action {state.action}</Text> : null}
					{silent >= SILENCE_MS ? (
						<Text color={theme.text.warning}> · no output for {formatSilence(silent)}</Text>
					) : null}
				</Text>
			);
			break;
		}
		case 'skipped':
			statusLine = (
				<Text color={theme.status.skipped} wrap="truncate-end">
					{node.name}: skipped{state.skippedBy ? ` by ${state.skippedBy}` : ''}
					{state.skippedAt ? ` at ${state.skippedAt}` : ''} · r runs it
				</Text>
			);
			break;
		case 'pending':
			statusLine = <Text color={theme.text.muted}>{node.name}: not run yet · r runs it</Text>;
			break;
		default:
			statusLine = (
				<Text color={theme.status[state.status]} wrap="truncate-end">
					{node.name}:{' '}
					{state.status === 'already-done' ? 'already done (its check passed; nothing changed)' : 'succeeded'}
					{state.exitCode !== undefined ? ` · exit code ${state.exitCode}` : ''}
					{attempt}
				</Text>
			);
	}

	const logLine = (
		<Text color={theme.text.muted} wrap="truncate-end">
			{state.attempt > 0 ? `full log: ${engine.logFile(stepKey, node.name, state.attempt)}` : ' '}
		</Text>
	);

	let paneNode: ReactNode;
	if (view.mode === 'output') {
		const win = outputWindow(view, pane);
		const shownLines = lines.slice(win.start, win.end);
		const range =
			total === 0
				? 'no lines'
				: `lines ${win.firstNumber}-${win.firstNumber + Math.max(0, shownLines.length - 1)} of ${total}`;
		paneNode = (
			<OutputPane
				lines={shownLines}
				height={paneHeight}
				firstLineNumber={total === 0 ? undefined : win.firstNumber}
				emptyText={
					state.status === 'pending'
						? 'No output yet: r runs the step.'
						: 'No output in memory for this attempt (see the log file).'
				}
				title={
					<Text wrap="truncate-end">
						<Text bold>output</Text>
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
							<Text color={theme.text.accent}>following</Text>
						) : (
							<Text color={theme.text.warning}>scrolled (f follows)</Text>
						)}{' '}
						· {range}
						{win.dropped > 0 && win.firstNumber <= win.dropped + 1
							? ` · ${win.dropped} earlier lines are only in the log file`
							: ''}
					</Text>
				}
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
						<Text bold>commands</Text>
						<Text color={theme.text.muted}>
							{' '}
							· {node.name} · the script as it runs there; secrets are loaded from a root-only file, never shown
						</Text>
					</Text>
				}
				footer={`lines ${win.start + 1}-${win.end} of ${script.length} · v shows the output`}
			/>
		);
	}

	return (
		<Box flexDirection="column">
			{header}
			{tabs}
			{statusLine}
			{logLine}
			{paneNode}
		</Box>
	);
}
