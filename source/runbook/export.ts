/**
 * Views of a runbook for reading and running without the console: the bash export (one self-contained script
 * per node) and the operator's document. Both are built from `renderStep`, the code the console's runner uses,
 * so what is exported is what the console runs: `renderStep` returns the pieces of each step script (its values,
 * secrets loader, helper functions and body); the export keeps every body verbatim, in runbook order, each in its
 * own subshell, and states the values, the secrets and the helper functions once at the top.
 */
import path from 'node:path';
import type { Profile, ProfileNode } from '../profile/schema.js';
import { shellQuoteAlways } from '../util/shell.js';
import { renderAnsibleExport } from './export-ansible.js';
import type { Action, Runbook, RunbookSection, RunbookStep } from './model.js';
import { PRELUDE_FUNCTIONS } from './prelude.js';
import { activeActions, describeAction, MASK, nodesForStep, renderSecretsEnv, renderStep } from './render.js';
import { substitute } from './template.js';
import { isSecretName, PROFILE_VARIABLES, type SecretName, type Secrets, variableValue } from './variables.js';

export class ExportError extends Error {
	override name = 'ExportError';
}

/** Helpers in a fixed order across steps (credentials, interpreter, prelude functions). */
export function helperOrder(key: string): number {
	if (key === 'osc_creds_admin') return 0;
	if (key === 'osc_creds_demo') return 1;
	if (key === 'OSC_PYTHON') return 2;
	const index = Object.keys(PRELUDE_FUNCTIONS).indexOf(key);
	return index < 0 ? 1000 : 3 + index;
}

// ---------------------------------------------------------------------------------------------------------
// Planning

export interface PlannedNodeStep {
	key: string;
	section: RunbookSection;
	step: RunbookStep;
	node: ProfileNode;
}

/** The (step, node) pairs of a profile in runbook order, optionally for one section and/or one node. */
export function planNodeSteps(
	runbook: Runbook,
	profile: Profile,
	filter: { section?: string; node?: string } = {},
): PlannedNodeStep[] {
	const out: PlannedNodeStep[] = [];
	for (const section of runbook.sections) {
		if (filter.section && section.id !== filter.section) continue;
		for (const step of section.steps) {
			for (const node of nodesForStep(runbook, step, profile)) {
				if (filter.node && node.name !== filter.node) continue;
				out.push({ key: `${section.id}/${step.id}`, section, step, node });
			}
		}
	}
	return out;
}

/** Runs of consecutive steps on the same set of nodes, for the "order across nodes" the export prints. */
export function crossNodeOrder(runbook: Runbook, profile: Profile): { nodes: string[]; steps: string[] }[] {
	const phases: { nodes: string[]; steps: string[] }[] = [];
	for (const section of runbook.sections) {
		for (const step of section.steps) {
			const nodes = nodesForStep(runbook, step, profile).map((n) => n.name);
			if (nodes.length === 0) continue;
			const last = phases.at(-1);
			if (last && last.nodes.join(' ') === nodes.join(' ')) last.steps.push(`${section.id}/${step.id}`);
			else phases.push({ nodes, steps: [`${section.id}/${step.id}`] });
		}
	}
	return phases;
}

// ---------------------------------------------------------------------------------------------------------
// The bash export

export interface NodeScriptOptions {
	/** Put the secret values into the script; otherwise it reads them from a secrets.env the operator provides. */
	reveal?: boolean;
	/** Shown in the header: where the profile came from. */
	profileLabel?: string;
}

/** A line of `# ` comment text wrapped to the console's width. */
function comment(text: string): string[] {
	const words = text.split(' ');
	const lines: string[] = [];
	let line = '#';
	for (const w of words) {
		if (line.length + 1 + w.length > 118 && line !== '#') {
			lines.push(line);
			line = '#  ';
		}
		line += ` ${w}`;
	}
	lines.push(line);
	return lines;
}

