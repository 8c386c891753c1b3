/**
 * The instance-launch form's state: a pure reducer over the draft (field values as typed), the focus, which
 * fields were touched (their problems show from then on; all of them after a refused submit), the view
 * (form, equivalent commands, the run), what the cloud said, and the run's live output and phase. Also the
 * form's keys as a table (`LAUNCH_KEYS`), ready to move into the screens' key-binding table (screen id
 * "launch").
 */
import type { CloudLists } from '../launch/prefill.js';
import { activeFields, type FieldId, type LaunchDraft } from '../launch/spec.js';
import type { LaunchPhase } from '../launch/submit.js';
import type { LocalKey } from './use-verify-panel-state.js';

export type FocusId = FieldId | 'reload' | 'submit';

export interface FieldDef {
	id: FieldId;
	label: string;
	group: string;
	kind: 'text' | 'choice';
	choices?: { value: string; label: string }[];
	help?: string;
}

const YES_NO = [
	{ value: 'yes', label: 'yes' },
	{ value: 'no', label: 'no' },
];

export const FIELD_DEFS: Record<FieldId, Omit<FieldDef, 'id'>> = {
	network: {
		label: 'Network',
		group: 'Network',
		kind: 'choice',
		choices: [
			{ value: 'provider', label: 'provider network (option 1)' },
			{ value: 'selfservice', label: 'self-service network with a router to the provider network (option 2)' },
		],
	},
	'provider.network': {
		label: 'Provider network',
		group: 'Provider network',
		kind: 'text',
		help: 'created (shared, external, flat) if absent',
	},
	'provider.subnet': { label: 'Subnet name', group: 'Provider network', kind: 'text' },
	'provider.cidr': {
		label: 'Subnet range',
		group: 'Provider network',
		kind: 'text',
		help: 'CIDR, e.g. 203.0.113.0/24',
	},
	'provider.gateway': { label: 'Gateway', group: 'Provider network', kind: 'text' },
	'provider.poolStart': {
		label: 'Pool start',
		group: 'Provider network',
		kind: 'text',
		help: 'first address instances get',
	},
	'provider.poolEnd': { label: 'Pool end', group: 'Provider network', kind: 'text' },
	'provider.dns': { label: 'DNS server', group: 'Provider network', kind: 'text', help: 'empty for none' },
	'selfservice.network': { label: 'Self-service net', group: 'Self-service network', kind: 'text' },
	'selfservice.subnet': { label: 'Subnet name', group: 'Self-service network', kind: 'text' },
	'selfservice.cidr': {
		label: 'Subnet range',
		group: 'Self-service network',
		kind: 'text',
		help: 'CIDR, e.g. 172.16.1.0/24',
	},
	'selfservice.gateway': { label: 'Gateway', group: 'Self-service network', kind: 'text' },
	'selfservice.dns': { label: 'DNS server', group: 'Self-service network', kind: 'text', help: 'empty for none' },
	'selfservice.router': {
		label: 'Router',
		group: 'Self-service network',
		kind: 'text',
		help: 'its gateway is the provider network',
	},
	'flavor.name': { label: 'Flavor', group: 'Flavor', kind: 'text', help: 'created if absent' },
	'flavor.vcpus': { label: 'vCPUs', group: 'Flavor', kind: 'text' },
	'flavor.ramMb': { label: 'RAM (MB)', group: 'Flavor', kind: 'text' },
	'flavor.diskGb': { label: 'Disk (GB)', group: 'Flavor', kind: 'text' },
	'keypair.name': { label: 'Key pair', group: 'Key pair', kind: 'text' },
	'keypair.publicKeyFile': {
		label: 'Public key file',
		group: 'Key pair',
		kind: 'text',
		help: 'on this machine, e.g. ~/.ssh/id_ed25519.pub',
	},
	'securityGroup.icmp': {
		label: 'Allow ICMP (ping)',
		group: 'Security group default',
		kind: 'choice',
		choices: YES_NO,
	},
	'securityGroup.ssh': { label: 'Allow SSH (22)', group: 'Security group default', kind: 'choice', choices: YES_NO },
	image: { label: 'Image', group: 'Instance', kind: 'text', help: '← → choose among the active images of the cloud' },
	instance: { label: 'Instance name', group: 'Instance', kind: 'text' },
};

