/**
 * The console's root. `App({services})` owns the application state (routes, overlays, notices, the open
 * profile's engine) and exposes it through two contexts: a read-only view and the actions. Screens render
 * from the view and call actions; every engine operation, every question and the one exit point live here.
 */
import { Box, Text } from 'ink';
import { memo, type ReactNode, useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ConfirmDialog } from './components/confirm-dialog.js';
import { KeyHints } from './components/key-hints.js';
import { NoticeLine } from './components/notice-line.js';
import { HostKeyModal, SecretModal } from './components/prompt-modal.js';
import { Spinner } from './components/spinner.js';
import type { Engine } from './engine/engine.js';
import { isDone, type NodeStepState } from './engine/types.js';
import { sectionTitle, t } from './i18n/index.js';
import type { Profile } from './profile/schema.js';
import type { RunbookSection } from './runbook/model.js';
import { Dashboard } from './screens/dashboard.js';
import { DoctorScreen } from './screens/doctor-screen.js';
import { HelpOverlay } from './screens/help-overlay.js';
import { LaunchScreen } from './screens/launch-form.js';
import { ProfileForm } from './screens/profile-form.js';
import { ProfilePicker } from './screens/profile-picker.js';
import { ReplayRuns } from './screens/replay-runs.js';
import { ReplayScreen } from './screens/replay-screen.js';
import { SectionChecklist } from './screens/section-checklist.js';
import { StepView } from './screens/step-view.js';
import { TopologyScreen } from './screens/topology-view.js';
import { runningSteps } from './screens/use-checklist-state.js';
import { VerifyScreen } from './screens/verify-panel.js';
import {
	type AppState,
	appReducer,
	type ConfirmRequest,
	currentRoute,
	type InitialOpen,
	initialAppState,
	type Route,
	type Services,
	sessionOf,
	type Tone,
} from './ui/app-state.js';
import {
	type AppActions,
	AppActionsContext,
	AppStateContext,
	type AppView,
	useAppActions,
	useAppState,
} from './ui/context.js';
import { KeyRouterProvider } from './ui/key-router.js';
import type { ScreenId } from './ui/keybindings.js';
import { theme } from './ui/theme.js';
import { useKeyBindings } from './ui/use-key-bindings.js';
import { promptId, usePrompt } from './ui/use-prompt.js';
import { useTerminalSize } from './ui/use-terminal-size.js';
import { errorMessage } from './util/error-message.js';
import { verifySectionForRunbookSection } from './verify/checks.js';

export type { Services, Session } from './ui/app-state.js';

export interface AppProps {
	services: Services;
	/** Open this profile (saved name or path) straight away, e.g. from `--profile`. */
	initialProfile?: string;
	/** Start on these screens instead (`os-console replay`: the run list and the replay, no profile opened). */
	initialRoutes?: Route[];
	/** The initial profile, already opened (or failed to open) before the first frame. */
	initialOpen?: InitialOpen;
}

/** How long a notice stays on the notice line. */
const NOTICE_MS = 8000;

/** Steps the progress file says were left running, which the engine re-attaches as the profile opens. */
function reattachingNotice(engine: Engine): string | undefined {
	const left = runningSteps(engine);
	return left.length > 0
		? t('app.reattaching', { count: left.length, keys: left.map((s) => s.key).join(', ') })
		: undefined;
}

function listProfilesSafely(services: Services): string[] {
	try {
		return services.listProfiles();
	} catch {
		return [];
	}
}

