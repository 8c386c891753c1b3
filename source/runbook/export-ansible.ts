/**
 * The Ansible export: the runbook for a profile as an inventory, group variables, a vault-ready secrets file and
 * one playbook per section, built from the same typed actions the console runs.
 *
 * Layout (relative to --out):
 *   ansible.cfg                 inventory = inventory.ini, forks like the console's concurrency, pipelining
 *   inventory.ini               groups `controller` and `compute`; per host: ansible_host/port/user (as the console
 *                               resolves them through ~/.ssh/config), the key file, become for sudo nodes, and the
 *                               node's name, management address and provider interface (osc_node_name, osc_node_ip,
 *                               osc_provider_iface)
 *   group_vars/all/vars.yml     every non-secret profile value and runbook setting (osc_controller_ip, ...) and one
 *                               `osc_NAME: "{{ vault_osc_NAME }}"` line per secret
 *   group_vars/all/vault.yml    the secrets as `vault_osc_NAME` (only with --reveal-secrets; otherwise the names, to
 *                               fill in), ready for `ansible-vault encrypt`
 *   NN-SECTION.yml              one play per step, on the step's role group, in the runbook's order
 *   site.yml                    imports the section playbooks in order
 *
 * Actions become tasks: `ini` → community.general.ini_file (missing sections are first added the way the console
 * adds them: a blank line and the header, so the file is byte for byte the console's), `packages` →
 * ansible.builtin.package (apt/yum for upgrades), `service` → ansible.builtin.service, `file` →
 * ansible.builtin.copy (a missing parent directory is created 0700, as the console's umask 077 does), and
 * everything else → ansible.builtin.shell with the renderer's own snippet and helper functions. A step's `check`
 * runs first and ends the play for hosts where it passes (meta: end_host), like the console's "already done";
 * `when` conditions are decided for the profile (networking option, settings), and `notOn` becomes a host pattern
 * or a group_names test. A failed host stops the play after the task (any_errors_fatal), as the console stops at
 * the first failed step.
 *
 * Values reach shell tasks through `environment:` from the variables; secrets never do: Ansible writes
 * `environment:` onto the remote command line (visible in ps), so secrets go to the script on its stdin
 * (`NAME='value'` lines, shell-quoted from the vault variables) and the script reads them first. No secret value
 * is ever written into a playbook; module arguments that need one (an INI value, a file's content) reference the
 * variable. Literal text is tagged !unsafe so that Jinja never interprets it.
 */
import os from 'node:os';
import path from 'node:path';
import type { Profile, ProfileNode } from '../profile/schema.js';
import { consoleHome } from '../profile/store.js';
import {
	defaultSshConfigFile,
	expandHome,
	explicitFromProfile,
	type ResolvedHost,
	SshConfigResolver,
} from '../ssh/ssh-config.js';
import { ExportError, type ExportFile, type ExportRequest, helperOrder } from './export.js';
import { type Action, type Condition, type Runbook, type RunbookSection, RunbookStep } from './model.js';
import { conditionHolds, describeAction, nodesForStep, renderStep } from './render.js';
import { asScriptText, parseTemplate, templateVariables } from './template.js';
import { isSecretName, PROFILE_VARIABLES, SECRET_NAMES, type SecretName, variableValue } from './variables.js';

/** Variables that differ per node: inventory host vars. */
const PER_NODE = new Set(['NODE_NAME', 'NODE_IP', 'PROVIDER_IFACE']);

export function ansibleVar(name: string): string {
	return `osc_${name.toLowerCase()}`;
}

export function vaultVar(name: SecretName): string {
	return `vault_osc_${name.toLowerCase()}`;
}

// ---------------------------------------------------------------------------------------------------------
// A small YAML writer: plain keys, double-quoted (JSON) or block-literal strings, !unsafe literals.

/** A literal string Ansible must not template. */
class Unsafe {
	constructor(readonly text: string) {}
}

type Yaml = string | number | boolean | null | Unsafe | Yaml[] | { [key: string]: Yaml | undefined };

const unsafe = (text: string) => new Unsafe(text);

function yamlKey(key: string): string {
	return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : JSON.stringify(key);
}

