/**
 * Semantic colour and symbol tokens. Components name what a thing *is* (a failed step, a muted hint), never
 * a raw colour, so the palette can change in one place. Every status also has a distinct symbol: the
 * console stays readable without colour (NO_COLOR, screen readers, colour-blind operators).
 */
import type { ConnectionState, StepStatus } from '../engine/types.js';
import { t } from '../i18n/index.js';

/** Ink accepts chalk colour names; these are the only place such names appear. */
export type ColorToken = string;

export const theme = {
	text: {
		primary: 'white',
		muted: 'gray',
		accent: 'cyan',
		heading: 'cyanBright',
		warning: 'yellow',
		error: 'red',
		success: 'green',
		secret: 'magenta',
	},
	focus: {
		/** The selected row's marker and label. */
		selected: 'cyanBright',
		border: 'cyan',
	},
	border: {
		default: 'gray',
		modal: 'yellow',
		danger: 'red',
	},
	status: {
		pending: 'gray',
		running: 'cyan',
		succeeded: 'green',
		failed: 'red',
		skipped: 'yellow',
		'already-done': 'green',
		interrupted: 'magenta',
		'not-applicable': 'gray',
	} satisfies Record<StepStatus | 'not-applicable', ColorToken>,
	connection: {
		idle: 'gray',
		connecting: 'cyan',
		connected: 'green',
		reconnecting: 'yellow',
		disconnected: 'gray',
		failed: 'red',
	} satisfies Record<ConnectionState, ColorToken>,
	/** Doctor findings and verification results. */
	finding: {
		pass: 'green',
		warn: 'yellow',
		fail: 'red',
	},
	/** The topology drawing. */
	topology: {
		management: 'cyan',
		provider: 'yellow',
		node: 'white',
		cloud: 'magenta',
	},
	output: {
		stdout: 'white',
		stderr: 'yellow',
		/** Lines the console itself adds (attempt headers, action markers). */
		console: 'cyan',
	},
} as const;

export const symbols = {
	status: {
		pending: '○',
		running: '◐',
		succeeded: '✔',
		failed: '✘',
		skipped: '↷',
		'already-done': '≡',
		interrupted: '!',
		'not-applicable': '–',
	} satisfies Record<StepStatus | 'not-applicable', string>,
	connection: {
		idle: '○',
		connecting: '◌',
		connected: '●',
		reconnecting: '◍',
		disconnected: '○',
		failed: '✘',
	} satisfies Record<ConnectionState, string>,
	finding: { pass: '✔', warn: '▲', fail: '✘' },
	pointer: '›',
	spinner: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'],
	cursor: '▌',
} as const;

/** Words for statuses, shown beside the symbol where there is room (from the string catalogue). */
export function statusLabel(status: StepStatus | 'not-applicable'): string {
	return t(`status.${status}`);
}

/** Words for connection states. */
export function connectionWord(state: ConnectionState): string {
	return t(`conn.${state}`);
}