const EXPORT_FUNCTIONS = `# osc_export_begin KEY INDEX TOTAL TITLE: banner; false for steps before OSC_FROM or from OSC_UNTIL on
osc_export_begin() {
	if [ "$osc_state" = before ]; then
		if [ "$1" = "$OSC_FROM" ]; then osc_state=running; else echo "skipped (before $OSC_FROM): $1"; return 1; fi
	fi
	if [ "$1" = "$OSC_UNTIL" ]; then osc_state=stopped; fi
	if [ "$osc_state" = stopped ]; then return 1; fi
	printf '\\n==> [%s/%s] %s: %s\\n' "$2" "$3" "$1" "$4"
}
# osc_export_failed KEY TITLE CODE: stop with a message that says how to go on
osc_export_failed() {
	echo "os-console: step $1 ($2) failed with exit code $3 on $OSC_NODE." >&2
	echo "os-console: fix the cause, then resume at this step: OSC_FROM=$1 bash $0" >&2
	exit "$3"
}`;

/**
 * One self-contained bash script that runs every step of the runbook that applies to `node`, in order.
 * Secrets: with `reveal`, assigned in the script; otherwise read from `$OSC_SECRETS` (default: secrets.env
 * beside the script) and shown nowhere. `secrets` may be omitted unless `reveal` is set.
 */
