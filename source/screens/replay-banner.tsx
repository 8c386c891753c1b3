/** The top of the replay: that it is one (read-only), which run, and where the playback is. */
import { Text } from 'ink';
import { t } from '../i18n/index.js';
import type { Playback } from '../replay/timeline.js';
import { theme } from '../ui/theme.js';
import { clockLabel, type ReplayState, speedLabel } from './use-replay-state.js';

const BAR_WIDTH = 20;

export function ReplayBanner({
	runId,
	live,
	state,
	playback,
	clock,
	span,
}: {
	runId: string;
	/** The open console's own run, still going: the replay ends where it was when the journal was read. */
	live: boolean;
	state: ReplayState;
	playback: Playback;
	/** The run's clock now (moves between events while playing). */
	clock: number;
	span: number;
}) {
	// How far the run's clock is: a run that sat idle for minutes shows it, events or not.
	const filled = playback.ended
		? BAR_WIDTH
		: span > 0
			? Math.min(BAR_WIDTH, Math.round((clock / span) * BAR_WIDTH))
			: 0;
	const mode = playback.ended
		? live
			? t('replay.endedLive')
			: t('replay.ended')
		: state.playing
			? t('replay.playing', { speed: speedLabel(state.speed) })
			: t('replay.paused', { speed: speedLabel(state.speed) });
	return (
		<>
			<Text wrap="truncate-end">
				<Text bold inverse color={theme.text.warning}>
					{' '}
					{t('replay.banner', { run: runId })}{' '}
				</Text>
				<Text color={theme.text.warning}> {t('replay.readOnly')}</Text>
			</Text>
			<Text wrap="truncate-end">
				<Text
					bold
					color={
						playback.ended && !live
							? theme.text.muted
							: state.playing || live
								? theme.status.running
								: theme.text.warning
					}
				>
					{mode}
				</Text>
				<Text color={theme.text.muted}> </Text>
				<Text color={theme.text.accent}>{'━'.repeat(filled)}</Text>
				<Text color={theme.text.muted}>{'─'.repeat(BAR_WIDTH - filled)}</Text>
				<Text color={theme.text.muted}>
					{' '}
					{t('replay.position', {
						applied: playback.applied,
						total: playback.total,
						clock: clockLabel(clock),
						span: clockLabel(span),
					})}
					{state.follow ? '' : ` · ${t('replay.held')}`}
				</Text>
			</Text>
		</>
	);
}
