/**
 * The application's own state (not the engine's): where the operator is (a stack of routes), which overlay
 * is on top, the notice line, and the operation the console started. A pure reducer; app.tsx owns it.
 */
import type { Engine } from '../engine/engine.js';
import type { PromptQueue } from '../engine/prompts.js';
import type { Profile } from '../profile/schema.js';
import type { ReplaySource } from '../replay/source.js';
import type { VerifySectionId } from '../verify/types.js';
import { EngineStore } from './engine-store.js';
import type { ScreenId } from './keybindings.js';

/** What the App needs from the outside world; the console command wires the real ones. */
export interface Services {
	/** Saved profile names, sorted. */
	listProfiles(): string[];
	/**
	 * Load a profile (saved name or path), its runbook, secrets and progress, and build an engine with the
	 * SSH runner. Rejects with a message the operator can act on (a ProfileError's message is shown as is).
	 * Steps the progress file says were left running are the services' to resume (`void engine.resume()`
	 * before returning, as commands/console.tsx does); the App shows them as running and says so.
	 */
	openProfile(nameOrPath: string): Promise<OpenedSession>;
	/** Save a new profile (validated); throws (e.g. ProfileError) when it cannot. */
	createProfile(profile: Profile): void;
	/**
	 * Leave the console with this exit code: unmount Ink and close the engines' connections, leaving
	 * steps that still run on the nodes running (progress says "running"; the next open re-attaches).
	 * Called once.
	 */
	exit(code: number): void;
}

/** What opening a profile gives the App. */
export interface OpenedSession {
	engine: Engine;
	prompts: PromptQueue;
	warnings: string[];
}

/**
 * The `--profile` given on the command line, opened before the first frame (commands/console.tsx): the
 * dashboard, or the picker with the reason, is then the first frame drawn instead of an "opening" frame
 * replaced a moment later (startup time, issue #8).
 */
export type InitialOpen = { name: string } & ({ opened: OpenedSession } | { error: string });

export interface Session {
	name: string;
	engine: Engine;
	prompts: PromptQueue;
	warnings: string[];
	store: EngineStore;
}

export type Route =
	| { screen: 'picker' }
	| { screen: 'form'; firstRun: boolean }
	| { screen: 'opening'; name: string }
	| { screen: 'dashboard' }
	| { screen: 'checklist'; sectionId: string }
	| { screen: 'step'; key: string }
	/** The verification panel; `auto` when it opened by itself at the end of a section (it runs that section). */
	| { screen: 'verify'; section?: VerifySectionId; auto?: boolean; id: number }
	| { screen: 'launch' }
	| { screen: 'doctor' }
	| { screen: 'topology' }
	/** The journal's runs (read when the route was opened), to replay one; `selected` is the run to point at. */
	| { screen: 'runs'; source: ReplaySource; options: ReplayOptions; selected?: string }
	/** One run played back from the journal and the attempt logs: read-only. */
	| { screen: 'replay'; source: ReplaySource; options: ReplayOptions; runId: string };

/** How a replay plays: the recorded gaps divided by `speed`, none longer than `maxWaitMs`. */
export interface ReplayOptions {
	speed: number;
	maxWaitMs: number;
}

export interface ConfirmRequest {
	/** Identifies the question ('quit' lets a second ctrl+c confirm). */
	id?: string;
	title: string;
	lines: string[];
	yesLabel: string;
	noLabel: string;
	onYes: () => void;
	danger?: boolean;
}

export type Overlay = { kind: 'help'; screen: ScreenId } | { kind: 'confirm'; request: ConfirmRequest };

export type Tone = 'info' | 'success' | 'warning' | 'error';
export interface Notice {
	text: string;
	tone: Tone;
	id: number;
}

export interface AppState {
	stack: Route[];
	overlay?: Overlay;
	notice?: Notice;
	session?: Session;
	/** What the console started and is waiting for ("run section Keystone"). */
	operation?: string;
	/** Why the last profile could not be opened (shown on the picker). */
	openError?: string;
	exiting: boolean;
}

export type AppAction =
	| { type: 'push'; route: Route }
	| { type: 'back' }
	| { type: 'reset'; route: Route }
	| { type: 'opened'; session: Session }
	| { type: 'open-failed'; error: string }
	| { type: 'closed' }
	| { type: 'overlay'; overlay: Overlay | undefined }
	| { type: 'notice'; text: string; tone: Tone }
	| { type: 'clear-notice'; id: number }
	| { type: 'operation'; label: string | undefined }
	| { type: 'exiting' }
	/** A section ended: open (or re-open, replacing one on top) the verification panel on its checks. */
	| { type: 'auto-verify'; section: VerifySectionId };

let noticeId = 0;
let routeId = 0;

/** A new verification route (each one mounts a new panel). */
export function verifyRoute(section?: VerifySectionId): Route {
	return { screen: 'verify', section, id: ++routeId };
}

/** Screens that show the open profile. */
const SESSION_SCREENS = new Set<Route['screen']>([
	'dashboard',
	'checklist',
	'step',
	'verify',
	'launch',
	'doctor',
	'topology',
]);

export function sessionOf(opened: OpenedSession): Session {
	return { name: opened.engine.profile.name, ...opened, store: new EngineStore(opened.engine) };
}

export function initialAppState(profiles: string[], initialProfile?: string, initialOpen?: InitialOpen): AppState {
	if (initialOpen && 'opened' in initialOpen) {
		return { stack: [{ screen: 'dashboard' }], session: sessionOf(initialOpen.opened), exiting: false };
	}
	if (initialOpen) return { stack: [{ screen: 'picker' }], openError: initialOpen.error, exiting: false };
	if (initialProfile) return { stack: [{ screen: 'opening', name: initialProfile }], exiting: false };
	if (profiles.length === 0) return { stack: [{ screen: 'form', firstRun: true }], exiting: false };
	return { stack: [{ screen: 'picker' }], exiting: false };
}

export function currentRoute(state: AppState): Route {
	return state.stack[state.stack.length - 1] ?? { screen: 'picker' };
}

export function appReducer(state: AppState, action: AppAction): AppState {
	switch (action.type) {
		case 'push':
			return { ...state, stack: [...state.stack, action.route] };
		case 'back':
			return state.stack.length > 1 ? { ...state, stack: state.stack.slice(0, -1) } : state;
		case 'reset':
			return { ...state, stack: [action.route] };
		case 'opened':
			return { ...state, session: action.session, openError: undefined, stack: [{ screen: 'dashboard' }] };
		case 'open-failed':
			return { ...state, session: undefined, openError: action.error, stack: [{ screen: 'picker' }] };
		case 'closed':
			return { ...state, session: undefined, operation: undefined, stack: [{ screen: 'picker' }] };
		case 'overlay':
			return { ...state, overlay: action.overlay };
		case 'notice':
			return { ...state, notice: { text: action.text, tone: action.tone, id: ++noticeId } };
		case 'clear-notice':
			return state.notice?.id === action.id ? { ...state, notice: undefined } : state;
		case 'operation':
			return { ...state, operation: action.label };
		case 'exiting':
			return { ...state, exiting: true };
		case 'auto-verify': {
			// Only over the open profile's screens (not the picker, the form or while opening).
			const top = currentRoute(state);
			if (!state.session || !SESSION_SCREENS.has(top.screen)) return state;
			const route: Route = { screen: 'verify', section: action.section, auto: true, id: ++routeId };
			const stack = top.screen === 'verify' ? [...state.stack.slice(0, -1), route] : [...state.stack, route];
			return { ...state, stack };
		}
	}
}