/** State, actions and their contexts; `children` render from them. */
export function AppProviders({
	services,
	initialProfile,
	initialRoutes,
	initialOpen,
	children,
}: AppProps & { children: ReactNode }) {
	const [profiles, setProfiles] = useState(() => listProfilesSafely(services));
	const [state, dispatch] = useReducer(appReducer, undefined, () =>
		initialRoutes?.length
			? { stack: initialRoutes, exiting: false }
			: initialAppState(profiles, initialProfile, initialOpen),
	);
	const stateRef = useRef<AppState>(state);
	stateRef.current = state;
	/** Set synchronously, so two quick key presses cannot start two operations. */
	const operationRef = useRef<string | undefined>(undefined);
	/** Work on screen that quitting would lose (a half-filled form), in words. */
	const unsavedRef = useRef<string | undefined>(undefined);
	const mounted = useRef(true);
	useEffect(() => {
		mounted.current = true;
		return () => {
			mounted.current = false;
		};
	}, []);

	const prompt = usePrompt(state.session?.prompts);

	const actions = useMemo<AppActions>(() => {
		const notify = (text: string, tone: Tone = 'info') => {
			if (mounted.current) dispatch({ type: 'notice', text, tone });
		};
		const engineOf = () => stateRef.current.session?.engine;
		const isBusy = () => Boolean(operationRef.current || engineOf()?.isRunning());
		const mask = (text: string) => engineOf()?.mask(text) ?? text;

		let exiting = false;
		/**
		 * The one exit point. Steps still running are left running (the runner detaches them from the
		 * connection); services.exit unmounts and closes the engines' connections.
		 */
		const exit = (code: number) => {
			if (exiting) return;
			exiting = true;
			dispatch({ type: 'exiting' });
			services.exit(code);
		};

		const operation = (label: string, work: () => Promise<boolean>) => {
			const engine = engineOf();
			if (!engine) return;
			if (isBusy()) {
				notify(t('app.busy', { what: operationRef.current ?? t('app.aStep') }), 'warning');
				return;
			}
			operationRef.current = label;
			dispatch({ type: 'operation', label });
			let result: Promise<boolean>;
			try {
				result = work();
			} catch (error) {
				result = Promise.reject(error);
			}
			result
				.then(
					(ok) => notify(ok ? t('app.opDone', { label }) : t('app.opStopped', { label }), ok ? 'success' : 'error'),
					(error) => notify(t('app.opError', { label, message: mask(errorMessage(error)) }), 'error'),
				)
				.finally(() => {
					operationRef.current = undefined;
					if (mounted.current) dispatch({ type: 'operation', label: undefined });
				});
		};

		const openProfile = (nameOrPath: string) => {
			dispatch({ type: 'reset', route: { screen: 'opening', name: nameOrPath } });
			services.openProfile(nameOrPath).then(
				(opened) => {
					if (!mounted.current) return;
					const session = sessionOf(opened);
					stateRef.current = { ...stateRef.current, session };
					dispatch({ type: 'opened', session });
					const reattaching = reattachingNotice(opened.engine);
					if (reattaching) notify(reattaching, 'warning');
				},
				(error) => {
					if (mounted.current) dispatch({ type: 'open-failed', error: errorMessage(error) });
				},
			);
		};

		const confirm = (request: ConfirmRequest) => dispatch({ type: 'overlay', overlay: { kind: 'confirm', request } });

		const describeRunning = (): string[] => {
			const engine = engineOf();
			const running = engine ? runningSteps(engine) : [];
			if (running.length === 0)
				return [operationRef.current ? t('app.runningOp', { label: operationRef.current }) : t('app.aStepRunning')];
			return running.map((r) => t('app.runningStep', { key: r.key, title: r.title, nodes: r.nodes.join(', ') }));
		};

		const quit = () => {
			if (!isBusy()) {
				const unsaved = unsavedRef.current;
				if (!unsaved) {
					exit(0);
					return;
				}
				confirm({
					id: 'quit',
					title: t('app.quitUnsaved.title'),
					lines: [t('app.quitUnsaved.line', { what: unsaved })],
					yesLabel: t('app.quitUnsaved.yes'),
					noLabel: t('app.stay'),
					onYes: () => exit(0),
				});
				return;
			}
			confirm({
				id: 'quit',
				title: t('app.quitRunning.title'),
				lines: [...describeRunning(), t('app.quitRunning.line')],
				yesLabel: t('app.quit'),
				noLabel: t('app.stay'),
				onYes: () => exit(0),
			});
		};

		return {
			push: (route: Route) => dispatch({ type: 'push', route }),
			back: () => {
				const { stack } = stateRef.current;
				if (stack.length > 1) dispatch({ type: 'back' });
				else if (currentRoute(stateRef.current).screen === 'form')
					dispatch({ type: 'reset', route: { screen: 'picker' } });
			},
			setUnsaved: (what: string | undefined) => {
				unsavedRef.current = what;
			},
			openProfile,
			newProfile: () => dispatch({ type: 'push', route: { screen: 'form', firstRun: false } }),
			createProfile: (profile: Profile) => {
				try {
					services.createProfile(profile);
				} catch (error) {
					return errorMessage(error);
				}
				setProfiles(listProfilesSafely(services));
				openProfile(profile.name);
				return undefined;
			},
			closeProfile: () => {
				if (isBusy()) {
					notify(t('app.closeBusy'), 'warning');
					return;
				}
				const session = stateRef.current.session;
				session?.store.dispose();
				void session?.engine.close().catch(() => undefined);
				setProfiles(listProfilesSafely(services));
				dispatch({ type: 'closed' });
			},
			showHelp: (screen: ScreenId) => dispatch({ type: 'overlay', overlay: { kind: 'help', screen } }),
			closeOverlay: () => dispatch({ type: 'overlay', overlay: undefined }),
			confirm,
			notify,
			runStep: (key: string) => {
				const engine = engineOf();
				if (!engine) return;
				const planned = engine.planned(key);
				if (planned.nodes.length === 0) {
					notify(t('app.notForProfile', { title: planned.step.title }), 'warning');
					return;
				}
				const states = planned.nodes.map((n) => ({ node: n.name, status: engine.state(key, n.name).status }));
				const open = states.filter((s) => !isDone(s.status));
				const title = planned.step.title;
				const label =
					open.length === 0
						? t('app.op.runAgain', { title, nodes: states.map((s) => s.node).join(', ') })
						: open.some((s) => s.status === 'failed' || s.status === 'interrupted')
							? t('app.op.retry', { title, nodes: open.map((s) => s.node).join(', ') })
							: t('app.op.run', { title });
				operation(label, () => engine.runStep(key));
			},
			skipStep: (key: string) => {
				const engine = engineOf();
				if (!engine) return;
				const planned = engine.planned(key);
				const states = planned.nodes.map((n) => ({ node: n.name, state: engine.state(key, n.name) }));
				if (states.some((s) => s.state.status === 'running')) {
					notify(t('app.skipRunning', { title: planned.step.title }), 'warning');
					return;
				}
				const open = states.filter((s) => !isDone(s.state.status));
				if (open.length === 0) {
					notify(
						states.length
							? t('app.skipDone', { title: planned.step.title })
							: t('app.skipNotFor', { title: planned.step.title }),
						'info',
					);
					return;
				}
				try {
					engine.skipStep(key);
				} catch (error) {
					notify(t('app.skipFailed', { message: mask(errorMessage(error)) }), 'error');
					return;
				}
				const by = engine.state(key, open[0]!.node).skippedBy;
				const nodes = open.map((s) => s.node).join(', ');
				notify(
					by
						? t('app.skippedBy', { title: planned.step.title, nodes, who: by })
						: t('app.skipped', { title: planned.step.title, nodes }),
					'warning',
				);
			},
			runSection: (sectionId: string) => {
				const engine = engineOf();
				const section = engine?.runbook.sections.find((s) => s.id === sectionId);
				if (!engine || !section) return;
				operation(t('app.op.runSection', { title: sectionTitle(section) }), () => engine.runSection(sectionId));
			},
			runAll: () => {
				const engine = engineOf();
				if (!engine) return;
				operation(t('app.op.runAll'), () => engine.runAll());
			},
			cancel: () => {
				const engine = engineOf();
				if (!engine || !isBusy()) {
					notify(t('app.nothingRunning'), 'info');
					return;
				}
				confirm({
					title: t('app.cancel.title'),
					lines: [...describeRunning(), t('app.cancel.line')],
					yesLabel: t('app.cancel.yes'),
					noLabel: t('app.cancel.no'),
					danger: true,
					onYes: () => {
						engine.cancel();
						notify(t('app.cancelling'), 'warning');
					},
				});
			},
			quit,
			interrupt: () => {
				const session = stateRef.current.session;
				const pending = session?.prompts.current();
				if (pending) session?.prompts.answer(pending.kind === 'host-key' ? false : undefined);
				const overlay = stateRef.current.overlay;
				if (overlay?.kind === 'confirm' && overlay.request.id === 'quit') {
					exit(0);
					return;
				}
				quit();
			},
		};
	}, [services]);

	// Opening the initial profile happens once, on mount.
	// biome-ignore lint/correctness/useExhaustiveDependencies: mount only
	useEffect(() => {
		const opened = stateRef.current.session;
		const reattaching = initialOpen && opened ? reattachingNotice(opened.engine) : undefined;
		if (reattaching) dispatch({ type: 'notice', text: reattaching, tone: 'warning' });
		else if (initialProfile && !initialOpen) actions.openProfile(initialProfile);
	}, []);

	// The end of a service section opens the verification panel on that section's checks.
	const engine = state.session?.engine;
	useEffect(() => {
		if (!engine) return;
		const onState = (key: string, _node: string, nodeState: NodeStepState) => {
			const section = sectionEndedBy(engine, key, nodeState);
			if (!section) return;
			const verifySection = verifySectionForRunbookSection(section.id);
			if (!verifySection) return;
			// A replay on screen is not interrupted (the reducer leaves it on top): no notice of a panel that did not open.
			const top = currentRoute(stateRef.current).screen;
			if (top === 'runs' || top === 'replay') return;
			dispatch({ type: 'auto-verify', section: verifySection });
			// After the operation's own "done" notice (its promise settles in this same turn), not under it.
			const text = t('app.verifyOpened', { section: sectionTitle(section) });
			setTimeout(() => mounted.current && dispatch({ type: 'notice', text, tone: 'success' }), 0);
		};
		engine.on('state', onState);
		return () => {
			engine.off('state', onState);
		};
	}, [engine]);

	// The engine outlives the screens; its store stops listening when the session ends.
	const store = state.session?.store;
	useEffect(() => () => store?.dispose(), [store]);

	useEffect(() => {
		const id = state.notice?.id;
		if (id === undefined) return;
		const timer = setTimeout(() => dispatch({ type: 'clear-notice', id }), NOTICE_MS);
		return () => clearTimeout(timer);
	}, [state.notice?.id]);

	const view: AppView = {
		route: currentRoute(state),
		stack: state.stack,
		session: state.session,
		notice: state.notice,
		operation: state.operation,
		openError: state.openError,
		profiles,
		overlayOpen: Boolean(prompt || state.overlay),
		prompt,
		overlay: state.overlay,
		exiting: state.exiting,
	};

	return (
		<KeyRouterProvider>
			<AppActionsContext.Provider value={actions}>
				<AppStateContext.Provider value={view}>{children}</AppStateContext.Provider>
			</AppActionsContext.Provider>
		</KeyRouterProvider>
	);
}

