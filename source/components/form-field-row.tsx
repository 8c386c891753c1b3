/**
 * One field of a form on one line: the pointer when focused, the failed mark when the value has a problem,
 * the label in a fixed-width column, then the value (a text field, or a choice shown as ‹ label › when
 * focused). Input is routed by the screen.
 */
import { Text } from 'ink';
import { fitW } from '../ui/text-width.js';
import { symbols, theme } from '../ui/theme.js';
import { TextField } from './text-field.js';

export interface FormFieldRowProps {
	label: string;
	/** Display columns the label takes (cut or padded), so that the values line up. */
	labelWidth: number;
	kind: 'text' | 'choice';
	value: string;
	/** For a choice: the label shown for each value. */
	choices?: readonly { value: string; label: string }[];
	/** For a text field: shown while it is empty. */
	placeholder?: string;
	focused: boolean;
	error?: string;
}

export function FormFieldRow({
	label,
	labelWidth,
	kind,
	value,
	choices,
	placeholder,
	focused,
	error,
}: FormFieldRowProps) {
	return (
		<Text wrap="truncate-end">
			<Text color={focused ? theme.focus.selected : undefined}>{focused ? symbols.pointer : ' '} </Text>
			<Text color={error ? theme.text.error : focused ? theme.focus.selected : theme.text.muted}>
				{error ? symbols.status.failed : ' '} {fitW(label, labelWidth)}
			</Text>
			{kind === 'choice' ? (
				<Text color={focused ? theme.focus.selected : theme.text.primary}>
					{focused ? '‹ ' : ''}
					{choices?.find((c) => c.value === value)?.label ?? value}
					{focused ? ' ›' : ''}
				</Text>
			) : (
				<TextField value={value} focused={focused} placeholder={placeholder} />
			)}
		</Text>
	);
}
