/**
 * The topology view's data and drawing, pure apart from `readCloudTopology`: the profile's two physical
 * networks (management and provider) with each node's address, provider interface and roles; and what the
 * cloud has after launch (networks, routers and their links, instances), read on the controller as admin
 * with `-f json`. Drawn as lines of box characters, fitted to the terminal's width.
 */
import type { Engine } from '../engine/engine.js';
import { t } from '../i18n/index.js';
import { formatAddresses } from '../launch/submit.js';
import { controllerOf, type Profile, providerInterfaceOf } from '../profile/schema.js';
import { displayWidth, padEndW, truncateW } from '../ui/text-width.js';
import { errorLine, parseJsonOutput } from '../verify/parsers.js';

export type DrawTone = 'management' | 'provider' | 'node' | 'cloud' | 'muted' | 'heading' | 'error';

/** One drawn line: segments with a tone each (colour), so the networks keep their colours. */
export type DrawLine = { text: string; tone?: DrawTone }[];

// ----- the cloud ---------------------------------------------------------------------------------------

export interface CloudNet {
	id: string;
	name: string;
	external: boolean;
	shared: boolean;
	type?: string;
	subnets: string[];
}

export interface CloudRouter {
	id: string;
	name: string;
	status?: string;
	/** The network its external gateway is on. */
	gatewayNetwork?: string;
	/** Subnets it has an interface on. */
	interfaceSubnets: string[];
}

export interface CloudServer {
	id: string;
	name: string;
	status: string;
	/** Network name → addresses. */
	networks: Record<string, string[]>;
}

export interface CloudTopology {
	networks: CloudNet[];
	routers: CloudRouter[];
	servers: CloudServer[];
	/** What could not be read. */
	problems: string[];
	readAt: number;
}

type Row = Record<string, unknown>;

function rowsOf(stdout: string): Row[] | undefined {
	const json = parseJsonOutput(stdout);
	return json.ok && Array.isArray(json.value) ? (json.value as Row[]) : undefined;
}

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

function truthy(value: unknown): boolean {
	if (typeof value === 'boolean') return value;
	const s = text(value).toLowerCase();
	return s === 'true' || s === 'yes' || s === 'external';
}

/** A list the CLI prints as a JSON list or as comma-separated text. */
function listOf(value: unknown): string[] {
	if (Array.isArray(value)) return value.map(text).filter(Boolean);
	return text(value)
		.split(/[,\s]+/)
		.map((s) => s.trim())
		.filter(Boolean);
}

/** `openstack network list --long -f json`. */
export function parseNetworks(stdout: string): CloudNet[] | undefined {
	return rowsOf(stdout)?.map((r) => ({
		id: text(r.ID),
		name: text(r.Name),
		external: truthy(r['Router Type'] ?? r['router:external']),
		shared: truthy(r.Shared),
		type: text(r['Network Type']) || undefined,
		subnets: listOf(r.Subnets),
	}));
}

/** `openstack router list -f json`. */
export function parseRouters(stdout: string): CloudRouter[] | undefined {
	return rowsOf(stdout)?.map((r) => ({
		id: text(r.ID),
		name: text(r.Name),
		status: text(r.Status) || undefined,
		interfaceSubnets: [],
	}));
}

/** Python-dict text the Ocata client prints ("{'network_id': '...'}"), or JSON. */
function looseObject(value: unknown): Row | undefined {
	if (value && typeof value === 'object' && !Array.isArray(value)) return value as Row;
	const s = text(value);
	if (!s) return undefined;
	try {
		const parsed = JSON.parse(
			s
				.replace(/'/g, '"')
				.replace(/\bTrue\b/g, 'true')
				.replace(/\bFalse\b/g, 'false')
				.replace(/\bNone\b/g, 'null'),
		);
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Row) : undefined;
	} catch {
		return undefined;
	}
}

