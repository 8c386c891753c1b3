/**
 * The key-binding table: the one source of truth for what every key does on every screen. The input hook
 * (use-key-bindings.ts) dispatches through it, the footer hints and the help overlay are generated from it,
 * and test/ui/keybindings.test.tsx checks that every row reaches a handler. Add a key here and the
 * compiler asks for its handler on every screen the row names.
 */
import type { Key } from 'ink';
import { t } from '../i18n/index.js';

export const SCREENS = [
	'picker',
	'form',
	'dashboard',
	'checklist',
	'step',
	'verify',
	'launch',
	'doctor',
	'topology',
	/** The past runs of the open profile (or of `os-console replay`'s), to replay one. */
	'runs',
	/** A past run played back from the journal: read-only. */
	'replay',
	'help',
	'confirm',
	'host-key',
	'secret',
	/** Keys that work whatever is on top. */
	'global',
] as const;
export type ScreenId = (typeof SCREENS)[number];

/** The screen's name as the help overlay heads its keys (from the string catalogue). */
export function screenTitle(screen: ScreenId): string {
	return t(`screen.${screen}`);
}

/**
 * Key specs: a printable character ('r', 'A', '?'), a named key ('up', 'down', 'left', 'right', 'return',
 * 'escape', 'tab', 'shift+tab', 'pageup', 'pagedown', 'home', 'end', 'backspace', 'delete', 'space'),
 * or 'ctrl+<letter>'.
 *
 * What a row does is said in the string catalogue (source/i18n), keyed by its action: `key.<action>` is the
 * help overlay's description, `hint.<action>` the footer's label for rows with `hint: true`. An action id is
 * one row's: the compiler checks that both catalogues have its words.
 */
export interface KeyBinding {
	keys: readonly string[];
	action: string;
	screens: readonly ScreenId[];
	/** Shown in the footer (label `hint.<action>`); rows without appear only in the help overlay. */
	hint?: boolean;
}

