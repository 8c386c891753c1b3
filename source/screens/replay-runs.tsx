/**
 * The runs in a profile's journal, newest first: when each began, how long it took, its events and attempts,
 * and how its attempts ended. Enter replays the selected one (read-only).
 */
import { Box, Text } from 'ink';
import { useMemo, useReducer } from 'react';
import { t } from '../i18n/index.js';
import { runDuration } from '../replay/runs.js';
import type { ReplaySource } from '../replay/source.js';
import { buildTimeline, playbackAt, UNFINISHED } from '../replay/timeline.js';
import type { ReplayOptions } from '../ui/app-state.js';
import { useAppActions, useAppState } from '../ui/context.js';
import { formatDuration } from '../ui/format.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { maxWidth, padEndW, padStartW } from '../ui/text-width.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ScreenProps } from './profile-picker.js';

type KnownStatus = keyof typeof symbols.status;

interface RunRow {
	id: string;
	duration: string;
	events: number;
	attempts: number;
	/** Finished attempts by status, then the unfinished ones. */
	outcome: { status: string; count: number }[];
	unfinished: number;
}

function runRows(source: ReplaySource): RunRow[] {
	return [...source.runs].reverse().map((run) => {
		const end = playbackAt(buildTimeline(run, { live: run.id === source.liveRunId }), run.events.length);
		let unfinished = 0;
		for (const row of end.cells.values()) for (const cell of row.values()) if (cell.status === UNFINISHED) unfinished++;
		return {
			id: run.id,
			duration: formatDuration(runDuration(run)),
			events: run.events.length,
			attempts: run.attempts,
			outcome: Object.entries(run.finished).map(([status, count]) => ({ status, count })),
			unfinished,
		};
	});
}

export function ReplayRuns({
	isActive,
	height,
	source,
	options,
	selected,
}: ScreenProps & { source: ReplaySource; options: ReplayOptions; selected?: string }) {
	const actions = useAppActions();
	const { stack } = useAppState();
	const rows = useMemo(() => runRows(source), [source]);
	const [rawCursor, move] = useReducer(
		(index: number, action: Parameters<typeof cursorReducer>[1]) => cursorReducer(index, action, rows.length),
		undefined,
		() =>
			Math.max(
				0,
				rows.findIndex((r) => r.id === selected),
			),
	);
	const cursor = clampIndex(rawCursor, rows.length);
	const current = rows[cursor];
	useKeyBindings(
		'runs',
		{
			'move-up': () => move({ type: 'up' }),
			'move-down': () => move({ type: 'down' }),
			open: () => current && actions.push({ screen: 'replay', source, options, runId: current.id }),
			back: () => (stack.length > 1 ? actions.back() : actions.quit()),
			help: () => actions.showHelp('runs'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const idWidth = Math.min(
		40,
		maxWidth(
			rows.map((r) => r.id),
			6,
		) + 2,
	);
	const listHeight = Math.max(3, height - 5 - (source.tornTail ? 1 : 0));
	const start = Math.min(Math.max(0, cursor - listHeight + 1), Math.max(0, rows.length - listHeight));
	return (
		<Box flexDirection="column">
			<Text bold color={theme.text.heading} wrap="truncate-end">
				{t('runs.title', { profile: source.profile.name, runbook: source.profile.runbook })}
			</Text>
			<Text color={theme.text.muted} wrap="truncate-end">
				{t('runs.count', { count: rows.length, file: source.journalFile })}
			</Text>
			<Text color={theme.text.warning} wrap="truncate-end">
				{t('runs.readOnly')}
			</Text>
			{source.tornTail ? (
				<Text color={theme.text.warning} wrap="truncate-end">
					! {t('runs.tornTail')}
				</Text>
			) : null}
			<Text color={theme.text.muted} wrap="truncate-end">
				{'  '}
				{padEndW(t('runs.col.run'), idWidth)}
				{padStartW(t('runs.col.duration'), 9)}
				{padStartW(t('runs.col.events'), 8)}
				{padStartW(t('runs.col.attempts'), 9)}
				{'  '}
				{t('runs.col.outcome')}
			</Text>
			{rows.slice(start, start + listHeight).map((row, i) => {
				const isSelected = start + i === cursor;
				return (
					<Text key={row.id} wrap="truncate-end">
						<Text color={isSelected ? theme.focus.selected : undefined}>{isSelected ? symbols.pointer : ' '} </Text>
						<Text color={isSelected ? theme.focus.selected : undefined} bold={isSelected}>
							{padEndW(row.id, idWidth)}
						</Text>
						{padStartW(row.duration, 9)}
						{padStartW(String(row.events), 8)}
						{padStartW(String(row.attempts), 9)}
						{'  '}
						{row.outcome.length === 0 && row.unfinished === 0 ? (
							<Text color={theme.text.muted}>{t('runs.noneFinished')}</Text>
						) : null}
						{row.outcome.map(({ status, count }) => (
							<Text key={status} color={theme.status[status as KnownStatus] ?? theme.text.error}>
								{symbols.status[status as KnownStatus] ?? '•'} {count}{' '}
							</Text>
						))}
						{row.id === source.liveRunId ? <Text color={theme.status.running}>{t('runs.live')} </Text> : null}
						{row.unfinished > 0 ? (
							<Text color={theme.status.interrupted}>
								{symbols.status.interrupted} {t('runs.unfinished', { count: row.unfinished })}
							</Text>
						) : null}
					</Text>
				);
			})}
		</Box>
	);
}