/** `openstack router show ID -f json`: its gateway network and the subnets it has interfaces on. */
export function parseRouterShow(stdout: string): { gatewayNetwork?: string; interfaceSubnets: string[] } | undefined {
	const json = parseJsonOutput(stdout);
	if (!json.ok || !json.value || typeof json.value !== 'object' || Array.isArray(json.value)) return undefined;
	const r = json.value as Row;
	const gateway = looseObject(r.external_gateway_info);
	let interfaces: unknown = r.interfaces_info;
	if (typeof interfaces === 'string') {
		try {
			interfaces = JSON.parse(interfaces.replace(/'/g, '"'));
		} catch {
			interfaces = [];
		}
	}
	const subnets = Array.isArray(interfaces) ? interfaces.map((i) => text((i as Row)?.subnet_id)).filter(Boolean) : [];
	return { gatewayNetwork: text(gateway?.network_id) || undefined, interfaceSubnets: subnets };
}

/** `openstack server list --all-projects -f json`. */
export function parseServers(stdout: string): CloudServer[] | undefined {
	return rowsOf(stdout)?.map((r) => {
		const networks: Record<string, string[]> = {};
		for (const entry of formatAddresses(r.Networks)) {
			const colon = entry.indexOf(': ');
			if (colon < 0) continue;
			networks[entry.slice(0, colon)] = entry
				.slice(colon + 2)
				.split(/,\s*/)
				.filter(Boolean);
		}
		return { id: text(r.ID), name: text(r.Name), status: text(r.Status), networks };
	});
}

/** Read the cloud's networks, routers (with their links) and servers on the controller, as admin. */
export async function readCloudTopology(engine: Engine, signal?: AbortSignal): Promise<CloudTopology> {
	const controller = controllerOf(engine.profile).name;
	const problems: string[] = [];
	const read = async <T>(what: string, args: string[], parse: (s: string) => T | undefined): Promise<T | undefined> => {
		try {
			const result = await engine.exec(controller, {
				title: `topology: ${what}`,
				actions: [{ kind: 'openstack', creds: 'admin', args }],
				timeoutSec: 60,
				signal,
			});
			const parsed = result.ok ? parse(result.stdout) : undefined;
			if (parsed) return parsed;
			problems.push(
				`${what}: ${errorLine(result.stderr, result.stdout) ?? (result.ok ? 'unexpected output' : result.outcome.kind)}`,
			);
		} catch (error) {
			problems.push(`${what}: ${(error as Error).message}`);
		}
		return undefined;
	};
	const networks = (await read('network list', ['network', 'list', '--long', '-f', 'json'], parseNetworks)) ?? [];
	const routers = (await read('router list', ['router', 'list', '-f', 'json'], parseRouters)) ?? [];
	for (const router of routers) {
		const shown = await read(
			`router show ${router.name}`,
			['router', 'show', router.id, '-f', 'json'],
			parseRouterShow,
		);
		if (shown) Object.assign(router, shown);
	}
	const servers = (await read('server list', ['server', 'list', '--all-projects', '-f', 'json'], parseServers)) ?? [];
	return { networks, routers, servers, problems, readAt: Date.now() };
}

// ----- drawing -----------------------------------------------------------------------------------------

const seg = (text: string, tone?: DrawTone) => ({ text, tone });

function rolesOf(roles: readonly string[]): string {
	return roles.map((r) => t(`role.${r as 'controller' | 'compute'}`)).join(t('common.listSep'));
}

function poolOf(profile: Profile): string {
	const n = profile.network;
	return t('topo.pool', { start: n.providerPoolStart, end: n.providerPoolEnd });
}

/** The physical networks and the nodes on them: boxes side by side when they fit, else a list on two buses. */
export function drawPhysical(profile: Profile, columns: number): DrawLine[] {
	const width = Math.max(10, columns - 1);
	const n = profile.network;
	const nodes = profile.nodes.map((node) => ({
		name: node.name,
		roles: rolesOf(node.roles),
		mgmt: t('topo.mgmtAddr', { ip: node.managementIp }),
		provider: t('topo.providerIf', { iface: providerInterfaceOf(profile, node) }),
	}));
	const management = t('topo.management', { cidr: n.managementCidr });
	const provider = t('topo.provider', { cidr: n.providerCidr });
	const providerDetail = `${t('topo.gateway', { ip: n.providerGateway })} · ${poolOf(profile)}`;
	const inner = Math.max(12, ...nodes.flatMap((x) => [x.name, x.roles, x.mgmt, x.provider].map(displayWidth)));
	const boxWidth = inner + 4;
	const gap = 2;
	const total = nodes.length * boxWidth + (nodes.length - 1) * gap;
	const lines: DrawLine[] = [];

	if (nodes.length > 0 && total + 1 <= width) {
		// Side by side: the management bus above the boxes, the provider bus below.
		const centers = nodes.map((_, i) => i * (boxWidth + gap) + Math.floor(boxWidth / 2));
		const busWidth = Math.max(
			total,
			Math.min(width - 1, Math.max(displayWidth(management), displayWidth(provider), displayWidth(providerDetail)) + 2),
		);
		const bus = (plain: string, tee: string) => {
			let s = '';
			for (let x = 0; x < busWidth; x++) s += centers.includes(x) ? tee : plain;
			return s;
		};
		const boxRow = (render: (i: number) => string) => nodes.map((_, i) => render(i)).join(' '.repeat(gap));
		const border = (left: string, right: string, tee: string) =>
			boxRow(() => {
				let s = left;
				for (let x = 1; x < boxWidth - 1; x++) s += x === Math.floor(boxWidth / 2) ? tee : '─';
				return `${s}${right}`;
			});
		const content = (pick: (x: (typeof nodes)[number]) => string) =>
			boxRow((i) => `│ ${padEndW(truncateW(pick(nodes[i]!), inner), inner)} │`);
		const connectors = () =>
			boxRow(() => `${' '.repeat(Math.floor(boxWidth / 2))}│${' '.repeat(boxWidth - Math.floor(boxWidth / 2) - 1)}`);
		lines.push([seg(truncateW(management, width), 'management')]);
		lines.push([seg(bus('═', '╤'), 'management')]);
		lines.push([seg(connectors(), 'management')]);
		lines.push([seg(border('┌', '┐', '┴'), 'node')]);
		lines.push([
			seg(
				content((x) => x.name),
				'heading',
			),
		]);
		lines.push([
			seg(
				content((x) => x.roles),
				'node',
			),
		]);
		lines.push([
			seg(
				content((x) => x.mgmt),
				'management',
			),
		]);
		lines.push([
			seg(
				content((x) => x.provider),
				'provider',
			),
		]);
		lines.push([seg(border('└', '┘', '┬'), 'node')]);
		lines.push([seg(connectors(), 'provider')]);
		lines.push([seg(bus('═', '╧'), 'provider')]);
		lines.push([seg(truncateW(provider, width), 'provider')]);
		lines.push([seg(truncateW(providerDetail, width), 'muted')]);
		return lines;
	}

	// Narrow: two vertical buses on the left, each node attached to both.
	lines.push([seg('║ ', 'management'), seg(truncateW(management, width - 2), 'management')]);
	lines.push([seg('║ ', 'management'), seg('┃ ', 'provider'), seg(truncateW(provider, width - 4), 'provider')]);
	lines.push([seg('║ ', 'management'), seg('┃ ', 'provider'), seg(truncateW(providerDetail, width - 4), 'muted')]);
	for (const node of nodes) {
		lines.push([seg('╟─', 'management'), seg('╂─ ', 'provider'), seg(truncateW(node.name, width - 5), 'heading')]);
		for (const detail of [node.roles, node.mgmt, node.provider]) {
			lines.push([seg('║ ', 'management'), seg('┃   ', 'provider'), seg(truncateW(detail, width - 6), 'node')]);
		}
	}
	return lines;
}

/** What the cloud has: each network with its routers and instances, as a tree. */
export function drawCloud(cloud: CloudTopology, columns: number): DrawLine[] {
	const width = Math.max(10, columns - 1);
	const lines: DrawLine[] = [];
	const put = (prefix: DrawLine, body: string, tone: DrawTone) => {
		const used = prefix.reduce((w, s) => w + displayWidth(s.text), 0);
		lines.push([...prefix, seg(truncateW(body, Math.max(1, width - used)), tone)]);
	};
	if (cloud.networks.length === 0 && cloud.servers.length === 0) {
		lines.push([seg(t('topo.cloudEmpty'), 'muted')]);
	}
	const subnetOwner = new Map<string, string>();
	for (const net of cloud.networks) for (const subnet of net.subnets) subnetOwner.set(subnet, net.id);
	cloud.networks.forEach((net, index) => {
		const last = index === cloud.networks.length - 1;
		const flags = [
			net.external ? t('topo.external') : undefined,
			net.shared ? t('topo.shared') : undefined,
			net.type,
			t('topo.subnets', { count: net.subnets.length }),
		].filter(Boolean);
		put(
			[seg(last ? '└─▶ ' : '├─▶ ', 'cloud')],
			`${t('topo.network', { name: net.name })} · ${flags.join(' · ')}`,
			'cloud',
		);
		const stem = last ? '    ' : '│   ';
		const children: { text: string; tone: DrawTone }[] = [];
		for (const router of cloud.routers) {
			if (router.gatewayNetwork === net.id)
				children.push({ text: t('topo.routerGateway', { name: router.name }), tone: 'node' });
			if (router.interfaceSubnets.some((s) => subnetOwner.get(s) === net.id))
				children.push({ text: t('topo.routerInterface', { name: router.name }), tone: 'node' });
		}
		for (const server of cloud.servers) {
			const addresses = server.networks[net.name];
			if (addresses)
				children.push({
					text: t('topo.server', { name: server.name, status: server.status, addresses: addresses.join(', ') }),
					tone: server.status === 'ERROR' ? 'error' : 'heading',
				});
		}
		if (children.length === 0) children.push({ text: t('topo.nothingAttached'), tone: 'muted' });
		children.forEach((child, i) => {
			put([seg(stem, 'cloud'), seg(i === children.length - 1 ? '└── ' : '├── ', 'cloud')], child.text, child.tone);
		});
	});
	const routed = new Set(cloud.networks.map((n) => n.name));
	for (const server of cloud.servers) {
		if (Object.keys(server.networks).some((name) => routed.has(name))) continue;
		put(
			[seg('▣ ', 'cloud')],
			t('topo.server', {
				name: server.name,
				status: server.status,
				addresses: Object.values(server.networks).flat().join(', ') || '—',
			}),
			'heading',
		);
	}
	for (const problem of cloud.problems) put([seg('! ', 'error')], problem, 'error');
	return lines;
}
