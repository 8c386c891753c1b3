/**
 * The instance-launch form: fields prefilled from the profile and the cloud, validated as the operator types
 * (the reason next to the field), the equivalent CLI commands (ctrl+e), and a submit (ctrl+s) that is refused
 * while a field is invalid. Submitting runs the plan on the controller with live output, waits for the server
 * to leave BUILD, and shows ACTIVE with addresses and the console URL, or ERROR with nova's fault.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useEffect, useMemo, useReducer, useRef } from 'react';
import { FormFieldRow } from '../components/form-field-row.js';
import { KeyHints } from '../components/key-hints.js';
import type { Engine } from '../engine/engine.js';
import { t } from '../i18n/index.js';
import { applyCloudLists, draftFromProfile, readCloudLists } from '../launch/prefill.js';
import { type FieldId, type KeyFileResult, type LaunchDraft, validateDraft } from '../launch/spec.js';
import { launchPlanFor, submitLaunch } from '../launch/submit.js';
import { buildHolder, STUCK_BUILD_SEC } from '../steps/shared/launch.js';
import { useAppActions, useSession } from '../ui/context.js';
import { sanitizeLine } from '../ui/format.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ScreenProps } from './profile-picker.js';
import {
	FIELD_DEFS,
	fieldDefs,
	focusOrder,
	initialLaunchState,
	type LaunchFormState,
	launchFormReducer,
} from './use-launch-form-state.js';

export interface LaunchFormProps {
	/** The open profile's engine (cloud lists and the launch run on its controller through engine.exec). */
	engine: Engine;
	/** False while an overlay is on top: the form takes no keys. */
	isActive: boolean;
	/** Rows available to the form. */
	height: number;
	/** esc (from the form; from the other views esc returns to the form first). */
	onBack(): void;
	/** Read the image and network lists from the controller when the form opens (default true). */
	readCloud?: boolean;
	/** Start from this draft instead of the profile's values. */
	initialDraft?: LaunchDraft;
	/** Reads the public key file (default: the file system). */
	readKey?: (file: string) => KeyFileResult;
	/** Told when a launch ends. */
	onLaunched?(outcome: { kind: string }): void;
	/** Its own footer of key hints (default true; the console draws the footer itself). */
	showKeyHints?: boolean;
}

const LABEL_WIDTH = 19;

