/**
 * The first-run profile form: a draft of strings, the fields it shows, validation with the profile's zod
 * schema (and the runbook's setting patterns) mapped back onto fields, and a pure reducer for the keys.
 */

import { t } from '../i18n/index.js';
import { PROFILE_VERSION, type Profile, type ProfileInput, Profile as ProfileSchema } from '../profile/schema.js';
import type { RunbookSetting } from '../runbook/model.js';

export type RolesChoice = 'controller' | 'compute' | 'controller+compute';
export type AuthChoice = 'agent' | 'key' | 'password';

export interface NodeDraft {
	name: string;
	host: string;
	port: string;
	user: string;
	roles: RolesChoice;
	managementIp: string;
	auth: AuthChoice;
	keyFile: string;
	sudo: 'no' | 'yes';
}

export interface NetworkDraft {
	managementCidr: string;
	providerInterface: string;
	providerCidr: string;
	providerGateway: string;
	providerPoolStart: string;
	providerPoolEnd: string;
	providerDns: string;
	option: 'provider' | 'selfservice';
}

export interface FormDraft {
	name: string;
	runbook: string;
	nodes: NodeDraft[];
	network: NetworkDraft;
	/** Runbook settings; empty means the runbook's default. */
	settings: Record<string, string>;
}

export interface Choice {
	value: string;
	label: string;
}

export interface FieldDef {
	id: string;
	label: string;
	/** Heading the field sits under ("Profile", "Node 1", "Network", "Runbook settings"), in the operator's language. */
	group: string;
	/** What the heading is: a node's group can be removed, the settings' values default when empty. */
	groupKind?: 'node' | 'settings';
	kind: 'text' | 'choice' | 'button';
	choices?: Choice[];
	placeholder?: string;
	help?: string;
}

/** What the form needs to know about the world. */
export interface FormEnv {
	runbooks: { id: string; title: string }[];
	settingsOf(runbookId: string): RunbookSetting[];
	/** Problems with settings values for a runbook ("settings.NAME: ..."), from checkSettings. */
	checkSettings(runbookId: string, settings: Record<string, string>): string[];
	existingProfiles: string[];
}

const roleChoices = (): Choice[] => [
	{ value: 'controller+compute', label: t('form.choice.all-in-one') },
	{ value: 'controller', label: t('role.controller') },
	{ value: 'compute', label: t('role.compute') },
];
const authChoices = (): Choice[] => [
	{ value: 'agent', label: t('form.choice.agent') },
	{ value: 'key', label: t('form.choice.key') },
	{ value: 'password', label: t('form.choice.password') },
];
const sudoChoices = (): Choice[] => [
	{ value: 'no', label: t('form.choice.sudo-no') },
	{ value: 'yes', label: t('form.choice.sudo-yes') },
];
const optionChoices = (): Choice[] => [
	{ value: 'provider', label: t('form.choice.provider') },
	{ value: 'selfservice', label: t('form.choice.selfservice') },
];

export function newNode(index: number, existing: NodeDraft[]): NodeDraft {
	const names = new Set(existing.map((n) => n.name));
	let name = index === 0 ? 'controller' : `compute${index}`;
	for (let i = index; names.has(name); i++) name = `compute${i + 1}`;
	return {
		name,
		host: '',
		port: '22',
		user: 'root',
		roles: index === 0 ? 'controller+compute' : 'compute',
		managementIp: `10.0.0.${index === 0 ? 11 : 30 + index}`,
		auth: 'agent',
		keyFile: '',
		sudo: 'no',
	};
}

/** The guide's example values: an operator changes what differs instead of typing everything. */
export function initialDraft(env: Pick<FormEnv, 'runbooks'>): FormDraft {
	return {
		name: '',
		runbook: env.runbooks[0]?.id ?? '',
		nodes: [newNode(0, [])],
		network: {
			managementCidr: '10.0.0.0/24',
			providerInterface: 'eth1',
			providerCidr: '203.0.113.0/24',
			providerGateway: '203.0.113.1',
			providerPoolStart: '203.0.113.101',
			providerPoolEnd: '203.0.113.250',
			providerDns: '8.8.4.4',
			option: 'provider',
		},
		settings: {},
	};
}

