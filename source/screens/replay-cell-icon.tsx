/**
 * One step's status on one node as far as the replay has come. Static (no spinner): a paused replay must not
 * look busy. Not in the run so far reads as pending; unfinished (its end is not in the run) as interrupted.
 */
import { Text } from 'ink';
import { symbols, theme } from '../ui/theme.js';
import type { cellView } from './use-replay-state.js';

export function ReplayCellIcon({ view }: { view: ReturnType<typeof cellView> }) {
	if (view === 'unfinished') return <Text color={theme.status.interrupted}>{symbols.status.interrupted}</Text>;
	if (view === 'other') return <Text color={theme.status.failed}>•</Text>;
	return <Text color={theme.status[view]}>{symbols.status[view]}</Text>;
}