const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export const KEY_BINDINGS = [
	// --- lists ------------------------------------------------------------------------------------------
	{
		keys: ['up', 'k'],
		action: 'move-up',
		screens: ['picker', 'dashboard', 'checklist', 'verify', 'doctor', 'runs', 'replay'],
		hint: true,
	},
	{
		keys: ['down', 'j'],
		action: 'move-down',
		screens: ['picker', 'dashboard', 'checklist', 'verify', 'doctor', 'runs', 'replay'],
	},
	{ keys: ['return'], action: 'open', screens: ['picker', 'dashboard', 'checklist', 'runs'], hint: true },
	{ keys: ['n'], action: 'new-profile', screens: ['picker'], hint: true },
	{ keys: ['left', 'h'], action: 'prev-section', screens: ['checklist'] },
	{ keys: ['right', 'l'], action: 'next-section', screens: ['checklist'] },
	// --- running ----------------------------------------------------------------------------------------
	{ keys: ['r'], action: 'run', screens: ['checklist', 'step'], hint: true },
	{ keys: ['s'], action: 'skip', screens: ['checklist', 'step'], hint: true },
	{ keys: ['a'], action: 'run-section', screens: ['dashboard', 'checklist'], hint: true },
	{ keys: ['A'], action: 'run-all', screens: ['dashboard', 'checklist'], hint: true },
	{ keys: ['c'], action: 'cancel', screens: ['dashboard', 'checklist', 'step'], hint: true },
	// --- dashboard: the other screens -------------------------------------------------------------------
	{ keys: ['v'], action: 'open-verify', screens: ['dashboard'], hint: true },
	{ keys: ['l'], action: 'open-launch', screens: ['dashboard'], hint: true },
	{ keys: ['d'], action: 'open-doctor', screens: ['dashboard'], hint: true },
	{ keys: ['t'], action: 'open-topology', screens: ['dashboard'], hint: true },
	{ keys: ['p'], action: 'open-replay', screens: ['dashboard'], hint: true },
	// --- step view ----------------------------------------------------------------------------------------
	{ keys: ['tab', 'right', 'l'], action: 'next-node', screens: ['step', 'replay'], hint: true },
	{ keys: ['shift+tab', 'left', 'h'], action: 'prev-node', screens: ['step', 'replay'] },
	{ keys: digits, action: 'select-node', screens: ['step', 'replay'] },
	{ keys: ['up', 'k'], action: 'scroll-up', screens: ['step', 'topology', 'help'], hint: true },
	{ keys: ['down', 'j'], action: 'scroll-down', screens: ['step', 'topology', 'help'] },
	{ keys: ['pageup'], action: 'page-up', screens: ['step', 'topology', 'help', 'replay'] },
	{ keys: ['pagedown', 'space'], action: 'page-down', screens: ['step', 'topology', 'help', 'replay'] },
	{ keys: ['home', 'g'], action: 'top', screens: ['step'] },
	{ keys: ['end', 'G', 'f'], action: 'follow', screens: ['step'], hint: true },
	{ keys: ['v'], action: 'toggle-script', screens: ['step'], hint: true },
	{ keys: ['t'], action: 'triage', screens: ['step'], hint: true },
	// --- replay of a past run ------------------------------------------------------------------------------
	{ keys: ['p'], action: 'replay-pause', screens: ['replay'], hint: true },
	{ keys: ['+', '=', '>'], action: 'replay-faster', screens: ['replay'], hint: true },
	{ keys: ['-', '<'], action: 'replay-slower', screens: ['replay'] },
	{ keys: ['n', '.'], action: 'replay-step', screens: ['replay'], hint: true },
	{ keys: ['e', 'end'], action: 'replay-end', screens: ['replay'], hint: true },
	{ keys: ['b', 'home'], action: 'replay-start', screens: ['replay'] },
	{ keys: ['f'], action: 'replay-follow', screens: ['replay'] },
	// --- verification panel -------------------------------------------------------------------------------
	{ keys: ['r'], action: 'run-check', screens: ['verify'], hint: true },
	{ keys: ['s'], action: 'run-checks-section', screens: ['verify'], hint: true },
	{ keys: ['a', 'A'], action: 'run-all-checks', screens: ['verify'], hint: true },
	{ keys: ['c'], action: 'cancel-checks', screens: ['verify'], hint: true },
	// --- doctor and topology ------------------------------------------------------------------------------
	{ keys: ['r'], action: 'rerun-doctor', screens: ['doctor'], hint: true },
	{ keys: ['R'], action: 'rerun-doctor-repository', screens: ['doctor'], hint: true },
	{ keys: ['r'], action: 'read-cloud', screens: ['topology'], hint: true },
	// --- forms ----------------------------------------------------------------------------------------------
	{ keys: ['down', 'tab'], action: 'next-field', screens: ['form', 'launch'], hint: true },
	{ keys: ['up', 'shift+tab'], action: 'prev-field', screens: ['form', 'launch'] },
	{ keys: ['return'], action: 'activate', screens: ['form', 'launch'] },
	{ keys: ['left'], action: 'choice-prev', screens: ['form', 'launch'] },
	{ keys: ['right'], action: 'choice-next', screens: ['form', 'launch'], hint: true },
	{ keys: ['backspace', 'delete'], action: 'delete-char', screens: ['form', 'launch', 'secret'] },
	{ keys: ['ctrl+u'], action: 'clear-field', screens: ['form', 'launch', 'secret'] },
	{ keys: ['ctrl+n'], action: 'add-node', screens: ['form'], hint: true },
	{ keys: ['ctrl+x'], action: 'remove-node', screens: ['form'], hint: true },
	{ keys: ['ctrl+s'], action: 'save', screens: ['form'], hint: true },
	{ keys: ['ctrl+s'], action: 'launch-submit', screens: ['launch'], hint: true },
	{ keys: ['ctrl+e'], action: 'toggle-commands', screens: ['launch'], hint: true },
	{ keys: ['ctrl+r'], action: 'reload-cloud', screens: ['launch'], hint: true },
	// --- dialogs --------------------------------------------------------------------------------------------
	{ keys: ['y'], action: 'yes', screens: ['confirm', 'host-key'], hint: true },
	{ keys: ['n', 'escape'], action: 'no', screens: ['confirm', 'host-key'], hint: true },
	{ keys: ['return'], action: 'submit', screens: ['secret'], hint: true },
	{ keys: ['escape'], action: 'dismiss', screens: ['secret'], hint: true },
	{ keys: ['escape', '?', 'q'], action: 'close', screens: ['help'], hint: true },
	// --- everywhere else ----------------------------------------------------------------------------------
	{
		keys: ['escape'],
		action: 'back',
		screens: ['form', 'dashboard', 'checklist', 'step', 'verify', 'launch', 'doctor', 'topology', 'runs', 'replay'],
		hint: true,
	},
	{
		keys: ['?'],
		action: 'help',
		screens: ['picker', 'dashboard', 'checklist', 'step', 'verify', 'doctor', 'topology', 'runs', 'replay'],
		hint: true,
	},
	{
		keys: ['q'],
		action: 'quit',
		screens: ['picker', 'dashboard', 'checklist', 'step', 'verify', 'doctor', 'topology', 'runs', 'replay'],
		hint: true,
	},
	{ keys: ['ctrl+c'], action: 'interrupt', screens: ['global'] },
] as const satisfies readonly KeyBinding[];

