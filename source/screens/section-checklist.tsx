/**
 * A section's checklist: one row per step with its status on every node, its duration (or a spinner and
 * the elapsed time while running), and the last output line, or "no output for 2m" when a running step
 * has gone quiet.
 */
import { Box, Text } from 'ink';
import { useReducer, useState } from 'react';
import { StatusIcon } from '../components/status-icon.js';
import { sectionTitle, t } from '../i18n/index.js';
import { useAppActions, useSession } from '../ui/context.js';
import { useEngineVersion } from '../ui/engine-store.js';
import { sanitizeLine } from '../ui/format.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { displayWidth, fitW, maxWidth, padStartW } from '../ui/text-width.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { useNow } from '../ui/use-now.js';
import type { ScreenProps } from './profile-picker.js';
import { type ChecklistRow, checklistRows, type DetailTone, firstOpenIndex } from './use-checklist-state.js';

const TONE: Record<DetailTone, string> = {
	muted: theme.text.muted,
	warning: theme.text.warning,
	error: theme.text.error,
};

/** Node cells: "controller ✔ compute1 ✘" for a few nodes, symbols only for many. */
function NodeCells({ row, named }: { row: ChecklistRow; named: boolean }) {
	return (
		<Text>
			{row.nodes.map((cell, i) => (
				<Text key={cell.node}>
					{i > 0 && named ? ' ' : ''}
					{named ? <Text color={theme.text.muted}>{cell.node} </Text> : null}
					<Text color={theme.status[cell.status]}>
						{cell.status === 'running' ? symbols.status.running : symbols.status[cell.status]}
					</Text>
				</Text>
			))}
		</Text>
	);
}

export function SectionChecklist({ isActive, visible, height, sectionId }: ScreenProps & { sectionId: string }) {
	const session = useSession();
	// Follow the engine (throttled) only while on screen.
	useEngineVersion(visible ? session.store : undefined);
	const actions = useAppActions();
	const { engine } = session;
	const sections = engine.runbook.sections;
	const [sectionIndex, setSectionIndex] = useState(() =>
		Math.max(
			0,
			sections.findIndex((s) => s.id === sectionId),
		),
	);
	const section = sections[sectionIndex] ?? sections[0]!;
	const steps = engine.stepsOf(section.id);
	const [rawCursor, move] = useReducer(
		(index: number, action: Parameters<typeof cursorReducer>[1]) => cursorReducer(index, action, steps.length),
		undefined,
		() => firstOpenIndex(engine, section.id),
	);
	const cursor = clampIndex(rawCursor, steps.length);
	const selected = steps[cursor];
	const anyRunning = steps.some((p) => engine.stepStatus(p.key) === 'running');
	const now = useNow(1000, anyRunning);
	const rows = checklistRows(engine, section.id, now);

	const switchSection = (delta: number) => {
		const next = (sectionIndex + delta + sections.length) % sections.length;
		setSectionIndex(next);
		move({ type: 'set', index: firstOpenIndex(engine, sections[next]!.id) });
	};

	useKeyBindings(
		'checklist',
		{
			'move-up': () => move({ type: 'up' }),
			'move-down': () => move({ type: 'down' }),
			open: () => selected && actions.push({ screen: 'step', key: selected.key }),
			back: () => actions.back(),
			run: () => selected && actions.runStep(selected.key),
			skip: () => selected && actions.skipStep(selected.key),
			'run-section': () => actions.runSection(section.id),
			'run-all': () => actions.runAll(),
			cancel: () => actions.cancel(),
			'prev-section': () => switchSection(-1),
			'next-section': () => switchSection(1),
			help: () => actions.showHelp('checklist'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const progress = engine.sectionProgress(section.id);
	const named = engine.profile.nodes.length <= 3;
	const titleWidth = Math.min(40, maxWidth(rows.map((r) => `${r.number}. ${r.title}`)) + 2);
	const cellsWidth = (row: ChecklistRow) =>
		named
			? row.nodes.reduce((w, c) => w + displayWidth(c.node) + 2, 0) + Math.max(0, row.nodes.length - 1)
			: row.nodes.length;
	const nodesWidth = Math.max(0, ...rows.map(cellsWidth)) + 2;
	const listHeight = Math.max(3, height - 5);
	const start = Math.min(Math.max(0, cursor - listHeight + 1), Math.max(0, rows.length - listHeight));
	const shownRows = rows.slice(start, start + listHeight);

	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					{sectionIndex + 1}. {sectionTitle(section)}
				</Text>
				<Text color={theme.text.muted}>
					{'  '}
					{t('common.done', { done: progress.done, total: progress.total })}
				</Text>
				{progress.failed ? (
					<Text color={theme.status.failed}> · {t('common.failed', { count: progress.failed })}</Text>
				) : null}
				{progress.running ? (
					<Text color={theme.status.running}> · {t('common.running', { count: progress.running })}</Text>
				) : null}
				<Text color={theme.text.muted}>
					{'   '}
					{t('common.guide', { guide: section.guide })}
				</Text>
			</Text>
			{named ? null : (
				<Text color={theme.text.muted} wrap="truncate-end">
					{t('checklist.columns', { nodes: engine.profile.nodes.map((n) => n.name).join(' ') })}
				</Text>
			)}
			{shownRows.map((row, i) => {
				const isSelected = start + i === cursor;
				return (
					<Box key={row.key}>
						<Text wrap="truncate-end">
							<Text color={isSelected ? theme.focus.selected : undefined}>{isSelected ? symbols.pointer : ' '} </Text>
							<StatusIcon status={row.status} />{' '}
							<Text
								color={
									isSelected ? theme.focus.selected : row.status === 'not-applicable' ? theme.text.muted : undefined
								}
								bold={isSelected}
							>
								{fitW(`${row.number}. ${row.title}`, titleWidth - 1)}{' '}
							</Text>
							<NodeCells row={row} named={named} />
							{' '.repeat(Math.max(1, nodesWidth - cellsWidth(row)))}
							<Text color={row.status === 'running' ? theme.status.running : theme.text.muted}>
								{padStartW(row.timing ?? '', 6)}
							</Text>
							{row.detail ? (
								<Text color={TONE[row.detail.tone]}>
									{'  '}
									{sanitizeLine(row.detail.text)}
								</Text>
							) : null}
						</Text>
					</Box>
				);
			})}
			{selected ? (
				<Box marginTop={1}>
					<Text color={theme.text.muted} wrap="truncate-end">
						{selected.key} ·{' '}
						{t('checklist.runsOn', {
							nodes: selected.nodes.length ? selected.nodes.map((n) => n.name).join(', ') : t('checklist.noNode'),
						})}
						{selected.step.guide ? ` · ${t('common.guide', { guide: selected.step.guide })}` : ''} ·{' '}
						{t('checklist.enterHint')}
					</Text>
				</Box>
			) : null}
		</Box>
	);
}