export function formFields(draft: FormDraft, env: Pick<FormEnv, 'runbooks' | 'settingsOf'>): FieldDef[] {
	const profileGroup = t('form.group.profile');
	const fields: FieldDef[] = [
		{ id: 'name', label: t('form.field.name'), group: profileGroup, kind: 'text', placeholder: t('form.ph.name') },
		{
			id: 'runbook',
			label: t('form.field.runbook'),
			group: profileGroup,
			kind: 'choice',
			choices: env.runbooks.map((r) => ({ value: r.id, label: `${r.id}: ${r.title}` })),
		},
	];
	draft.nodes.forEach((node, i) => {
		const group = t('form.group.node', { number: i + 1 });
		const groupKind = 'node' as const;
		const p = `nodes.${i}.`;
		fields.push(
			{
				id: `${p}name`,
				label: t('form.field.hostName'),
				group,
				groupKind,
				kind: 'text',
				help: t('form.help.hostName'),
			},
			{
				id: `${p}host`,
				label: t('form.field.host'),
				group,
				groupKind,
				kind: 'text',
				placeholder: t('form.ph.host'),
			},
			{ id: `${p}port`, label: t('form.field.port'), group, groupKind, kind: 'text', placeholder: t('form.ph.port') },
			{ id: `${p}user`, label: t('form.field.user'), group, groupKind, kind: 'text', placeholder: t('form.ph.user') },
			{ id: `${p}roles`, label: t('form.field.roles'), group, groupKind, kind: 'choice', choices: roleChoices() },
			{ id: `${p}managementIp`, label: t('form.field.managementIp'), group, groupKind, kind: 'text' },
			{ id: `${p}auth`, label: t('form.field.auth'), group, groupKind, kind: 'choice', choices: authChoices() },
		);
		if (node.auth === 'key') {
			fields.push({
				id: `${p}keyFile`,
				label: t('form.field.keyFile'),
				group,
				groupKind,
				kind: 'text',
				placeholder: t('form.ph.keyFile'),
			});
		}
		fields.push({
			id: `${p}sudo`,
			label: t('form.field.sudo'),
			group,
			groupKind,
			kind: 'choice',
			choices: sudoChoices(),
		});
	});
	fields.push({ id: 'add-node', label: t('form.button.addNode'), group: t('form.group.nodes'), kind: 'button' });
	const n = 'network.';
	const network = t('form.group.network');
	fields.push(
		{ id: `${n}managementCidr`, label: t('form.field.managementCidr'), group: network, kind: 'text' },
		{
			id: `${n}providerInterface`,
			label: t('form.field.providerInterface'),
			group: network,
			kind: 'text',
			help: t('form.help.providerInterface'),
		},
		{ id: `${n}providerCidr`, label: t('form.field.providerCidr'), group: network, kind: 'text' },
		{ id: `${n}providerGateway`, label: t('form.field.providerGateway'), group: network, kind: 'text' },
		{ id: `${n}providerPoolStart`, label: t('form.field.poolStart'), group: network, kind: 'text' },
		{ id: `${n}providerPoolEnd`, label: t('form.field.poolEnd'), group: network, kind: 'text' },
		{
			id: `${n}providerDns`,
			label: t('form.field.dns'),
			group: network,
			kind: 'text',
			placeholder: t('form.ph.dns'),
		},
		{ id: `${n}option`, label: t('form.field.option'), group: network, kind: 'choice', choices: optionChoices() },
	);
	for (const setting of env.settingsOf(draft.runbook)) {
		fields.push({
			id: `settings.${setting.name}`,
			label: setting.name,
			group: t('form.group.settings'),
			groupKind: 'settings',
			kind: 'text',
			placeholder: t('form.ph.default', { value: setting.default === '' ? t('form.ph.empty') : setting.default }),
			help: setting.describe,
		});
	}
	fields.push({ id: 'save', label: t('form.button.save'), group: t('form.group.save'), kind: 'button' });
	return fields;
}

function nodeField(id: string): { index: number; key: keyof NodeDraft } | undefined {
	const match = /^nodes\.(\d+)\.(\w+)$/.exec(id);
	if (!match) return undefined;
	return { index: Number(match[1]), key: match[2] as keyof NodeDraft };
}

export function fieldValue(draft: FormDraft, id: string): string {
	if (id === 'name' || id === 'runbook') return draft[id];
	const node = nodeField(id);
	if (node) return draft.nodes[node.index]?.[node.key] ?? '';
	if (id.startsWith('network.')) return draft.network[id.slice('network.'.length) as keyof NetworkDraft] ?? '';
	if (id.startsWith('settings.')) return draft.settings[id.slice('settings.'.length)] ?? '';
	return '';
}

