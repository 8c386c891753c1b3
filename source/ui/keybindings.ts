/**
 * The key-binding table: the one source of truth for what every key does on every screen. The input hook
 * (use-key-bindings.ts) dispatches through it, the footer hints and the help overlay are generated from it,
 * and test/ui/keybindings.test.tsx checks that every row reaches a handler. Add a key here and the
 * compiler asks for its handler on every screen the row names.
 */
import type { Key } from 'ink';

export const SCREENS = [
	'picker',
	'form',
	'dashboard',
	'checklist',
	'step',
	'help',
	'confirm',
	'host-key',
	'secret',
	/** Keys that work whatever is on top. */
	'global',
] as const;
export type ScreenId = (typeof SCREENS)[number];

export const SCREEN_TITLES: Record<ScreenId, string> = {
	picker: 'Profile picker',
	form: 'New profile form',
	dashboard: 'Dashboard',
	checklist: 'Section checklist',
	step: 'Step view',
	help: 'Help',
	confirm: 'Confirmation',
	'host-key': 'Unknown host key',
	secret: 'Password / passphrase prompt',
	global: 'Everywhere',
};

/**
 * Key specs: a printable character ('r', 'A', '?'), a named key ('up', 'down', 'left', 'right', 'return',
 * 'escape', 'tab', 'shift+tab', 'pageup', 'pagedown', 'home', 'end', 'backspace', 'delete', 'space'),
 * or 'ctrl+<letter>'.
 */
export interface KeyBinding {
	keys: readonly string[];
	action: string;
	description: string;
	screens: readonly ScreenId[];
	/** Short label for the footer; rows without one appear only in the help overlay. */
	hint?: string;
}