export function fieldDefs(draft: LaunchDraft): FieldDef[] {
	return activeFields(draft).map((id) => ({ id, ...FIELD_DEFS[id] }));
}

/** Fields, then the buttons. */
export function focusOrder(draft: LaunchDraft): FocusId[] {
	return [...activeFields(draft), 'reload', 'submit'];
}

export type LaunchView = 'form' | 'commands' | 'run';

export interface CloudState {
	status: 'idle' | 'loading' | 'done';
	lists?: CloudLists;
	notes: string[];
}

export interface LaunchFormState {
	draft: LaunchDraft;
	focus: FocusId;
	touched: FieldId[];
	/** A submit was refused: every problem shows. */
	submitted: boolean;
	view: LaunchView;
	cloud: CloudState;
	run: { phase?: LaunchPhase; lines: { stream: 'stdout' | 'stderr'; text: string }[]; running: boolean };
	notice?: { text: string; tone: 'info' | 'error' | 'success' };
}

export type LaunchFormAction =
	| { type: 'next' }
	| { type: 'prev' }
	| { type: 'focus'; id: FocusId }
	| { type: 'type'; text: string }
	| { type: 'delete-char' }
	| { type: 'clear' }
	| { type: 'cycle'; direction: 1 | -1 }
	| { type: 'refused'; problems: number; first?: FieldId }
	| { type: 'view'; view: LaunchView }
	| { type: 'cloud-loading' }
	| { type: 'cloud-loaded'; lists: CloudLists; draft: LaunchDraft; notes: string[] }
	| { type: 'run-started' }
	| { type: 'run-line'; stream: 'stdout' | 'stderr'; text: string }
	| { type: 'run-phase'; phase: LaunchPhase }
	| { type: 'notice'; text: string; tone: 'info' | 'error' | 'success' };

/** Lines of live output kept for the run view. */
export const RUN_LINES = 500;

export function initialLaunchState(draft: LaunchDraft): LaunchFormState {
	return {
		draft,
		focus: 'network',
		touched: [],
		submitted: false,
		view: 'form',
		cloud: { status: 'idle', notes: [] },
		run: { lines: [], running: false },
	};
}

function touch(state: LaunchFormState, id: FocusId): FieldId[] {
	if (id === 'reload' || id === 'submit' || state.touched.includes(id)) return state.touched;
	return [...state.touched, id];
}

function move(state: LaunchFormState, delta: 1 | -1): LaunchFormState {
	const order = focusOrder(state.draft);
	const index = Math.max(0, order.indexOf(state.focus));
	const next = order[(index + delta + order.length) % order.length]!;
	// Leaving a field counts as touching it: its problem shows from now on.
	return { ...state, focus: next, touched: touch(state, state.focus) };
}

function cycle(values: string[], current: string, direction: 1 | -1): string {
	if (values.length === 0) return current;
	const index = values.indexOf(current);
	if (index < 0) return values[direction > 0 ? 0 : values.length - 1]!;
	return values[(index + direction + values.length) % values.length]!;
}

/** Changing the network choice also renames the default instance name to match. */
function withNetwork(draft: LaunchDraft, value: string): LaunchDraft {
	const next = { ...draft, network: value };
	if (draft.instance === `${draft.network}-instance`) next.instance = `${value}-instance`;
	return next;
}

