/**
 * Renders steps to POSIX shell scripts for one node. The console's runner, the plan view and the bash
 * export all use these functions, so what an operator reads is what runs.
 *
 * Layout of a step script: header (profile values as single-quoted assignments, secrets sourced from the
 * root-only file the runner uploads), helper functions, the check, then each action behind a marker line.
 * The script text never contains a secret value.
 */
import type { Profile, ProfileNode } from '../profile/schema.js';
import { heredocDelimiter, shellQuoteAlways } from '../util/shell.js';
import type { Action, Condition, Helper, Runbook, RunbookSection, RunbookStep } from './model.js';
import { MARKER_ALREADY_DONE, PRELUDE_FUNCTIONS } from './prelude.js';
import { asHeredocBody, asScriptText, asShellWord, soleVariable, substitute, templateVariables } from './template.js';
import { isSecretName, type SecretName, type Secrets, variableValue } from './variables.js';

export const MASK = '••••••••';

export function conditionHolds(
	condition: Condition | undefined,
	runbook: Runbook,
	profile: Profile,
	node?: ProfileNode,
): boolean {
	if (!condition) return true;
	if (condition.notOn && node?.roles.includes(condition.notOn)) return false;
	if (condition.networking && condition.networking !== profile.network.option) return false;
	if (condition.setting) {
		const setting = runbook.settings.find((s) => s.name === condition.setting?.name);
		const value = profile.settings[condition.setting.name] ?? setting?.default;
		if (value !== condition.setting.equals) return false;
	}
	return true;
}

/** The nodes a step runs on, in profile order; empty when the step does not apply to this profile. */
export function nodesForStep(runbook: Runbook, step: RunbookStep, profile: Profile): ProfileNode[] {
	if (!conditionHolds(step.when, runbook, profile)) return [];
	return profile.nodes.filter(
		(n) => (step.on === 'all' || n.roles.includes(step.on)) && conditionHolds(step.when, runbook, profile, n),
	);
}

export function activeActions(runbook: Runbook, step: RunbookStep, profile: Profile, node?: ProfileNode): Action[] {
	return step.actions.filter((a) => conditionHolds(a.when, runbook, profile, node));
}

/** Every template an action carries, for variable discovery and validation. */
export function actionTemplates(action: Action): string[] {
	switch (action.kind) {
		case 'shell':
			return [action.script, action.describe];
		case 'ini':
			return [action.file, ...action.set.flat(), ...action.unset.flat()];
		case 'file':
			return [action.path, action.content];
		case 'packages':
			return [];
		case 'service':
			return action.restartWhenChanged ?? [];
		case 'sql':
			return [action.sql];
		case 'openstack':
			return [...action.args, ...(action.unless ?? [])];
		case 'wait':
			return [action.until, action.describe, ...(action.failWhen === undefined ? [] : [action.failWhen])];
	}
}

/** The one-line description of an action for the plan view. Placeholders are shown by name. */
export function describeAction(action: Action): string {
	if (action.describe) return action.describe;
	switch (action.kind) {
		case 'ini': {
			const sections = [...new Set([...action.set.map(([s]) => s), ...action.unset.map(([s]) => s)])];
			const parts = [];
			if (action.set.length) parts.push(`set ${action.set.length} key${action.set.length > 1 ? 's' : ''}`);
			if (action.unset.length) parts.push(`remove ${action.unset.length}`);
			return `${parts.join(', ')} in ${action.file} [${sections.join('] [')}]`;
		}
		case 'file':
			return `write ${action.path} (mode ${action.mode}, owner ${action.owner})`;
		case 'packages': {
			const what = action.upgrade ? 'upgrade all packages' : `install ${action.names.join(' ')}`;
			return action.lockTimeoutSec === undefined
				? what
				: `${what} (waiting up to ${action.lockTimeoutSec} s for the package manager's lock)`;
		}
		case 'service': {
			const verb = action.state === 'started' ? 'start' : action.state === 'restarted' ? 'restart' : 'stop';
			const when = action.restartWhenChanged ? ` if ${action.restartWhenChanged.join(' or ')} changed` : '';
			return `${action.enable ? 'enable and ' : ''}${verb} ${action.names.join(' ')}${when}`;
		}
		case 'openstack':
			return `${action.unless ? 'ensure: ' : ''}openstack ${action.args.join(' ')}`;
		default:
			return action.kind;
	}
}

interface RenderContext {
	runbook: Runbook;
	profile: Profile;
	node: ProfileNode;
	functions: Set<string>;
	variables: Set<string>;
}