export function renderNodeScript(
	runbook: Runbook,
	profile: Profile,
	node: ProfileNode,
	secrets: Secrets | undefined,
	options: NodeScriptOptions = {},
): string {
	if (options.reveal && !secrets) throw new ExportError('revealing secrets needs the secrets');
	const planned = planNodeSteps(runbook, profile, { node: node.name });
	const assignments = new Map<string, string>();
	const helpers = new Map<string, string>();
	const secretNames = new Set<SecretName>();
	const blocks: string[] = [];
	planned.forEach((p, index) => {
		const rendered = renderStep(runbook, p.section, p.step, profile, node);
		const { parts } = rendered;
		for (const { name, line } of parts.values) {
			const prior = assignments.get(name);
			if (prior !== undefined && prior !== line) throw new ExportError(`${p.key}: ${name} differs between steps`);
			assignments.set(name, line);
		}
		for (const { name, text } of parts.helpers) helpers.set(name, text);
		for (const s of rendered.secrets) secretNames.add(s);
		const title = shellQuoteAlways(p.step.title);
		const key = shellQuoteAlways(p.key);
		blocks.push(
			'',
			`# ${'-'.repeat(117)}`,
			`# step ${index + 1}/${planned.length}: ${p.key}: ${p.step.title}${p.step.guide ? ` (guide: ${p.step.guide})` : ''}`,
			`if osc_export_begin ${key} ${index + 1} ${planned.length} ${title}; then`,
			'set +e',
			'(',
			'set -eu',
			parts.body,
			')',
			'osc_rc=$?',
			'set -e',
			`[ "$osc_rc" = 0 ] || osc_export_failed ${key} ${title} "$osc_rc"`,
			'fi',
		);
	});
	const names = [...secretNames].sort();
	const keys = planned.map((p) => p.key);
	const script: string[] = [
		'#!/bin/bash',
		`# os-console export: runbook ${runbook.id} (${runbook.title})`,
		`# node ${node.name} (${node.managementIp}, roles: ${node.roles.join(', ')}) of profile ${profile.name}${options.profileLabel ? ` (${options.profileLabel})` : ''}`,
		...comment(
			`${planned.length} steps, in the runbook's order, each in its own subshell: the same step scripts the console runs over SSH, with the values, the secrets and the helper functions stated once below.`,
		),
		'#',
		'# Run as root on this node:       bash <this file>',
		'# Resume at a step:               OSC_FROM=section/step bash <this file>',
		'# Stop before a step:             OSC_UNTIL=section/step bash <this file>',
		'# Not on this node, but certain:  OSC_FORCE=1 bash <this file>',
		...(options.reveal
			? ['# Secrets: in this file, in clear text (exported with --reveal-secrets): keep it as private as they are.']
			: [
					...comment(
						"Secrets: read from the file $OSC_SECRETS (default: secrets.env beside this script), which you provide: one NAME='value' line per secret, mode 0600. This script holds none. It needs:",
					),
					...names.map((n) => `#   ${n}=${MASK}`),
				]),
		'#',
		'# Order across nodes (the runbook runs steps in this order; give each node its part before the next):',
		...crossNodeOrder(runbook, profile).map(
			(phase, i) =>
				`#   ${String(i + 1).padStart(2)}. ${phase.nodes.join(', ')}: ${phase.steps[0]}${phase.steps.length > 1 ? ` .. ${phase.steps.at(-1)} (${phase.steps.length} steps)` : ''}`,
		),
		'set -eu',
		`OSC_NODE=${shellQuoteAlways(node.name)}`,
		'OSC_FROM="${OSC_FROM:-}"',
		'OSC_UNTIL="${OSC_UNTIL:-}"',
		`osc_known=${shellQuoteAlways(` ${keys.join(' ')} `)}`,
		'for osc_k in "$OSC_FROM" "$OSC_UNTIL"; do',
		'\tcase "$osc_known" in',
		'\t\t*" $osc_k "*) ;;',
		'\t\t*) if [ -n "$osc_k" ]; then echo "os-console: no step $osc_k on $OSC_NODE (steps:$osc_known)" >&2; exit 2; fi ;;',
		'\tesac',
		'done',
		'if [ -n "$OSC_FROM" ]; then osc_state=before; else osc_state=running; fi',
		'if [ "$(id -u)" != 0 ]; then echo "os-console: run this script as root" >&2; exit 2; fi',
		`if [ "\${OSC_FORCE:-}" != 1 ] && command -v ip >/dev/null 2>&1 && ! ip -o addr show | grep -q ${shellQuoteAlways(` ${node.managementIp}/`)}; then`,
		`\techo ${shellQuoteAlways(`os-console: this script is for ${node.name}, which has the management address ${node.managementIp}; this machine has no such address (OSC_FORCE=1 runs it anyway)`)} >&2`,
		'\texit 2',
		'fi',
		'',
		`# values from the profile (node ${node.name})`,
		...[...assignments.keys()].sort().map((name) => assignments.get(name)!),
		'',
	];
	if (names.length) {
		if (options.reveal) {
			script.push('# secrets (revealed)', renderSecretsEnv(secrets!, names).trimEnd());
		} else {
			script.push(
				'# secrets: from the file you provide',
				'OSC_SECRETS="${OSC_SECRETS:-$(dirname "$0")/secrets.env}"',
				'if [ ! -r "$OSC_SECRETS" ]; then',
				`\techo "os-console: cannot read the secrets file $OSC_SECRETS: create it (mode 0600) with one NAME='value' line for each of:" ${names.join(' ')} >&2`,
				'\texit 2',
				'fi',
				'if [ -n "$(find "$OSC_SECRETS" -perm /077 2>/dev/null)" ]; then echo "os-console: warning: $OSC_SECRETS is readable by others: chmod 600 $OSC_SECRETS" >&2; fi',
				'# shellcheck source=/dev/null',
				'. "$OSC_SECRETS"',
				...names.map((n) => `: "\${${n}:?os-console: ${n} is missing from $OSC_SECRETS}"`),
			);
		}
		script.push('');
	}
	script.push(
		'# helper functions (the console defines the same ones in each step script)',
		...[...helpers.entries()].sort((a, b) => helperOrder(a[0]) - helperOrder(b[0])).map(([, text]) => text),
		EXPORT_FUNCTIONS,
		...blocks,
		'',
		'if [ "$osc_state" = stopped ]; then echo "os-console: stopped before $OSC_UNTIL on $OSC_NODE"; exit 0; fi',
		`echo "os-console: ${planned.length} steps done on $OSC_NODE"`,
		'',
	);
	return script.join('\n');
}