const SCREEN_OF: Record<Route['screen'], ScreenId | undefined> = {
	picker: 'picker',
	form: 'form',
	opening: undefined,
	dashboard: 'dashboard',
	checklist: 'checklist',
	step: 'step',
	verify: 'verify',
	launch: 'launch',
	doctor: 'doctor',
	topology: 'topology',
	runs: 'runs',
	replay: 'replay',
};

/**
 * The section whose end this state change is: the node's step succeeded (or was already done), the step is
 * the section's last one that applies, and now every step of the section is done.
 */
export function sectionEndedBy(engine: Engine, key: string, nodeState: NodeStepState): RunbookSection | undefined {
	if (nodeState.status !== 'succeeded' && nodeState.status !== 'already-done') return undefined;
	let planned: ReturnType<Engine['planned']>;
	try {
		planned = engine.planned(key);
	} catch {
		return undefined;
	}
	const steps = engine.stepsOf(planned.section.id).filter((p) => engine.stepStatus(p.key) !== 'not-applicable');
	if (steps.at(-1)?.key !== key) return undefined;
	const progress = engine.sectionProgress(planned.section.id);
	return progress.total > 0 && progress.done === progress.total ? planned.section : undefined;
}

function routeKey(route: Route, index: number): string {
	switch (route.screen) {
		case 'checklist':
			return `${index}:checklist:${route.sectionId}`;
		case 'step':
			return `${index}:step:${route.key}`;
		case 'opening':
			return `${index}:opening:${route.name}`;
		case 'verify':
			return `${index}:verify:${route.id}`;
		case 'replay':
			return `${index}:replay:${route.runId}`;
		default:
			return `${index}:${route.screen}`;
	}
}

