/**
 * Finds, in a rendered runbook, the places the optional operator features belong: the first package install on
 * each node (where a fresh node's unattended-upgrades or yum-cron may hold the package manager's lock).
 */
import type { Profile } from '../../../source/profile/schema.js';
import type { Action, Runbook } from '../../../source/runbook/model.js';
import { activeActions } from '../../../source/runbook/render.js';
import { type RenderedEntry, renderAll } from './render-all.js';

/** Per node, the first packages action that runs there (in runbook order), with its rendered step. */
export function firstPackageInstalls(
	rb: Runbook,
	profile: Profile,
): { node: string; entry: RenderedEntry; action: Extract<Action, { kind: 'packages' }> }[] {
	const out = new Map<string, { node: string; entry: RenderedEntry; action: Extract<Action, { kind: 'packages' }> }>();
	for (const entry of renderAll(rb, profile)) {
		if (out.has(entry.node.name)) continue;
		const action = activeActions(rb, entry.step, profile, entry.node).find((a) => a.kind === 'packages');
		if (action?.kind === 'packages') out.set(entry.node.name, { node: entry.node.name, entry, action });
	}
	return [...out.values()];
}
