/**
 * The topology view's parsing and drawing (pure): the OpenStack CLI's JSON as the Zed and Ocata clients
 * print it, the physical networks drawn as boxes when they fit and as a list on two buses when the terminal
 * is narrow, every line within the width, and the cloud drawn as a tree.
 */
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { fitHints } from '../../source/components/key-hints.js';
import { setLanguage } from '../../source/i18n/index.js';
import { Profile } from '../../source/profile/schema.js';
import {
	type CloudTopology,
	type DrawLine,
	drawCloud,
	drawPhysical,
	parseNetworks,
	parseRouterShow,
	parseRouters,
	parseServers,
} from '../../source/screens/use-topology-state.js';
import { hintsFor } from '../../source/ui/keybindings.js';

afterEach(() => setLanguage('en'));

const profile = Profile.parse({
	version: 1,
	name: 'guide',
	runbook: 'debian12-zed',
	network: {
		managementCidr: '10.0.0.0/24',
		providerInterface: 'eth1',
		providerCidr: '203.0.113.0/24',
		providerGateway: '203.0.113.1',
		providerPoolStart: '203.0.113.101',
		providerPoolEnd: '203.0.113.250',
		option: 'selfservice',
	},
	nodes: [
		{ name: 'controller', host: '192.168.1.11', roles: ['controller'], managementIp: '10.0.0.11' },
		{
			name: 'compute1',
			host: '192.168.1.31',
			roles: ['compute'],
			managementIp: '10.0.0.31',
			providerInterface: 'ens4',
		},
	],
});

const text = (lines: DrawLine[]) => lines.map((l) => l.map((s) => s.text).join(''));

describe('reading the cloud', () => {
	it('parses network list --long, router list, router show and server list (Zed and Ocata shapes)', () => {
		const networks = parseNetworks(
			JSON.stringify([
				{
					ID: 'n1',
					Name: 'provider',
					Status: 'ACTIVE',
					Shared: true,
					Subnets: ['s1'],
					'Network Type': 'flat',
					'Router Type': 'External',
				},
				{
					ID: 'n2',
					Name: 'selfservice',
					Status: 'ACTIVE',
					Shared: false,
					Subnets: 's2, s3',
					'Network Type': 'vxlan',
					'Router Type': 'Internal',
				},
			]),
		);
		expect(networks).toEqual([
			{ id: 'n1', name: 'provider', external: true, shared: true, type: 'flat', subnets: ['s1'] },
			{ id: 'n2', name: 'selfservice', external: false, shared: false, type: 'vxlan', subnets: ['s2', 's3'] },
		]);
		expect(parseRouters(JSON.stringify([{ ID: 'r1', Name: 'router', Status: 'ACTIVE' }]))).toEqual([
			{ id: 'r1', name: 'router', status: 'ACTIVE', interfaceSubnets: [] },
		]);
		// Zed: objects; Ocata: Python-dict text.
		expect(
			parseRouterShow(
				JSON.stringify({
					external_gateway_info: { network_id: 'n1', enable_snat: true },
					interfaces_info: [{ port_id: 'p', ip_address: '172.16.1.1', subnet_id: 's2' }],
				}),
			),
		).toEqual({ gatewayNetwork: 'n1', interfaceSubnets: ['s2'] });
		expect(
			parseRouterShow(JSON.stringify({ external_gateway_info: "{'network_id': 'n1', 'enable_snat': True}" })),
		).toEqual({ gatewayNetwork: 'n1', interfaceSubnets: [] });
		expect(parseRouterShow('not json')).toBeUndefined();
		expect(
			parseServers(
				JSON.stringify([
					{
						ID: 'x',
						Name: 'selfservice-instance',
						Status: 'ACTIVE',
						Networks: { selfservice: ['172.16.1.5', '203.0.113.104'] },
					},
					{ ID: 'y', Name: 'provider-instance', Status: 'ERROR', Networks: 'provider=203.0.113.103' },
				]),
			),
		).toEqual([
			{
				id: 'x',
				name: 'selfservice-instance',
				status: 'ACTIVE',
				networks: { selfservice: ['172.16.1.5', '203.0.113.104'] },
			},
			{ id: 'y', name: 'provider-instance', status: 'ERROR', networks: { provider: ['203.0.113.103'] } },
		]);
	});
});

