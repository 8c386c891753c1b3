/**
 * `os-console plan`: what the console would run, without connecting anywhere: for each step and node, the
 * one-line description of each action and the exact script, rendered by the runner's own code. Scripts never
 * hold secrets (they load them from a file at run time); descriptions show them masked.
 */
import type { Profile, ProfileNode } from '../profile/schema.js';
import { loadProfile } from '../profile/store.js';
import { describeStepForNode, planNodeSteps } from '../runbook/export.js';
import type { Runbook } from '../runbook/model.js';
import { checkSettings, getRunbook } from '../runbook/registry.js';
import { conditionHolds, MASK, renderStep } from '../runbook/render.js';
import { substitute } from '../runbook/template.js';
import { isSecretName, variableValue } from '../runbook/variables.js';
import { EXIT_OK, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';

export const usage = `Usage: os-console plan --profile NAME_OR_PATH [--section ID] [--node NAME] [--brief]

Prints, for each step and node of the profile's runbook, the one-line description of each action and the
exact script the console would run there. Nothing connects anywhere; secrets are shown as ${MASK}.

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --section ID            only this section
  --node NAME             only the steps that run on this node
  --brief                 descriptions only, no scripts

Exit codes: 0 printed, 2 bad flags, profile, section or node.`;

export interface LoadedPlanInput {
	profile: Profile;
	runbook: Runbook;
	file: string;
}

/** Profile, runbook and settings, with the errors the console reports as bad input (exit code 2). */
export function loadForViews(profileArg: string): LoadedPlanInput {
	const { profile, file } = loadProfile(profileArg);
	const runbook = getRunbook(profile.runbook);
	const problems = checkSettings(runbook, profile.settings);
	if (problems.length)
		throw new UsageError(
			`profile ${file} has settings runbook ${runbook.id} does not accept:\n  - ${problems.join('\n  - ')}`,
		);
	return { profile, runbook, file };
}

/** `--section` / `--node` checked against the runbook and the profile. */
export function checkFilters(runbook: Runbook, profile: Profile, section?: string, node?: string): void {
	if (section !== undefined && !runbook.sections.some((s) => s.id === section)) {
		throw new UsageError(
			`--section ${section}: no such section in runbook ${runbook.id} (sections: ${runbook.sections.map((s) => s.id).join(', ')})`,
		);
	}
	if (node !== undefined && !profile.nodes.some((n) => n.name === node)) {
		throw new UsageError(
			`--node ${node}: no such node in profile ${profile.name} (nodes: ${profile.nodes.map((n) => n.name).join(', ')})`,
		);
	}
}

function indent(text: string, prefix: string): string {
	return text
		.replace(/\n$/, '')
		.split('\n')
		.map((line) => `${prefix}${line}`)
		.join('\n');
}

export function renderPlan(
	runbook: Runbook,
	profile: Profile,
	options: { section?: string; node?: string; brief?: boolean } = {},
): string {
	const out: string[] = [
		`Plan: runbook ${runbook.id} (${runbook.title}) for profile ${profile.name}`,
		`nodes: ${profile.nodes.map((n) => `${n.name} ${n.managementIp} [${n.roles.join(', ')}]`).join('; ')}; networking option ${profile.network.option}; region ${profile.region}`,
		`secrets are shown as ${MASK}; scripts load them at run time from a root-only file ($OSC_SECRETS)`,
	];
	const planned = planNodeSteps(runbook, profile, options);
	const wanted = new Set(planned.map((p) => p.key));
	let count = 0;
	for (const section of runbook.sections) {
		if (options.section && section.id !== options.section) continue;
		out.push('', `== ${section.id}: ${section.title}  (guide: ${section.guide})`);
		for (const step of section.steps) {
			const key = `${section.id}/${step.id}`;
			if (!wanted.has(key)) {
				if (!conditionHolds(step.when, runbook, profile)) {
					out.push('', `-- ${key}: ${step.title}  (not for this profile: ${JSON.stringify(step.when)})`);
				}
				continue;
			}
			const nodes = planned.filter((p) => p.key === key).map((p) => p.node);
			out.push('', `-- ${key}: ${step.title}  (on ${nodes.map((n) => n.name).join(', ')})`);
			if (step.guide) out.push(`   guide: ${step.guide}`);
			for (const node of nodes) {
				count++;
				out.push(...renderNodePlan(runbook, profile, section.id, step.id, node, options.brief ?? false));
			}
		}
	}
	out.push('', `${count} step runs (step × node)${options.node ? ` on ${options.node}` : ''}.`);
	return `${out.join('\n')}\n`;
}

function renderNodePlan(
	runbook: Runbook,
	profile: Profile,
	sectionId: string,
	stepId: string,
	node: ProfileNode,
	brief: boolean,
): string[] {
	const section = runbook.sections.find((s) => s.id === sectionId)!;
	const step = section.steps.find((s) => s.id === stepId)!;
	const lookup = (name: string) => (isSecretName(name) ? MASK : variableValue(runbook, profile, node, name));
	const out = [`   [${node.name}]`];
	if (step.check) out.push(`     check: ${substitute(step.check, lookup)}`);
	describeStepForNode(runbook, step, profile, node).forEach((line, i) => {
		out.push(`     ${String(i + 1).padStart(2)}. ${line.split('\n').join('\n         ')}`);
	});
	if (!brief) {
		const rendered = renderStep(runbook, section, step, profile, node);
		out.push(`     script${rendered.secrets.length ? ` (loads ${rendered.secrets.join(', ')})` : ''}:`);
		out.push(indent(rendered.script, '       | '));
	}
	return out;
}

export async function run(argv: string[]): Promise<number> {
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				section: { type: 'string' },
				node: { type: 'string' },
				brief: { type: 'boolean' },
			},
			'plan',
		);
		const { profile, runbook } = loadForViews(requireProfileFlag(flags.profile, 'plan'));
		checkFilters(runbook, profile, flags.section, flags.node);
		process.stdout.write(
			renderPlan(runbook, profile, { section: flags.section, node: flags.node, brief: flags.brief }),
		);
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
