/**
 * The instance-launch form: fields prefilled from the profile and the cloud, validated as the operator types
 * (the reason next to the field), the equivalent CLI commands (ctrl+e), and a submit (ctrl+s) that is refused
 * while a field is invalid. Submitting runs the plan on the controller with live output, waits for the server
 * to leave BUILD, and shows ACTIVE with addresses and the console URL, or ERROR with nova's fault.
 */
import { Box, type Key, Text, useInput } from 'ink';
import { Fragment, type ReactNode, useEffect, useMemo, useReducer, useRef } from 'react';
import { TextField } from '../components/text-field.js';
import type { Engine } from '../engine/engine.js';
import { applyCloudLists, draftFromProfile, readCloudLists } from '../launch/prefill.js';
import { type FieldId, type KeyFileResult, type LaunchDraft, validateDraft } from '../launch/spec.js';
import { launchPlanFor, submitLaunch } from '../launch/submit.js';
import { sanitizeLine } from '../ui/format.js';
import { symbols, theme } from '../ui/theme.js';
import {
	type FieldDef,
	fieldDefs,
	focusOrder,
	initialLaunchState,
	LAUNCH_KEYS,
	type LaunchFormState,
	launchFormReducer,
} from './use-launch-form-state.js';
import { resolveLocalKey } from './use-verify-panel-state.js';

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

	useLatestInput(
		(input, key) => {
			const action = resolveLocalKey(LAUNCH_KEYS, input, key);
			if (state.view !== 'form') {
				if (action === 'back' || action === 'toggle-commands') {
					if (state.view === 'run' && state.run.running) controller.current?.abort();
					else dispatch({ type: 'view', view: 'form' });
				}
				return;
			}
			switch (action) {
				case 'next-field':
					dispatch({ type: 'next' });
					return;
				case 'prev-field':
					dispatch({ type: 'prev' });
					return;
				case 'choice-prev':
					dispatch({ type: 'cycle', direction: -1 });
					return;
				case 'choice-next':
					dispatch({ type: 'cycle', direction: 1 });
					return;
				case 'activate':
					if (state.focus === 'submit') submit();
					else if (state.focus === 'reload') loadCloud();
					else dispatch({ type: 'next' });
					return;
				case 'delete-char':
					dispatch({ type: 'delete-char' });
					return;
				case 'clear-field':
					dispatch({ type: 'clear' });
					return;
				case 'submit':
					submit();
					return;
				case 'toggle-commands':
					dispatch({ type: 'view', view: 'commands' });
					return;
				case 'reload':
					loadCloud();
					return;
				case 'back':
					onBack();
					return;
				default:
					break;
			}
			if (key.ctrl || key.meta || key.escape) return;
			// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being removed
			const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
			if (text) dispatch({ type: 'type', text });
		},
		{ isActive },
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
				<FieldRow def={def} value={state.draft[def.id]} focused={focused} error={shows(def.id) ? error : undefined} />
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
			label: state.cloud.status === 'loading' ? 'Reading the cloud…' : 'Read images and networks from the cloud again',
		},
		{ id: 'submit', label: 'Launch' },
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
	const windowHeight = Math.max(4, height - 4 - cloudLines.length);
	const focusLine = lines.findIndex((l) => l.focus);
	let start = Math.max(0, focusLine - Math.floor(windowHeight / 3));
	start = Math.min(start, Math.max(0, lines.length - windowHeight));
	const focusedDef = defs.find((d) => d.id === state.focus);

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				Launch an instance · {engine.profile.name}
				<Text color={problems && state.submitted ? theme.text.error : theme.text.muted}>
					{'  '}
					{problems
						? `${problems} field${problems === 1 ? '' : 's'} to fix`
						: `${symbols.status.succeeded} ready to launch (ctrl+s)`}
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
				{state.notice?.text ?? focusedDef?.help ?? (focusedDef?.kind === 'choice' ? '← → change' : ' ')}
			</Text>
			<Footer />
		</Box>
	);
}

function cloudSummary(state: LaunchFormState): string[] {
	if (state.cloud.status === 'idle') return [];
	if (state.cloud.status === 'loading') return ['Reading images and networks from the controller…'];
	const lists = state.cloud.lists;
	const images =
		lists?.images.map((i) => `${i.name}${i.status.toLowerCase() === 'active' ? '' : ` (${i.status})`}`) ?? [];
	const networks = lists?.networks.map((n) => n.name) ?? [];
	return [
		`Cloud: images ${images.length ? images.join(', ') : 'none'} · networks ${networks.length ? networks.join(', ') : 'none'}`,
		...state.cloud.notes.map((n) => `  ${n}`),
	];
}