/** A block literal keeps scripts readable; anything a block cannot hold exactly is double-quoted. */
function yamlString(text: string, indent: string): string {
	const blockable =
		text.includes('\n') &&
		// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters cannot be in a block scalar
		!/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(text) &&
		!/^[ \t\n]/.test(text);
	if (!blockable) return JSON.stringify(text);
	const trailing = (/\n*$/.exec(text)?.[0] ?? '').length;
	const body = text.slice(0, text.length - trailing);
	if (body === '') return JSON.stringify(text);
	const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
	const lines = body.split('\n').map((line) => (line === '' ? '' : `${indent}${line}`));
	for (let i = 1; i < trailing; i++) lines.push('');
	return `|${chomp}\n${lines.join('\n')}`;
}

function yamlScalar(value: Exclude<Yaml, Yaml[] | { [key: string]: Yaml | undefined }>, indent: string): string {
	if (value === null) return 'null';
	if (typeof value === 'boolean' || typeof value === 'number') return String(value);
	if (value instanceof Unsafe) return `!unsafe ${yamlString(value.text, indent)}`;
	return yamlString(value, indent);
}

function isScalar(value: Yaml): value is Exclude<Yaml, Yaml[] | { [key: string]: Yaml | undefined }> {
	return value === null || typeof value !== 'object' || value instanceof Unsafe;
}

function yamlLines(value: Yaml, indent: string): string[] {
	if (Array.isArray(value)) {
		if (value.length === 0) return ['[]'];
		const out: string[] = [];
		for (const item of value) {
			if (isScalar(item)) {
				out.push(`${indent}- ${yamlScalar(item, `${indent}  `)}`);
				continue;
			}
			const inner = yamlLines(item, `${indent}  `);
			if (Array.isArray(item) && item.length === 0) out.push(`${indent}- []`);
			else if (!Array.isArray(item) && Object.keys(item).length === 0) out.push(`${indent}- {}`);
			else out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
		}
		return out;
	}
	if (isScalar(value)) return [`${indent}${yamlScalar(value, `${indent}  `)}`];
	const out: string[] = [];
	for (const [key, v] of Object.entries(value)) {
		if (v === undefined) continue;
		if (isScalar(v)) out.push(`${indent}${yamlKey(key)}: ${yamlScalar(v, `${indent}  `)}`);
		else if (Array.isArray(v) && v.length === 0) out.push(`${indent}${yamlKey(key)}: []`);
		else if (!Array.isArray(v) && Object.keys(v).length === 0) out.push(`${indent}${yamlKey(key)}: {}`);
		else out.push(`${indent}${yamlKey(key)}:`, ...yamlLines(v, `${indent}  `));
	}
	return out;
}

