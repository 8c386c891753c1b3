/**
 * Nothing of one profile leaks into another's scripts: render everything (step scripts, the plan, the bash
 * export with secrets revealed) for a second profile with other addresses, names, interfaces, region, settings
 * and passwords, and look for every value of the first (the two-node example). Catches a value hard-coded in
 * the runbook where a placeholder belongs.
 */
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../../source/commands/plan.js';
import { Profile } from '../../../source/profile/schema.js';
import { renderNodeScript } from '../../../source/runbook/export.js';
import { PROFILE_VARIABLES, SECRET_NAMES, type Secrets, variableValue } from '../../../source/runbook/variables.js';
import { exampleProfile, renderAll, runbook, secretsWithPrefix } from './helpers.js';
import { resolveScript } from './resolve.js';

const first = exampleProfile('two-node');
const firstSecrets = secretsWithPrefix('alpha');

function second(option: 'provider' | 'selfservice'): Profile {
	return Profile.parse({
		version: 1,
		name: 'beta-site',
		runbook: 'centos7-ocata',
		region: 'RegionBeta',
		network: {
			managementCidr: '192.168.50.0/24',
			providerInterface: 'ens9',
			providerCidr: '198.51.100.0/24',
			providerGateway: '198.51.100.254',
			providerPoolStart: '198.51.100.20',
			providerPoolEnd: '198.51.100.60',
			providerDns: '9.9.9.9',
			option,
			selfserviceCidr: '172.20.5.0/24',
			selfserviceGateway: '172.20.5.254',
		},
		nodes: [
			{ name: 'ctl-b', host: 'ctl-b.example.net', roles: ['controller'], managementIp: '192.168.50.2' },
			{ name: 'cmp-b1', host: 'cmp-b1.example.net', roles: ['compute'], managementIp: '192.168.50.21' },
			{
				name: 'cmp-b2',
				host: 'cmp-b2.example.net',
				roles: ['compute'],
				managementIp: '192.168.50.22',
				providerInterface: 'enp7s0',
			},
		],
		settings: {
			NTP_SERVER: 'ntp.example.org',
			CIRROS_URL: 'https://mirror.example.org/images/cirros.img',
			CIRROS_FILE: '/srv/images/cirros.img',
			SSH_PUBLIC_KEY: '/srv/keys/operator.pub',
		},
	});
}
const secondSecrets: Secrets = secretsWithPrefix('beta');

/** Every value of the first profile: per-node variables, settings (defaults), secrets. */
function valuesOf(profile: Profile, secrets: Secrets): string[] {
	const rb = runbook();
	const values = new Set<string>();
	for (const node of profile.nodes) {
		for (const name of Object.keys(PROFILE_VARIABLES)) {
			// the option is a choice between two words every runbook uses, not a value of a site
			if (name === 'NETWORK_OPTION' || name === 'HOSTS_ENTRIES' || name === 'COMPUTE_HOSTS') continue;
			values.add(variableValue(rb, profile, node, name));
		}
	}
	for (const s of rb.settings) values.add(variableValue(rb, profile, profile.nodes[0]!, s.name));
	for (const name of SECRET_NAMES) values.add(secrets[name]);
	values.delete('');
	return [...values];
}

/** Words that are also ordinary text in the runbook (titles, messages): looked for only where values go. */
const COMMON_WORDS = new Set(['controller']);

describe.each(['provider', 'selfservice'] as const)('a second profile (option %s)', (option) => {
	const rb = runbook();
	const profile = second(option);
	const steps = renderAll(rb, profile);
	const exported = profile.nodes.map((n) => renderNodeScript(rb, profile, n, secondSecrets, { reveal: true }));
	const plan = renderPlan(rb, profile);
	const everything = [...steps.map((e) => e.rendered.script), ...exported, plan].join('\n');

	it('renders its own values (sanity)', () => {
		for (const v of [
			'ctl-b',
			'cmp-b2',
			'192.168.50.21',
			'RegionBeta',
			'enp7s0',
			'ntp.example.org',
			secondSecrets.RABBIT_PASS,
		]) {
			expect(everything).toContain(v);
		}
	});

	it('holds no value of the two-node example profile', () => {
		const distinctive = valuesOf(first, firstSecrets).filter((v) => !COMMON_WORDS.has(v));
		expect(distinctive).toContain('10.0.0.11');
		expect(distinctive).toContain(firstSecrets.ADMIN_PASS);
		expect(distinctive.filter((v) => everything.includes(v))).toEqual([]);
	});

	it('uses the first profile\'s host name "controller" nowhere a value goes', () => {
		const values: Record<string, string> = {};
		const hits: string[] = [];
		for (const e of steps) {
			for (const name of [...Object.keys(PROFILE_VARIABLES), ...rb.settings.map((s) => s.name)]) {
				values[name] = variableValue(rb, profile, e.node, name);
			}
			for (const name of SECRET_NAMES) values[name] = secondSecrets[name];
			const r = resolveScript(e.rendered.script, values);
			for (const word of COMMON_WORDS) {
				const re = new RegExp(`(?<![\\w-])${word}(?![\\w-])`);
				for (const [file, section, key, value] of r.ini)
					if (re.test(value)) hits.push(`${e.key}: ${file} [${section}] ${key} = ${value}`);
				for (const text of r.texts.slice(0, -1))
					if (re.test(text)) hits.push(`${e.key}: heredoc: ${text.slice(0, 120)}`);
				for (const command of r.commands) {
					if (/^(echo|osc_action|printf '%s\\n' "?os-console)/.test(command)) continue;
					if (re.test(command)) hits.push(`${e.key}: ${command.slice(0, 160)}`);
				}
			}
		}
		expect(hits).toEqual([]);
	});
});

it("the first profile's own scripts, plan and unrevealed export hold none of its secrets", () => {
	const rb = runbook();
	const texts = [
		...renderAll(rb, first).map((e) => e.rendered.script),
		...first.nodes.map((n) => renderNodeScript(rb, first, n, firstSecrets, { reveal: false })),
		renderPlan(rb, first),
	].join('\n');
	expect(SECRET_NAMES.filter((n) => texts.includes(firstSecrets[n]))).toEqual([]);
});
