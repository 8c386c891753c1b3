/**
 * The footer: key hints for the screen on top, generated from the key-binding table. When they do not all
 * fit the terminal's width, the ones that fit are shown in table order and the help key always ends the
 * line (it lists every binding).
 */
import { Box, Text } from 'ink';
import { Fragment } from 'react';
import { hintsFor, type ScreenId } from '../ui/keybindings.js';
import { displayWidth } from '../ui/text-width.js';
import { theme } from '../ui/theme.js';
import { useTerminalSize } from '../ui/use-terminal-size.js';

const SEPARATOR = ' · ';

type Hint = ReturnType<typeof hintsFor>[number];

/** The hints that fit in `width` columns: in order, with the help (or close) hint kept last. */
export function fitHints(hints: Hint[], width: number): Hint[] {
	const size = (h: Hint) => displayWidth(`${h.keys} ${h.label}`);
	const total = hints.reduce((w, h, i) => w + size(h) + (i > 0 ? SEPARATOR.length : 0), 0);
	if (total <= width) return hints;
	const keep = hints.find((h) => h.action === 'help') ?? hints.find((h) => h.action === 'close');
	const rest = hints.filter((h) => h !== keep);
	let used = keep ? size(keep) + SEPARATOR.length + 1 : 0;
	const shown: Hint[] = [];
	for (const hint of rest) {
		const w = size(hint) + (shown.length > 0 ? SEPARATOR.length : 0);
		if (used + w > width) break;
		shown.push(hint);
		used += w;
	}
	return keep ? [...shown, keep] : shown;
}

export function KeyHints({ screen }: { screen: ScreenId }) {
	const { columns } = useTerminalSize();
	const hints = fitHints(hintsFor(screen), Math.max(10, columns - 1));
	return (
		<Box>
			<Text wrap="truncate-end">
				{hints.map((hint, index) => (
					<Fragment key={`${hint.keys}-${hint.label}`}>
						{index > 0 ? <Text color={theme.text.muted}>{SEPARATOR}</Text> : null}
						<Text color={theme.text.accent}>{hint.keys}</Text>
						<Text color={theme.text.muted}> {hint.label}</Text>
					</Fragment>
				))}
			</Text>
		</Box>
	);
}