export function toYaml(value: Yaml): string {
	return `${yamlLines(value, '').join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Templates as Ansible values

/**
 * Literal text of a template that also uses variables: each literal part becomes a task variable holding it
 * !unsafe, and the value is one Jinja expression concatenating variables only. No literal text is ever inside
 * a Jinja expression, so no quoting or escaping can go wrong (Ansible doubles backslashes in Jinja string
 * literals, and braces would look like Jinja).
 */
class TaskTexts {
	readonly vars: Record<string, Yaml> = {};
	private count = 0;

	private literal(text: string): string {
		for (const [name, value] of Object.entries(this.vars)) {
			if (value instanceof Unsafe && value.text === text) return name;
		}
		const name = `osc_text_${++this.count}`;
		this.vars[name] = unsafe(text);
		return name;
	}

	/** The template as a Jinja expression (without braces). */
	expression(template: string): string {
		const parts = parseTemplate(template);
		if (parts.length === 0) return this.literal('');
		return parts.map((p) => ('variable' in p ? ansibleVar(p.variable) : this.literal(p.literal))).join(' ~ ');
	}

	/** The template as a module argument: a literal (unsafe), or one Jinja expression. */
	value(template: string): Yaml {
		const parts = parseTemplate(template);
		if (!parts.some((p) => 'variable' in p)) return unsafe(template);
		return `{{ ${this.expression(template)} }}`;
	}

	/** The literals as `vars:` for the task (or block) that uses them, if any. */
	get taskVars(): Record<string, Yaml> | undefined {
		return Object.keys(this.vars).length ? { ...this.vars } : undefined;
	}
}

/** A task or play name: placeholders shown as shell variables, never templated. */
function nameOf(text: string): Unsafe {
	return unsafe(asScriptText(text).replace(/"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"/g, '${$1}'));
}

// ---------------------------------------------------------------------------------------------------------
// Tasks

type Task = { [key: string]: Yaml | undefined };

interface BuildContext {
	runbook: Runbook;
	profile: Profile;
	/** Any node of the profile: the renderer needs one, the values it puts in the header are not used. */
	anyNode: ProfileNode;
	secrets: Set<SecretName>;
	variables: Set<string>;
}

/** A shell task: values through the environment, secrets through stdin, helper functions inlined. */
function shellTask(
	ctx: BuildContext,
	name: string,
	body: string,
	variables: Iterable<string>,
	helpers: string[] = [],
): Task {
	const plain = new Set<string>();
	const secret = new Set<SecretName>();
	for (const v of variables) {
		if (isSecretName(v)) secret.add(v);
		else plain.add(v);
	}
	for (const v of plain) ctx.variables.add(v);
	for (const s of secret) ctx.secrets.add(s);
	const script = [
		'set -eu',
		'umask 077',
		...(secret.size
			? ['# secrets: NAME=value lines on stdin (from the vault), never on a command line', 'eval "$(cat)"']
			: []),
		...helpers,
		body.trimEnd(),
		'',
	].join('\n');
	const task: Task = {
		name: nameOf(name),
		'ansible.builtin.shell': {
			cmd: unsafe(script),
			executable: '/bin/sh',
			stdin: secret.size
				? [...secret]
						.sort()
						.map((s) => `${s}={{ ${ansibleVar(s)} | quote }}`)
						.join('\n')
				: undefined,
		},
	};
	if (plain.size) {
		task.environment = Object.fromEntries([...plain].sort().map((v) => [v, `{{ ${ansibleVar(v)} }}`]));
	}
	return task;
}

/** The renderer's snippet for one action, with the helper functions it needs (the console's exact text). */
function renderedSnippet(ctx: BuildContext, section: RunbookSection, action: Action) {
	const step = RunbookStep.parse({
		id: 'export',
		title: 'export',
		on: 'all',
		actions: [{ ...action, when: undefined }],
	});
	const rendered = renderStep(ctx.runbook, section, step, ctx.profile, ctx.anyNode);
	const { parts } = rendered;
	const only = parts.actions[0];
	if (parts.actions.length !== 1 || !only) throw new ExportError('expected exactly one rendered action');
	return {
		body: `${only.script}\n`,
		helpers: parts.helpers
			.filter((h) => h.name !== 'osc_action')
			.sort((a, b) => helperOrder(a.name) - helperOrder(b.name))
			.map((h) => h.text),
		variables: [...parts.values.map((v) => v.name), ...rendered.secrets],
	};
}

function templatesVariables(templates: string[]): string[] {
	return [...new Set(templates.flatMap(templateVariables))];
}

function noteVariables(ctx: BuildContext, templates: string[]): boolean {
	let secret = false;
	for (const v of templatesVariables(templates)) {
		if (isSecretName(v)) {
			ctx.secrets.add(v);
			secret = true;
		} else ctx.variables.add(v);
	}
	return secret;
}

function iniTasks(
	ctx: BuildContext,
	action: Extract<Action, { kind: 'ini' }>,
	title: string,
	texts: TaskTexts,
): Task[] {
	noteVariables(ctx, [action.file, ...action.set.flat(), ...action.unset.flat()]);
	const file = texts.value(action.file);
	const tasks: Task[] = [];
	const sections = [...new Set(action.set.map(([s]) => s))];
	if (sections.length) {
		tasks.push(
			{
				name: nameOf(`${title}: which sections exist`),
				'ansible.builtin.lineinfile': {
					path: file,
					regexp: '^[ \\t]*\\[{{ item | regex_escape }}\\][ \\t]*$',
					state: 'absent',
				},
				check_mode: true,
				changed_when: false,
				register: 'osc_ini_sections',
				loop: sections.map(unsafe),
			},
			{
				name: nameOf(`${title}: add missing sections as the console does (blank line, header)`),
				'ansible.builtin.lineinfile': {
					path: file,
					line: '\n[{{ item.item }}]',
					insertafter: 'EOF',
					create: false,
				},
				loop: '{{ osc_ini_sections.results }}',
				loop_control: { label: '{{ item.item }}' },
				when: '(item.found | default(0)) == 0',
			},
		);
	}
	if (action.set.length) {
		const secret = action.set.some(([, , v]) => templateVariables(v).some(isSecretName));
		tasks.push({
			name: nameOf(`${title}: set`),
			'community.general.ini_file': {
				path: file,
				section: '{{ item.section }}',
				option: '{{ item.option }}',
				value: '{{ item.value }}',
				state: 'present',
				create: false,
				no_extra_spaces: false,
			},
			loop: action.set.map(([section, option, value]) => ({
				section: unsafe(section),
				option: unsafe(option),
				value: texts.value(value),
			})),
			loop_control: { label: '[{{ item.section }}] {{ item.option }}' },
			diff: secret ? false : undefined,
		});
	}
	if (action.unset.length) {
		tasks.push({
			name: nameOf(`${title}: remove`),
			'community.general.ini_file': {
				path: file,
				section: '{{ item.section }}',
				option: '{{ item.option }}',
				state: 'absent',
			},
			loop: action.unset.map(([section, option]) => ({ section: unsafe(section), option: unsafe(option) })),
			loop_control: { label: '[{{ item.section }}] {{ item.option }}' },
		});
	}
	return tasks;
}

function fileTasks(
	ctx: BuildContext,
	action: Extract<Action, { kind: 'file' }>,
	title: string,
	texts: TaskTexts,
): Task[] {
	const secret = noteVariables(ctx, [action.path, action.content]);
	const dest = texts.value(action.path);
	const parent = `{{ (${texts.expression(action.path)}) | dirname }}`;
	const content = texts.value(action.content);
	const [owner, group] = action.owner.split(':') as [string, string | undefined];
	const mode = action.mode.length === 3 ? `0${action.mode}` : action.mode;
	const tasks: Task[] = [
		{
			name: nameOf(`${title}: parent directory`),
			'ansible.builtin.stat': { path: parent },
			register: 'osc_parent',
		},
		{
			name: nameOf(`${title}: create the parent directory as the console does (mode 0700)`),
			'ansible.builtin.file': { path: parent, state: 'directory', mode: '0700' },
			when: 'not osc_parent.stat.exists',
		},
		{
			name: nameOf(title),
			'ansible.builtin.copy': {
				dest,
				content,
				mode,
				owner,
				// like chown OWNER: the group is left alone unless the action names one
				group,
			},
			diff: secret ? false : undefined,
		},
	];
	return tasks;
}

function packagesTasks(ctx: BuildContext, action: Extract<Action, { kind: 'packages' }>, title: string): Task[] {
	const apt = ctx.runbook.os.packageManager === 'apt';
	if (action.upgrade) {
		return [
			apt
				? { name: nameOf(title), 'ansible.builtin.apt': { upgrade: 'dist', update_cache: true } }
				: { name: nameOf(title), 'ansible.builtin.yum': { name: '*', state: 'latest' } },
		];
	}
	const install: Task = {
		name: nameOf(title),
		'ansible.builtin.package': {
			name: action.names,
			state: 'present',
			use: ctx.runbook.os.packageManager,
			// passed on to the apt module: the console's --no-install-recommends, and apt-get update when needed
			install_recommends: apt && action.noRecommends ? false : undefined,
			update_cache: apt ? true : undefined,
			cache_valid_time: apt ? 86400 : undefined,
			// the apt and yum modules wait for the package manager's lock this long
			lock_timeout: action.lockTimeoutSec,
		},
	};
	if (!(apt && action.noStart)) return [install];
	return [
		{
			name: nameOf(`${title} (services not started: policy-rc.d, as the console does)`),
			block: [
				{
					name: 'keep package scripts from starting services (policy-rc.d)',
					'ansible.builtin.copy': {
						dest: '/usr/sbin/policy-rc.d',
						content: '#!/bin/sh\nexit 101\n',
						mode: '0755',
						force: false,
					},
					register: 'osc_policy_rc',
				},
				install,
			],
			always: [
				{
					name: 'remove the policy-rc.d this task added',
					'ansible.builtin.file': { path: '/usr/sbin/policy-rc.d', state: 'absent' },
					when: 'osc_policy_rc is defined and osc_policy_rc is changed',
				},
			],
		},
	];
}

function serviceTasks(action: Extract<Action, { kind: 'service' }>, title: string): Task[] {
	return [
		{
			name: nameOf(title),
			'ansible.builtin.service': {
				name: '{{ item }}',
				state: action.state,
				enabled: action.enable ? true : undefined,
			},
			loop: action.names.map(unsafe),
		},
	];
}

/** The per-node part of a condition (notOn), as a `when` test; the rest is decided for the profile. */
function notOnWhen(condition: Condition | undefined): string | undefined {
	return condition?.notOn ? `'${condition.notOn}' not in group_names` : undefined;
}

function withoutNotOn(condition: Condition | undefined): Condition | undefined {
	if (!condition) return undefined;
	const { notOn: _n, ...rest } = condition;
	return rest;
}

function actionTasks(
	ctx: BuildContext,
	section: RunbookSection,
	action: Action,
	title: string,
	texts: TaskTexts,
): Task[] {
	switch (action.kind) {
		case 'ini':
			return iniTasks(ctx, action, title, texts);
		case 'file':
			return fileTasks(ctx, action, title, texts);
		case 'packages':
			return packagesTasks(ctx, action, title);
		case 'service':
			// a restart that depends on the files' checksums is the console's own shell function
			if (!action.restartWhenChanged) return serviceTasks(action, title);
			return [snippetTask(ctx, section, action, title)];
		default:
			return [snippetTask(ctx, section, action, title)];
	}
}

/** A shell task running the renderer's own text for the action. */
function snippetTask(ctx: BuildContext, section: RunbookSection, action: Action, title: string): Task {
	const snippet = renderedSnippet(ctx, section, action);
	return shellTask(ctx, title, snippet.body, snippet.variables, snippet.helpers);
}

function hostPattern(step: RunbookStep): string {
	const base = step.on;
	return step.when?.notOn ? `${base}:!${step.when.notOn}` : base;
}

function stepPlay(ctx: BuildContext, section: RunbookSection, step: RunbookStep): Task {
	const tasks: Task[] = [];
	const key = `${section.id}/${step.id}`;
	if (step.check) {
		tasks.push(
			{
				// as the console's `if ( check ); then`: set -e does not apply inside the condition
				...shellTask(
					ctx,
					`already done? ${step.check}`,
					`if ( ${asScriptText(step.check).trim()} ); then exit 0; fi\nexit 1`,
					templatesVariables([step.check]),
				),
				register: 'osc_check',
				changed_when: false,
				failed_when: false,
			},
			{
				name: 'already done on this node: nothing to change',
				'ansible.builtin.meta': 'end_host',
				when: 'osc_check.rc == 0',
			},
		);
	}
	const actions = step.actions.filter((a) => conditionHolds(withoutNotOn(a.when), ctx.runbook, ctx.profile));
	const total = actions.length + (step.verify ? 1 : 0);
	actions.forEach((action, index) => {
		const title = `${index + 1}/${total} ${describeAction(action)}`;
		const texts = new TaskTexts();
		const produced = actionTasks(ctx, section, action, title, texts);
		const when = notOnWhen(action.when);
		if (produced.length === 1 && !('block' in produced[0]!)) {
			tasks.push({ ...produced[0]!, when, vars: texts.taskVars });
		} else {
			tasks.push({ name: nameOf(title), block: produced, when, vars: texts.taskVars });
		}
	});
	if (step.verify) {
		const first = step.verify.trim().split('\n');
		tasks.push({
			...shellTask(
				ctx,
				`${total}/${total} verify: ${first[0]}${first.length > 1 ? ' …' : ''}`,
				`( ${asScriptText(step.verify).trim()} )`,
				templatesVariables([step.verify]),
			),
			changed_when: false,
		});
	}
	return {
		name: nameOf(`${key}: ${step.title}`),
		hosts: hostPattern(step),
		gather_facts: false,
		any_errors_fatal: true,
		tags: [unsafe(section.id), unsafe(key)],
		// the console's step timeout, per task
		vars: { osc_step_timeout: step.timeoutSec },
		tasks: tasks.map((t) => ({ ...t, timeout: '{{ osc_step_timeout }}' })),
	};
}

// ---------------------------------------------------------------------------------------------------------
// Inventory and variables

function iniValue(value: string): string {
	return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : JSON.stringify(value);
}

export interface AnsibleExportOptions {
	/** The ssh config the console resolves node hosts with (default: the console's default, see ssh-config.ts). */
	sshConfig?: string | null;
	/** The console's own known_hosts (keys accepted in the console), trusted by the export's ssh too. Default: the console home's. */
	consoleKnownHosts?: string;
	/** Home directory for ~/.ssh/known_hosts (default os.homedir()). */
	home?: string;
}

function resolveNodes(nodes: ProfileNode[], sshConfig: string | null, home: string): Map<string, ResolvedHost> {
	// ssh itself connects for Ansible: a ProxyCommand is its business, only port and user matter here
	const resolver = new SshConfigResolver({ file: sshConfig, home, proxyCommand: 'ignore' });
	return new Map(nodes.map((n) => [n.name, resolver.resolve(n.host, explicitFromProfile(n))]));
}

function inventory(
	profile: Profile,
	nodes: ProfileNode[],
	resolved: Map<string, ResolvedHost>,
	header: string[],
): string {
	const lines = [...header.map((h) => `# ${h}`), ''];
	const described = new Set<string>();
	for (const group of ['controller', 'compute'] as const) {
		lines.push(`[${group}]`);
		for (const node of nodes.filter((n) => n.roles.includes(group))) {
			if (described.has(node.name)) {
				lines.push(node.name);
				continue;
			}
			described.add(node.name);
			const r = resolved.get(node.name)!;
			const vars: [string, string][] = [
				// the host as the profile names it: ssh applies its own config (HostName, ProxyJump, ...) to an alias
				['ansible_host', node.host],
				['ansible_port', String(r.port)],
				['ansible_user', r.user],
			];
			if (node.auth.type === 'key') vars.push(['ansible_ssh_private_key_file', node.auth.keyFile]);
			if (node.sudo && r.user !== 'root') vars.push(['ansible_become', 'true']);
			vars.push(
				['osc_node_name', node.name],
				['osc_node_ip', node.managementIp],
				['osc_provider_iface', node.providerInterface ?? profile.network.providerInterface],
			);
			lines.push(`${node.name} ${vars.map(([k, v]) => `${k}=${iniValue(v)}`).join(' ')}`);
		}
		lines.push('');
	}
	return lines.join('\n');
}

