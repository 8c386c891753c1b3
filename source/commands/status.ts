/** `os-console status`: the checklist state of a profile, from its saved progress (no connection made). */
import { openProfile } from '../console/open-profile.js';
import type { StepRunner } from '../engine/engine.js';
import { EXIT_OK, parseFlags, reportError, requireProfileFlag } from './common.js';

export const usage = `Usage: os-console status --profile NAME_OR_PATH [--json]

Prints each section's progress (done / total) and each step's state per node, from the saved progress.`;

/** Status never connects anywhere: a runner that refuses makes that explicit. */
const offline: StepRunner = {
	run: () => Promise.reject(new Error('status does not run steps')),
	attach: () => Promise.reject(new Error('status does not run steps')),
};

export async function run(argv: string[]): Promise<number> {
	try {
		const flags = parseFlags(argv, { profile: { type: 'string' }, json: { type: 'boolean' } }, 'status');
		const { engine, runbook } = await openProfile(requireProfileFlag(flags.profile, 'status'), {
			hostKeys: { mode: 'strict' },
			runner: offline,
		});
		const sections = runbook.sections.map((section) => ({
			id: section.id,
			title: section.title,
			...engine.sectionProgress(section.id),
			steps: engine.stepsOf(section.id).map((planned) => ({
				key: planned.key,
				title: planned.step.title,
				status: engine.stepStatus(planned.key),
				nodes: Object.fromEntries(planned.nodes.map((n) => [n.name, engine.state(planned.key, n.name)])),
			})),
		}));
		if (flags.json) {
			process.stdout.write(
				`${JSON.stringify({ profile: engine.profile.name, runbook: runbook.id, sections }, null, 2)}\n`,
			);
			return EXIT_OK;
		}
		process.stdout.write(`profile ${engine.profile.name} · runbook ${runbook.id}\n`);
		for (const section of sections) {
			process.stdout.write(
				`\n${section.title}: step ${section.done} of ${section.total} done${section.failed ? `, ${section.failed} failed` : ''}\n`,
			);
			for (const step of section.steps) {
				const nodes = Object.entries(step.nodes)
					.map(([name, s]) => `${name}=${s.status}${s.exitCode ? `(${s.exitCode})` : ''}`)
					.join(' ');
				process.stdout.write(`  ${step.status.padEnd(14)} ${step.key.padEnd(40)} ${nodes}\n`);
			}
		}
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
