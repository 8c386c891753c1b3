/**
 * The instance-launch form's state: a pure reducer over the draft (field values as typed), the focus, which
 * fields were touched (their problems show from then on; all of them after a refused submit), the view
 * (form, equivalent commands, the run), what the cloud said, and the run's live output and phase. The
 * form's keys are rows of the console's key-binding table (screen "launch").
 */
import { t } from '../i18n/index.js';
import type { CloudLists } from '../launch/prefill.js';
import { activeFields, type FieldId, type LaunchDraft } from '../launch/spec.js';
import type { LaunchPhase } from '../launch/submit.js';

export type FocusId = FieldId | 'reload' | 'submit';

export interface FieldDef {
	id: FieldId;
	label: string;
	group: string;
	kind: 'text' | 'choice';
	choices?: { value: string; label: string }[];
	help?: string;
}

type GroupId = 'network' | 'provider' | 'selfservice' | 'flavor' | 'keypair' | 'secgroup' | 'instance';
type ChoiceId = 'provider' | 'selfservice' | 'yes' | 'no';

/** What a field is; its words (label, group heading, help, choice labels) are in the string catalogue. */
interface FieldShape {
	group: GroupId;
	kind: 'text' | 'choice';
	choices?: readonly ChoiceId[];
	/** The catalogue has a help line for it (`launch.help.<id>`). */
	help?: true;
}

const YES_NO = ['yes', 'no'] as const;

const FIELD_SHAPES = {
	network: { group: 'network', kind: 'choice', choices: ['provider', 'selfservice'] },
	'provider.network': { group: 'provider', kind: 'text', help: true },
	'provider.subnet': { group: 'provider', kind: 'text' },
	'provider.cidr': { group: 'provider', kind: 'text', help: true },
	'provider.gateway': { group: 'provider', kind: 'text' },
	'provider.poolStart': { group: 'provider', kind: 'text', help: true },
	'provider.poolEnd': { group: 'provider', kind: 'text' },
	'provider.dns': { group: 'provider', kind: 'text', help: true },
	'selfservice.network': { group: 'selfservice', kind: 'text' },
	'selfservice.subnet': { group: 'selfservice', kind: 'text' },
	'selfservice.cidr': { group: 'selfservice', kind: 'text', help: true },
	'selfservice.gateway': { group: 'selfservice', kind: 'text' },
	'selfservice.dns': { group: 'selfservice', kind: 'text', help: true },
	'selfservice.router': { group: 'selfservice', kind: 'text', help: true },
	'flavor.name': { group: 'flavor', kind: 'text', help: true },
	'flavor.vcpus': { group: 'flavor', kind: 'text' },
	'flavor.ramMb': { group: 'flavor', kind: 'text' },
	'flavor.diskGb': { group: 'flavor', kind: 'text' },
	'keypair.name': { group: 'keypair', kind: 'text' },
	'keypair.publicKeyFile': { group: 'keypair', kind: 'text', help: true },
	'securityGroup.icmp': { group: 'secgroup', kind: 'choice', choices: YES_NO },
	'securityGroup.ssh': { group: 'secgroup', kind: 'choice', choices: YES_NO },
	image: { group: 'instance', kind: 'text', help: true },
	instance: { group: 'instance', kind: 'text' },
} as const satisfies Record<FieldId, FieldShape>;

export const FIELD_DEFS: Record<FieldId, FieldShape> = FIELD_SHAPES;

type HelpField = { [K in FieldId]: (typeof FIELD_SHAPES)[K] extends { help: true } ? K : never }[FieldId];

/** A field with its words in the operator's language. */
export function fieldDef(id: FieldId): FieldDef {
	const shape = FIELD_DEFS[id];
	return {
		id,
		label: t(`launch.field.${id}`),
		group: t(`launch.group.${shape.group}`),
		kind: shape.kind,
		choices: shape.choices?.map((value) => ({ value, label: t(`launch.choice.${value}`) })),
		help: shape.help ? t(`launch.help.${id as HelpField}`) : undefined,
	};
}

export function fieldDefs(draft: LaunchDraft): FieldDef[] {
	return activeFields(draft).map(fieldDef);
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
			const value = cycle([...def.choices], state.draft[focus], action.direction);
			const draft = focus === 'network' ? withNetwork(state.draft, value) : { ...state.draft, [focus]: value };
			return { ...state, draft, touched: touch(state, focus) };
		}
		case 'refused':
			return {
				...state,
				submitted: true,
				focus: action.first ?? state.focus,
				notice: { text: t('launch.refused', { count: action.problems }), tone: 'error' },
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
