/**
 * The preflight doctor as a screen: every finding on every node (pass / warn / fail), why, and the fix for
 * the selected one. It runs when the screen opens (without the package repository check, which can take a
 * minute); r runs it again, R with the repository check.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useEffect, useReducer, useRef, useState } from 'react';
import { type DoctorReport, type Finding, type FindingStatus, runDoctor } from '../doctor/doctor.js';
import { hasMessage, type MessageKey, t } from '../i18n/index.js';
import { useAppActions, useSession } from '../ui/context.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { fitW, maxWidth } from '../ui/text-width.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ScreenProps } from './profile-picker.js';
import { formatRanAt } from './use-verify-panel-state.js';

export interface DoctorRun {
	status: 'running' | 'done' | 'failed';
	repository: boolean;
	report?: DoctorReport;
	error?: string;
	at?: number;
}

/** A finding's check in the operator's language ("resolves compute1" keeps the node name). */
export function doctorCheckLabel(check: string): string {
	const resolves = /^resolves (.+)$/.exec(check);
	if (resolves) return t('doctor.check.resolves', { name: resolves[1]! });
	const key = `doctor.check.${check.replace(/ /g, '-')}`;
	return hasMessage(key) ? t(key as Exclude<MessageKey & `doctor.check.${string}`, 'doctor.check.resolves'>) : check;
}

export function countFindings(findings: readonly Finding[]): Record<FindingStatus, number> {
	const counts = { pass: 0, warn: 0, fail: 0 };
	for (const f of findings) counts[f.status]++;
	return counts;
}

export function DoctorScreen({ isActive, height }: ScreenProps) {
	const { engine } = useSession();
	const actions = useAppActions();
	const [run, setRun] = useState<DoctorRun>({ status: 'running', repository: false });
	const generation = useRef(0);
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[],
	);

	const start = (repository: boolean) => {
		if (run.status === 'running' && generation.current > 0) {
			actions.notify(t('doctor.busy'), 'warning');
			return;
		}
		const id = ++generation.current;
		setRun((previous) => ({ ...previous, status: 'running', repository }));
		runDoctor(engine, { checkRepository: repository }).then(
			(report) => {
				if (!mounted.current || id !== generation.current) return;
				setRun({ status: 'done', repository, report, at: Date.now() });
				const counts = countFindings(report.findings);
				actions.notify(t('doctor.notice', counts), counts.fail ? 'error' : counts.warn ? 'warning' : 'success');
			},
			(error: unknown) => {
				if (!mounted.current || id !== generation.current) return;
				setRun({ status: 'failed', repository, error: engine.mask((error as Error).message), at: Date.now() });
			},
		);
	};

	// Once, when the screen opens.
	const started = useRef(false);
	// biome-ignore lint/correctness/useExhaustiveDependencies: mount only
	useEffect(() => {
		if (started.current) return;
		started.current = true;
		start(false);
	}, []);

	const findings = run.report?.findings ?? [];
	const [rawCursor, move] = useReducer(
		(index: number, action: Parameters<typeof cursorReducer>[1]) => cursorReducer(index, action, findings.length),
		0,
	);
	const cursor = clampIndex(rawCursor, findings.length);
	const selected = findings[cursor];

	useKeyBindings(
		'doctor',
		{
			'move-up': () => move({ type: 'up' }),
			'move-down': () => move({ type: 'down' }),
			'rerun-doctor': () => start(run.repository),
			'rerun-doctor-repository': () => start(true),
			back: () => actions.back(),
			help: () => actions.showHelp('doctor'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);

	const counts = countFindings(findings);
	const checkWidth = Math.min(
		24,
		maxWidth(
			findings.map((f) => doctorCheckLabel(f.check)),
			6,
		) + 2,
	);
	const lines: { node: ReactNode; row?: number }[] = [];
	let lastNode = '';
	findings.forEach((finding, index) => {
		if (finding.node !== lastNode) {
			lastNode = finding.node;
			lines.push({
				node: (
					<Text bold color={theme.text.heading}>
						{finding.node === '*' ? t('doctor.allNodes') : finding.node}
					</Text>
				),
			});
		}
		const focused = index === cursor;
		lines.push({
			row: index,
			node: (
				<Text wrap="truncate-end">
					<Text color={focused ? theme.focus.selected : undefined}>{focused ? symbols.pointer : ' '} </Text>
					<Text color={theme.finding[finding.status]}>{symbols.finding[finding.status]} </Text>
					<Text color={focused ? theme.focus.selected : theme.text.primary} bold={focused}>
						{fitW(doctorCheckLabel(finding.check), checkWidth)}
					</Text>
					<Text color={finding.status === 'pass' ? theme.text.muted : theme.finding[finding.status]}>
						{finding.why}
					</Text>
				</Text>
			),
		});
	});

	const detail: { text: string; color?: string }[] = selected
		? [
				{
					text: `${symbols.finding[selected.status]} ${doctorCheckLabel(selected.check)} · ${selected.node === '*' ? t('doctor.allNodes') : selected.node} · ${t(`doctor.status.${selected.status}`)}`,
					color: theme.finding[selected.status],
				},
				{ text: t('doctor.why', { why: selected.why }) },
				selected.fix
					? { text: t('doctor.fix', { fix: selected.fix }), color: theme.text.warning }
					: { text: t('doctor.noFix'), color: theme.text.muted },
			]
		: [];
	// Title, status line, the detail box (border + its lines).
	const listHeight = Math.max(3, height - 2 - (detail.length ? detail.length + 2 : 0));
	const focusLine = lines.findIndex((l) => l.row === cursor);
	let first = Math.max(0, focusLine - Math.floor(listHeight / 2));
	first = Math.min(first, Math.max(0, lines.length - listHeight));
	const visible = lines.slice(first, first + listHeight);

	const status =
		run.status === 'running'
			? `${symbols.status.running} ${t(run.repository ? 'doctor.runningRepo' : 'doctor.running', { count: engine.profile.nodes.length })}`
			: run.status === 'failed'
				? t('doctor.failed', { message: run.error ?? '' })
				: `${t('doctor.ran', { when: formatRanAt(new Date(run.at ?? Date.now()).toISOString(), Date.now()) })} · ${
						run.repository ? t('doctor.withRepo') : t('doctor.withoutRepo')
					}`;

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				{t('doctor.title', { profile: engine.profile.name, runbook: engine.runbook.id })}
				{run.report ? (
					<Text color={counts.fail ? theme.text.error : counts.warn ? theme.text.warning : theme.text.success}>
						{'  '}
						{t('doctor.counts', counts)}
					</Text>
				) : null}
			</Text>
			{visible.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: lines are positional in the window
				<Box key={first + i}>{line.node}</Box>
			))}
			{findings.length === 0 && run.status === 'running' ? (
				<Text color={theme.text.muted}>{t('doctor.waiting')}</Text>
			) : null}
			{detail.length ? (
				<Box flexDirection="column" borderStyle="single" borderColor={theme.border.default} paddingX={1}>
					{detail.map((line, i) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: positional
						<Text key={i} color={line.color} wrap="truncate-end">
							{line.text}
						</Text>
					))}
				</Box>
			) : null}
			<Text color={run.status === 'failed' ? theme.text.error : theme.text.muted} wrap="truncate-end">
				{status}
			</Text>
		</Box>
	);
}