function FieldRow({ def, value, focused, error }: { def: FieldDef; value: string; focused: boolean; error?: string }) {
	const label = def.label.padEnd(LABEL_WIDTH).slice(0, LABEL_WIDTH);
	let content: ReactNode;
	if (def.kind === 'choice') {
		const choice = def.choices?.find((c) => c.value === value);
		content = (
			<Text color={focused ? theme.focus.selected : theme.text.primary}>
				{focused ? '‹ ' : ''}
				{choice?.label ?? value}
				{focused ? ' ›' : ''}
			</Text>
		);
	} else {
		content = <TextField value={value} focused={focused} />;
	}
	return (
		<Text wrap="truncate-end">
			<Text color={focused ? theme.focus.selected : undefined}>{focused ? symbols.pointer : ' '} </Text>
			<Text color={error ? theme.text.error : focused ? theme.focus.selected : theme.text.muted}>
				{error ? symbols.status.failed : ' '} {label}
			</Text>
			{content}
		</Text>
	);
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
			{ text: 'The form has problems to fix first:', color: theme.text.error },
			...Object.entries(validation.errors).map(([id, m]) => ({ text: `  ${id}: ${m}`, color: theme.text.error })),
		];
	} else {
		const plan = launchPlanFor(engine, validation.spec, validation.publicKey);
		body = plan.commands.map((text) => ({ text, color: text.startsWith('#') ? theme.text.muted : theme.text.primary }));
	}
	return (
		<Box flexDirection="column">
			<Text bold>
				Equivalent commands on the controller{' '}
				<Text color={theme.text.muted}>(each runs only when what it creates is absent)</Text>
			</Text>
			{body.slice(0, Math.max(1, height - 3)).map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: positional
				<Text key={i} color={line.color} wrap="truncate-end">
					{line.text}
				</Text>
			))}
			<Text color={theme.text.muted}>{state.draft.instance ? 'esc / ctrl+e back to the form' : ' '}</Text>
		</Box>
	);
}

function RunView({ state, height }: { state: LaunchFormState; height: number }) {
	const phase = state.run.phase;
	const result: { text: string; color: string }[] = [];
	switch (phase?.kind) {
		case 'creating':
			result.push({
				text: `${symbols.status.running} creating what is missing on the controller…`,
				color: theme.text.accent,
			});
			break;
		case 'waiting':
			result.push({
				text: `${symbols.status.running} ${state.draft.instance}: ${phase.status} (${phase.waitedSec}s)`,
				color: theme.text.accent,
			});
			break;
		case 'active':
			result.push({
				text: `${symbols.status.succeeded} ACTIVE: ${phase.server.name}${phase.server.host ? ` on ${phase.server.host}` : ''}`,
				color: theme.status.succeeded,
			});
			for (const a of phase.server.addresses) result.push({ text: `  address ${a}`, color: theme.text.primary });
			result.push(
				phase.consoleUrl
					? { text: `  console ${phase.consoleUrl}`, color: theme.text.accent }
					: { text: `  console URL not available: ${phase.consoleProblem ?? ''}`, color: theme.text.warning },
			);
			break;
		case 'error':
			result.push({
				text: `${symbols.status.failed} ERROR: ${phase.server.name}: ${phase.server.fault ?? 'nova recorded no fault message'}`,
				color: theme.status.failed,
			});
			break;
		case 'timeout':
			result.push({
				text: `${symbols.status.failed} still ${phase.status} after ${phase.waitedSec}s`,
				color: theme.status.failed,
			});
			break;
		case 'failed':
			result.push({ text: `${symbols.status.failed} ${phase.detail}`, color: theme.status.failed });
			break;
		case 'cancelled':
			result.push({ text: 'cancelled', color: theme.text.warning });
			break;
		default:
			break;
	}
	const outputHeight = Math.max(2, height - result.length - 3);
	const lines = state.run.lines.slice(-outputHeight);
	return (
		<Box flexDirection="column">
			<Text bold>Launching {state.draft.instance}</Text>
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
			<Text color={theme.text.muted}>{state.run.running ? 'esc cancels' : 'esc back to the form'}</Text>
		</Box>
	);
}

function Footer() {
	return (
		<Text wrap="truncate-end">
			{LAUNCH_KEYS.filter((k) => k.label).map((k, index) => (
				<Fragment key={k.action}>
					{index > 0 ? <Text color={theme.text.muted}> · </Text> : null}
					<Text color={theme.text.accent}>{k.keys}</Text>
					<Text color={theme.text.muted}> {k.label}</Text>
				</Fragment>
			))}
		</Text>
	);
}

/**
 * useInput with a stable handler that always sees the latest render: ink re-subscribes when the handler
 * changes, and a key that arrives before that would reach the previous render's closure (stale cursor).
 */
function useLatestInput(handler: (input: string, key: Key) => void, options: { isActive: boolean }) {
	const latest = useRef(handler);
	latest.current = handler;
	const stable = useRef((input: string, key: Key) => latest.current(input, key));
	useInput(stable.current, options);
}
