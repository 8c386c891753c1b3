/**
 * Every key binding, generated from the key-binding table (the same rows the input hook dispatches on):
 * the screen the operator came from first, then every other screen.
 */
import { Box, Text } from 'ink';
import { useState } from 'react';
import { t } from '../i18n/index.js';
import { useAppActions } from '../ui/context.js';
import { bindingsFor, describeBinding, keysLabel, SCREENS, type ScreenId, screenTitle } from '../ui/keybindings.js';
import { padEndW } from '../ui/text-width.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';

const KEYS_WIDTH = 22;

export interface HelpLine {
	kind: 'heading' | 'binding';
	text: string;
	keys?: string;
}

/** The help text as lines (pure, for tests and windowing). */
export function helpLines(screen: ScreenId): HelpLine[] {
	const order = [screen, ...SCREENS.filter((s) => s !== screen)];
	const lines: HelpLine[] = [];
	for (const s of order) {
		const rows = bindingsFor(s);
		if (rows.length === 0) continue;
		lines.push({
			kind: 'heading',
			text: s === screen ? t('help.thisScreen', { title: screenTitle(s) }) : screenTitle(s),
		});
		for (const row of rows) lines.push({ kind: 'binding', keys: keysLabel(row.keys), text: describeBinding(row) });
	}
	return lines;
}

export function HelpOverlay({ screen, height, isActive }: { screen: ScreenId; height: number; isActive: boolean }) {
	const actions = useAppActions();
	const lines = helpLines(screen);
	const windowHeight = Math.max(3, height - 4);
	const maxTop = Math.max(0, lines.length - windowHeight);
	const [top, setTop] = useState(0);
	const scroll = (delta: number) => setTop((t) => Math.min(Math.max(0, t + delta), maxTop));
	useKeyBindings(
		'help',
		{
			close: () => actions.closeOverlay(),
			'scroll-up': () => scroll(-1),
			'scroll-down': () => scroll(1),
			'page-up': () => scroll(-(windowHeight - 1)),
			'page-down': () => scroll(windowHeight - 1),
		},
		{ isActive },
	);
	const start = Math.min(top, maxTop);
	const visible = lines.slice(start, start + windowHeight);
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={theme.focus.border} paddingX={1}>
			<Text bold color={theme.text.heading}>
				{t('help.title')}{' '}
				<Text color={theme.text.muted}>
					{t('help.range', { from: start + 1, to: start + visible.length, total: lines.length })}
				</Text>
			</Text>
			{visible.map((line, i) =>
				line.kind === 'heading' ? (
					// biome-ignore lint/suspicious/noArrayIndexKey: positional lines
					<Text key={start + i} bold color={theme.text.accent}>
						{line.text}
					</Text>
				) : (
					// biome-ignore lint/suspicious/noArrayIndexKey: positional lines
					<Text key={start + i} wrap="truncate-end">
						{'  '}
						<Text color={theme.focus.selected}>{padEndW(line.keys ?? '', KEYS_WIDTH)}</Text>
						{line.text}
					</Text>
				),
			)}
		</Box>
	);
}
