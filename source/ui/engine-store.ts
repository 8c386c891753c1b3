/**
 * Engine → React, throttled. The engine bumps `version` on every output line and emits output one chunk (a batch
 * of lines) per event; under a flood that is thousands of events a second. The store listens with O(1) work per
 * event and tells React about a new snapshot at most once per frame interval (leading edge, then trailing), so
 * rendering cost is bounded by the frame rate, not by the output rate; a frame that costs more than its share of
 * the interval stretches the next interval, so drawing never takes most of the time the console needs to read a
 * flood. Key presses are not throttled: they change React state directly.
 */
import { useSyncExternalStore } from 'react';
import type { Engine } from '../engine/engine.js';
import type { OutputBatch } from '../engine/types.js';

/** ~20 frames per second. */
export const FRAME_INTERVAL_MS = 50;
/**
 * Frames take at most about this share of the time: a frame that cost more than a sixth of the interval stretches
 * the next one (up to MAX_FRAME_INTERVAL_MS). Under an output flood a frame (React, ink's layout and output for
 * the whole screen) cost 10-20 ms on the benchmark machine, so at 20 frames a second drawing took a third of the
 * time the console needed to read the flood (bench/: 50 MB flood, TUI wall ~15% less at 10 frames a second).
 * Keys are not held back: they change React state directly.
 */
const FRAME_SHARE = 1 / 6;
export const MAX_FRAME_INTERVAL_MS = 200;

export class EngineStore {
	private snapshot: number;
	private listeners = new Set<() => void>();
	private timer: NodeJS.Timeout | undefined;
	private lastFire = 0;
	/** The interval after the last frame: intervalMs, or longer when that frame cost more than its share. */
	private nextInterval: number;
	/** Lines emitted per (step, node) for the current attempt: anchors scrollback while the ring rotates. */
	private counts = new Map<string, { attempt: number; total: number }>();
	private detach: (() => void) | undefined;

	/** Listens from construction until dispose(), so line counts stay right while no screen subscribes. */
	constructor(
		readonly engine: Engine,
		private readonly intervalMs = FRAME_INTERVAL_MS,
	) {
		this.snapshot = engine.version;
		this.nextInterval = intervalMs;
		this.attach();
	}

	private onChange = (): void => {
		if (this.timer) return;
		const wait = this.lastFire + this.nextInterval - Date.now();
		if (wait <= 0) this.fire();
		else this.timer = setTimeout(this.fire, wait);
	};

	private onOutput = (batch: OutputBatch): void => {
		const id = `${batch.stepKey}|${batch.node}`;
		let count = this.counts.get(id);
		if (!count || count.attempt !== batch.attempt) {
			count = { attempt: batch.attempt, total: 0 };
			this.counts.set(id, count);
		}
		count.total += batch.count;
		this.onChange();
	};

	private fire = (): void => {
		this.timer = undefined;
		this.lastFire = Date.now();
		if (this.snapshot === this.engine.version) return;
		this.snapshot = this.engine.version;
		const started = performance.now();
		for (const listener of this.listeners) listener();
		// React renders (and ink draws) now or in a microtask the listeners queued: this one runs after it.
		queueMicrotask(() => {
			const cost = performance.now() - started;
			this.nextInterval = Math.min(MAX_FRAME_INTERVAL_MS, Math.max(this.intervalMs, cost / FRAME_SHARE));
		});
	};

	/** The wait after the last frame before the next one (for tests). */
	get frameInterval(): number {
		return this.nextInterval;
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	};

	getSnapshot = (): number => this.snapshot;

	/** Lines the engine has emitted for (step, node) in this attempt (at least what the ring holds). */
	outputTotal(key: string, node: string, ringLength: number): number {
		return Math.max(this.counts.get(`${key}|${node}`)?.total ?? 0, ringLength);
	}

	private attach(): void {
		this.engine.on('state', this.onChange);
		this.engine.on('connection', this.onChange);
		this.engine.on('output', this.onOutput);
		this.detach = () => {
			this.engine.off('state', this.onChange);
			this.engine.off('connection', this.onChange);
			this.engine.off('output', this.onOutput);
		};
	}

	/** Stop listening to the engine (the profile was closed). */
	dispose(): void {
		this.detach?.();
		this.detach = undefined;
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
	}
}

/** The throttled engine version: re-render when the engine changed, at most once per frame. */
export function useEngineVersion(store: EngineStore | undefined): number {
	return useSyncExternalStore(store?.subscribe ?? noopSubscribe, store?.getSnapshot ?? zero);
}

const noopSubscribe = () => () => {};
const zero = () => 0;