describe('drawing', () => {
	it('draws the nodes as boxes between the management and provider buses when they fit', () => {
		const lines = text(drawPhysical(profile, 100));
		for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(99);
		expect(lines[0]).toBe('management network 10.0.0.0/24');
		expect(lines[1]).toMatch(/^═+╤═+╤═+$/);
		expect(lines.find((l) => l.includes('controller') && l.includes('compute1'))).toMatch(
			/│ controller\s+│\s+│ compute1\s+│/,
		);
		expect(lines.some((l) => /│ mgmt 10\.0\.0\.11\s+│\s+│ mgmt 10\.0\.0\.31\s+│/.test(l))).toBe(true);
		expect(lines.some((l) => /│ provider if eth1\s+│\s+│ provider if ens4\s+│/.test(l))).toBe(true);
		expect(lines.at(-3)).toMatch(/^═+╧═+╧═+$/);
		expect(lines.at(-2)).toBe('provider network 203.0.113.0/24');
		expect(lines.at(-1)).toBe('gateway 203.0.113.1 · pool 203.0.113.101–203.0.113.250');
		// The tees sit over the boxes' connectors.
		const top = lines[1]!;
		const connector = lines[2]!;
		for (let x = 0; x < connector.length; x++) if (connector[x] === '│') expect(top[x]).toBe('╤');
	});

	it('falls back to a list on two buses in a narrow terminal, every line within the width', () => {
		for (const columns of [30, 24, 12]) {
			const lines = text(drawPhysical(profile, columns));
			for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(columns - 1);
			expect(lines[0]!.startsWith('║ ')).toBe(true);
			expect(lines.filter((l) => l.startsWith('╟─╂─ '))).toHaveLength(2);
		}
		const lines = text(drawPhysical(profile, 30));
		expect(lines).toContain('╟─╂─ controller');
		expect(lines).toContain('║ ┃   mgmt 10.0.0.31');
	});

	it('keeps boxes aligned with Chinese labels (two columns a character)', () => {
		setLanguage('zh');
		const lines = text(drawPhysical(profile, 100));
		const box = lines.filter((l) => l.startsWith('│'));
		const widths = new Set(box.map((l) => stringWidth(l)));
		expect(widths.size, box.join('\n')).toBe(1);
		expect(box.some((l) => l.includes('控制节点'))).toBe(true);
	});

	it('draws the cloud as a tree: networks, their routers and instances', () => {
		const cloud: CloudTopology = {
			networks: [
				{ id: 'n1', name: 'provider', external: true, shared: true, type: 'flat', subnets: ['s1'] },
				{ id: 'n2', name: 'selfservice', external: false, shared: false, type: 'vxlan', subnets: ['s2'] },
			],
			routers: [{ id: 'r', name: 'router', gatewayNetwork: 'n1', interfaceSubnets: ['s2'] }],
			servers: [{ id: 'x', name: 'selfservice-instance', status: 'ACTIVE', networks: { selfservice: ['172.16.1.5'] } }],
			problems: ['server list: permission denied'],
			readAt: 0,
		};
		expect(text(drawCloud(cloud, 100))).toEqual([
			'├─▶ network provider · external · shared · flat · 1 subnet',
			'│   └── router router (its gateway)',
			'└─▶ network selfservice · vxlan · 1 subnet',
			'    ├── router router (an interface)',
			'    └── instance selfservice-instance ACTIVE 172.16.1.5',
			'! server list: permission denied',
		]);
		for (const line of text(drawCloud(cloud, 20))) expect(stringWidth(line)).toBeLessThanOrEqual(19);
		expect(text(drawCloud({ networks: [], routers: [], servers: [], problems: [], readAt: 0 }, 80))).toEqual([
			'no network and no instance yet',
		]);
	});
});

describe('footer hints', () => {
	it('fit the width in table order and always end with the help key', () => {
		const all = hintsFor('dashboard');
		expect(fitHints(all, 500)).toEqual(all);
		const narrow = fitHints(all, 40);
		expect(narrow.at(-1)?.action).toBe('help');
		expect(narrow[0]?.action).toBe('move-up');
		const width = narrow.reduce((w, h, i) => w + stringWidth(`${h.keys} ${h.label}`) + (i ? 3 : 0), 0);
		expect(width).toBeLessThanOrEqual(40);
	});
});