export function launchFormReducer(state: LaunchFormState, action: LaunchFormAction): LaunchFormState {
	const focus = state.focus;
	const isField = focus !== 'reload' && focus !== 'submit';
	switch (action.type) {
		case 'next':
			return move(state, 1);
		case 'prev':
			return move(state, -1);
		case 'focus':
			return { ...state, focus: action.id, touched: touch(state, state.focus) };
		case 'type': {
			if (!isField || FIELD_DEFS[focus].kind !== 'text') return state;
			return {
				...state,
				draft: { ...state.draft, [focus]: state.draft[focus] + action.text },
				touched: touch(state, focus),
			};
		}
		case 'delete-char': {
			if (!isField || FIELD_DEFS[focus].kind !== 'text') return state;
			return {
				...state,
				draft: { ...state.draft, [focus]: state.draft[focus].slice(0, -1) },
				touched: touch(state, focus),
			};
		}
		case 'clear': {
			if (!isField || FIELD_DEFS[focus].kind !== 'text') return state;
			return { ...state, draft: { ...state.draft, [focus]: '' }, touched: touch(state, focus) };
		}
		case 'cycle': {
			if (!isField) return state;
			const def = FIELD_DEFS[focus];
			if (focus === 'image') {
				const images = (state.cloud.lists?.images ?? [])
					.filter((i) => i.status.toLowerCase() === 'active')
					.map((i) => i.name);
				return {
					...state,
					draft: { ...state.draft, image: cycle(images, state.draft.image, action.direction) },
					touched: touch(state, focus),
				};
			}
			if (def.kind !== 'choice' || !def.choices) return state;
			const value = cycle(
				def.choices.map((c) => c.value),
				state.draft[focus],
				action.direction,
			);
			const draft = focus === 'network' ? withNetwork(state.draft, value) : { ...state.draft, [focus]: value };
			return { ...state, draft, touched: touch(state, focus) };
		}
		case 'refused':
			return {
				...state,
				submitted: true,
				focus: action.first ?? state.focus,
				notice: {
					text: `Not submitted: ${action.problems} problem${action.problems === 1 ? '' : 's'} to fix`,
					tone: 'error',
				},
			};
		case 'view':
			return { ...state, view: action.view };
		case 'cloud-loading':
			return { ...state, cloud: { ...state.cloud, status: 'loading' } };
		case 'cloud-loaded': {
			// What the operator already changed stays as typed.
			const draft = { ...state.draft };
			for (const id of Object.keys(action.draft) as FieldId[]) {
				if (!state.touched.includes(id)) draft[id] = action.draft[id];
			}
			return { ...state, draft, cloud: { status: 'done', lists: action.lists, notes: action.notes } };
		}
		case 'run-started':
			return {
				...state,
				view: 'run',
				run: { lines: [], running: true, phase: { kind: 'creating' } },
				notice: undefined,
			};
		case 'run-line': {
			const lines = [...state.run.lines, { stream: action.stream, text: action.text }];
			return { ...state, run: { ...state.run, lines: lines.length > RUN_LINES ? lines.slice(-RUN_LINES) : lines } };
		}
		case 'run-phase': {
			const done = ['active', 'error', 'timeout', 'failed', 'cancelled'].includes(action.phase.kind);
			return { ...state, run: { ...state.run, phase: action.phase, running: !done } };
		}
		case 'notice':
			return { ...state, notice: { text: action.text, tone: action.tone } };
	}
}

// ----- keys ------------------------------------------------------------------------------------------------

export type LaunchKeyAction =
	| 'next-field'
	| 'prev-field'
	| 'activate'
	| 'choice-prev'
	| 'choice-next'
	| 'delete-char'
	| 'clear-field'
	| 'submit'
	| 'toggle-commands'
	| 'reload'
	| 'back';

/** The form's keys. Letters are text (the form has text fields), so commands are ctrl keys. */
export const LAUNCH_KEYS: LocalKey<LaunchKeyAction>[] = [
	{ action: 'next-field', keys: 'tab/↑↓', label: 'field', match: (_i, k) => (k.tab && !k.shift) || k.downArrow },
	{ action: 'prev-field', keys: '', label: '', match: (_i, k) => (k.tab && k.shift) || k.upArrow },
	{ action: 'choice-prev', keys: '', label: '', match: (_i, k) => k.leftArrow },
	{ action: 'choice-next', keys: '←→', label: 'change choice', match: (_i, k) => k.rightArrow },
	{ action: 'activate', keys: 'enter', label: 'next / press', match: (_i, k) => k.return },
	{ action: 'delete-char', keys: '', label: '', match: (_i, k) => k.backspace || k.delete },
	{ action: 'clear-field', keys: 'ctrl+u', label: 'clear', match: (i, k) => k.ctrl && i === 'u' },
	{ action: 'submit', keys: 'ctrl+s', label: 'launch', match: (i, k) => k.ctrl && i === 's' },
	{ action: 'toggle-commands', keys: 'ctrl+e', label: 'equivalent commands', match: (i, k) => k.ctrl && i === 'e' },
	{ action: 'reload', keys: 'ctrl+r', label: 'read the cloud again', match: (i, k) => k.ctrl && i === 'r' },
	{ action: 'back', keys: 'esc', label: 'back', match: (_i, k) => k.escape },
];