function Header() {
	const { session, operation, route } = useAppState();
	// `os-console replay` opens no profile: its screens name the one they read.
	const shown = session
		? { name: session.name, runbook: session.engine.runbook.id }
		: route.screen === 'runs' || route.screen === 'replay'
			? { name: route.source.profile.name, runbook: route.source.profile.runbook }
			: undefined;
	return (
		<Box>
			<Text wrap="truncate-end">
				<Text bold color={theme.text.heading}>
					os-console
				</Text>
				{shown ? (
					<Text color={theme.text.muted}>
						{'  '}
						{t('app.header.profile')} <Text color={theme.text.primary}>{shown.name}</Text> · {t('app.header.runbook')}{' '}
						{shown.runbook}
					</Text>
				) : null}
				{operation ? (
					<Text>
						{'  '}
						<Spinner /> <Text color={theme.status.running}>{operation}</Text>
					</Text>
				) : route.screen === 'picker' || route.screen === 'form' ? (
					<Text color={theme.text.muted}>
						{'  '}
						{t('app.header.tagline')}
					</Text>
				) : null}
			</Text>
		</Box>
	);
}

function Opening({ name }: { name: string }) {
	return (
		<Text>
			<Spinner /> {t('app.opening', { name })}
		</Text>
	);
}

/**
 * One screen of the stack. Memoized: a hidden screen re-renders only when its own props change, and
 * follows the engine only while visible (see useEngineVersion in the screens).
 */
