/**
 * The dashboard: the nodes with their connection state, and the sections with their progress. From here:
 * v the verification panel, l the launch form, d the doctor, t the topology, p the past runs (to replay one).
 */
import { Box, Text } from 'ink';
import { useReducer } from 'react';
import { StatusIcon } from '../components/status-icon.js';
import type { StepStatus } from '../engine/types.js';
import { sectionTitle, t } from '../i18n/index.js';
import type { Role } from '../profile/schema.js';
import { loadReplaySource } from '../replay/source.js';
import { DEFAULT_MAX_WAIT_MS } from '../replay/timeline.js';
import { verifyRoute } from '../ui/app-state.js';
import { useAppActions, useSession } from '../ui/context.js';
import { useEngineVersion } from '../ui/engine-store.js';
import { bindingsFor, keysLabel } from '../ui/keybindings.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { fitW, maxWidth, padEndW, truncateW } from '../ui/text-width.js';
import { connectionWord, symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { verifySectionForRunbookSection } from '../verify/checks.js';
import type { ScreenProps } from './profile-picker.js';
import { overallProgress } from './use-checklist-state.js';

const TOOL_ACTIONS = ['open-verify', 'open-launch', 'open-doctor', 'open-topology', 'open-replay'] as const;
/** Their keys, from the table. */
const KEY_OF = Object.fromEntries(
	bindingsFor('dashboard')
		.filter((row) => (TOOL_ACTIONS as readonly string[]).includes(row.action))
		.map((row) => [row.action, keysLabel(row.keys)]),
) as Record<(typeof TOOL_ACTIONS)[number], string>;

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
			'open-verify': () => actions.push(verifyRoute(selected && verifySectionForRunbookSection(selected.id))),
			'open-launch': () => actions.push({ screen: 'launch' }),
			'open-doctor': () => actions.push({ screen: 'doctor' }),
			'open-topology': () => actions.push({ screen: 'topology' }),
			'open-replay': () => {
				// Read now: the runs as the journal has them at this moment (this session's so far included).
				let source: ReturnType<typeof loadReplaySource>;
				try {
					source = loadReplaySource(engine.profile);
				} catch (error) {
					actions.notify(t('runs.cannotRead', { message: (error as Error).message }), 'error');
					return;
				}
				if (source.runs.length === 0) {
					actions.notify(t('runs.none', { profile: engine.profile.name }), 'info');
					return;
				}
				// One console per profile (the lock): while this one runs steps, the journal's last run is its own.
				if (engine.isRunning()) source.liveRunId = source.runs.at(-1)?.id;
				actions.push({ screen: 'runs', source, options: { speed: 1, maxWaitMs: DEFAULT_MAX_WAIT_MS } });
			},
			back: () => actions.closeProfile(),
			help: () => actions.showHelp('dashboard'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const overall = overallProgress(engine);
	const nodes = engine.profile.nodes;
	const nameWidth =
		maxWidth(
			nodes.map((n) => n.name),
			4,
		) + 2;
	const addresses = nodes.map((n) => `${n.user}@${n.host}:${n.port}`);
	const addressWidth = Math.min(32, maxWidth(addresses, 7) + 2);
	const roles = nodes.map((n) => rolesLabel(n.roles));
	const rolesWidth = Math.max(22, maxWidth(roles) + 2);
	const titles = sections.map((s, index) => `${index + 1}. ${sectionTitle(s)}`);
	const titleWidth = maxWidth(titles) + 2;
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
					· {t('dash.summary', { count: nodes.length, option: engine.profile.network.option })}
				</Text>
			</Text>
			{warnings.map((warning) => (
				<Text key={warning} color={theme.text.warning} wrap="truncate-end">
					! {warning}
				</Text>
			))}
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					{t('dash.nodes')}
				</Text>
				{/* The other screens' keys, on this heading's row: the footer may not have room for them. */}
				<Text color={theme.text.muted}>
					{'   '}
					{TOOL_ACTIONS.map((action) => `${KEY_OF[action]} ${t(`hint.${action}`)}`).join(' · ')}
				</Text>
			</Text>
			{shownNodes.map((node, i) => {
				const connection = engine.connection(node.name);
				return (
					<Text key={node.name} wrap="truncate-end">
						{'  '}
						{padEndW(node.name, nameWidth)}
						<Text color={theme.text.muted}>{padEndW(truncateW(addresses[i]!, addressWidth - 2), addressWidth)}</Text>
						{padEndW(roles[i]!, rolesWidth)}
						<Text color={theme.connection[connection.state]}>
							{symbols.connection[connection.state]} {connectionWord(connection.state)}
						</Text>
						{connection.detail ? <Text color={theme.text.muted}> {connection.detail}</Text> : null}
					</Text>
				);
			})}
			{shownNodes.length < nodes.length ? (
				<Text color={theme.text.muted}> {t('dash.more', { count: nodes.length - shownNodes.length })}</Text>
			) : null}
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					{t('dash.sections')}
				</Text>
				<Text color={theme.text.muted}>
					{'  '}
					{overall.next
						? t('dash.next', {
								number: overall.next.number,
								total: overall.total,
								section: overall.next.sectionTitle,
								step: overall.next.title,
							})
						: t('dash.allDone', { total: overall.total })}
					{overall.failed ? ` · ${t('common.failed', { count: overall.failed })}` : ''}
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
							{fitW(titles[index]!, titleWidth)}
						</Text>
						<Text>{t('common.done', { done: progress.done, total: progress.total })}</Text>
						{progress.failed ? (
							<Text color={theme.status.failed}> · {t('common.failed', { count: progress.failed })}</Text>
						) : null}
						{progress.running ? (
							<Text color={theme.status.running}> · {t('common.running', { count: progress.running })}</Text>
						) : null}
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

/** "controller, compute" in the operator's language. */
export function rolesLabel(roles: readonly Role[]): string {
	return roles.map((role) => t(`role.${role}`)).join(t('common.listSep'));
}
