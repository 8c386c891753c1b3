/** The dashboard: the nodes with their connection state, and the sections with their progress. */
import { Box, Text } from 'ink';
import { useReducer } from 'react';
import { StatusIcon } from '../components/status-icon.js';
import type { StepStatus } from '../engine/types.js';
import { useAppActions, useSession } from '../ui/context.js';
import { useEngineVersion } from '../ui/engine-store.js';
import { truncate } from '../ui/format.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ScreenProps } from './profile-picker.js';
import { overallProgress } from './use-checklist-state.js';

export function sectionStatus(progress: {
	done: number;
	total: number;
	failed: number;
	running: number;
}): StepStatus | 'not-applicable' {
	if (progress.total === 0) return 'not-applicable';
	if (progress.running > 0) return 'running';
	if (progress.failed > 0) return 'failed';
	if (progress.done === progress.total) return 'succeeded';
	return 'pending';
}

export function Dashboard({ isActive, visible, height }: ScreenProps) {
	const session = useSession();
	// Follow the engine (throttled) only while on screen.
	useEngineVersion(visible ? session.store : undefined);
	const actions = useAppActions();
	const { engine, warnings } = session;
	const sections = engine.runbook.sections;
	const [rawCursor, move] = useReducer(
		(index: number, action: Parameters<typeof cursorReducer>[1]) => cursorReducer(index, action, sections.length),
		undefined,
		() => {
			const first = sections.findIndex((s) => {
				const p = engine.sectionProgress(s.id);
				return p.done < p.total;
			});
			return Math.max(0, first);
		},
	);
	const cursor = clampIndex(rawCursor, sections.length);
	const selected = sections[cursor];
	useKeyBindings(
		'dashboard',
		{
			'move-up': () => move({ type: 'up' }),
			'move-down': () => move({ type: 'down' }),
			open: () => selected && actions.push({ screen: 'checklist', sectionId: selected.id }),
			'run-section': () => selected && actions.runSection(selected.id),
			'run-all': () => actions.runAll(),
			cancel: () => actions.cancel(),
			back: () => actions.closeProfile(),
			help: () => actions.showHelp('dashboard'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const overall = overallProgress(engine);
	const nodes = engine.profile.nodes;
	const nameWidth = Math.max(4, ...nodes.map((n) => n.name.length)) + 2;
	const addresses = nodes.map((n) => `${n.user}@${n.host}:${n.port}`);
	const addressWidth = Math.min(32, Math.max(7, ...addresses.map((a) => a.length)) + 2);
	const titleWidth = Math.max(...sections.map((s) => s.title.length)) + 2;
	// Rows: title, warnings, "Nodes", the nodes (and "… and N more"), "Sections", the sections.
	const room = height - 3 - warnings.length - sections.length;
	const maxNodes = nodes.length <= room ? nodes.length : Math.max(1, room - 1);
	const shownNodes = nodes.slice(0, Math.min(nodes.length, maxNodes));

	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{engine.runbook.title}</Text>
				<Text color={theme.text.muted}>
					{' '}
					· {nodes.length} node{nodes.length === 1 ? '' : 's'} · networking {engine.profile.network.option}
				</Text>
			</Text>
			{warnings.map((warning) => (
				<Text key={warning} color={theme.text.warning} wrap="truncate-end">
					! {warning}
				</Text>
			))}
			<Text bold color={theme.text.heading}>
				Nodes
			</Text>
			{shownNodes.map((node, i) => {
				const connection = engine.connection(node.name);
				return (
					<Text key={node.name} wrap="truncate-end">
						{'  '}
						{node.name.padEnd(nameWidth)}
						<Text color={theme.text.muted}>{truncate(addresses[i]!, addressWidth - 2).padEnd(addressWidth)}</Text>
						{node.roles.join(', ').padEnd(22)}
						<Text color={theme.connection[connection.state]}>
							{symbols.connection[connection.state]} {connection.state}
						</Text>
						{connection.detail ? <Text color={theme.text.muted}> {connection.detail}</Text> : null}
					</Text>
				);
			})}
			{shownNodes.length < nodes.length ? (
				<Text color={theme.text.muted}> … and {nodes.length - shownNodes.length} more</Text>
			) : null}
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					Sections
				</Text>
				<Text color={theme.text.muted}>
					{'  '}
					{overall.next
						? `step ${overall.next.number} of ${overall.total}: ${overall.next.sectionTitle} › ${overall.next.title}`
						: `all ${overall.total} steps done`}
					{overall.failed ? ` · ${overall.failed} failed` : ''}
				</Text>
			</Text>
			{sections.map((section, index) => {
				const progress = engine.sectionProgress(section.id);
				const status = sectionStatus(progress);
				const isSelected = index === cursor;
				return (
					<Text key={section.id} wrap="truncate-end">
						<Text color={isSelected ? theme.focus.selected : undefined}>{isSelected ? symbols.pointer : ' '} </Text>
						<StatusIcon status={status} />{' '}
						<Text color={isSelected ? theme.focus.selected : undefined} bold={isSelected}>
							{`${index + 1}. ${section.title}`.padEnd(titleWidth + 3)}
						</Text>
						<Text>
							{progress.done}/{progress.total} done
						</Text>
						{progress.failed ? <Text color={theme.status.failed}> · {progress.failed} failed</Text> : null}
						{progress.running ? <Text color={theme.status.running}> · {progress.running} running</Text> : null}
						<Text color={theme.text.muted}>
							{'   '}
							{section.guide}
						</Text>
					</Text>
				);
			})}
		</Box>
	);
}