const RouteScreen = memo(function RouteScreen({
	route,
	isActive,
	visible,
	height,
}: {
	route: Route;
	isActive: boolean;
	visible: boolean;
	height: number;
}) {
	const props = { isActive, visible, height };
	switch (route.screen) {
		case 'picker':
			return <ProfilePicker {...props} />;
		case 'form':
			return <ProfileForm {...props} firstRun={route.firstRun} />;
		case 'opening':
			return <Opening name={route.name} />;
		case 'dashboard':
			return <Dashboard {...props} />;
		case 'checklist':
			return <SectionChecklist {...props} sectionId={route.sectionId} />;
		case 'step':
			return <StepView {...props} stepKey={route.key} />;
		case 'verify':
			return <VerifyScreen {...props} section={route.section} autoRun={route.auto} />;
		case 'launch':
			return <LaunchScreen {...props} />;
		case 'doctor':
			return <DoctorScreen {...props} />;
		case 'topology':
			return <TopologyScreen {...props} />;
		case 'runs':
			return <ReplayRuns {...props} source={route.source} options={route.options} selected={route.selected} />;
		case 'replay':
			return <ReplayScreen {...props} source={route.source} options={route.options} runId={route.runId} />;
	}
});

/** Rows a confirmation box takes: border, title, its lines as they wrap, the answer line. */
function confirmRows(request: ConfirmRequest, columns: number): number {
	// Word wrapping leaves the end of a row empty; count a little short.
	const width = Math.max(20, columns - 4 - 10);
	return 4 + request.lines.reduce((n, line) => n + Math.max(1, Math.ceil(line.length / width)), 0);
}

/** Keys that work whatever is on top (ctrl+c: the console renders with exitOnCtrlC off). */
function GlobalKeys() {
	const actions = useAppActions();
	useKeyBindings('global', { interrupt: () => actions.interrupt() });
	return null;
}

/** Header, the screens on the route stack (only the top one visible), the overlay, notice and key hints. */
export function AppShell() {
	const view = useAppState();
	const actions = useAppActions();
	const { rows, columns } = useTerminalSize();
	const { stack, prompt, overlay, session } = view;
	// Header, notice and key hints take three rows; one more stays free, because Ink clears the whole
	// terminal on every frame that is as tall as the terminal.
	const bodyHeight = Math.max(8, rows - 4);
	const top = stack.length - 1;
	const answerConfirm = useCallback(
		(request: ConfirmRequest, yes: boolean) => {
			actions.closeOverlay();
			if (yes) request.onYes();
		},
		[actions],
	);

	let layer: ScreenId | undefined;
	let overlayNode: ReactNode = null;
	if (prompt && session) {
		layer = prompt.kind === 'host-key' ? 'host-key' : 'secret';
		overlayNode =
			prompt.kind === 'host-key' ? (
				<HostKeyModal key={promptId(prompt)} prompt={prompt} queue={session.prompts} isActive />
			) : (
				<SecretModal key={promptId(prompt)} prompt={prompt} queue={session.prompts} isActive />
			);
	} else if (overlay?.kind === 'confirm') {
		layer = 'confirm';
		overlayNode = (
			<ConfirmDialog request={overlay.request} onAnswer={(yes) => answerConfirm(overlay.request, yes)} isActive />
		);
	} else if (overlay?.kind === 'help') {
		layer = 'help';
		overlayNode = <HelpOverlay screen={overlay.screen} height={bodyHeight} isActive />;
	}
	const topRoute = stack[top];
	const screen = layer ?? (topRoute ? SCREEN_OF[topRoute.screen] : undefined);
	const showScreens = overlay?.kind !== 'help' && !prompt;

	if (view.exiting) {
		return (
			<Box>
				<Text color={theme.text.muted}>{t('app.leaving')}</Text>
			</Box>
		);
	}

	return (
		<Box flexDirection="column">
			<GlobalKeys />
			<Header />
			{stack.map((route, index) => (
				<Box
					key={routeKey(route, index)}
					flexDirection="column"
					display={index === top && showScreens ? 'flex' : 'none'}
				>
					<RouteScreen
						route={route}
						isActive={index === top && !layer}
						visible={index === top && showScreens}
						height={
							overlay?.kind === 'confirm' ? Math.max(4, bodyHeight - confirmRows(overlay.request, columns)) : bodyHeight
						}
					/>
				</Box>
			))}
			{overlayNode}
			<NoticeLine notice={view.notice} />
			{screen ? <KeyHints screen={screen} /> : <Text> </Text>}
		</Box>
	);
}

export function App(props: AppProps) {
	return (
		<AppProviders {...props}>
			<AppShell />
		</AppProviders>
	);
}
