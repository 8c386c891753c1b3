/** A small spinner that re-renders only itself (10 frames a second). */
import { Text } from 'ink';
import { useEffect, useState } from 'react';
import { type ColorToken, symbols, theme } from '../ui/theme.js';

export function Spinner({ color = theme.status.running }: { color?: ColorToken }) {
	const [frame, setFrame] = useState(0);
	useEffect(() => {
		const timer = setInterval(() => setFrame((f) => (f + 1) % symbols.spinner.length), 100);
		return () => clearInterval(timer);
	}, []);
	return <Text color={color}>{symbols.spinner[frame]}</Text>;
}
