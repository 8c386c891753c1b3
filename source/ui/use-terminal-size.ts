/** Terminal rows and columns, updated on resize (defaults when the output is not a TTY). */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export const DEFAULT_ROWS = 24;
export const DEFAULT_COLUMNS = 100;

function sizeOf(stdout: NodeJS.WriteStream): { rows: number; columns: number } {
	return { rows: stdout.rows || DEFAULT_ROWS, columns: stdout.columns || DEFAULT_COLUMNS };
}

export function useTerminalSize(): { rows: number; columns: number } {
	const { stdout } = useStdout();
	const [size, setSize] = useState(() => sizeOf(stdout));
	useEffect(() => {
		const onResize = () => setSize(sizeOf(stdout));
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}
