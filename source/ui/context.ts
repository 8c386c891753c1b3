/**
 * Two contexts, as in Gemini CLI: a read-only view of the application state, and the actions that change
 * it. Screens read the first and call the second; only app.tsx writes state.
 */
import { createContext, useContext } from 'react';
import type { Prompt } from '../engine/prompts.js';
import type { Profile } from '../profile/schema.js';
import type { ConfirmRequest, Notice, Overlay, Route, Session, Tone } from './app-state.js';
import type { ScreenId } from './keybindings.js';

export interface AppView {
	route: Route;
	/** Every route on the stack: screens under the top one stay mounted (hidden) and keep their cursor. */
	stack: Route[];
	session?: Session;
	notice?: Notice;
	operation?: string;
	openError?: string;
	profiles: string[];
	/** An overlay (help, confirmation, prompt) is on top: screens must not take keys. */
	overlayOpen: boolean;
	/** The PromptQueue's current question, shown as a modal. */
	prompt?: Prompt;
	overlay?: Overlay;
	exiting: boolean;
}

export interface AppActions {
	push(route: Route): void;
	back(): void;
	openProfile(nameOrPath: string): void;
	newProfile(): void;
	/** Save and open a new profile; returns the reason when it could not be saved. */
	createProfile(profile: Profile): string | undefined;
	/** Close the profile and return to the picker (refused while something runs). */
	closeProfile(): void;
	showHelp(screen: ScreenId): void;
	closeOverlay(): void;
	confirm(request: ConfirmRequest): void;
	notify(text: string, tone?: Tone): void;
	runStep(key: string): void;
	skipStep(key: string): void;
	runSection(sectionId: string): void;
	runAll(): void;
	/** Cancel what is running (asks first). */
	cancel(): void;
	/** Say what quitting would lose (undefined: nothing); quit asks first while there is something. */
	setUnsaved(what: string | undefined): void;
	/** Quit (asks first while something runs). */
	quit(): void;
	/** ctrl+c: refuse a pending prompt, then quit (a second ctrl+c confirms). */
	interrupt(): void;
}

export const AppStateContext = createContext<AppView | null>(null);
export const AppActionsContext = createContext<AppActions | null>(null);

export function useAppState(): AppView {
	const value = useContext(AppStateContext);
	if (!value) throw new Error('useAppState outside <AppProviders>');
	return value;
}

export function useAppActions(): AppActions {
	const value = useContext(AppActionsContext);
	if (!value) throw new Error('useAppActions outside <AppProviders>');
	return value;
}

export function useSession(): Session {
	const { session } = useAppState();
	if (!session) throw new Error('this screen needs an open profile');
	return session;
}
