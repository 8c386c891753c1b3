/** A one-line text value with a cursor when focused; masked for secrets. Input is routed by the screen. */
import { Text } from 'ink';
import { symbols, theme } from '../ui/theme.js';

export interface TextFieldProps {
	value: string;
	focused: boolean;
	masked?: boolean;
	placeholder?: string;
}

export function TextField({ value, focused, masked = false, placeholder }: TextFieldProps) {
	const shown = masked ? '•'.repeat(value.length) : value;
	return (
		<Text>
			{shown === '' && placeholder ? (
				<Text color={theme.text.muted}>{placeholder}</Text>
			) : (
				<Text color={masked ? theme.text.secret : theme.text.primary}>{shown}</Text>
			)}
			{focused ? <Text color={theme.focus.selected}>{symbols.cursor}</Text> : null}
		</Text>
	);
}
