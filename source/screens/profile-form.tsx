/**
 * The first-run profile form. Every key press re-validates the draft with the profile schema; a field's
 * problem shows under it once the field was edited or left (all of them after a save attempt), and saving
 * is refused while any remains.
 */
import { Box, Text } from 'ink';
import { type ReactNode, useEffect, useMemo, useReducer, useState } from 'react';
import { FormFieldRow } from '../components/form-field-row.js';
import { t } from '../i18n/index.js';
import { checkSettings, getRunbook, listRunbooks } from '../runbook/registry.js';
import { useAppActions, useAppState } from '../ui/context.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import type { ScreenProps } from './profile-picker.js';
import {
	type FieldDef,
	type FormAction,
	type FormEnv,
	type FormState,
	fieldValue,
	formFields,
	formReducer,
	initialFormState,
	validateDraft,
} from './use-profile-form-state.js';

const LABEL_WIDTH = 20;

function makeEnv(existingProfiles: string[]): FormEnv {
	const runbooks = listRunbooks();
	return {
		runbooks,
		existingProfiles,
		settingsOf: (id) => {
			try {
				return getRunbook(id).settings;
			} catch {
				return [];
			}
		},
		checkSettings: (id, settings) => {
			try {
				return checkSettings(getRunbook(id), settings);
			} catch (error) {
				return [(error as Error).message];
			}
		},
	};
}

interface Line {
	node: ReactNode;
	/** Index of the field this line shows (for keeping the focused field in view). */
	field?: number;
}

