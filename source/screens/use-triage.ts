/**
 * Failure triage in the step view: when the selected node's step failed, what an operator looks at first.
 * The action, exit code, stderr tail and hints for the output come from the engine at once; the service
 * log tails need one exec on the node (triageFailure), fetched automatically once per failed attempt and
 * again on demand (t).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Engine } from '../engine/engine.js';
import type { NodeStepState } from '../engine/types.js';
import { t } from '../i18n/index.js';
import { type KnownErrorMatch, matchKnownErrors } from '../triage/known-errors.js';
import { type Triage, triageFailure } from '../triage/triage.js';
import { errorMessage } from '../util/error-message.js';

export interface TriageFetch {
	status: 'fetching' | 'done' | 'failed';
	triage?: Triage;
	error?: string;
	/** When the logs were read (ms since epoch). */
	at?: number;
}

export function isFailure(state: NodeStepState | undefined): boolean {
	return state?.status === 'failed' || state?.status === 'interrupted';
}

/** One failed attempt of a step on a node. */
export function attemptId(stepKey: string, node: string, state: NodeStepState): string {
	return `${stepKey}|${node}|${state.attempt}`;
}

/** Hints from what the console already has (the output and stderr in memory), before the logs arrive. */
export function localHints(engine: Engine, stepKey: string, node: string): KnownErrorMatch[] {
	return matchKnownErrors([...engine.output(stepKey, node), ...engine.stderrTail(stepKey, node)].join('\n'));
}

/**
 * Triage fetches by failed attempt. `auto` is the attempt on screen: fetched once when it is a failure.
 * `fetch(id)` reads the logs again (ignored while a fetch of that attempt is running).
 */
export function useTriage(
	engine: Engine,
	auto: { stepKey: string; node: string; state: NodeStepState } | undefined,
): { fetches: Record<string, TriageFetch>; fetch(stepKey: string, node: string, state: NodeStepState): void } {
	const [fetches, setFetches] = useState<Record<string, TriageFetch>>({});
	const running = useRef(new Set<string>());
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[],
	);

	const fetch = useCallback(
		(stepKey: string, node: string, state: NodeStepState) => {
			const id = attemptId(stepKey, node, state);
			if (running.current.has(id)) return;
			running.current.add(id);
			setFetches((all) => ({ ...all, [id]: { ...all[id], status: 'fetching' } }));
			triageFailure(engine, stepKey, node).then(
				(triage) => {
					running.current.delete(id);
					if (mounted.current) setFetches((all) => ({ ...all, [id]: { status: 'done', triage, at: Date.now() } }));
				},
				(error: unknown) => {
					running.current.delete(id);
					const message = engine.mask(errorMessage(error));
					if (mounted.current)
						setFetches((all) => ({ ...all, [id]: { ...all[id], status: 'failed', error: message, at: Date.now() } }));
				},
			);
		},
		[engine],
	);

	// Automatically, once per failed attempt shown.
	const seen = useRef(new Set<string>());
	const autoId = auto && isFailure(auto.state) ? attemptId(auto.stepKey, auto.node, auto.state) : undefined;
	useEffect(() => {
		if (!auto || !autoId || seen.current.has(autoId)) return;
		seen.current.add(autoId);
		fetch(auto.stepKey, auto.node, auto.state);
	}, [autoId, auto, fetch]);

	return { fetches, fetch };
}

export interface TriageLine {
	text: string;
	tone?: 'heading' | 'error' | 'warning' | 'muted' | 'accent';
}

/** The full triage as lines for the pane: action, exit code, hints, stderr tail, service log tails. */
export function triageLines(
	engine: Engine,
	stepKey: string,
	node: string,
	state: NodeStepState,
	fetched: TriageFetch | undefined,
): TriageLine[] {
	const lines: TriageLine[] = [];
	const triage = fetched?.triage;
	lines.push({ text: t('triage.action', { action: state.action ?? t('triage.unknownAction') }), tone: 'accent' });
	// The engine's reason often starts with the exit code already ("exit code 3 in action 1/1 …").
	const reasonHasCode = state.reason?.startsWith('exit code') ?? false;
	const exit = [
		reasonHasCode
			? ''
			: state.exitCode !== undefined
				? t('common.exitCode', { code: state.exitCode })
				: t('triage.noExitCode'),
		state.signal ? t('step.signal', { signal: state.signal }) : '',
		state.reason ?? '',
	]
		.filter(Boolean)
		.join(' · ');
	lines.push({ text: exit, tone: 'error' });
	const hints = triage?.hints ?? localHints(engine, stepKey, node);
	lines.push({ text: '' });
	if (hints.length === 0) lines.push({ text: t('triage.noHint'), tone: 'muted' });
	for (const hint of hints) {
		lines.push({ text: `→ ${hint.title}`, tone: 'warning' });
		lines.push({ text: `  ${hint.hint}` });
		lines.push({ text: `  ${t('triage.evidence', { line: hint.evidence })}`, tone: 'muted' });
	}
	const stderr = engine.stderrTail(stepKey, node);
	lines.push({ text: '' });
	lines.push({ text: t('triage.stderr', { count: stderr.length }), tone: 'heading' });
	if (stderr.length === 0) lines.push({ text: `  ${t('triage.noStderr')}`, tone: 'muted' });
	for (const line of stderr.slice(-20)) lines.push({ text: `  ${line}` });
	lines.push({ text: '' });
	if (!fetched || fetched.status === 'fetching') {
		lines.push({ text: t('triage.fetching'), tone: 'accent' });
	} else if (fetched.status === 'failed') {
		lines.push({ text: t('triage.fetchFailed', { message: fetched.error ?? '' }), tone: 'error' });
	} else if (!triage || triage.logs.length === 0) {
		lines.push({ text: t('triage.noLogs'), tone: 'muted' });
	} else {
		for (const log of triage.logs) {
			lines.push({ text: t('triage.log', { source: log.source }), tone: 'heading' });
			const body = log.lines.filter((l, i, all) => !(i === all.length - 1 && l === ''));
			if (body.length === 0) lines.push({ text: `  ${t('triage.emptyLog')}`, tone: 'muted' });
			for (const line of body) lines.push({ text: `  ${line}` });
		}
	}
	return lines;
}

/** One line under the status line: what failed and the first hint, and how to see the rest. */
export function triageSummary(
	engine: Engine,
	stepKey: string,
	node: string,
	state: NodeStepState,
	fetched: TriageFetch | undefined,
): { text: string; tone: 'warning' | 'muted' } {
	const hints = fetched?.triage?.hints ?? localHints(engine, stepKey, node);
	const logs =
		!fetched || fetched.status === 'fetching'
			? t('triage.fetching')
			: fetched.status === 'failed'
				? t('triage.logsFailed')
				: t('triage.logsRead', { count: fetched.triage?.logs.length ?? 0 });
	const parts = [
		state.action ? t('triage.failedAt', { action: state.action }) : undefined,
		hints[0] ? `→ ${hints[0].title}` : undefined,
		logs,
		t('triage.press'),
	].filter(Boolean);
	return { text: parts.join(' · '), tone: hints.length ? 'warning' : 'muted' };
}
