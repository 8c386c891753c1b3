/** The pure parts of the screens: scroll/follow, cursors, the checklist row model, form validation, formats. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../source/engine/engine.js';
import { ProgressStore } from '../../source/engine/progress-store.js';
import type { OutputBatch } from '../../source/engine/types.js';
import { checklistRow, SILENCE_MS } from '../../source/screens/use-checklist-state.js';
import {
	type FormEnv,
	formReducer,
	initialFormState,
	setFieldValue,
	validateDraft,
} from '../../source/screens/use-profile-form-state.js';
import {
	initialStepViewState,
	outputWindow,
	type StepViewState,
	scriptWindow,
	stepViewReducer,
} from '../../source/screens/use-step-view-state.js';
import { EngineStore } from '../../source/ui/engine-store.js';
import { formatDuration, formatSilence, sanitizeLine } from '../../source/ui/format.js';
import { cursorReducer } from '../../source/ui/list-cursor.js';
import { consoleTestBed } from '../helpers/render.js';

describe('step view: follow and scrollback', () => {
	const pane = (total: number, length = Math.min(total, 2000), height = 10) => ({ total, length, height });

	it('follows the end, and stays on the same lines while new ones arrive once scrolled back', () => {
		let state: StepViewState = initialStepViewState;
		expect(outputWindow(state, pane(100))).toMatchObject({ start: 90, end: 100, firstNumber: 91, atEnd: true });
		state = stepViewReducer(state, { type: 'scroll', delta: -1, pane: pane(100) });
		expect(state.follow).toBe(false);
		expect(outputWindow(state, pane(100)).firstNumber).toBe(90);
		// 50 more lines: the window does not move.
		expect(outputWindow(state, pane(150))).toMatchObject({ firstNumber: 90, atEnd: false });
		state = stepViewReducer(state, { type: 'follow' });
		expect(outputWindow(state, pane(150)).firstNumber).toBe(141);
	});

	it('keeps its place while the ring rotates, and says how many lines only the log has', () => {
		let state: StepViewState = { ...initialStepViewState, follow: false, top: 3500 };
		// 5000 printed, the last 2000 in memory: line 3501 is at index 500.
		expect(outputWindow(state, pane(5000))).toMatchObject({ start: 500, firstNumber: 3501, dropped: 3000 });
		expect(outputWindow(state, pane(5500))).toMatchObject({ start: 0, firstNumber: 3501 });
		// Once those lines leave memory the window shows the oldest line still there.
		expect(outputWindow(state, pane(6000))).toMatchObject({ start: 0, firstNumber: 4001, dropped: 4000 });
		state = stepViewReducer(state, { type: 'top', pane: pane(6000) });
		expect(state.top).toBe(4000);
	});

	it('resumes following when scrolled down onto the last line', () => {
		let state = stepViewReducer(initialStepViewState, { type: 'scroll', delta: -9, pane: pane(100) });
		expect(state.follow).toBe(false);
		state = stepViewReducer(state, { type: 'scroll', delta: 5, pane: pane(100) });
		expect(state.follow).toBe(false);
		state = stepViewReducer(state, { type: 'scroll', delta: 5, pane: pane(100) });
		expect(state.follow).toBe(true);
	});

	it('scrolls the script separately and switches nodes with wrap-around', () => {
		let state = stepViewReducer(initialStepViewState, { type: 'toggle-script' });
		state = stepViewReducer(state, { type: 'follow' });
		expect(scriptWindow(state, 38, 10)).toEqual({ start: 28, end: 38 });
		state = stepViewReducer(state, { type: 'scroll', delta: -3, pane: pane(38, 38) });
		expect(scriptWindow(state, 38, 10)).toEqual({ start: 25, end: 35 });
		state = stepViewReducer(state, { type: 'prev-node', count: 3 });
		expect(state.nodeIndex).toBe(2);
		state = stepViewReducer(state, { type: 'next-node', count: 3 });
		expect(state.nodeIndex).toBe(0);
		expect(stepViewReducer(state, { type: 'select-node', index: 5, count: 3 })).toBe(state);
	});
});

describe('list cursor', () => {
	it('wraps at both ends and clamps a set', () => {
		expect(cursorReducer(0, { type: 'up' }, 3)).toBe(2);
		expect(cursorReducer(2, { type: 'down' }, 3)).toBe(0);
		expect(cursorReducer(0, { type: 'set', index: 9 }, 3)).toBe(2);
		expect(cursorReducer(0, { type: 'down' }, 0)).toBe(0);
	});
});

describe('checklist rows', () => {
	const { services } = consoleTestBed();

	it('shows the last line while output flows, and "no output for 2m" once a running step goes quiet', async () => {
		const t0 = Date.parse('2026-01-01T10:00:00Z');
		// A step left running, as the progress file records it; the engine reads it from there.
		new ProgressStore('lab', 'demo').set('services/count', 'controller', {
			status: 'running',
			attempt: 1,
			startedAt: new Date(t0).toISOString(),
			lastOutputAt: new Date(t0 + 5_000).toISOString(),
			lastLine: 'line 3 of 5 on controller',
		});
		const { engine } = await services.openProfile('lab');
		let row = checklistRow(engine, 'services/count', 1, t0 + 10_000);
		expect(row.status).toBe('running');
		expect(row.timing).toBe('10s');
		expect(row.detail).toEqual({ text: 'controller: line 3 of 5 on controller', tone: 'muted' });
		row = checklistRow(engine, 'services/count', 1, t0 + 5_000 + SILENCE_MS);
		expect(row.detail).toEqual({ text: 'controller: no output for 30s', tone: 'warning' });
		row = checklistRow(engine, 'services/count', 1, t0 + 5_000 + 125_000);
		expect(row.detail?.text).toBe('controller: no output for 2m');
		expect(row.timing).toBe('2m 10s');
	});
});

describe('profile form validation', () => {
	const env: FormEnv = {
		runbooks: [{ id: 'demo', title: 'Demo' }],
		settingsOf: () => [],
		checkSettings: (_id, settings) =>
			settings.DEMO_ROOT && !settings.DEMO_ROOT.startsWith('/')
				? [`settings.DEMO_ROOT: "${settings.DEMO_ROOT}" does not match`]
				: [],
		existingProfiles: ['taken'],
	};

	it('maps schema problems onto the fields the operator edits', () => {
		let draft = initialFormState(env).draft;
		draft = setFieldValue(draft, 'name', 'ok');
		draft = setFieldValue(draft, 'nodes.0.host', '127.0.0.2');
		expect(validateDraft(draft, env)).toMatchObject({ errors: {}, general: [] });
		expect(validateDraft(draft, env).profile?.nodes[0]?.port).toBe(22);

		draft = setFieldValue(draft, 'nodes.0.auth', 'key');
		draft = setFieldValue(draft, 'nodes.0.port', '70000');
		draft = setFieldValue(draft, 'network.providerCidr', '203.0.113.0');
		draft = setFieldValue(draft, 'settings.DEMO_ROOT', 'tmp');
		const v = validateDraft(draft, env);
		expect(v.profile).toBeUndefined();
		expect(v.errors['nodes.0.keyFile']).toBe('must name a private key file');
		expect(v.errors['nodes.0.port']).toBe('must be a port number from 1 to 65535');
		expect(v.errors['network.providerCidr']).toContain('CIDR');
		expect(v.errors['settings.DEMO_ROOT']).toContain('does not match');
	});

	it('reports the controller count and duplicate names even while other fields are invalid', () => {
		let state = initialFormState(env);
		state = formReducer(state, { type: 'add-node' }, env);
		state = { ...state, draft: setFieldValue(state.draft, 'nodes.1.name', 'controller') };
		state = { ...state, draft: setFieldValue(state.draft, 'nodes.1.roles', 'controller') };
		state = { ...state, draft: setFieldValue(state.draft, 'name', 'taken') };
		const v = validateDraft(state.draft, env);
		expect(v.general).toEqual(['exactly one node must have the controller role (found 2)']);
		expect(v.errors['nodes.1.name']).toBe('"controller" is already the name of node 1');
		expect(v.errors.name).toBe('a saved profile named "taken" already exists');
		// The host fields are empty too: every problem is reported at once.
		expect(v.errors['nodes.0.host']).toBeDefined();
	});

	it('types into text fields only, cycles choices, and removes the focused node', () => {
		let state = initialFormState(env);
		state = formReducer(state, { type: 'type', text: 'lab' }, env);
		expect(state.draft.name).toBe('lab');
		state = formReducer(state, { type: 'focus', id: 'nodes.0.roles' }, env);
		state = formReducer(state, { type: 'type', text: 'x' }, env);
		expect(state.draft.nodes[0]?.roles).toBe('controller+compute');
		state = formReducer(state, { type: 'cycle', direction: 1 }, env);
		expect(state.draft.nodes[0]?.roles).toBe('controller');
		state = formReducer(state, { type: 'add-node' }, env);
		expect(state.draft.nodes.map((n) => n.name)).toEqual(['controller', 'compute1']);
		state = formReducer(state, { type: 'remove-node' }, env);
		expect(state.draft.nodes.map((n) => n.name)).toEqual(['controller']);
		// The last node stays.
		state = formReducer(state, { type: 'remove-node' }, env);
		expect(state.draft.nodes).toHaveLength(1);
	});
});

describe('formats', () => {
	it('formats durations and silences', () => {
		expect(formatDuration(420)).toBe('0.4s');
		expect(formatDuration(12_400)).toBe('12s');
		expect(formatDuration(125_000)).toBe('2m 05s');
		expect(formatDuration(3_720_000)).toBe('1h 02m');
		expect(formatSilence(125_000)).toBe('2m');
	});

	it('makes an output line safe for one row', () => {
		expect(sanitizeLine('a\tb')).toBe('a    b');
		expect(sanitizeLine(' 10%\r 50%\r100%')).toBe('100%');
		expect(sanitizeLine('bell\u0007 and backspace\b')).toBe('bell and backspace');
	});
});

describe('engine store', () => {
	it('notifies React at most once per frame however fast the engine changes', async () => {
		const emitter = new EventEmitter() as EventEmitter & { version: number };
		emitter.version = 0;
		const store = new EngineStore(emitter as unknown as Engine, 50);
		let notified = 0;
		const unsubscribe = store.subscribe(() => notified++);
		const started = Date.now();
		let lines = 0;
		while (Date.now() - started < 400) {
			for (let i = 0; i < 1000; i++) {
				// Batches of 1 to 7 lines, as the engine emits one per chunk read.
				const batch = Array.from({ length: 1 + (i % 7) }, () => 'x');
				emitter.version += batch.length;
				const event: OutputBatch = {
					stepKey: 's/a',
					node: 'n',
					attempt: 1,
					stream: 'stdout',
					count: batch.length,
					text: batch.join('\n'),
					lines: batch,
				};
				emitter.emit('output', event);
				lines += batch.length;
			}
			await new Promise((resolve) => setImmediate(resolve));
		}
		await new Promise((resolve) => setTimeout(resolve, 80));
		const elapsed = Date.now() - started;
		expect(lines).toBeGreaterThan(10_000);
		expect(notified).toBeGreaterThan(2);
		expect(notified).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2);
		// The last change is never lost (trailing edge).
		expect(store.getSnapshot()).toBe(emitter.version);
		expect(store.outputTotal('s/a', 'n', 0)).toBe(lines);
		unsubscribe();
		store.dispose();
		expect(emitter.listenerCount('output')).toBe(0);
	});

	it('stretches the frame interval after a costly frame (a sixth of the time at most), back to 50 ms after cheap ones', async () => {
		const emitter = new EventEmitter() as EventEmitter & { version: number };
		emitter.version = 0;
		const store = new EngineStore(emitter as unknown as Engine, 50);
		let frameCost = 0;
		const frames: number[] = [];
		const unsubscribe = store.subscribe(() => {
			frames.push(Date.now());
			// a frame that takes frameCost ms (React and ink drawing the screen)
			const until = performance.now() + frameCost;
			while (performance.now() < until) {}
		});
		const change = () => {
			emitter.version++;
			emitter.emit('state');
		};
		const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
		change();
		await settle();
		expect(store.frameInterval).toBe(50);
		frameCost = 25;
		change(); // within 50 ms of the last frame: drawn on the trailing edge
		await new Promise((resolve) => setTimeout(resolve, 80));
		expect(frames).toHaveLength(2);
		expect(store.frameInterval).toBeGreaterThanOrEqual(150);
		expect(store.frameInterval).toBeLessThanOrEqual(200);
		frameCost = 500;
		change();
		await new Promise((resolve) => setTimeout(resolve, 800));
		expect(frames).toHaveLength(3);
		expect(frames[2]! - frames[1]!).toBeGreaterThanOrEqual(145);
		expect(store.frameInterval).toBe(200); // at most 5 frames a second, however slow
		frameCost = 0;
		change();
		await new Promise((resolve) => setTimeout(resolve, 250));
		expect(frames).toHaveLength(4);
		expect(store.frameInterval).toBe(50);
		unsubscribe();
		store.dispose();
	});

	it('counts the lines of each (step, node) per attempt, restarting at a new attempt', () => {
		const emitter = new EventEmitter() as EventEmitter & { version: number };
		emitter.version = 0;
		const store = new EngineStore(emitter as unknown as Engine, 50);
		const emit = (node: string, attempt: number, count: number) => {
			const lines: string[] = Array(count).fill('x');
			const event: OutputBatch = {
				stepKey: 's/a',
				node,
				attempt,
				stream: 'stdout',
				count,
				text: lines.join('\n'),
				lines,
			};
			emitter.emit('output', event);
		};
		emit('n', 1, 3);
		emit('m', 1, 5);
		emit('n', 1, 4);
		expect(store.outputTotal('s/a', 'n', 0)).toBe(7);
		expect(store.outputTotal('s/a', 'm', 0)).toBe(5);
		emit('n', 2, 2);
		expect(store.outputTotal('s/a', 'n', 0)).toBe(2);
		// Never less than what the ring holds.
		expect(store.outputTotal('s/a', 'n', 10)).toBe(10);
		store.dispose();
	});
});