export function setFieldValue(draft: FormDraft, id: string, value: string): FormDraft {
	if (id === 'name' || id === 'runbook') return { ...draft, [id]: value };
	const node = nodeField(id);
	if (node) {
		const nodes = draft.nodes.map((n, i) => (i === node.index ? { ...n, [node.key]: value } : n));
		return { ...draft, nodes };
	}
	if (id.startsWith('network.'))
		return { ...draft, network: { ...draft.network, [id.slice('network.'.length)]: value } };
	if (id.startsWith('settings.'))
		return { ...draft, settings: { ...draft.settings, [id.slice('settings.'.length)]: value } };
	return draft;
}

/** The draft as the schema's input: numbers parsed, empty optional values left out. */
export function toProfileInput(draft: FormDraft): ProfileInput {
	const settings = Object.fromEntries(Object.entries(draft.settings).filter(([, v]) => v !== ''));
	return {
		version: PROFILE_VERSION,
		name: draft.name,
		runbook: draft.runbook,
		network: { ...draft.network },
		nodes: draft.nodes.map((n) => ({
			name: n.name,
			host: n.host,
			port: n.port === '' ? 22 : /^\d+$/.test(n.port) ? Number(n.port) : (n.port as unknown as number),
			user: n.user === '' ? 'root' : n.user,
			roles: n.roles === 'controller+compute' ? ['controller', 'compute'] : [n.roles],
			managementIp: n.managementIp,
			auth: n.auth === 'key' ? { type: 'key', keyFile: n.keyFile } : { type: n.auth },
			sudo: n.sudo === 'yes',
		})),
		settings,
	};
}

export interface Validation {
	/** Problems by field id. */
	errors: Record<string, string>;
	/** Problems that belong to no single field (the controller count). */
	general: string[];
	profile?: Profile;
}

function issueField(path: readonly PropertyKey[]): string {
	const parts = path.map(String);
	// nodes.0.auth.keyFile → nodes.0.keyFile; nodes.0.roles.1 → nodes.0.roles
	if (parts[0] === 'nodes' && parts.length >= 3) {
		if (parts[2] === 'auth') return `nodes.${parts[1]}.${parts[3] === 'keyFile' ? 'keyFile' : 'auth'}`;
		return `nodes.${parts[1]}.${parts[2]}`;
	}
	return parts.join('.');
}

export function validateDraft(draft: FormDraft, env: FormEnv): Validation {
	const errors: Record<string, string> = {};
	const general: string[] = [];
	const add = (field: string, message: string) => {
		if (field === 'nodes' || field === '') {
			if (!general.includes(message)) general.push(message);
		} else if (!errors[field]) errors[field] = message;
	};
	// Checked here first, in the form's words (node numbers from 1): the schema checks them only once
	// other fields are valid enough, and counts nodes from 0.
	const controllers = draft.nodes.filter((n) => n.roles !== 'compute').length;
	if (controllers !== 1) add('nodes', t('form.err.controllers', { count: controllers }));
	const seen = new Map<string, number>();
	draft.nodes.forEach((node, i) => {
		const prior = seen.get(node.name.toLowerCase());
		if (prior !== undefined && node.name !== '')
			add(`nodes.${i}.name`, t('form.err.duplicate', { name: node.name, number: prior + 1 }));
		seen.set(node.name.toLowerCase(), i);
	});
	const parsed = ProfileSchema.safeParse(toProfileInput(draft));
	if (!parsed.success) {
		for (const issue of parsed.error.issues) {
			const field = issueField(issue.path);
			add(field, /\.port$/.test(field) ? t('form.err.port') : issue.message);
		}
	}
	if (env.existingProfiles.includes(draft.name)) add('name', t('form.err.exists', { name: draft.name }));
	const settings = Object.fromEntries(Object.entries(draft.settings).filter(([, v]) => v !== ''));
	for (const problem of env.checkSettings(draft.runbook, settings)) {
		const match = /^settings\.([A-Z][A-Z0-9_]*): (.*)$/s.exec(problem);
		if (match) add(`settings.${match[1]}`, match[2]!);
		else add('', problem);
	}
	const valid = parsed.success && Object.keys(errors).length === 0 && general.length === 0;
	return { errors, general, profile: valid ? parsed.data : undefined };
}

