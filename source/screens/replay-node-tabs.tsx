/** The selected step's nodes as tabs (1-9 selects one), each with its status in the replay so far. */
import { Text } from 'ink';
import type { Playback } from '../replay/timeline.js';
import { theme } from '../ui/theme.js';
import { ReplayCellIcon } from './replay-cell-icon.js';
import { cellView, type FlatStep } from './use-replay-state.js';

export function ReplayNodeTabs({
	step,
	playback,
	nodeIndex,
}: {
	step: FlatStep;
	playback: Playback;
	nodeIndex: number;
}) {
	return (
		<Text wrap="truncate-end">
			<Text color={theme.text.muted}>{step.key} </Text>
			{step.nodes.map((node, i) => {
				const selected = i === nodeIndex;
				return (
					<Text key={node}>
						{i > 0 ? ' ' : ''}
						<Text color={selected ? theme.focus.selected : theme.text.muted} bold={selected} inverse={selected}>
							{' '}
							{i < 9 ? `${i + 1} ` : ''}
							{node}{' '}
						</Text>
						<Text> </Text>
						<ReplayCellIcon view={cellView(playback.cells.get(step.key)?.get(node))} />
					</Text>
				);
			})}
		</Text>
	);
}