export function LaunchForm({
	engine,
	isActive,
	height,
	onBack,
	readCloud = true,
	initialDraft,
	readKey,
	onLaunched,
	showKeyHints = true,
}: LaunchFormProps) {
	const [state, dispatch] = useReducer(launchFormReducer, undefined, () =>
		initialLaunchState(initialDraft ?? draftFromProfile(engine.profile, engine.runbook)),
	);
	const validation = useMemo(() => validateDraft(state.draft, { readKey }), [state.draft, readKey]);
	const problems = Object.keys(validation.errors).length;
	const controller = useRef<AbortController | undefined>(undefined);
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
			controller.current?.abort();
		},
		[],
	);

	const loadCloud = () => {
		dispatch({ type: 'cloud-loading' });
		void readCloudLists(engine).then((lists) => {
			if (!mounted.current) return;
			const applied = applyCloudLists(state.draft, lists);
			dispatch({ type: 'cloud-loaded', lists, draft: applied.draft, notes: [...applied.notes, ...lists.problems] });
		});
	};
	const loaded = useRef(false);
	useEffect(() => {
		if (readCloud && !loaded.current) {
			loaded.current = true;
			loadCloud();
		}
	});

	const submit = () => {
		if (state.run.running) return;
		if (!validation.spec || !validation.publicKey) {
			const first = focusOrder(state.draft).find((id) => id in validation.errors);
			dispatch({ type: 'refused', problems, first: first as FieldId | undefined });
			return;
		}
		const spec = validation.spec;
		dispatch({ type: 'run-started' });
		const abort = new AbortController();
		controller.current = abort;
		void submitLaunch(engine, spec, {
			publicKey: validation.publicKey,
			signal: abort.signal,
			onLine: (stream, text) => mounted.current && dispatch({ type: 'run-line', stream, text }),
			onPhase: (phase) => mounted.current && dispatch({ type: 'run-phase', phase }),
		}).then((outcome) => onLaunched?.(outcome));
	};

	// In the commands and run views only esc and ctrl+e work: both return to the form (esc cancels a run).
	const leaveView = () => {
		if (state.view === 'run' && state.run.running) controller.current?.abort();
		else dispatch({ type: 'view', view: 'form' });
	};
	const inForm = (work: () => void) => () => {
		if (state.view === 'form') work();
	};
	useKeyBindings(
		'launch',
		{
			'next-field': inForm(() => dispatch({ type: 'next' })),
			'prev-field': inForm(() => dispatch({ type: 'prev' })),
			'choice-prev': inForm(() => dispatch({ type: 'cycle', direction: -1 })),
			'choice-next': inForm(() => dispatch({ type: 'cycle', direction: 1 })),
			activate: inForm(() => {
				if (state.focus === 'submit') submit();
				else if (state.focus === 'reload') loadCloud();
				else dispatch({ type: 'next' });
			}),
			'delete-char': inForm(() => dispatch({ type: 'delete-char' })),
			'clear-field': inForm(() => dispatch({ type: 'clear' })),
			'launch-submit': inForm(submit),
			'toggle-commands': () => {
				if (state.view === 'form') dispatch({ type: 'view', view: 'commands' });
				else leaveView();
			},
			'reload-cloud': inForm(loadCloud),
			back: () => {
				if (state.view === 'form') onBack();
				else leaveView();
			},
		},
		{
			isActive,
			// Letters are text: the form's commands are ctrl keys.
			onText: (text) => {
				if (state.view !== 'form') return true;
				const focus = state.focus;
				if (focus === 'reload' || focus === 'submit' || FIELD_DEFS[focus].kind !== 'text') return false;
				dispatch({ type: 'type', text });
				return true;
			},
		},
	);

	if (state.view === 'commands')
		return <CommandsView engine={engine} state={state} validation={validation} height={height} />;
	if (state.view === 'run') return <RunView state={state} height={height} />;

	const defs = fieldDefs(state.draft);
	const shows = (id: FieldId) => state.submitted || state.touched.includes(id);
	const lines: { node: ReactNode; focus?: boolean }[] = [];
	let group = '';
	for (const def of defs) {
		if (def.group !== group) {
			group = def.group;
			lines.push({
				node: (
					<Text bold color={theme.text.heading}>
						{group}
					</Text>
				),
			});
		}
		const error = validation.errors[def.id];
		const focused = state.focus === def.id;
		lines.push({
			node: (
				<FormFieldRow
					label={def.label}
					labelWidth={LABEL_WIDTH}
					kind={def.kind}
					value={state.draft[def.id]}
					choices={def.choices}
					focused={focused}
					error={shows(def.id) ? error : undefined}
				/>
			),
			focus: focused,
		});
		if (error && shows(def.id)) {
			lines.push({
				node: (
					<Text color={theme.text.error} wrap="truncate-end">
						{' '.repeat(LABEL_WIDTH + 4)}
						{symbols.status.failed} {error}
					</Text>
				),
				focus: focused,
			});
		}
	}
	for (const button of [
		{
			id: 'reload',
			label: state.cloud.status === 'loading' ? t('launch.reading') : t('launch.readAgain'),
		},
		{ id: 'submit', label: t('launch.submit') },
	] as const) {
		const focused = state.focus === button.id;
		lines.push({
			node: (
				<Text color={focused ? theme.focus.selected : theme.text.accent} bold={focused}>
					{focused ? symbols.pointer : ' '} [ {button.label} ]
				</Text>
			),
			focus: focused,
		});
	}
	const cloudLines = cloudSummary(state);
	const windowHeight = Math.max(4, height - (showKeyHints ? 4 : 3) - cloudLines.length);
	const focusLine = lines.findIndex((l) => l.focus);
	let start = Math.max(0, focusLine - Math.floor(windowHeight / 3));
	start = Math.min(start, Math.max(0, lines.length - windowHeight));
	const focusedDef = defs.find((d) => d.id === state.focus);

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				{t('launch.title', { profile: engine.profile.name })}
				<Text color={problems && state.submitted ? theme.text.error : theme.text.muted}>
					{'  '}
					{problems ? t('launch.toFix', { count: problems }) : `${symbols.status.succeeded} ${t('launch.ready')}`}
				</Text>
			</Text>
			{cloudLines.map((line) => (
				<Text key={line} color={theme.text.muted} wrap="truncate-end">
					{line}
				</Text>
			))}
			{lines.slice(start, start + windowHeight).map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: lines are positional in the window
				<Box key={start + i}>{line.node}</Box>
			))}
			<Text color={state.notice?.tone === 'error' ? theme.text.error : theme.text.muted} wrap="truncate-end">
				{state.notice?.text ?? focusedDef?.help ?? (focusedDef?.kind === 'choice' ? t('launch.changeChoice') : ' ')}
			</Text>
			{showKeyHints ? <KeyHints screen="launch" /> : null}
		</Box>
	);
}

function cloudSummary(state: LaunchFormState): string[] {
	if (state.cloud.status === 'idle') return [];
	if (state.cloud.status === 'loading') return [t('launch.readingLists')];
	const lists = state.cloud.lists;
	const images =
		lists?.images.map((i) => `${i.name}${i.status.toLowerCase() === 'active' ? '' : ` (${i.status})`}`) ?? [];
	const networks = lists?.networks.map((n) => n.name) ?? [];
	return [
		t('launch.cloud', {
			images: images.length ? images.join(', ') : t('launch.none'),
			networks: networks.length ? networks.join(', ') : t('launch.none'),
		}),
		...state.cloud.notes.map((n) => `  ${n}`),
	];
}