// ---------------------------------------------------------------------------------------------------------

export interface FormState {
	draft: FormDraft;
	/** Index into formFields(draft). */
	focus: number;
	/** Fields edited or left: their problems show. */
	touched: string[];
	/** After a save attempt every problem shows. */
	submitted: boolean;
	/** Why saving failed (a name taken meanwhile, a disk error). */
	saveError?: string;
}

export type FormAction =
	| { type: 'type'; text: string }
	| { type: 'delete-char' }
	| { type: 'clear' }
	| { type: 'next' }
	| { type: 'prev' }
	| { type: 'cycle'; direction: 1 | -1 }
	| { type: 'add-node' }
	| { type: 'remove-node' }
	| { type: 'focus'; id: string }
	| { type: 'submitted' }
	| { type: 'save-error'; message: string };

export function initialFormState(env: Pick<FormEnv, 'runbooks'>): FormState {
	return { draft: initialDraft(env), focus: 0, touched: [], submitted: false };
}

function touch(state: FormState, id: string | undefined): string[] {
	return id && !state.touched.includes(id) ? [...state.touched, id] : state.touched;
}

/** The node a field belongs to, if any. */
export function nodeIndexOf(id: string | undefined): number | undefined {
	if (!id) return undefined;
	return nodeField(id)?.index;
}

export function formReducer(
	state: FormState,
	action: FormAction,
	env: Pick<FormEnv, 'runbooks' | 'settingsOf'>,
): FormState {
	const fields = formFields(state.draft, env);
	const field = fields[Math.min(state.focus, fields.length - 1)];
	const withDraft = (draft: FormDraft, focusId?: string): FormState => {
		const next = formFields(draft, env);
		const id = focusId ?? field?.id;
		const index = next.findIndex((f) => f.id === id);
		return {
			...state,
			draft,
			focus: index >= 0 ? index : Math.min(state.focus, next.length - 1),
			touched: touch(state, field?.id),
			saveError: undefined,
		};
	};
	switch (action.type) {
		case 'type':
			if (field?.kind !== 'text') return state;
			return withDraft(setFieldValue(state.draft, field.id, fieldValue(state.draft, field.id) + action.text));
		case 'delete-char':
			if (field?.kind !== 'text') return state;
			return withDraft(setFieldValue(state.draft, field.id, fieldValue(state.draft, field.id).slice(0, -1)));
		case 'clear':
			if (field?.kind !== 'text') return state;
			return withDraft(setFieldValue(state.draft, field.id, ''));
		case 'next':
			return { ...state, focus: (state.focus + 1) % fields.length, touched: touch(state, field?.id) };
		case 'prev':
			return { ...state, focus: (state.focus - 1 + fields.length) % fields.length, touched: touch(state, field?.id) };
		case 'cycle': {
			if (field?.kind !== 'choice' || !field.choices?.length) return state;
			const values = field.choices.map((c) => c.value);
			const at = values.indexOf(fieldValue(state.draft, field.id));
			const value = values[(at + action.direction + values.length) % values.length]!;
			return withDraft(setFieldValue(state.draft, field.id, value));
		}
		case 'add-node': {
			const index = state.draft.nodes.length;
			const nodes = [...state.draft.nodes, newNode(index, state.draft.nodes)];
			return withDraft({ ...state.draft, nodes }, `nodes.${index}.name`);
		}
		case 'remove-node': {
			const at = nodeIndexOf(field?.id);
			if (at === undefined || state.draft.nodes.length <= 1) return state;
			const nodes = state.draft.nodes.filter((_, i) => i !== at);
			const draft = { ...state.draft, nodes };
			const focusId = `nodes.${Math.min(at, nodes.length - 1)}.name`;
			const next = formFields(draft, env);
			// Touched ids of later nodes would now point at other nodes: forget node fields.
			const touched = state.touched.filter((id) => nodeIndexOf(id) === undefined);
			return {
				...state,
				draft,
				touched,
				focus: Math.max(
					0,
					next.findIndex((f) => f.id === focusId),
				),
			};
		}
		case 'focus': {
			const index = fields.findIndex((f) => f.id === action.id);
			return index < 0 ? state : { ...state, focus: index, touched: touch(state, field?.id) };
		}
		case 'submitted':
			return { ...state, submitted: true, saveError: undefined };
		case 'save-error':
			return { ...state, saveError: action.message };
	}
}
