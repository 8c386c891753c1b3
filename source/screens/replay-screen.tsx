/**
 * A past run played back in the console, from the profile's journal and attempt logs: nothing connects and
 * nothing is written. The run's sections and steps with each node's status as the events play (the selection
 * follows them unless the operator moves it), the last event, and the selected node's output from its log.
 * Keys (from the table): p pause/play, + faster, - slower, n the next event, e the end, b the start.
 */
import { Box, Text } from 'ink';
import { useMemo, useReducer, useRef } from 'react';
import { sectionTitle, t } from '../i18n/index.js';
import type { RunSummary } from '../replay/runs.js';
import { type AttemptOutput, type ReplaySource, readAttemptOutput, replaySections } from '../replay/source.js';
import { buildTimeline, cellOf, playbackAt, RUNNING } from '../replay/timeline.js';
import type { ReplayOptions } from '../ui/app-state.js';
import { useAppActions, useAppState } from '../ui/context.js';
import { maxWidth } from '../ui/text-width.js';
import { theme } from '../ui/theme.js';
import { useNow } from '../ui/use-now.js';
import type { ScreenProps } from './profile-picker.js';
import { ReplayBanner } from './replay-banner.js';
import { ReplayEventLine } from './replay-event-line.js';
import { ReplayNodeTabs } from './replay-node-tabs.js';
import { ReplayOutput } from './replay-output.js';
import { ReplayStepRow } from './replay-step-row.js';
import { useReplayClock } from './use-replay-clock.js';
import { useReplayKeys } from './use-replay-keys.js';
import { flatSteps, initialReplayState, replayReducer, selection } from './use-replay-state.js';

/** Banner, transport, last event, section heading; node tabs under the steps. */
const FIXED_ROWS = 5;
/** The output pane's border, title and footer. */
const PANE_CHROME = 4;
/** Of a log larger than this, the pane shows the end (the whole file is on disk, named in the footer). */
const LOG_TAIL_BYTES = 4 * 1024 * 1024;

const emptyRun = (id: string): RunSummary => ({ id, started: '', ended: '', events: [], attempts: 0, finished: {} });

export function ReplayScreen({
	isActive,
	visible,
	height,
	source,
	options,
	runId,
}: ScreenProps & { source: ReplaySource; options: ReplayOptions; runId: string }) {
	const actions = useAppActions();
	const { stack } = useAppState();
	const run = source.runs.find((r) => r.id === runId);
	const live = runId === source.liveRunId;
	const timeline = useMemo(() => buildTimeline(run ?? emptyRun(runId), { live }), [run, runId, live]);
	const sections = useMemo(() => replaySections(source, run ?? emptyRun(runId)), [source, run, runId]);
	const steps = useMemo(() => flatSteps(sections), [sections]);
	const titles = useMemo(() => new Map(steps.map((s) => [s.key, s.title])), [steps]);
	const [state, dispatch] = useReducer(replayReducer, options.speed, initialReplayState);
	const playback = useMemo(() => playbackAt(timeline, state.applied), [timeline, state.applied]);
	const clockAt = useReplayClock(timeline, state, dispatch, options.maxWaitMs, visible);
	// Between events the run's clock moves on screen (position, running steps' times).
	const now = useNow(250, visible && state.playing && !playback.ended);
	const clock = clockAt(now);

	const shown = selection(state, steps, playback);
	const step = steps[shown.stepIndex];
	const node = step?.nodes[shown.nodeIndex];
	const cell = step && node ? cellOf(playback, step.key, node) : undefined;

	// An attempt's log is read once it is to be shown; a finished attempt's log no longer changes.
	const logs = useRef(new Map<string, AttemptOutput>());
	let output: AttemptOutput | undefined;
	if (step && node && cell && cell.status !== RUNNING) {
		const id = `${step.key}|${node}|${cell.attempt}`;
		output = logs.current.get(id);
		if (!output) {
			output = readAttemptOutput(source.profile.name, step.key, node, cell.attempt, { tailBytes: LOG_TAIL_BYTES });
			logs.current.set(id, output);
		}
	}

	const section = step?.section;
	const sectionSteps = step ? steps.filter((s) => s.sectionIndex === step.sectionIndex) : [];
	const listRows = Math.min(sectionSteps.length, Math.max(2, Math.floor((height - FIXED_ROWS - PANE_CHROME) / 2)));
	const paneHeight = Math.max(2, height - FIXED_ROWS - PANE_CHROME - Math.max(1, listRows));
	const indexInSection = step ? sectionSteps.indexOf(step) : 0;
	const first = Math.min(
		Math.max(0, indexInSection - Math.floor(listRows / 2)),
		Math.max(0, sectionSteps.length - listRows),
	);
	const lineCount = output?.lines?.length ?? 0;
	const maxBack = Math.max(0, lineCount - paneHeight);

	useReplayKeys({
		isActive,
		dispatch,
		total: timeline.events.length,
		shown,
		page: Math.max(1, paneHeight - 1),
		maxBack,
		onBack: () => (stack.length > 1 ? actions.back() : actions.quit()),
		onHelp: () => actions.showHelp('replay'),
		onQuit: () => actions.quit(),
	});

	if (!run) {
		return (
			<Box flexDirection="column">
				<Text color={theme.text.error}>{t('replay.runGone', { run: runId })}</Text>
			</Box>
		);
	}

	const named = source.profile.nodes.length <= 3;
	const titleWidth = Math.min(40, maxWidth(sectionSteps.map((s) => `${s.number}. ${s.title}`)) + 2);
	const touched = sectionSteps.filter((s) => playback.cells.has(s.key)).length;

	return (
		<Box flexDirection="column">
			<ReplayBanner runId={runId} live={live} state={state} playback={playback} clock={clock} span={timeline.span} />
			<ReplayEventLine last={playback.last} titles={titles} />
			{section ? (
				<Text wrap="truncate-end">
					<Text bold color={theme.text.heading}>
						{section.inRunbook ? `${step.sectionIndex + 1}. ${sectionTitle(section)}` : t('replay.otherSteps')}
					</Text>
					<Text color={theme.text.muted}>
						{'  '}
						{t('replay.sectionCounts', { touched, total: sectionSteps.length })}
					</Text>
				</Text>
			) : (
				<Text color={theme.text.muted}>{t('replay.noSteps')}</Text>
			)}
			{sectionSteps.slice(first, first + listRows).map((s) => (
				<ReplayStepRow
					key={s.key}
					step={s}
					playback={playback}
					clock={clock}
					selected={s === step}
					named={named}
					titleWidth={titleWidth}
				/>
			))}
			{step ? <ReplayNodeTabs step={step} playback={playback} nodeIndex={shown.nodeIndex} /> : <Text> </Text>}
			<ReplayOutput
				node={node}
				cell={cell}
				ended={playback.ended}
				output={output}
				height={paneHeight}
				back={state.paneBack}
			/>
		</Box>
	);
}
