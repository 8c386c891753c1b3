/**
 * The launch spec: what the instance-launch form and `os-console launch --spec` describe. The form edits a
 * flat draft of strings keyed by field path ("provider.cidr"); validateDraft turns it into a LaunchSpec or
 * into one reason per field, the same for the form (next to the field) and the command (exit 2, naming the
 * field). Names are limited to characters that are safe everywhere they go (shell words, templates).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

// ----- IPv4 ---------------------------------------------------------------------------------------------

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
	return IPV4.test(value);
}

export function ipToInt(ip: string): number {
	return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
	return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export interface Cidr {
	network: number;
	prefix: number;
	/** First and last address of the range (network and broadcast). */
	first: number;
	last: number;
}

/** Parses "a.b.c.d/n"; the reason when it is not a network in CIDR form. */
export function parseCidr(value: string): Cidr | string {
	const m = /^([0-9.]+)\/(\d{1,2})$/.exec(value);
	if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) return 'must be an IPv4 network in CIDR form like 203.0.113.0/24';
	const prefix = Number(m[2]);
	if (prefix > 30) return 'the prefix must be /30 or shorter: a smaller network has no room for instances';
	const size = 2 ** (32 - prefix);
	const address = ipToInt(m[1]!);
	const network = address - (address % size);
	if (network !== address) return `host bits are set: the network is ${intToIp(network)}/${prefix}`;
	return { network, prefix, first: network, last: network + size - 1 };
}

function inside(cidr: Cidr, ip: number): boolean {
	return ip > cidr.first && ip < cidr.last;
}

function overlaps(a: Cidr, b: Cidr): boolean {
	return a.first <= b.last && b.first <= a.last;
}

// ----- the spec ----------------------------------------------------------------------------------------------

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MESSAGE = 'letters, digits, . _ - only, starting with a letter or digit (at most 64)';

const name = z.string().min(1, 'must not be empty').regex(NAME_PATTERN, NAME_MESSAGE);
const ip = z.string().regex(IPV4, 'must be an IPv4 address like 203.0.113.1');
const dns = z
	.string()
	.refine((v) => v === '' || IPV4.test(v), 'must be an IPv4 address like 8.8.4.4, or empty for none');
const positive = z
	.number({ error: 'must be a whole number' })
	.int('must be a whole number')
	.positive('must be 1 or more');

export const LaunchSpec = z
	.object({
		/** provider: the instance on the provider network; selfservice: on a self-service network routed to it. */
		network: z.enum(['provider', 'selfservice']),
		/** The provider (external) network: created if absent; the router's gateway for self-service. */
		provider: z
			.object({
				network: name,
				subnet: name,
				cidr: z.string(),
				gateway: ip,
				poolStart: ip,
				poolEnd: ip,
				dns: dns.default(''),
			})
			.strict(),
		selfservice: z
			.object({
				network: name,
				subnet: name,
				cidr: z.string(),
				gateway: ip,
				dns: dns.default(''),
				router: name,
			})
			.strict()
			.optional(),
		flavor: z.object({ name, vcpus: positive, ramMb: positive, diskGb: positive }).strict(),
		keypair: z
			.object({ name, publicKeyFile: z.string().min(1, 'give the public key file, e.g. ~/.ssh/id_ed25519.pub') })
			.strict(),
		/** Rules added to the project's `default` security group, as the guide does. */
		securityGroup: z.object({ icmp: z.boolean().default(true), ssh: z.boolean().default(true) }).strict(),
		image: name,
		instance: name,
	})
	.strict();
export type LaunchSpec = z.infer<typeof LaunchSpec>;
export type LaunchSpecInput = z.input<typeof LaunchSpec>;

/** The form's fields, in order: a flat path into the spec. */
export const FIELD_IDS = [
	'network',
	'provider.network',
	'provider.subnet',
	'provider.cidr',
	'provider.gateway',
	'provider.poolStart',
	'provider.poolEnd',
	'provider.dns',
	'selfservice.network',
	'selfservice.subnet',
	'selfservice.cidr',
	'selfservice.gateway',
	'selfservice.dns',
	'selfservice.router',
	'flavor.name',
	'flavor.vcpus',
	'flavor.ramMb',
	'flavor.diskGb',
	'keypair.name',
	'keypair.publicKeyFile',
	'securityGroup.icmp',
	'securityGroup.ssh',
	'image',
	'instance',
] as const;
export type FieldId = (typeof FIELD_IDS)[number];

/** What the operator typed, field by field (booleans as "yes"/"no", numbers as text). */
export type LaunchDraft = Record<FieldId, string>;

const NUMBER_FIELDS: FieldId[] = ['flavor.vcpus', 'flavor.ramMb', 'flavor.diskGb'];
const BOOLEAN_FIELDS: FieldId[] = ['securityGroup.icmp', 'securityGroup.ssh'];

/** Fields that apply to the draft's networking choice. */
export function activeFields(draft: Pick<LaunchDraft, 'network'>): FieldId[] {
	return FIELD_IDS.filter((id) => draft.network === 'selfservice' || !id.startsWith('selfservice.'));
}