/** The secrets.env template an operator fills in for the exported scripts (names only, no values). */
export function renderSecretsTemplate(runbook: Runbook, profile: Profile): string {
	const names = new Set<SecretName>();
	for (const p of planNodeSteps(runbook, profile)) {
		for (const s of renderStep(runbook, p.section, p.step, profile, p.node).secrets) names.add(s);
	}
	return [
		`# secrets for the ${runbook.id} scripts of profile ${profile.name}: fill in, save as secrets.env, chmod 600`,
		'# values: 8 to 128 characters of letters, digits, _ and -',
		...[...names].sort().map((n) => `${n}=''`),
		'',
	].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Export formats: `bash` here, `ansible` in export-ansible.ts; another format registers an exporter in EXPORTERS.

export interface ExportFile {
	/** Relative to the output directory. */
	path: string;
	content: string;
	mode: number;
	/** Holds secret values (mode 0600/0700, and the command warns). */
	secret: boolean;
}

export interface ExportRequest {
	runbook: Runbook;
	profile: Profile;
	nodes: ProfileNode[];
	/** Present only with --reveal-secrets. */
	secrets?: Secrets;
	profileLabel?: string;
}

export interface Exporter {
	describe: string;
	render(request: ExportRequest): ExportFile[];
	/** Writes several files (needs --out), never one script to standard output. */
	directoryOnly?: boolean;
	/** What to do next, printed after the files are written to `dir`. */
	hint?(dir: string, revealed: boolean): string;
}

export const EXPORTERS: Record<string, Exporter> = {
	bash: {
		describe: 'one self-contained bash script per node (NODE.sh), plus secrets.env.example unless secrets are revealed',
		render({ runbook, profile, nodes, secrets, profileLabel }) {
			const reveal = secrets !== undefined;
			const files: ExportFile[] = nodes.map((node) => ({
				path: `${node.name}.sh`,
				content: renderNodeScript(runbook, profile, node, secrets, { reveal, profileLabel }),
				mode: reveal ? 0o700 : 0o755,
				secret: reveal,
			}));
			if (!reveal) {
				files.push({
					path: 'secrets.env.example',
					content: renderSecretsTemplate(runbook, profile),
					mode: 0o600,
					secret: false,
				});
			}
			return files;
		},
	},
	ansible: {
		describe:
			'an inventory, group_vars (values; secrets in a vault-ready vault.yml) and one playbook per section (NN-SECTION.yml, site.yml)',
		directoryOnly: true,
		render: (request) => renderAnsibleExport(request),
		hint: (dir, revealed) =>
			revealed
				? `encrypt the secrets now: cd ${dir} && ansible-vault encrypt group_vars/all/vault.yml; then: ansible-playbook site.yml --ask-vault-pass\n`
				: `fill in the secrets in ${path.join(dir, 'group_vars/all/vault.yml')} and encrypt it (ansible-vault encrypt), then: cd ${dir} && ansible-playbook site.yml --ask-vault-pass\n`,
	},
};

/** Formats other issues will add; asking for one says so instead of "unknown". */
export const PLANNED_FORMATS: readonly string[] = [];

// ---------------------------------------------------------------------------------------------------------
// The operator's document

/** Placeholders in a template as the document shows them: profile values, per-node names, secrets by name. */
function docText(template: string, runbook: Runbook, profile: Profile, node: ProfileNode, perNode: boolean): string {
	return substitute(template, (name) => {
		if (isSecretName(name)) return name;
		if (perNode && ['NODE_NAME', 'NODE_IP', 'PROVIDER_IFACE'].includes(name)) return `<${name}>`;
		return variableValue(runbook, profile, node, name);
	});
}

function whenText(when: { networking?: string; setting?: { name: string; equals: string } } | undefined): string {
	if (!when) return '';
	const parts: string[] = [];
	if (when.networking)
		parts.push(`networking option ${when.networking === 'provider' ? '1 (provider)' : '2 (self-service)'}`);
	if (when.setting) parts.push(`${when.setting.name} = ${when.setting.equals}`);
	return parts.join(', ');
}

function fence(lang: string, text: string): string[] {
	const body = text.replace(/\n+$/, '');
	const ticks = body.includes('```') ? '````' : '```';
	return [`${ticks}${lang}`, body, ticks];
}

function actionDoc(action: Action, text: (t: string) => string, runbook: Runbook): string[] {
	const out: string[] = [];
	switch (action.kind) {
		case 'shell':
			out.push(...fence('sh', text(action.script)));
			break;
		case 'ini': {
			const lines = [`# ${text(action.file)}`];
			let current = '';
			for (const [section, key, value] of action.set) {
				if (section !== current) {
					lines.push(`[${section}]`);
					current = section;
				}
				lines.push(`${key} = ${text(value)}`);
			}
			for (const [section, key] of action.unset) lines.push(`# remove from [${section}]: ${key}`);
			out.push(...fence('ini', lines.join('\n')));
			break;
		}
		case 'file':
			out.push(
				`\`${text(action.path)}\` (mode ${action.mode}, owner ${action.owner}):`,
				'',
				...fence('', text(action.content)),
			);
			break;
		case 'packages':
			if (action.lockTimeoutSec !== undefined)
				out.push(
					`When another process (unattended-upgrades, say) holds the package manager's lock, wait for it, at most ${action.lockTimeoutSec} s.`,
					'',
				);
			out.push(
				...fence(
					'sh',
					runbook.os.packageManager === 'yum'
						? action.upgrade
							? 'yum -y upgrade'
							: `yum install -y ${action.names.join(' ')}`
						: action.upgrade
							? 'apt-get -y dist-upgrade'
							: `apt-get install -y ${action.names.join(' ')}`,
				),
			);
			break;
		case 'service': {
			const verb = action.state === 'started' ? 'start' : action.state === 'restarted' ? 'restart' : 'stop';
			const lines = [
				...(action.enable ? [`systemctl enable ${action.names.join(' ')}`] : []),
				`systemctl ${verb} ${action.names.join(' ')}`,
			];
			if (action.restartWhenChanged)
				out.push(
					`Restarted only when one of these changed since its last restart, or when it is not running: ${action.restartWhenChanged.map((f) => `\`${text(f)}\``).join(', ')}.`,
					'',
				);
			out.push(...fence('sh', lines.join('\n')));
			break;
		}
		case 'sql':
			out.push(
				runbook.sqlAuth === 'socket'
					? 'As the database root user, over the unix socket without a password (`mysql -u root`):'
					: 'As the database root user, with its password `DB_ROOT_PASS` (`mysql -u root -p`):',
				'',
				...fence('sql', text(action.sql)),
			);
			break;
		case 'openstack': {
			const args = action.args.map((a) => {
				const t = text(a);
				return /^[A-Za-z0-9_@%+=:,./<>-]+$/.test(t) ? t : `"${t}"`;
			});
			const lines = [`. ${action.creds}-openrc`, `openstack ${args.join(' ')}`];
			if (action.unless)
				lines.push(`# skipped when this prints something: openstack ${action.unless.map(text).join(' ')}`);
			out.push(...fence('sh', lines.join('\n')));
			break;
		}
		case 'wait':
			out.push(`Wait up to ${action.timeoutSec} s until this succeeds:`, '', ...fence('sh', text(action.until)));
			if (action.failWhen !== undefined)
				out.push('', 'Stop waiting, and fail, as soon as this succeeds:', '', ...fence('sh', text(action.failWhen)));
			break;
	}
	return out;
}

