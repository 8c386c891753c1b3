/**
 * A fixed-height window onto lines (a step's output ring, or its script). Only the visible lines are
 * rendered, so a 2000-line ring or a flood costs the same as a screenful; the pane never grows the frame.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { sanitizeLine } from '../ui/format.js';
import { theme } from '../ui/theme.js';

export interface OutputPaneProps {
	/** The visible lines only. */
	lines: readonly string[];
	/** Rows the pane occupies (the window is padded to this height). */
	height: number;
	title: ReactNode;
	footer: ReactNode;
	/** Number of the first visible line, for the gutter; none when undefined. */
	firstLineNumber?: number;
	emptyText?: string;
	/** The colour of a visible line (its index in `lines`). */
	colorize?: (line: string, index: number) => string | undefined;
}

export function consoleLineColor(line: string): string | undefined {
	return line.startsWith('── ') ? theme.output.console : undefined;
}

export function OutputPane({
	lines,
	height,
	title,
	footer,
	firstLineNumber,
	emptyText,
	colorize = consoleLineColor,
}: OutputPaneProps) {
	const rows: ReactNode[] = [];
	const gutter = firstLineNumber === undefined ? 0 : String(firstLineNumber + Math.max(0, lines.length - 1)).length;
	for (let i = 0; i < height; i++) {
		const line = lines[i];
		if (line === undefined) {
			rows.push(
				<Text key={i} color={theme.text.muted}>
					{i === 0 && lines.length === 0 && emptyText ? emptyText : ' '}
				</Text>,
			);
			continue;
		}
		rows.push(
			<Text key={i} wrap="truncate-end">
				{firstLineNumber !== undefined ? (
					<Text color={theme.text.muted}>{String(firstLineNumber + i).padStart(gutter)} </Text>
				) : null}
				<Text color={colorize(line, i)}>{sanitizeLine(line) || ' '}</Text>
			</Text>,
		);
	}
	return (
		<Box flexDirection="column" borderStyle="single" borderColor={theme.border.default} paddingX={1}>
			<Box>{typeof title === 'string' ? <Text wrap="truncate-end">{title}</Text> : title}</Box>
			{rows}
			<Box>
				{typeof footer === 'string' ? (
					<Text color={theme.text.muted} wrap="truncate-end">
						{footer}
					</Text>
				) : (
					footer
				)}
			</Box>
		</Box>
	);
}