// ----- public key files ---------------------------------------------------------------------------------------

export function expandHome(file: string): string {
	if (file === '~') return os.homedir();
	if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
	return file;
}

const KEY_TYPES = [
	'ssh-ed25519',
	'ssh-rsa',
	'ssh-dss',
	'ecdsa-sha2-nistp256',
	'ecdsa-sha2-nistp384',
	'ecdsa-sha2-nistp521',
	'sk-ssh-ed25519@openssh.com',
	'sk-ecdsa-sha2-nistp256@openssh.com',
];

/** The reason a text is not one OpenSSH public key line, or undefined when it is. */
export function publicKeyProblem(text: string): string | undefined {
	const trimmed = text.trim();
	if (/PRIVATE KEY/.test(trimmed)) return 'this is a private key: give the .pub file next to it';
	const keyLines = trimmed.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
	if (keyLines.length !== 1) return `holds ${keyLines.length} lines: give a file with one OpenSSH public key`;
	const [type, blob] = keyLines[0]!.trim().split(/\s+/);
	if (!type || !KEY_TYPES.includes(type)) {
		return `does not hold an OpenSSH public key (it starts with "${(type ?? '').slice(0, 20)}"; expected ssh-ed25519, ssh-rsa or ecdsa-sha2-*)`;
	}
	if (!blob || !/^[A-Za-z0-9+/]+={0,3}$/.test(blob)) return 'the key data is not base64';
	const decoded = Buffer.from(blob, 'base64');
	const length = decoded.length >= 4 ? decoded.readUInt32BE(0) : -1;
	if (length !== type.length || decoded.subarray(4, 4 + length).toString('latin1') !== type) {
		return `the key data does not match its type ${type} (damaged or truncated?)`;
	}
	if (/\{\{|\}\}/.test(keyLines[0]!)) return 'the key comment contains {{ or }}: remove them from the comment';
	return undefined;
}

export type KeyFileResult = { ok: true; path: string; content: string } | { ok: false; reason: string };