function noteTemplates(ctx: RenderContext, templates: string[]): void {
	for (const t of templates) for (const v of templateVariables(t)) ctx.variables.add(v);
}

function needCredentials(ctx: RenderContext, creds: 'admin' | 'demo'): void {
	ctx.functions.add('osc_openstack');
	ctx.functions.add(`osc_creds_${creds}`);
	for (const t of Object.values(ctx.runbook.credentials[creds])) noteTemplates(ctx, [t]);
}

function needSql(ctx: RenderContext): void {
	ctx.functions.add(ctx.runbook.sqlAuth === 'socket' ? 'osc_sql_socket' : 'osc_sql_password');
	if (ctx.runbook.sqlAuth === 'password') ctx.variables.add('DB_ROOT_PASS');
}

function packageHelper(ctx: RenderContext): 'osc_pkg_apt' | 'osc_pkg_yum' {
	return ctx.runbook.os.packageManager === 'apt' ? 'osc_pkg_apt' : 'osc_pkg_yum';
}

function needHelper(ctx: RenderContext, helper: Helper): void {
	if (helper === 'ini') ctx.functions.add('osc_ini');
	else if (helper === 'file') ctx.functions.add('osc_write_file');
	else if (helper === 'sql') needSql(ctx);
	else if (helper === 'packages') ctx.functions.add(packageHelper(ctx));
	else needCredentials(ctx, helper === 'openstack-admin' ? 'admin' : 'demo');
}

function renderAction(ctx: RenderContext, action: Action): string {
	noteTemplates(ctx, actionTemplates(action));
	switch (action.kind) {
		case 'shell':
			for (const helper of action.uses) needHelper(ctx, helper);
			return `(\n${asScriptText(action.script).trimEnd()}\n)`;
		case 'ini': {
			ctx.functions.add('osc_ini');
			const file = asShellWord(action.file);
			const lines = action.set.map(
				([section, key, value]) => `osc_ini ${file} ${asShellWord(section)} ${asShellWord(key)} ${asShellWord(value)}`,
			);
			for (const [section, key] of action.unset) {
				lines.push(`osc_ini ${file} ${asShellWord(section)} ${asShellWord(key)} --unset`);
			}
			return lines.join('\n');
		}
		case 'file': {
			ctx.functions.add('osc_write_file');
			let body = asHeredocBody(action.content);
			if (!body.endsWith('\n')) body += '\n';
			const delimiter = heredocDelimiter(body);
			return `osc_write_file ${asShellWord(action.path)} ${action.mode} ${action.owner} <<${delimiter}\n${body}${delimiter}`;
		}
		case 'packages': {
			const fn = packageHelper(ctx);
			ctx.functions.add(fn);
			const flags = [
				action.noRecommends ? '--no-recommends' : '',
				action.noStart ? '--no-start' : '',
				action.upgrade ? '--upgrade' : '',
			].filter(Boolean);
			const install = [fn, ...flags, ...(action.upgrade ? [] : action.names)].join(' ');
			if (action.lockTimeoutSec === undefined) return install;
			ctx.functions.add('osc_pkg_lock_holders');
			ctx.functions.add('osc_pkg_wait_lock');
			return `osc_pkg_wait_lock ${action.lockTimeoutSec}\n${install}`;
		}
		case 'service': {
			ctx.functions.add('osc_service');
			const enable = action.enable ? 'enable' : 'keep';
			if (!action.restartWhenChanged) return `osc_service ${action.state} ${enable} ${action.names.join(' ')}`;
			ctx.functions.add('osc_service_changed');
			const files = action.restartWhenChanged.map(asShellWord).join(' ');
			return `osc_service_changed ${enable} ${files} -- ${action.names.join(' ')}`;
		}
		case 'sql': {
			needSql(ctx);
			let body = asHeredocBody(action.sql);
			if (!body.endsWith('\n')) body += '\n';
			const delimiter = heredocDelimiter(body, 'OSC_SQL');
			return `osc_sql <<${delimiter}\n${body}${delimiter}`;
		}
		case 'openstack': {
			needCredentials(ctx, action.creds);
			const secretSlots: string[] = [];
			const words = action.args.map((arg, index) => {
				const sole = soleVariable(arg);
				if (sole && isSecretName(sole)) {
					secretSlots.push(`${index}:${sole}`);
					return "''";
				}
				const embedded = templateVariables(arg).find(isSecretName);
				if (embedded)
					throw new Error(`openstack argument "${arg}" embeds secret ${embedded}: pass it as a whole argument`);
				return asShellWord(arg);
			});
			const run = `osc_openstack ${action.creds} ${shellQuoteAlways(secretSlots.join(' '))} ${words.join(' ')}`;
			if (!action.unless) return run;
			if (action.unless.some((t) => templateVariables(t).some(isSecretName))) {
				throw new Error('an openstack "unless" check may not use secrets');
			}
			const check = `osc_exists ${action.creds} ${action.unless.map(asShellWord).join(' ')}`;
			const what = shellQuoteAlways(`exists, not created: openstack ${action.unless.join(' ')}`);
			return `if ${check}; then\n\techo ${what}\nelse\n\t${run}\nfi`;
		}
		case 'wait': {
			for (const helper of action.uses) needHelper(ctx, helper);
			const condition = asScriptText(action.until).trim();
			const what = shellQuoteAlways(action.describe);
			// a failure condition ends the wait at once, with what it printed as the reason; a multi-line condition
			// is not repeated in the message (the script shows it, and what it printed says more)
			const failText = action.failWhen?.trim() ?? '';
			const reason = failText.includes('\n')
				? 'its failure condition holds'
				: `failure condition: "${shellQuoteAlways(failText)}"`;
			const failure =
				action.failWhen === undefined
					? []
					: [
							`\tif osc_failed=$( ( ${asScriptText(action.failWhen).trim()} ) 2>&1 ); then`,
							`\t\techo "os-console: stopped waiting for: "${what}" (${reason})" >&2`,
							'\t\tif [ -n "$osc_failed" ]; then printf \'%s\\n\' "$osc_failed" >&2; fi',
							'\t\texit 1',
							'\tfi',
						];
			return [
				`osc_deadline=$(( $(date +%s) + ${action.timeoutSec} ))`,
				`until ( ${condition} ) >/dev/null 2>&1; do`,
				...failure,
				`\tif [ "$(date +%s)" -ge "$osc_deadline" ]; then`,
				`\t\techo "os-console: timed out after ${action.timeoutSec}s waiting for: "${what} >&2`,
				`\t\t( ${condition} ) || true`,
				'\t\texit 1',
				'\tfi',
				`\tsleep ${action.intervalSec}`,
				'done',
				`echo "ready: "${what}`,
			].join('\n');
		}
	}
}