function CommandsView({
	engine,
	state,
	validation,
	height,
}: {
	engine: Engine;
	state: LaunchFormState;
	validation: ReturnType<typeof validateDraft>;
	height: number;
}) {
	let body: { text: string; color?: string }[];
	if (!validation.spec || !validation.publicKey) {
		body = [
			{ text: t('launch.problemsFirst'), color: theme.text.error },
			...Object.entries(validation.errors).map(([id, m]) => ({ text: `  ${id}: ${m}`, color: theme.text.error })),
		];
	} else {
		const plan = launchPlanFor(engine, validation.spec, validation.publicKey);
		body = plan.commands.map((text) => ({ text, color: text.startsWith('#') ? theme.text.muted : theme.text.primary }));
	}
	return (
		<Box flexDirection="column">
			<Text bold>
				{t('launch.commandsTitle')} <Text color={theme.text.muted}>{t('launch.commandsNote')}</Text>
			</Text>
			{body.slice(0, Math.max(1, height - 3)).map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: positional
				<Text key={i} color={line.color} wrap="truncate-end">
					{line.text}
				</Text>
			))}
			<Text color={theme.text.muted}>{state.draft.instance ? t('launch.commandsBack') : ' '}</Text>
		</Box>
	);
}

function RunView({ state, height }: { state: LaunchFormState; height: number }) {
	const phase = state.run.phase;
	const result: { text: string; color: string }[] = [];
	switch (phase?.kind) {
		case 'creating':
			result.push({
				text: `${symbols.status.running} ${t('launch.creating')}`,
				color: theme.text.accent,
			});
			break;
		case 'waiting':
			result.push({
				text: `${symbols.status.running} ${t('launch.waiting', { instance: state.draft.instance, status: phase.status, seconds: phase.waitedSec })}`,
				color: theme.text.accent,
			});
			break;
		case 'active':
			result.push({
				text: `${symbols.status.succeeded} ${phase.server.host ? t('launch.activeOn', { name: phase.server.name, host: phase.server.host }) : t('launch.active', { name: phase.server.name })}`,
				color: theme.status.succeeded,
			});
			for (const a of phase.server.addresses)
				result.push({ text: `  ${t('launch.address', { address: a })}`, color: theme.text.primary });
			result.push(
				phase.consoleUrl
					? { text: `  ${t('launch.console', { url: phase.consoleUrl })}`, color: theme.text.accent }
					: {
							text: `  ${t('launch.noConsole', { problem: phase.consoleProblem ?? '' })}`,
							color: theme.text.warning,
						},
			);
			break;
		case 'error':
			result.push({
				text: `${symbols.status.failed} ${t('launch.error', { name: phase.server.name, fault: phase.server.fault ?? t('launch.noFault') })}`,
				color: theme.status.failed,
			});
			break;
		case 'timeout': {
			const still = phase.taskState
				? t('launch.timeoutTask', { status: phase.status, task: phase.taskState, seconds: phase.waitedSec })
				: t('launch.timeout', { status: phase.status, seconds: phase.waitedSec });
			result.push({ text: `${symbols.status.failed} ${still}`, color: theme.status.failed });
			const holder = buildHolder(phase.taskState);
			if (holder)
				result.push({
					text: `  ${t(holder === 'scheduling' ? 'launch.hintScheduling' : 'launch.hintCompute')}`,
					color: theme.text.muted,
				});
			result.push({ text: `  ${t('launch.hintRetry', { seconds: STUCK_BUILD_SEC })}`, color: theme.text.muted });
			break;
		}
		case 'failed':
			result.push({ text: `${symbols.status.failed} ${phase.detail}`, color: theme.status.failed });
			break;
		case 'cancelled':
			result.push({ text: t('launch.cancelled'), color: theme.text.warning });
			break;
		default:
			break;
	}
	const outputHeight = Math.max(2, height - result.length - 3);
	const lines = state.run.lines.slice(-outputHeight);
	return (
		<Box flexDirection="column">
			<Text bold>{t('launch.launching', { instance: state.draft.instance })}</Text>
			{lines.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: positional
				<Text key={i} color={line.stream === 'stderr' ? theme.output.stderr : theme.output.stdout} wrap="truncate-end">
					{sanitizeLine(line.text)}
				</Text>
			))}
			{result.map((line) => (
				<Text key={line.text} color={line.color} wrap="truncate-end">
					{line.text}
				</Text>
			))}
			<Text color={theme.text.muted}>{state.run.running ? t('launch.escCancels') : t('launch.escBack')}</Text>
		</Box>
	);
}

/** The form as a screen of the console: the open profile's engine, esc back, the outcome on the notice line. */
export function LaunchScreen({ isActive, height }: ScreenProps) {
	const { engine } = useSession();
	const actions = useAppActions();
	return (
		<LaunchForm
			engine={engine}
			isActive={isActive}
			height={height}
			showKeyHints={false}
			onBack={() => actions.back()}
			onLaunched={(outcome) =>
				actions.notify(
					t('launch.outcome', { kind: outcome.kind }),
					outcome.kind === 'active' ? 'success' : outcome.kind === 'cancelled' ? 'warning' : 'error',
				)
			}
		/>
	);
}