export function ProfileForm({ isActive, height, firstRun }: ScreenProps & { firstRun: boolean }) {
	const { profiles } = useAppState();
	const actions = useAppActions();
	const env = useMemo(() => makeEnv(profiles), [profiles]);
	const [state, dispatch] = useReducer((s: FormState, a: FormAction) => formReducer(s, a, env), env, initialFormState);
	const fields = formFields(state.draft, env);
	const focus = Math.min(state.focus, fields.length - 1);
	const focused = fields[focus];
	const validation = useMemo(() => validateDraft(state.draft, env), [state.draft, env]);
	const problemCount = Object.keys(validation.errors).length + validation.general.length;

	// Typed work is not thrown away by a stray esc or ctrl+c: both ask first.
	const [pristine] = useState(() => JSON.stringify(state.draft));
	const dirty = JSON.stringify(state.draft) !== pristine;
	useEffect(() => {
		actions.setUnsaved(dirty ? t('form.unsaved') : undefined);
		return () => actions.setUnsaved(undefined);
	}, [dirty, actions]);

	const save = () => {
		dispatch({ type: 'submitted' });
		if (!validation.profile) {
			const first = fields.find((f) => validation.errors[f.id]);
			if (first) dispatch({ type: 'focus', id: first.id });
			actions.notify(t('form.notSavedMarked', { count: problemCount, mark: symbols.status.failed }), 'error');
			return;
		}
		const error = actions.createProfile(validation.profile);
		if (error) dispatch({ type: 'save-error', message: error });
	};

	useKeyBindings(
		'form',
		{
			'next-field': () => dispatch({ type: 'next' }),
			'prev-field': () => dispatch({ type: 'prev' }),
			activate: () => {
				if (focused?.id === 'save') save();
				else if (focused?.id === 'add-node') dispatch({ type: 'add-node' });
				else dispatch({ type: 'next' });
			},
			'choice-prev': () => dispatch({ type: 'cycle', direction: -1 }),
			'choice-next': () => dispatch({ type: 'cycle', direction: 1 }),
			'delete-char': () => dispatch({ type: 'delete-char' }),
			'clear-field': () => dispatch({ type: 'clear' }),
			'add-node': () => dispatch({ type: 'add-node' }),
			'remove-node': () => {
				if (!/^nodes\.\d+\./.test(focused?.id ?? '')) actions.notify(t('form.moveToNode'), 'info');
				else if (state.draft.nodes.length <= 1) actions.notify(t('form.oneNode'), 'warning');
				else dispatch({ type: 'remove-node' });
			},
			save,
			back: () => {
				if (!dirty) {
					actions.back();
					return;
				}
				actions.confirm({
					title: t('form.discard.title'),
					lines: [t('form.discard.line')],
					yesLabel: t('form.discard.yes'),
					noLabel: t('form.discard.no'),
					onYes: () => actions.back(),
				});
			},
		},
		{
			isActive,
			onText: (text) => {
				if (focused?.kind !== 'text') return false;
				dispatch({ type: 'type', text });
				return true;
			},
		},
	);

	const shows = (id: string) => state.submitted || state.touched.includes(id);
	const lines: Line[] = [];
	let group = '';
	fields.forEach((field, index) => {
		if (field.group !== group && field.kind !== 'button') {
			group = field.group;
			const removable = field.groupKind === 'node' && state.draft.nodes.length > 1;
			lines.push({
				node: (
					<Text bold color={theme.text.heading}>
						{group}
						{removable ? <Text color={theme.text.muted}> {t('form.removeNode')}</Text> : null}
						{field.groupKind === 'settings' ? <Text color={theme.text.muted}> {t('form.defaultSettings')}</Text> : null}
					</Text>
				),
			});
		}
		const error = validation.errors[field.id];
		lines.push({
			node: (
				<FieldRow
					field={field}
					value={fieldValue(state.draft, field.id)}
					focused={index === focus}
					error={shows(field.id) ? error : undefined}
				/>
			),
			field: index,
		});
		if (error && shows(field.id)) {
			lines.push({
				node: (
					<Text color={theme.text.error} wrap="truncate-end">
						{' '.repeat(LABEL_WIDTH + 3)}
						{symbols.status.failed} {error}
					</Text>
				),
				field: index,
			});
		}
	});

	const showGeneral = state.submitted || state.touched.some((id) => id.endsWith('.roles'));
	const general = showGeneral ? validation.general : [];
	const headerLines = 2 + general.length + (state.saveError ? 1 : 0);
	const windowHeight = Math.max(4, height - headerLines - 1);
	const focusLine = lines.findIndex((l) => l.field === focus);
	let start = Math.max(0, focusLine - Math.floor(windowHeight / 3));
	start = Math.min(start, Math.max(0, lines.length - windowHeight));
	const visible = lines.slice(start, start + windowHeight);

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				{firstRun ? t('form.welcome') : t('form.new')}
			</Text>
			<Text color={state.submitted && problemCount ? theme.text.error : theme.text.muted} wrap="truncate-end">
				{state.submitted && problemCount
					? `${symbols.status.failed} ${t('form.notSaved', { count: problemCount })}`
					: problemCount
						? t('form.checking', { count: problemCount })
						: `${symbols.status.succeeded} ${t('form.ready')}`}
			</Text>
			{general.map((problem) => (
				<Text key={problem} color={theme.text.error} wrap="truncate-end">
					{symbols.status.failed} {problem}
				</Text>
			))}
			{state.saveError ? (
				<Text color={theme.text.error} wrap="truncate-end">
					{symbols.status.failed} {state.saveError}
				</Text>
			) : null}
			{visible.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: lines are positional in the window
				<Box key={start + i}>{line.node}</Box>
			))}
			<Text color={theme.text.muted} wrap="truncate-end">
				{focused?.help ??
					(focused?.kind === 'choice' ? t('launch.changeChoice') : focused?.kind === 'button' ? t('form.press') : ' ')}
			</Text>
		</Box>
	);
}

function FieldRow({
	field,
	value,
	focused,
	error,
}: {
	field: FieldDef;
	value: string;
	focused: boolean;
	error?: string;
}) {
	const pointer = focused ? symbols.pointer : ' ';
	if (field.kind === 'button') {
		return (
			<Text color={focused ? theme.focus.selected : theme.text.accent} bold={focused}>
				{pointer} {field.label}
			</Text>
		);
	}
	return (
		<FormFieldRow
			label={field.label}
			labelWidth={LABEL_WIDTH}
			kind={field.kind}
			value={value}
			choices={field.choices}
			placeholder={field.placeholder}
			focused={focused}
			error={error}
		/>
	);
}