/** One action (or the verification) of a rendered step. */
export interface RenderedAction {
	/** The plan line (templates as written: placeholders by name). */
	describe: string;
	/** `osc_action N TOTAL 'describe'`: the progress marker the engine reads. */
	marker: string;
	/** The action's shell text, as it follows its marker in the script. */
	script: string;
}

/**
 * A rendered step in the pieces its script is made of, in script order, so that other views (the bash and
 * Ansible exports) reuse the runner's exact text without reading it back out of the script.
 */
export interface RenderedParts {
	/** The `# os-console ...` comment and `set -eu`. */
	head: string[];
	/** `NAME='value'` for each profile value the step uses, sorted by name. */
	values: { name: string; line: string }[];
	/** The lines that load the secrets file; empty when the step uses no secret. */
	secretsLoader: string[];
	/** Helper definitions in script order (credentials functions, OSC_PYTHON, prelude functions), by name. */
	helpers: { name: string; text: string }[];
	/** The "already done on this node?" block, when the step has a check. */
	check?: string;
	/** The active actions, in order. */
	actions: RenderedAction[];
	verify?: RenderedAction;
	/** check, actions and verify exactly as they stand in the script (no trailing newline). */
	body: string;
}

export interface RenderedStep {
	/** The script as it runs on the node; it holds no secret values. */
	script: string;
	/** The secrets the script loads from $OSC_SECRETS. */
	secrets: SecretName[];
	/** One line per active action, in order (and the verification's). */
	actions: string[];
	/** The pieces of `script`. */
	parts: RenderedParts;
}

const VALUES_COMMENT = '# values from the profile';
const SECRETS_LOADER = [
	'# secrets: loaded from the root-only file uploaded beside this script, never passed as arguments',
	'# shellcheck source=/dev/null',
	'. "${OSC_SECRETS:?os-console: OSC_SECRETS is not set}"',
];

/** The profile values a step uses, as single-quoted assignments sorted by name; secrets are loaded, never written. */
function renderValues(ctx: RenderContext): { name: string; line: string }[] {
	return [...ctx.variables]
		.sort()
		.filter((name) => !isSecretName(name))
		.map((name) => ({
			name,
			line: `${name}=${shellQuoteAlways(variableValue(ctx.runbook, ctx.profile, ctx.node, name))}`,
		}));
}

