/**
 * One step of the replayed run, like a checklist row: its status over its nodes, each node's status, how long
 * its latest attempt took (or has run, on the run's clock), and why it failed or what the operator did.
 */
import { Text } from 'ink';
import { t } from '../i18n/index.js';
import type { OperatorNote, Playback } from '../replay/timeline.js';
import { formatDuration, sanitizeLine } from '../ui/format.js';
import { fitW, padStartW } from '../ui/text-width.js';
import { symbols, theme } from '../ui/theme.js';
import { ReplayCellIcon } from './replay-cell-icon.js';
import { cellView, type FlatStep, operatorWords, rowView } from './use-replay-state.js';

function timing(step: FlatStep, playback: Playback, clock: number): string {
	let longest: number | undefined;
	for (const node of step.nodes) {
		const cell = playback.cells.get(step.key)?.get(node);
		if (!cell || cell.startedAt === undefined) continue;
		const end = cell.endedAt ?? clock;
		longest = Math.max(longest ?? 0, end - cell.startedAt);
	}
	return longest === undefined ? '' : formatDuration(longest);
}

function detail(step: FlatStep, playback: Playback): { text: string; tone: string } | undefined {
	for (const node of step.nodes) {
		const cell = playback.cells.get(step.key)?.get(node);
		const view = cellView(cell);
		if (cell && (view === 'failed' || view === 'other' || view === 'unfinished' || view === 'interrupted')) {
			return { text: `${node}: ${cell.detail}`, tone: view === 'unfinished' ? theme.text.warning : theme.text.error };
		}
	}
	const notes: OperatorNote[] = playback.operator.get(step.key) ?? [];
	const skip = [...notes].reverse().find((n) => n.action === 'skip');
	if (skip)
		return {
			text: skip.by ? t('checklist.skippedBy', { who: skip.by }) : t('status.skipped'),
			tone: theme.text.warning,
		};
	if (notes.length > 0) {
		return {
			text: t('replay.operatorNote', { actions: notes.map((n) => operatorWords(n.action)).join(', ') }),
			tone: theme.text.muted,
		};
	}
	return undefined;
}

export function ReplayStepRow({
	step,
	playback,
	clock,
	selected,
	named,
	titleWidth,
}: {
	step: FlatStep;
	playback: Playback;
	/** The run's clock now, for a running attempt's time. */
	clock: number;
	selected: boolean;
	/** Node names beside their icons (few nodes), or icons only. */
	named: boolean;
	titleWidth: number;
}) {
	const cells = step.nodes.map((node) => playback.cells.get(step.key)?.get(node));
	const row = rowView(cells);
	const touched = playback.cells.has(step.key);
	const note = detail(step, playback);
	return (
		<Text wrap="truncate-end">
			<Text color={selected ? theme.focus.selected : undefined}>{selected ? symbols.pointer : ' '} </Text>
			<ReplayCellIcon view={row} />{' '}
			<Text color={selected ? theme.focus.selected : touched ? undefined : theme.text.muted} bold={selected}>
				{fitW(`${step.number}. ${step.title}`, titleWidth - 1)}{' '}
			</Text>
			{step.nodes.map((node, i) => (
				<Text key={node}>
					{i > 0 && named ? ' ' : ''}
					{named ? <Text color={theme.text.muted}>{node} </Text> : null}
					<ReplayCellIcon view={cellView(cells[i])} />
				</Text>
			))}
			<Text color={row === 'running' ? theme.status.running : theme.text.muted}>
				{padStartW(timing(step, playback, clock), 8)}
			</Text>
			{note ? (
				<Text color={note.tone}>
					{'  '}
					{sanitizeLine(note.text)}
				</Text>
			) : null}
		</Text>
	);
}