/**
 * The runbook as an operator reads it: sections, steps, the nodes each runs on, and each action's commands
 * with the example profile's values filled in (secrets by name, per-node values as <NODE_IP> and the like).
 */
export function renderRunbookDoc(runbook: Runbook, profile: Profile, generator: string): string {
	const controller = profile.nodes.find((n) => n.roles.includes('controller'))!;
	const out: string[] = [
		`# Runbook \`${runbook.id}\`: ${runbook.title}`,
		'',
		`<!-- Generated by ${generator} from the runbook data; do not edit. A test fails when this file is stale. -->`,
		'',
		runbook.description,
		'',
		`Target: ${runbook.os.id} ${runbook.os.version} (${runbook.os.packageManager}). Values below come from the example profile \`${profile.name}\` (${profile.nodes.map((n) => `${n.name} ${n.managementIp}`).join(', ')}); secrets appear by name (\`ADMIN_PASS\`), per-node values as \`<NODE_IP>\`. Steps marked with a networking option run only for profiles with that option.`,
		'',
		'`os-console plan --profile FILE` shows the exact scripts for a profile; `os-console export --profile FILE --format bash` writes them as one script per node.',
		'',
		'## Settings',
		'',
		'| Setting | Default | Meaning |',
		'| --- | --- | --- |',
		...runbook.settings.map((s) => `| \`${s.name}\` | \`${s.default}\` | ${s.describe} |`),
		'',
		'## Profile values',
		'',
		'| Name | Meaning |',
		'| --- | --- |',
		...Object.entries(PROFILE_VARIABLES).map(([name, def]) => `| \`${name}\` | ${def.describe} |`),
		'',
		'Secrets (generated per profile, kept in its state directory, never in a script or a command line): ',
		...collectSecrets(runbook)
			.map((n) => `\`${n}\``)
			.join(', ')
			.split('\n'),
		'',
		'## Sections',
		'',
		...runbook.sections.map((s, i) => `${i + 1}. [${s.title}](#${i + 1}-${slug(s.title)}): ${s.steps.length} steps`),
		'',
	];
	runbook.sections.forEach((section, si) => {
		out.push(`## ${si + 1}. ${section.title}`, '', `Guide: ${section.guide}`, '');
		section.steps.forEach((step, ti) => {
			const on = step.on === 'all' ? 'all nodes' : step.on === 'controller' ? 'the controller' : 'each compute node';
			const perNode = step.on !== 'controller';
			const text = (t: string) => docText(t, runbook, profile, controller, perNode);
			out.push(`### ${si + 1}.${ti + 1} ${step.title}`, '');
			out.push(`- Step: \`${section.id}/${step.id}\`, on ${on}${step.when ? `, only for ${whenText(step.when)}` : ''}`);
			if (step.guide) out.push(`- Guide: ${step.guide}`);
			out.push('');
			if (step.check) out.push('Skipped on a node where this succeeds:', '', ...fence('sh', text(step.check)), '');
			step.actions.forEach((action, ai) => {
				const cond = action.when ? ` *(only for ${whenText(action.when)})*` : '';
				out.push(`${ai + 1}. ${text(describeAction(action))}${cond}`, '');
				// every line of a multi-line block is indented, so the block stays inside its numbered item
				const lines = actionDoc(action, text, runbook).flatMap((l) => l.split('\n'));
				out.push(...lines.map((l) => (l === '' ? '' : `   ${l}`)), '');
			});
			if (step.verify) out.push('Verification:', '', ...fence('sh', text(step.verify)), '');
		});
	});
	return `${out
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trimEnd()}\n`;
}

