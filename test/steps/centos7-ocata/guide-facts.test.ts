/**
 * The guide, fact by fact: test/fixtures/centos7-ocata/guide-facts.json lists commands and file/section/key/value
 * triples of every section of the reference, written from the reference. The runbook, rendered for the two-node
 * example profile (both networking options) with every secret set to its own name, must contain each one in the
 * scripts of that section on that node; the typos of informal notes and later releases' names must appear nowhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../source/profile/schema.js';
import { PROFILE_VARIABLES, SECRET_NAMES, variableValue } from '../../../source/runbook/variables.js';
import { exampleProfile, ROOT, renderAll, runbook } from './helpers.js';
import { type IniFact, normalizeCommand, type Resolved, resolveScript } from './resolve.js';

interface Fact {
	node: string;
	option?: 'provider' | 'selfservice';
	cmd?: string;
	text?: string;
	ini?: IniFact;
}
interface Fixture {
	absent: string[];
	sections: { section: string; facts: Fact[] }[];
}

const fixture = JSON.parse(
	fs.readFileSync(path.join(ROOT, 'test/fixtures/centos7-ocata/guide-facts.json'), 'utf8'),
) as Fixture;

function resolvedBySectionAndNode(profile: Profile): Map<string, Resolved[]> {
	const rb = runbook();
	const map = new Map<string, Resolved[]>();
	for (const e of renderAll(rb, profile)) {
		const values: Record<string, string> = Object.fromEntries(SECRET_NAMES.map((n) => [n, n]));
		for (const name of [...Object.keys(PROFILE_VARIABLES), ...rb.settings.map((s) => s.name)]) {
			values[name] = variableValue(rb, profile, e.node, name);
		}
		const key = `${e.section.id}@${e.node.name}`;
		map.set(key, [...(map.get(key) ?? []), resolveScript(e.rendered.script, values)]);
	}
	return map;
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function found(fact: Fact, scripts: Resolved[]): boolean {
	if (fact.cmd !== undefined) {
		// whole words: "yum install openstack-nova-compute" must not match "...-computer"
		const wanted = new RegExp(`(^|[\\s;|&(])${escapeRegExp(normalizeCommand(fact.cmd))}(?=$|[\\s;|&)])`);
		return scripts.some((s) => s.commands.some((c) => wanted.test(c)));
	}
	if (fact.text !== undefined) {
		const wanted = fact.text;
		return scripts.some((s) => s.texts.some((t) => t.includes(wanted)) || s.commands.some((c) => c.includes(wanted)));
	}
	if (fact.ini) {
		const [f, sec, k, v] = fact.ini;
		return scripts.some((s) => s.ini.some(([f2, s2, k2, v2]) => f === f2 && sec === s2 && k === k2 && v === v2));
	}
	throw new Error(`fact without cmd, text or ini: ${JSON.stringify(fact)}`);
}

describe('centos7-ocata against the guide facts', () => {
	it('the fixture covers every section of the runbook', () => {
		expect(fixture.sections.map((s) => s.section)).toEqual(runbook().sections.map((s) => s.id));
		for (const s of fixture.sections) expect(s.facts.length, s.section).toBeGreaterThan(5);
	});

	for (const option of ['provider', 'selfservice'] as const) {
		describe(`networking option ${option}`, () => {
			const resolved = resolvedBySectionAndNode(exampleProfile('two-node', option));
			for (const { section, facts } of fixture.sections) {
				it(`${section}: every fact is in the rendered scripts`, () => {
					const missing = facts
						.filter((f) => !f.option || f.option === option)
						.filter((f) => !found(f, resolved.get(`${section}@${f.node}`) ?? []))
						.map((f) => JSON.stringify(f));
					expect(missing).toEqual([]);
				});
			}

			it('the matcher is not vacuous: every fact, altered, is not found', () => {
				const alter = (f: Fact): Fact =>
					f.cmd !== undefined
						? { ...f, cmd: `${f.cmd} --no-such-option-x9` }
						: f.text !== undefined
							? { ...f, text: `${f.text}\u0000x9` }
							: { ...f, ini: [f.ini![0], f.ini![1], f.ini![2], `${f.ini![3]}x9`] };
				const wrongly = fixture.sections
					.flatMap(({ section, facts }) => facts.map((f) => ({ section, f: alter(f) })))
					.filter(({ section, f }) => found(f, resolved.get(`${section}@${f.node}`) ?? []))
					.map(({ section, f }) => `${section}: ${JSON.stringify(f)}`);
				expect(wrongly).toEqual([]);
			});

			it('option-specific facts of the other option are absent', () => {
				const other = option === 'provider' ? 'selfservice' : 'provider';
				const present = fixture.sections
					.flatMap(({ section, facts }) => facts.map((f) => ({ section, f })))
					.filter(({ f }) => f.option === other && f.ini)
					.filter(({ section, f }) => {
						// an ini value both options share (e.g. enable_vxlan differs, security settings do not) is fine
						const same = fixture.sections
							.flatMap((s) => s.facts)
							.some((g) => g.option !== other && JSON.stringify(g.ini) === JSON.stringify(f.ini));
						return !same && found(f, resolved.get(`${section}@${f.node}`) ?? []);
					})
					.map(({ section, f }) => `${section}: ${JSON.stringify(f)}`);
				expect(present).toEqual([]);
			});

			it('no typo of the notes and no later-release name appears', () => {
				const all = [...resolved.values()]
					.flat()
					.flatMap((r) => [...r.texts, ...r.commands])
					.join('\n');
				const hits = fixture.absent.filter((pattern) => new RegExp(pattern).test(all));
				expect(hits).toEqual([]);
			});
		});
	}
});