/** Read a public key file on the operator's machine ("~" expands) and check it holds a public key. */
export function readPublicKeyFile(file: string): KeyFileResult {
	const resolved = path.resolve(expandHome(file));
	let stat: fs.Stats;
	try {
		stat = fs.statSync(resolved);
	} catch {
		return { ok: false, reason: `${resolved} does not exist` };
	}
	if (!stat.isFile()) return { ok: false, reason: `${resolved} is not a file` };
	if (stat.size > 16 * 1024) return { ok: false, reason: `${resolved} is too large to be a public key` };
	let content: string;
	try {
		content = fs.readFileSync(resolved, 'utf8');
	} catch (error) {
		return { ok: false, reason: `${resolved} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
	}
	const problem = publicKeyProblem(content);
	if (problem) return { ok: false, reason: `${resolved}: ${problem}` };
	const line = content
		.split('\n')
		.find((l) => l.trim() !== '' && !l.startsWith('#'))!
		.trim();
	return { ok: true, path: resolved, content: `${line}\n` };
}

// ----- validation --------------------------------------------------------------------------------------------

export interface Validation {
	/** One reason per field that has a problem. */
	errors: Partial<Record<FieldId, string>>;
	spec?: LaunchSpec;
	/** The public key (one line) when the key file is fine. */
	publicKey?: string;
}

export interface ValidateOptions {
	/** Reads the key file (default: the real file system). */
	readKey?: (file: string) => KeyFileResult;
}

function setPath(target: Record<string, unknown>, id: string, value: unknown): void {
	const parts = id.split('.');
	let node = target;
	for (const part of parts.slice(0, -1)) {
		node[part] = (node[part] as Record<string, unknown> | undefined) ?? {};
		node = node[part] as Record<string, unknown>;
	}
	node[parts[parts.length - 1]!] = value;
}

function getPath(source: unknown, id: string): unknown {
	let node = source;
	for (const part of id.split('.')) {
		if (typeof node !== 'object' || node === null) return undefined;
		node = (node as Record<string, unknown>)[part];
	}
	return node;
}

/** The draft as the spec's nested shape (numbers and booleans converted; selfservice only when chosen). */
export function draftToInput(draft: LaunchDraft): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const id of activeFields(draft)) {
		const raw = draft[id].trim();
		let value: unknown = raw;
		if (NUMBER_FIELDS.includes(id)) value = /^\d+$/.test(raw) ? Number(raw) : raw === '' ? undefined : Number.NaN;
		if (BOOLEAN_FIELDS.includes(id)) value = raw === 'yes';
		setPath(out, id, value);
	}
	return out;
}

/** A spec (or a partial one from a file) as a draft over defaults. */
export function specToDraft(input: unknown, defaults: LaunchDraft): LaunchDraft {
	const draft = { ...defaults };
	for (const id of FIELD_IDS) {
		const value = getPath(input, id);
		if (value === undefined || value === null) continue;
		draft[id] = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
	}
	return draft;
}

function numberMessage(raw: string): string | undefined {
	if (raw.trim() === '') return 'must not be empty';
	if (!/^\d+$/.test(raw.trim())) return 'must be a whole number';
	if (Number(raw) < 1) return 'must be 1 or more';
	return undefined;
}

/** Every problem of the draft, one per field, in field order; the spec when there is none. */
export function validateDraft(draft: LaunchDraft, options: ValidateOptions = {}): Validation {
	const errors: Partial<Record<FieldId, string>> = {};
	const fields = activeFields(draft);
	const add = (id: FieldId, message: string) => {
		if (fields.includes(id) && !errors[id]) errors[id] = message;
	};
	if (draft.network !== 'provider' && draft.network !== 'selfservice') add('network', 'choose provider or selfservice');
	for (const id of NUMBER_FIELDS) {
		const problem = numberMessage(draft[id]);
		if (problem) add(id, problem);
	}
	const parsed = LaunchSpec.safeParse(draftToInput(draft));
	if (!parsed.success) {
		for (const issue of parsed.error.issues) {
			const id = issue.path.join('.') as FieldId;
			if ((FIELD_IDS as readonly string[]).includes(id)) add(id, issue.message);
			else if (issue.path.length > 0) add(issue.path[0] as FieldId, issue.message);
		}
	}
	// Network arithmetic: each subnet's range, its gateway and pool inside it.
	const checkSubnet = (prefix: 'provider' | 'selfservice'): Cidr | undefined => {
		const cidr = parseCidr(draft[`${prefix}.cidr`].trim());
		if (typeof cidr === 'string') {
			add(`${prefix}.cidr`, draft[`${prefix}.cidr`].trim() === '' ? 'must not be empty' : cidr);
			return undefined;
		}
		const gateway = draft[`${prefix}.gateway`].trim();
		const range = `${intToIp(cidr.network)}/${cidr.prefix}`;
		if (isIpv4(gateway) && !inside(cidr, ipToInt(gateway))) {
			add(`${prefix}.gateway`, `must be inside ${range} (not its network or broadcast address)`);
		}
		return cidr;
	};
	const provider = checkSubnet('provider');
	if (provider) {
		const start = draft['provider.poolStart'].trim();
		const end = draft['provider.poolEnd'].trim();
		const range = `${intToIp(provider.network)}/${provider.prefix}`;
		const startOk = isIpv4(start) && inside(provider, ipToInt(start));
		const endOk = isIpv4(end) && inside(provider, ipToInt(end));
		if (isIpv4(start) && !startOk) add('provider.poolStart', `must be inside ${range}`);
		if (isIpv4(end) && !endOk) add('provider.poolEnd', `must be inside ${range}`);
		if (startOk && endOk) {
			if (ipToInt(start) > ipToInt(end)) add('provider.poolEnd', `must not come before the pool start ${start}`);
			const gateway = draft['provider.gateway'].trim();
			if (isIpv4(gateway) && ipToInt(gateway) >= ipToInt(start) && ipToInt(gateway) <= ipToInt(end)) {
				add('provider.gateway', `is inside the allocation pool ${start}-${end}: neutron refuses that`);
			}
		}
	}
	if (draft.network === 'selfservice') {
		const self = checkSubnet('selfservice');
		if (self && provider && overlaps(self, provider)) {
			add('selfservice.cidr', 'overlaps the provider network: the router cannot connect both');
		}
	}
	let publicKey: string | undefined;
	if (!errors['keypair.publicKeyFile'] && draft['keypair.publicKeyFile'].trim() !== '') {
		const key = (options.readKey ?? readPublicKeyFile)(draft['keypair.publicKeyFile'].trim());
		if (key.ok) publicKey = key.content;
		else add('keypair.publicKeyFile', key.reason);
	}
	const ordered: Partial<Record<FieldId, string>> = {};
	for (const id of FIELD_IDS) if (errors[id]) ordered[id] = errors[id];
	if (Object.keys(ordered).length > 0 || !parsed.success) return { errors: ordered };
	return { errors: {}, spec: parsed.data, publicKey };
}

/** Paths in a spec file that are not fields (typos), e.g. "flavor.ram". */
export function unknownPaths(input: unknown, prefix = ''): string[] {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
	const out: string[] = [];
	for (const [key, value] of Object.entries(input)) {
		const id = prefix ? `${prefix}.${key}` : key;
		if ((FIELD_IDS as readonly string[]).includes(id)) continue;
		if (FIELD_IDS.some((f) => f.startsWith(`${id}.`)) && typeof value === 'object' && value !== null) {
			out.push(...unknownPaths(value, id));
		} else out.push(id);
	}
	return out;
}

/** "provider.cidr: must be ..." lines, for the command. */
export function describeErrors(errors: Partial<Record<FieldId, string>>): string[] {
	return Object.entries(errors).map(([id, message]) => `${id}: ${message}`);
}