function slug(title: string): string {
	return title
		.toLowerCase()
		.replace(/[^a-z0-9 -]/g, '')
		.trim()
		.replace(/ /g, '-');
}

function collectSecrets(runbook: Runbook): string[] {
	const names = new Set<string>();
	const re = /\{\{\s*([A-Z_][A-Z0-9_]*)\s*\}\}/g;
	const scan = (t: string) => {
		for (const m of t.matchAll(re)) if (isSecretName(m[1]!)) names.add(m[1]!);
	};
	for (const c of Object.values(runbook.credentials)) for (const t of Object.values(c)) scan(t);
	for (const section of runbook.sections) for (const step of section.steps) scan(JSON.stringify(step));
	if (runbook.sqlAuth === 'password') names.add('DB_ROOT_PASS');
	return [...names].sort();
}

/** Used by the plan view: the one-line descriptions of a step's active actions on a node, values filled in. */
export function describeStepForNode(
	runbook: Runbook,
	step: RunbookStep,
	profile: Profile,
	node: ProfileNode,
): string[] {
	const lookup = (name: string) => (isSecretName(name) ? MASK : variableValue(runbook, profile, node, name));
	const lines = activeActions(runbook, step, profile).map((a) => substitute(describeAction(a), lookup));
	if (step.verify) lines.push(`verify: ${substitute(step.verify, lookup)}`);
	return lines;
}
