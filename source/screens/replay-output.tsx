/**
 * The selected node's output for the selected step, from its attempt log: shown once the attempt's end has
 * played (the log has no per-line times, so its lines cannot be spread over the attempt honestly), and at
 * the end of the run for an attempt that never ended in it (the log as it is now).
 */
import { Text } from 'ink';
import { OutputPane } from '../components/output-pane.js';
import { t } from '../i18n/index.js';
import type { AttemptOutput } from '../replay/source.js';
import { type ReplayCell, RUNNING, UNFINISHED } from '../replay/timeline.js';
import { theme } from '../ui/theme.js';

/** 512 KB, 3.2 MB. */
function formatBytes(bytes: number): string {
	return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

import { clockLabel } from './use-replay-state.js';

/** Lines of output to show, and where the window over them starts. */
export function outputWindow(total: number, height: number, back: number): { start: number; end: number } {
	const maxBack = Math.max(0, total - height);
	const start = Math.max(0, total - height - Math.min(back, maxBack));
	return { start, end: Math.min(total, start + height) };
}

export function ReplayOutput({
	node,
	cell,
	ended,
	output,
	height,
	back,
}: {
	node: string | undefined;
	cell: ReplayCell | undefined;
	/** The replay is at the run's end. */
	ended: boolean;
	/** The attempt's log, read when it is to be shown. */
	output: AttemptOutput | undefined;
	/** Rows for lines. */
	height: number;
	/** Lines scrolled back from the last. */
	back: number;
}) {
	const title = (
		<Text wrap="truncate-end">
			<Text bold>
				{node && cell ? t('replay.pane.title', { node, attempt: cell.attempt }) : t('replay.pane.empty')}
			</Text>
		</Text>
	);
	if (!node || !cell || cell.status === RUNNING || !output) {
		const empty = !node
			? t('replay.noSteps')
			: !cell
				? ended
					? t('replay.pane.notInRun', { node })
					: t('replay.pane.notReached', { node })
				: t('replay.pane.running', { node, attempt: cell.attempt, clock: clockLabel(cell.startedAt ?? 0) });
		// The longer words go in the footer, which is cut to the width: the empty text would wrap and grow the pane.
		const footer = node && cell ? t('replay.pane.runningNote') : ' ';
		return <OutputPane lines={[]} height={height} emptyText={empty} title={title} footer={footer} />;
	}
	if (!output.lines) {
		return (
			<OutputPane
				lines={[]}
				height={height}
				emptyText={t('replay.pane.noLog', { problem: output.problem ?? '' })}
				title={title}
				footer={output.file}
			/>
		);
	}
	const lines = output.lines;
	const win = outputWindow(lines.length, height, back);
	const scrolled = lines.length - win.end;
	return (
		<OutputPane
			lines={lines.slice(win.start, win.end)}
			height={height}
			firstLineNumber={output.skippedBytes > 0 ? undefined : win.start + 1}
			colorize={(line) =>
				line.startsWith('── ') ? theme.output.console : line.startsWith('[stderr] ') ? theme.output.stderr : undefined
			}
			title={title}
			footer={
				<Text wrap="truncate-end" color={theme.text.muted}>
					{cell.status === UNFINISHED ? <Text color={theme.text.warning}>{t('replay.pane.unfinished')} · </Text> : null}
					{output.skippedBytes > 0 ? (
						<Text color={theme.text.warning}>
							{t('replay.pane.skipped', { size: formatBytes(output.skippedBytes) })} ·{' '}
						</Text>
					) : null}
					{scrolled > 0 ? (
						<Text color={theme.text.warning}>{t('replay.pane.scrolled', { count: scrolled })} · </Text>
					) : null}
					{t('replay.pane.footer', { from: win.start + 1, to: win.end, total: lines.length, file: output.file })}
				</Text>
			}
		/>
	);
}