type Row = (typeof KEY_BINDINGS)[number];
export type ActionId = Row['action'];
/** Actions whose row shows in the footer. */
export type HintAction = Extract<Row, { hint: true }>['action'];

/** The actions the table binds on one screen. */
export type ActionOf<S extends ScreenId> = Row extends infer R
	? R extends { action: infer A; screens: readonly (infer T)[] }
		? S extends T
			? A
			: never
		: never
	: never;

export interface KeyEvent {
	/** The spec that matched ('r', 'up', 'ctrl+s', '3'). */
	spec: string;
	input: string;
}

export type KeyHandlers<S extends ScreenId> = { [A in ActionOf<S>]: (event: KeyEvent) => void };

export function bindingsFor(screen: ScreenId): KeyBinding[] {
	return KEY_BINDINGS.filter((row) => (row.screens as readonly ScreenId[]).includes(screen));
}

const NAMED: Record<string, (input: string, key: Key) => boolean> = {
	up: (_i, k) => k.upArrow,
	down: (_i, k) => k.downArrow,
	left: (_i, k) => k.leftArrow,
	right: (_i, k) => k.rightArrow,
	pageup: (_i, k) => k.pageUp,
	pagedown: (_i, k) => k.pageDown,
	home: (_i, k) => k.home,
	end: (_i, k) => k.end,
	return: (_i, k) => k.return,
	escape: (_i, k) => k.escape,
	tab: (_i, k) => k.tab && !k.shift,
	'shift+tab': (_i, k) => k.tab && k.shift,
	backspace: (_i, k) => k.backspace,
	delete: (_i, k) => k.delete,
	space: (i, k) => i === ' ' && !k.ctrl && !k.meta,
};

export function isNamedKey(spec: string): boolean {
	return spec in NAMED;
}

/** Does an ink key event match a spec? */
export function keyMatches(spec: string, input: string, key: Key): boolean {
	const named = NAMED[spec];
	if (named) return named(input, key);
	if (spec.startsWith('ctrl+')) return key.ctrl && input === spec.slice('ctrl+'.length);
	return input === spec && !key.ctrl && !key.meta;
}

export function resolveKey(screen: ScreenId, input: string, key: Key): { row: KeyBinding; spec: string } | undefined {
	for (const row of KEY_BINDINGS) {
		if (!(row.screens as readonly ScreenId[]).includes(screen)) continue;
		const spec = row.keys.find((k) => keyMatches(k, input, key));
		if (spec) return { row, spec };
	}
	return undefined;
}