/** Helper definitions the step needs, in the order the script states them. */
function renderFunctions(ctx: RenderContext): { name: string; text: string }[] {
	const out: { name: string; text: string }[] = [];
	for (const creds of ['admin', 'demo'] as const) {
		const fn = `osc_creds_${creds}`;
		if (!ctx.functions.has(fn)) continue;
		const exports = Object.entries(ctx.runbook.credentials[creds]).map(
			([key, template]) => `\texport ${key}=${asShellWord(template)}`,
		);
		out.push({ name: fn, text: `${fn}() {\n${exports.join('\n')}\n}` });
	}
	if (ctx.functions.has('osc_openstack'))
		out.unshift({ name: 'OSC_PYTHON', text: `OSC_PYTHON=${ctx.runbook.os.python}` });
	for (const [name, body] of Object.entries(PRELUDE_FUNCTIONS)) {
		if (ctx.functions.has(name)) out.push({ name, text: body });
	}
	return out;
}

export function renderStep(
	runbook: Runbook,
	section: RunbookSection,
	step: RunbookStep,
	profile: Profile,
	node: ProfileNode,
): RenderedStep {
	const ctx: RenderContext = { runbook, profile, node, functions: new Set(['osc_action']), variables: new Set() };
	const active = activeActions(runbook, step, profile, node);
	const total = active.length + (step.verify ? 1 : 0);
	let check: string | undefined;
	if (step.check) {
		noteTemplates(ctx, [step.check]);
		check = [
			'# already done on this node?',
			`if ( ${asScriptText(step.check).trim()} ); then`,
			`\techo '${MARKER_ALREADY_DONE}'`,
			'\texit 0',
			'fi',
		].join('\n');
	}
	const actions: RenderedAction[] = active.map((action, index) => {
		const script = renderAction(ctx, action);
		const describe = describeAction(action);
		return { describe, marker: `osc_action ${index + 1} ${total} ${shellQuoteAlways(describe)}`, script };
	});
	let verify: RenderedAction | undefined;
	if (step.verify) {
		noteTemplates(ctx, [step.verify]);
		// The marker is one line: a multi-line verify is summarised by its first line.
		const lines = step.verify.trim().split('\n');
		const describe = `verify: ${lines[0]}${lines.length > 1 ? ' …' : ''}`;
		verify = {
			describe,
			marker: `osc_action ${total} ${total} ${shellQuoteAlways(describe)}`,
			script: `(\n${asScriptText(step.verify).trim()}\n)`,
		};
	}
	const bodyLines = [
		...(check === undefined ? [] : [check]),
		...[...actions, ...(verify ? [verify] : [])].flatMap((a) => [a.marker, a.script]),
	];
	const values = renderValues(ctx);
	const usesSecrets = [...ctx.variables].some(isSecretName);
	const parts: RenderedParts = {
		head: [`# os-console ${runbook.id}: ${section.id}/${step.id} on ${node.name}: ${step.title}`, 'set -eu'],
		values,
		secretsLoader: usesSecrets ? [...SECRETS_LOADER] : [],
		helpers: renderFunctions(ctx),
		actions,
		body: bodyLines.join('\n'),
	};
	if (check !== undefined) parts.check = check;
	if (verify) parts.verify = verify;
	const script = [
		...parts.head,
		...(values.length ? [VALUES_COMMENT, ...values.map((v) => v.line)] : []),
		...parts.secretsLoader,
		...parts.helpers.map((h) => h.text),
		...bodyLines,
		'',
	].join('\n');
	return {
		script,
		secrets: [...ctx.variables].filter(isSecretName).sort(),
		actions: [...actions, ...(verify ? [verify] : [])].map((a) => a.describe),
		parts,
	};
}

/** The secrets file the runner uploads (0600) for one step: shell assignments of exactly the secrets it uses. */
export function renderSecretsEnv(secrets: Secrets, names: readonly SecretName[]): string {
	return names.map((name) => `${name}=${shellQuoteAlways(secrets[name])}\n`).join('');
}

/** A plan line with values substituted; secrets masked unless revealed. */
export function displayTemplate(
	template: string,
	runbook: Runbook,
	profile: Profile,
	node: ProfileNode,
	secrets?: Secrets,
): string {
	return substitute(template, (name) =>
		isSecretName(name) ? (secrets ? secrets[name] : MASK) : variableValue(runbook, profile, node, name),
	);
}
