/** A yes/no question in a bordered box (quit while running, cancel a step). */
import { Box, Text } from 'ink';
import { t } from '../i18n/index.js';
import type { ConfirmRequest } from '../ui/app-state.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';

export interface ConfirmDialogProps {
	request: ConfirmRequest;
	onAnswer(yes: boolean): void;
	isActive: boolean;
}

export function ConfirmDialog({ request, onAnswer, isActive }: ConfirmDialogProps) {
	useKeyBindings('confirm', { yes: () => onAnswer(true), no: () => onAnswer(false) }, { isActive });
	return (
		<Box
			flexDirection="column"
			borderStyle="round"
			borderColor={request.danger ? theme.border.danger : theme.border.modal}
			paddingX={1}
		>
			<Text bold color={request.danger ? theme.text.error : theme.text.warning}>
				{request.title}
			</Text>
			{request.lines.map((line) => (
				<Text key={line} wrap="wrap">
					{line}
				</Text>
			))}
			<Text>
				<Text color={theme.text.accent}>y</Text>
				<Text>
					{' '}
					{request.yesLabel}
					{'    '}
				</Text>
				<Text color={theme.text.accent}>{t('confirm.noKeys')}</Text>
				<Text> {request.noLabel}</Text>
			</Text>
		</Box>
	);
}