/** Route a key to its handler; false when the table binds nothing to it on this screen. */
export function dispatchKey<S extends ScreenId>(screen: S, handlers: KeyHandlers<S>, input: string, key: Key): boolean {
	const hit = resolveKey(screen, input, key);
	if (!hit) return false;
	const handler = (handlers as Record<string, ((event: KeyEvent) => void) | undefined>)[hit.row.action];
	if (!handler) return false;
	handler({ spec: hit.spec, input });
	return true;
}

/** Text typed into a field: printable characters only (a paste arrives as one string). */
export function typedText(input: string, key: Key): string | undefined {
	if (key.ctrl || key.meta || key.escape || key.return || key.tab || key.backspace || key.delete) return undefined;
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being removed
	const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
	return text === '' ? undefined : text;
}

const LABELS: Record<string, string> = {
	up: '↑',
	down: '↓',
	left: '←',
	right: '→',
	pageup: 'PgUp',
	pagedown: 'PgDn',
	home: 'Home',
	end: 'End',
	return: 'enter',
	escape: 'esc',
	tab: 'tab',
	'shift+tab': 'shift+tab',
	backspace: 'backspace',
	delete: 'del',
	space: 'space',
};

export function keyLabel(spec: string): string {
	return LABELS[spec] ?? spec;
}

/** "↑/k", "1-9": how a row's keys read in the help overlay. */
export function keysLabel(keys: readonly string[]): string {
	if (keys.length === 9 && keys.join('') === digits.join('')) return '1-9';
	return keys.map(keyLabel).join('/');
}

/** What a row does, in the operator's language (the help overlay). */
export function describeBinding(row: Pick<KeyBinding, 'action'>): string {
	return t(`key.${row.action as ActionId}`);
}

/** The footer label of a row with a hint. */
export function hintLabel(row: Pick<KeyBinding, 'action'>): string {
	return t(`hint.${row.action as HintAction}`);
}

/** Footer hints for a screen, in table order: "r run/retry". */
export function hintsFor(screen: ScreenId): { keys: string; label: string; action: string }[] {
	const hints: { keys: string; label: string; action: string }[] = [];
	for (const row of bindingsFor(screen)) {
		if (!row.hint) continue;
		let keys = keysLabel(row.keys);
		// "move" covers up and down together.
		if (row.action === 'move-up' || row.action === 'scroll-up') keys = '↑↓';
		if (row.action === 'next-field') keys = 'tab/↑↓';
		if (row.action === 'choice-next') keys = '←→';
		if (row.action === 'next-node') keys = 'tab/1-9';
		// The replay's row of hints is long: one key each (? lists the others).
		if (row.action === 'replay-faster') keys = '+/-';
		if (row.action === 'replay-step') keys = 'n';
		if (row.action === 'replay-end') keys = 'e';
		hints.push({ keys, label: hintLabel(row), action: row.action });
	}
	return hints;
}

/** The bytes a terminal sends for a spec (for tests and the benchmark that types into the console). */
export function terminalSequence(spec: string): string {
	const sequences: Record<string, string> = {
		up: '\u001b[A',
		down: '\u001b[B',
		right: '\u001b[C',
		left: '\u001b[D',
		pageup: '\u001b[5~',
		pagedown: '\u001b[6~',
		home: '\u001b[H',
		end: '\u001b[F',
		return: '\r',
		escape: '\u001b',
		tab: '\t',
		'shift+tab': '\u001b[Z',
		backspace: '\b',
		delete: '\u001b[3~',
		space: ' ',
	};
	const named = sequences[spec];
	if (named !== undefined) return named;
	if (spec.startsWith('ctrl+')) {
		const letter = spec.slice('ctrl+'.length);
		return String.fromCharCode(letter.toLowerCase().charCodeAt(0) - 96);
	}
	return spec;
}
