/** The event that played last, with its time on the run's clock. */
import { Text } from 'ink';
import { t } from '../i18n/index.js';
import type { TimedEvent } from '../replay/timeline.js';
import { sanitizeLine } from '../ui/format.js';
import { theme } from '../ui/theme.js';
import { clockLabel, describeEvent } from './use-replay-state.js';

export function ReplayEventLine({ last, titles }: { last: TimedEvent | undefined; titles: Map<string, string> }) {
	if (!last) {
		return <Text color={theme.text.muted}>{t('replay.noEvent')}</Text>;
	}
	const status = last.event.type === 'step-finished' ? String(last.event.status) : undefined;
	const tone =
		status !== undefined
			? status in theme.status
				? theme.status[status as keyof typeof theme.status]
				: theme.status.failed
			: last.event.type === 'operator'
				? theme.text.accent
				: theme.status.running;
	return (
		<Text wrap="truncate-end">
			<Text color={theme.text.muted}>{clockLabel(last.at).padStart(8)} </Text>
			<Text color={tone}>{sanitizeLine(describeEvent(last, titles))}</Text>
		</Text>
	);
}
