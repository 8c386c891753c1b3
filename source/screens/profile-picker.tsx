/** The profile picker: saved profiles, then "create a new profile"; why the last one failed to open. */
import { Box, Text } from 'ink';
import { useReducer } from 'react';
import { t } from '../i18n/index.js';
import { useAppActions, useAppState } from '../ui/context.js';
import { clampIndex, cursorReducer } from '../ui/list-cursor.js';
import { symbols, theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { useTerminalSize } from '../ui/use-terminal-size.js';

/** The last item of the list (not a profile name). */
export const CREATE_ITEM = Symbol('create');

export interface ScreenProps {
	isActive: boolean;
	/** On screen (the top of the stack, not under the help or a prompt). Hidden screens stop following the engine. */
	visible: boolean;
	/** Rows available to the screen. */
	height: number;
}

export function ProfilePicker({ isActive, height }: ScreenProps) {
	const { profiles, openError } = useAppState();
	const actions = useAppActions();
	const items: (string | typeof CREATE_ITEM)[] = [...profiles, CREATE_ITEM];
	const [rawCursor, move] = useReducer(
		(index: number, action: Parameters<typeof cursorReducer>[1]) => cursorReducer(index, action, items.length),
		0,
	);
	const cursor = clampIndex(rawCursor, items.length);
	useKeyBindings(
		'picker',
		{
			'move-up': () => move({ type: 'up' }),
			'move-down': () => move({ type: 'down' }),
			open: () => {
				const name = profiles[cursor];
				if (name === undefined) actions.newProfile();
				else actions.openProfile(name);
			},
			'new-profile': () => actions.newProfile(),
			help: () => actions.showHelp('picker'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);
	const { columns } = useTerminalSize();
	const errorLines = openError ? openError.split('\n') : [];
	// The error box: border, title, and its lines as they wrap (counted a little short).
	const wrapWidth = Math.max(20, columns - 14);
	const errorRows = errorLines.reduce((n, line) => n + Math.max(1, Math.ceil(line.length / wrapWidth)), 0);
	const listHeight = Math.max(3, height - 3 - (errorLines.length ? errorRows + 3 : 0));
	const start = Math.min(Math.max(0, cursor - listHeight + 1), Math.max(0, items.length - listHeight));
	const visible = items.slice(start, start + listHeight);
	return (
		<Box flexDirection="column">
			<Text bold>{t('picker.title')}</Text>
			<Text color={theme.text.muted}>
				{profiles.length === 0 ? t('picker.none') : t('picker.count', { count: profiles.length })}
			</Text>
			{visible.map((item, i) => {
				const selected = start + i === cursor;
				return (
					<Text
						key={item === CREATE_ITEM ? '+create' : item}
						color={selected ? theme.focus.selected : item === CREATE_ITEM ? theme.text.accent : undefined}
						wrap="truncate-end"
					>
						{selected ? symbols.pointer : ' '} {item === CREATE_ITEM ? t('picker.create') : item}
					</Text>
				);
			})}
			{errorLines.length > 0 ? (
				<Box flexDirection="column" borderStyle="round" borderColor={theme.border.danger} paddingX={1}>
					<Text color={theme.text.error} bold>
						{t('picker.openError')}
					</Text>
					{errorLines.map((line, i) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: lines of one message
						<Text key={i} wrap="wrap">
							{line}
						</Text>
					))}
				</Box>
			) : null}
		</Box>
	);
}
