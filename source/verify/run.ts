/**
 * Running checks: each check instance runs its actions on its node through Engine.exec (the same renderer
 * and runner as steps, masked output), the parser judges the output, and the result is saved at once.
 */
import type { Engine } from '../engine/engine.js';
import { type CheckSelection, checkContext, planChecks, unreachableHint } from './checks.js';
import { fail } from './parsers.js';
import { VerifyStore } from './store.js';
import type { CheckInstance, CheckOutcome, CheckResult } from './types.js';

export interface RunChecksOptions extends CheckSelection {
	/** Saved results (default: the profile's verify.json). */
	store?: VerifyStore;
	signal?: AbortSignal;
	/** Checks that run at the same time (default 4; different nodes, read-only commands). */
	concurrency?: number;
	onStart?(instance: CheckInstance): void;
	onResult?(result: CheckResult, instance: CheckInstance): void;
}

const DEFAULT_TIMEOUT_SEC = 90;

/** Run one check on its node and judge it; never throws. */
export async function runCheck(engine: Engine, instance: CheckInstance, signal?: AbortSignal): Promise<CheckResult> {
	const { def, node } = instance;
	const ctx = checkContext(engine.runbook, engine.profile, node);
	const timeoutSec = def.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
	const started = Date.now();
	let outcome: CheckOutcome;
	try {
		const result = await engine.exec(node.name, {
			title: `verify: ${def.title}`,
			actions: def.actions(ctx),
			timeoutSec,
			signal,
		});
		switch (result.outcome.kind) {
			case 'exited':
				outcome = def.parse(result.stdout, result.stderr, result.code, ctx);
				break;
			case 'timeout':
				outcome = fail(`no answer within ${timeoutSec}s on ${node.name}`, unreachableHint(ctx));
				break;
			case 'cancelled':
				outcome = fail('cancelled before it finished');
				break;
			case 'signaled':
				outcome = fail(`killed by ${result.outcome.signal} on ${node.name}`);
				break;
			case 'no-trace':
				outcome = fail(`the run left no trace on ${node.name}`, unreachableHint(ctx));
				break;
			case 'error':
				outcome = fail(`could not run on ${node.name}: ${result.outcome.message}`, unreachableHint(ctx));
				break;
		}
	} catch (error) {
		outcome = fail(`could not run on ${node.name}: ${engine.mask((error as Error).message)}`, unreachableHint(ctx));
	}
	return {
		check: def.id,
		section: def.section,
		title: def.title,
		node: node.name,
		status: outcome.status,
		detail: engine.mask(outcome.detail),
		...(outcome.hint ? { hint: engine.mask(outcome.hint) } : {}),
		ranAt: new Date(started).toISOString(),
		durationMs: Date.now() - started,
	};
}

/**
 * Run the selected checks (all by default), saving each result as it comes. Resolves with the results in
 * plan order. Throws VerifySelectionError for an unknown section, check or node.
 */
export async function runChecks(engine: Engine, options: RunChecksOptions = {}): Promise<CheckResult[]> {
	const instances = planChecks(engine.profile, options);
	const store = options.store ?? new VerifyStore(engine.profile.name, engine.runbook.id);
	const results: CheckResult[] = new Array(instances.length);
	let next = 0;
	const lane = async () => {
		while (next < instances.length) {
			if (options.signal?.aborted) return;
			const index = next++;
			const instance = instances[index]!;
			options.onStart?.(instance);
			const result = await runCheck(engine, instance, options.signal);
			results[index] = result;
			store.set(result);
			options.onResult?.(result, instance);
		}
	};
	const lanes = Math.max(1, Math.min(options.concurrency ?? 4, instances.length));
	await Promise.all(Array.from({ length: lanes }, lane));
	return results.filter(Boolean);
}
