/** The notice line under the screen: what just happened, or why a key was refused. */
import { Text } from 'ink';
import type { Notice } from '../ui/app-state.js';
import { theme } from '../ui/theme.js';

const TONE = {
	info: theme.text.accent,
	success: theme.text.success,
	warning: theme.text.warning,
	error: theme.text.error,
} as const;

export function NoticeLine({ notice }: { notice?: Notice }) {
	if (!notice) return <Text> </Text>;
	return (
		<Text color={TONE[notice.tone]} wrap="truncate-end">
			{notice.text}
		</Text>
	);
}
