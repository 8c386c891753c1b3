/**
 * The engine's state model, shared by the engine, the progress store and the screens (no React here).
 */

export const STEP_STATUSES = [
	'pending',
	'running',
	'succeeded',
	'failed',
	'skipped',
	'already-done',
	'interrupted',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Statuses that count as finished for progress ("done / total"). */
export function isDone(status: StepStatus): boolean {
	return status === 'succeeded' || status === 'skipped' || status === 'already-done';
}

/** State of one step on one node. Saved in the progress file on every change. */
export interface NodeStepState {
	status: StepStatus;
	/** 0 before the first run; incremented when an attempt starts. */
	attempt: number;
	/** The run directory on the node for the current/last attempt (for re-attach after a restart). */
	runId?: string;
	startedAt?: string;
	endedAt?: string;
	exitCode?: number;
	signal?: string;
	/** Why it failed or was interrupted, in words (timeout, cancelled, connection error ...). */
	reason?: string;
	skippedBy?: string;
	skippedAt?: string;
	/** Last output line (masked), for the checklist row. */
	lastLine?: string;
	/** Action being run ("3/7 install openstack-keystone httpd mod_wsgi"). */
	action?: string;
	/** When output last arrived, to say "no output for 2m" instead of looking hung. */
	lastOutputAt?: string;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'failed';

export interface NodeConnection {
	state: ConnectionState;
	detail?: string;
}

export type OutputStream = 'stdout' | 'stderr' | 'console';

/**
 * Consecutive output lines of one (step, node, attempt) and one stream, masked, in order: what one read from the
 * node held (a chunk is split into several batches only where the stream changes, e.g. at a marker line). One
 * event per chunk, not per line: under a flood, per-line events were most of the console's own cost.
 */
export interface OutputBatch {
	stepKey: string;
	node: string;
	attempt: number;
	stream: OutputStream;
	/** How many lines (at least one). */
	count: number;
	/** The lines joined with "\n" (no newline at the end). */
	readonly text: string;
	/**
	 * The lines (never empty). A plain chunk (see the engine's handlers) is decoded and split only when this or
	 * `text` is first read, so a listener that only counts them (the TUI's store) pays nothing per line.
	 */
	readonly lines: string[];
	/**
	 * A plain chunk's lines as they came from the node: UTF-8, every line ending in a newline (the engine's own
	 * copy, not to be modified). A listener that writes them out (`run`) can do so without a string per line.
	 */
	readonly bytes?: Buffer;
}

export interface EngineEvents {
	state: [stepKey: string, node: string, state: NodeStepState];
	output: [batch: OutputBatch];
	connection: [node: string, connection: NodeConnection];
}
