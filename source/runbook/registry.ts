/**
 * Every runbook the console ships, validated on load: zod checks the shape, and every placeholder must be
 * a known variable so a typo fails here, in tests, and not on a node.
 */
import { centos7OcataRunbook } from '../steps/centos7-ocata/index.js';
import { debian12ZedRunbook } from '../steps/debian12-zed/index.js';
import { demoRunbook } from '../steps/demo/index.js';
import { Runbook, type RunbookInput } from './model.js';
import { actionTemplates } from './render.js';
import { templateVariables } from './template.js';
import { isKnownVariable } from './variables.js';

const SHIPPED: readonly RunbookInput[] = [demoRunbook, centos7OcataRunbook, debian12ZedRunbook];
const SOURCES: RunbookInput[] = [...SHIPPED];

export function registerRunbook(source: RunbookInput): void {
	if (!SOURCES.some((s) => s.id === source.id)) SOURCES.push(source);
}

export class RunbookError extends Error {
	override name = 'RunbookError';
}

export function validateRunbook(source: RunbookInput): Runbook {
	const parsed = Runbook.safeParse(source);
	if (!parsed.success) {
		throw new RunbookError(
			`runbook ${source.id} is invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
		);
	}
	const runbook = parsed.data;
	const problems: string[] = [];
	const seen = new Set<string>();
	for (const section of runbook.sections) {
		if (seen.has(section.id)) problems.push(`duplicate section id ${section.id}`);
		seen.add(section.id);
		const stepIds = new Set<string>();
		for (const step of section.steps) {
			if (stepIds.has(step.id)) problems.push(`duplicate step id ${section.id}/${step.id}`);
			stepIds.add(step.id);
			const templates = [
				...step.actions.flatMap(actionTemplates),
				...(step.check ? [step.check] : []),
				...(step.verify ? [step.verify] : []),
			];
			for (const t of templates) {
				for (const name of templateVariables(t)) {
					if (!isKnownVariable(runbook, name)) problems.push(`${section.id}/${step.id}: unknown variable {{${name}}}`);
				}
			}
		}
	}
	for (const creds of Object.values(runbook.credentials)) {
		for (const t of Object.values(creds)) {
			for (const name of templateVariables(t)) {
				if (!isKnownVariable(runbook, name)) problems.push(`credentials: unknown variable {{${name}}}`);
			}
		}
	}
	if (problems.length) throw new RunbookError(`runbook ${runbook.id} is invalid:\n  - ${problems.join('\n  - ')}`);
	return runbook;
}

const cache = new Map<string, Runbook>();

/**
 * The bundle (scripts/bundle.mjs) validates the shipped runbooks when it is built and embeds the result as a JSON
 * string, so a start does not spend ~13 ms of zod on data that cannot have changed since. Unbundled (tests, tsc's
 * dist/) it is not defined and every runbook is validated on load.
 */
declare const __OSC_VALIDATED_RUNBOOKS__: string | undefined;
let prevalidated: Record<string, Runbook> | undefined;

function validatedAtBuild(id: string): Runbook | undefined {
	if (typeof __OSC_VALIDATED_RUNBOOKS__ === 'undefined') return undefined;
	prevalidated ??= JSON.parse(__OSC_VALIDATED_RUNBOOKS__) as Record<string, Runbook>;
	return prevalidated[id];
}

/** The shipped runbooks as validateRunbook returns them, by id (what the bundle embeds as JSON). */
export function validateShippedRunbooks(): Record<string, Runbook> {
	const shipped: Record<string, Runbook> = {};
	for (const source of SHIPPED) shipped[source.id] = validateRunbook(source);
	return shipped;
}

export function listRunbooks(): { id: string; title: string; description: string }[] {
	return SOURCES.map(({ id, title, description }) => ({ id, title, description }));
}

export function getRunbook(id: string): Runbook {
	const cached = cache.get(id);
	if (cached) return cached;
	const source = SOURCES.find((s) => s.id === id);
	if (!source) {
		throw new RunbookError(`unknown runbook "${id}" (available: ${SOURCES.map((s) => s.id).join(', ')})`);
	}
	// registerRunbook never replaces a shipped id, so a runbook validated at build time is the shipped one.
	const runbook = (SHIPPED.includes(source) ? validatedAtBuild(id) : undefined) ?? validateRunbook(source);
	cache.set(id, runbook);
	return runbook;
}

/** Settings a profile gives must be declared by its runbook and match the declared pattern. */
export function checkSettings(runbook: Runbook, settings: Record<string, string>): string[] {
	const problems: string[] = [];
	for (const [name, value] of Object.entries(settings)) {
		const setting = runbook.settings.find((s) => s.name === name);
		if (!setting) {
			problems.push(
				`settings.${name}: runbook ${runbook.id} has no such setting (it has: ${runbook.settings.map((s) => s.name).join(', ') || 'none'})`,
			);
		} else if (!new RegExp(setting.pattern).test(value)) {
			problems.push(`settings.${name}: "${value}" does not match ${setting.pattern} (${setting.describe})`);
		}
	}
	return problems;
}