function header(runbook: Runbook, profile: Profile, profileLabel?: string): string[] {
	return [
		`os-console export (ansible): runbook ${runbook.id} (${runbook.title})`,
		`profile ${profile.name}${profileLabel ? ` (${profileLabel})` : ''}; generated, edit the profile and export again rather than this file`,
	];
}

// ---------------------------------------------------------------------------------------------------------
// The export

export function renderAnsibleExport(request: ExportRequest, options: AnsibleExportOptions = {}): ExportFile[] {
	const { runbook, profile, nodes, secrets, profileLabel } = request;
	if (nodes.length === 0) throw new ExportError('no nodes to export');
	const ctx: BuildContext = {
		runbook,
		profile,
		anyNode: nodes[0]!,
		secrets: new Set(),
		variables: new Set(),
	};
	const wanted = new Set(nodes.map((n) => n.name));
	const head = header(runbook, profile, profileLabel);
	const files: ExportFile[] = [];
	const imports: string[] = [];
	runbook.sections.forEach((section, index) => {
		const plays: Task[] = [];
		const skipped: string[] = [];
		for (const step of section.steps) {
			const on = nodesForStep(runbook, step, profile).filter((n) => wanted.has(n.name));
			if (on.length === 0) {
				skipped.push(`${section.id}/${step.id}`);
				continue;
			}
			plays.push(stepPlay(ctx, section, step));
		}
		if (plays.length === 0) return;
		const file = `${String(index + 1).padStart(2, '0')}-${section.id}.yml`;
		imports.push(file);
		const comment = [
			...head,
			`section ${section.id}: ${section.title} (guide: ${section.guide})`,
			'one play per step, in order; a step whose check passes on a host is skipped there (already done)',
			...(skipped.length ? [`not for this profile: ${skipped.join(', ')}`] : []),
		];
		files.push({
			path: file,
			content: `${comment.map((c) => `# ${c}`).join('\n')}\n---\n${toYaml(plays)}`,
			mode: 0o644,
			secret: false,
		});
	});
	if (imports.length === 0) throw new ExportError(`no step of runbook ${runbook.id} applies to the chosen nodes`);

	const used = [...ctx.secrets].sort((a, b) => SECRET_NAMES.indexOf(a) - SECRET_NAMES.indexOf(b));
	const home = options.home ?? os.homedir();
	const sshConfig = options.sshConfig === undefined ? defaultSshConfigFile(process.env, home) : options.sshConfig;
	const resolved = resolveNodes(nodes, sshConfig, home);
	const chosen = profile.ssh?.knownHostsFile;
	const knownHosts = [
		...new Set([
			path.join(home, '.ssh', 'known_hosts'),
			options.consoleKnownHosts ?? path.join(consoleHome(), 'known_hosts'),
			// the file the profile records accepted keys in, when it names one (ssh.knownHostsFile)
			...(chosen && chosen !== 'console' && chosen !== 'user' ? [path.resolve(expandHome(chosen, home))] : []),
			...[...resolved.values()].flatMap((r) => [...r.knownHostsFiles, ...r.jumps.flatMap((j) => j.knownHostsFiles)]),
		]),
	];
	// ssh reads ~/.ssh/config itself; another config (or none) is passed on, as the console used it
	const configArg = sshConfig === path.join(home, '.ssh', 'config') ? undefined : (sshConfig ?? '/dev/null');
	const sshArgs = [
		...(configArg ? [`-F ${JSON.stringify(configArg)}`] : []),
		`-o UserKnownHostsFile="${knownHosts.join(' ')}"`,
	].join(' ');

	const globals = Object.keys(PROFILE_VARIABLES).filter((n) => !PER_NODE.has(n));
	const vars: Record<string, Yaml> = {
		ansible_ssh_common_args: unsafe(sshArgs),
	};
	for (const name of globals) vars[ansibleVar(name)] = unsafe(variableValue(runbook, profile, ctx.anyNode, name));
	for (const s of runbook.settings) vars[ansibleVar(s.name)] = unsafe(profile.settings[s.name] ?? s.default);
	for (const name of used) vars[ansibleVar(name)] = `{{ ${vaultVar(name)} }}`;
	files.push({
		path: 'group_vars/all/vars.yml',
		content: [
			...head.map((h) => `# ${h}`),
			'# Values from the profile (non-secret) and the runbook settings; node values are in inventory.ini.',
			'# ansible_ssh_common_args: the known_hosts files the console trusts (and its ssh config, if not the default).',
			'# Secrets: each osc_NAME below reads vault_osc_NAME from vault.yml beside this file.',
			'---',
			toYaml(vars).trimEnd(),
			'',
		].join('\n'),
		mode: 0o644,
		secret: false,
	});

	const vaultLines = [
		...head.map((h) => `# ${h}`),
		'# The secrets the playbooks use, as variables (never inline in a playbook). Keep this file encrypted:',
		'#   ansible-vault encrypt group_vars/all/vault.yml',
		'# then run with --ask-vault-pass (or --vault-password-file FILE).',
	];
	if (secrets) {
		vaultLines.push(
			'# Exported with --reveal-secrets: the values below are in clear text until you encrypt the file.',
			'---',
			toYaml(Object.fromEntries(used.map((name) => [vaultVar(name), unsafe(secrets[name])]))).trimEnd(),
			'',
		);
	} else {
		vaultLines.push(
			'# The values were not exported (os-console export --reveal-secrets writes them; os-console secrets',
			'# --reveal NAME shows one). Fill each in (8-128 characters of letters, digits, _ and -), then encrypt.',
			'---',
			...(used.length ? used.map((name) => `# ${vaultVar(name)}: ''`) : ['{}']),
			'',
		);
	}
	files.push({
		path: 'group_vars/all/vault.yml',
		content: vaultLines.join('\n'),
		mode: 0o600,
		secret: secrets !== undefined,
	});

	files.push({
		path: 'inventory.ini',
		content: inventory(profile, nodes, resolved, head),
		mode: 0o644,
		secret: false,
	});
	files.push({
		path: 'site.yml',
		content: [
			...head.map((h) => `# ${h}`),
			'# Everything, in the runbook order:   ansible-playbook site.yml --ask-vault-pass',
			'# One section:                        ansible-playbook 03-keystone.yml --ask-vault-pass',
			'# One step (tags: section, section/step):  ansible-playbook site.yml --tags keystone/bootstrap',
			'# Nodes whose user is not root need sudo rights (become); --ask-become-pass when sudo asks for a password.',
			'---',
			toYaml(imports.map((file) => ({ 'ansible.builtin.import_playbook': file }))).trimEnd(),
			'',
		].join('\n'),
		mode: 0o644,
		secret: false,
	});
	files.push({
		path: 'ansible.cfg',
		content: [
			...head.map((h) => `# ${h}`),
			'[defaults]',
			'inventory = inventory.ini',
			'interpreter_python = auto_silent',
			'# the console runs a step on up to 16 nodes at once',
			'forks = 16',
			'',
			'[ssh_connection]',
			'pipelining = True',
			'',
		].join('\n'),
		mode: 0o644,
		secret: false,
	});
	return files;
}
