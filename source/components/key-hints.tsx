/** The footer: key hints for the screen on top, generated from the key-binding table. */
import { Box, Text } from 'ink';
import { Fragment } from 'react';
import { hintsFor, type ScreenId } from '../ui/keybindings.js';
import { theme } from '../ui/theme.js';

export function KeyHints({ screen }: { screen: ScreenId }) {
	const hints = hintsFor(screen);
	return (
		<Box>
			<Text wrap="truncate-end">
				{hints.map((hint, index) => (
					<Fragment key={`${hint.keys}-${hint.label}`}>
						{index > 0 ? <Text color={theme.text.muted}> · </Text> : null}
						<Text color={theme.text.accent}>{hint.keys}</Text>
						<Text color={theme.text.muted}> {hint.label}</Text>
					</Fragment>
				))}
			</Text>
		</Box>
	);
}
