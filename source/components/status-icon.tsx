/** The symbol and colour of a step status; running steps spin. */
import { Text } from 'ink';
import type { StepStatus } from '../engine/types.js';
import { symbols, theme } from '../ui/theme.js';
import { Spinner } from './spinner.js';

export function StatusIcon({ status }: { status: StepStatus | 'not-applicable' }) {
	if (status === 'running') return <Spinner color={theme.status.running} />;
	return <Text color={theme.status[status]}>{symbols.status[status]}</Text>;
}