const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export const KEY_BINDINGS = [
	// --- lists ------------------------------------------------------------------------------------------
	{
		keys: ['up', 'k'],
		action: 'move-up',
		description: 'select the previous item',
		screens: ['picker', 'dashboard', 'checklist'],
		hint: 'move',
	},
	{
		keys: ['down', 'j'],
		action: 'move-down',
		description: 'select the next item',
		screens: ['picker', 'dashboard', 'checklist'],
	},
	{
		keys: ['return'],
		action: 'open',
		description: 'open the selected item',
		screens: ['picker', 'dashboard', 'checklist'],
		hint: 'open',
	},
	{ keys: ['n'], action: 'new-profile', description: 'create a new profile', screens: ['picker'], hint: 'new profile' },
	{ keys: ['left', 'h'], action: 'prev-section', description: 'previous section', screens: ['checklist'] },
	{ keys: ['right', 'l'], action: 'next-section', description: 'next section', screens: ['checklist'] },
	// --- running ----------------------------------------------------------------------------------------
	{
		keys: ['r'],
		action: 'run',
		description: 'run the step; after a failure, retry only the nodes that did not finish',
		screens: ['checklist', 'step'],
		hint: 'run/retry',
	},
	{
		keys: ['s'],
		action: 'skip',
		description: 'skip the step on the nodes where it is not done (recorded with your name)',
		screens: ['checklist', 'step'],
		hint: 'skip',
	},
	{
		keys: ['a'],
		action: 'run-section',
		description: 'run the section: its steps in order, stopping at the first failure',
		screens: ['dashboard', 'checklist'],
		hint: 'run section',
	},
	{
		keys: ['A'],
		action: 'run-all',
		description: 'run everything not done yet, in order, until the next failure',
		screens: ['dashboard', 'checklist'],
		hint: 'run all',
	},
	{
		keys: ['c'],
		action: 'cancel',
		description: 'cancel the running step (asks first; the remote process group is stopped)',
		screens: ['dashboard', 'checklist', 'step'],
		hint: 'cancel',
	},
	// --- step view ----------------------------------------------------------------------------------------
	{
		keys: ['tab', 'right', 'l'],
		action: 'next-node',
		description: "show the next node's output",
		screens: ['step'],
		hint: 'node',
	},
	{
		keys: ['shift+tab', 'left', 'h'],
		action: 'prev-node',
		description: "show the previous node's output",
		screens: ['step'],
	},
	{ keys: digits, action: 'select-node', description: 'show node 1-9', screens: ['step'] },
	{
		keys: ['up', 'k'],
		action: 'scroll-up',
		description: 'scroll up one line (stops following)',
		screens: ['step', 'help'],
		hint: 'scroll',
	},
	{ keys: ['down', 'j'], action: 'scroll-down', description: 'scroll down one line', screens: ['step', 'help'] },
	{ keys: ['pageup'], action: 'page-up', description: 'scroll up one page', screens: ['step', 'help'] },
	{ keys: ['pagedown', 'space'], action: 'page-down', description: 'scroll down one page', screens: ['step', 'help'] },
	{ keys: ['home', 'g'], action: 'top', description: 'jump to the first line', screens: ['step'] },
	{
		keys: ['end', 'G', 'f'],
		action: 'follow',
		description: 'jump to the end and follow new output',
		screens: ['step'],
		hint: 'follow',
	},
	{
		keys: ['v'],
		action: 'toggle-script',
		description: 'switch between the output and the commands (the script as it runs on the node)',
		screens: ['step'],
		hint: 'commands',
	},
	// --- form ---------------------------------------------------------------------------------------------
	{ keys: ['down', 'tab'], action: 'next-field', description: 'next field', screens: ['form'], hint: 'field' },
	{ keys: ['up', 'shift+tab'], action: 'prev-field', description: 'previous field', screens: ['form'] },
	{ keys: ['return'], action: 'activate', description: 'next field; on a button, press it', screens: ['form'] },
	{
		keys: ['left'],
		action: 'choice-prev',
		description: 'previous choice (runbook, roles, auth, sudo, networking)',
		screens: ['form'],
	},
	{ keys: ['right'], action: 'choice-next', description: 'next choice', screens: ['form'], hint: 'change choice' },
	{
		keys: ['backspace', 'delete'],
		action: 'delete-char',
		description: 'delete the last character',
		screens: ['form', 'secret'],
	},
	{ keys: ['ctrl+u'], action: 'clear-field', description: 'clear the field', screens: ['form', 'secret'] },
	{ keys: ['ctrl+n'], action: 'add-node', description: 'add a node', screens: ['form'], hint: 'add node' },
	{
		keys: ['ctrl+x'],
		action: 'remove-node',
		description: 'remove the node the cursor is in',
		screens: ['form'],
		hint: 'remove node',
	},
	{
		keys: ['ctrl+s'],
		action: 'save',
		description: 'save the profile (refused while a field is invalid)',
		screens: ['form'],
		hint: 'save',
	},
	// --- dialogs --------------------------------------------------------------------------------------------
	{
		keys: ['y'],
		action: 'yes',
		description: 'yes: do it (quit, cancel) or trust the host key',
		screens: ['confirm', 'host-key'],
		hint: 'yes',
	},
	{
		keys: ['n', 'escape'],
		action: 'no',
		description: 'no: leave things as they are, or refuse the host key',
		screens: ['confirm', 'host-key'],
		hint: 'no',
	},
	{ keys: ['return'], action: 'submit', description: 'send the answer', screens: ['secret'], hint: 'send' },
	{
		keys: ['escape'],
		action: 'dismiss',
		description: 'refuse to answer (the connection fails with that reason)',
		screens: ['secret'],
		hint: 'refuse',
	},
	{ keys: ['escape', '?', 'q'], action: 'close', description: 'close the help', screens: ['help'], hint: 'close' },
	// --- everywhere else ----------------------------------------------------------------------------------
	{
		keys: ['escape'],
		action: 'back',
		description: 'go back',
		screens: ['form', 'dashboard', 'checklist', 'step'],
		hint: 'back',
	},
	{
		keys: ['?'],
		action: 'help',
		description: 'show every key binding',
		screens: ['picker', 'dashboard', 'checklist', 'step'],
		hint: 'help',
	},
	{
		keys: ['q'],
		action: 'quit',
		description: 'quit (asks first while a step is running)',
		screens: ['picker', 'dashboard', 'checklist', 'step'],
		hint: 'quit',
	},
	{
		keys: ['ctrl+c'],
		action: 'interrupt',
		description: 'quit (asks first while a step is running; ctrl+c again confirms)',
		screens: ['global'],
	},
] as const satisfies readonly KeyBinding[];

type Row = (typeof KEY_BINDINGS)[number];
export type ActionId = Row['action'];

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

/** Footer hints for a screen, in table order: "r run/retry". */
export function hintsFor(screen: ScreenId): { keys: string; label: string }[] {
	const hints: { keys: string; label: string }[] = [];
	for (const row of bindingsFor(screen)) {
		if (!row.hint) continue;
		let keys = keysLabel(row.keys);
		// "move" covers up and down together.
		if (row.action === 'move-up' || row.action === 'scroll-up') keys = '↑↓';
		if (row.action === 'next-field') keys = 'tab/↑↓';
		if (row.action === 'choice-next') keys = '←→';
		if (row.action === 'next-node') keys = 'tab/1-9';
		hints.push({ keys, label: row.hint });
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
