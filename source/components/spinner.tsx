/** A spinner; every spinner on screen follows one shared clock. */
import { Text } from 'ink';
import { type ColorToken, symbols, theme } from '../ui/theme.js';
import { useSpinnerFrame } from '../ui/use-spinner-frame.js';

export function Spinner({ color = theme.status.running }: { color?: ColorToken }) {
	const frame = useSpinnerFrame();
	return <Text color={color}>{symbols.spinner[frame % symbols.spinner.length]}</Text>;
}
