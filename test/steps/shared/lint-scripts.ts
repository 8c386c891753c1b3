/**
 * The lint tests of a runbook's rendered scripts: every script of each profile case passes `bash -n` and
 * `sh -n`, ShellCheck as POSIX sh at severity warning, and calls only helper functions it defines itself.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../source/profile/schema.js';
import type { Runbook } from '../../../source/runbook/model.js';
import { renderStep } from '../../../source/runbook/render.js';
import { type NetworkOption, type RenderedEntry, renderAll } from './render-all.js';

export function hasShellcheck(): boolean {
	return spawnSync('shellcheck', ['--version']).status === 0;
}

/**
 * The core renderer's header sources the secrets file (`. "${OSC_SECRETS:?...}"`): a non-constant source by
 * design (SC1090). That line belongs to render.ts; every other SC1090 still fails unless the runbook allows it.
 */
const CORE_SECRETS_LINE = '. "${OSC_SECRETS:?os-console: OSC_SECRETS is not set}"';

/** The script line an SC1090 finding (gcc format) points at, or undefined for any other finding. */
function sourcedLine(finding: string): string | undefined {
	const m = /^(.*?):(\d+):\d+: .*\[SC1090\]$/.exec(finding);
	if (!m) return undefined;
	return fs.readFileSync(m[1]!, 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
}

function writeScripts(entries: RenderedEntry[]): { dir: string; files: Map<string, string> } {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-shellcheck-'));
	const files = new Map<string, string>();
	entries.forEach((e, i) => {
		const file = path.join(dir, `${String(i).padStart(3, '0')}-${e.section.id}-${e.step.id}-${e.node.name}.sh`);
		fs.writeFileSync(file, e.rendered.script);
		files.set(file, e.key);
	});
	return { dir, files };
}

function withScripts(entries: RenderedEntry[], check: (files: Map<string, string>) => void): void {
	const { dir, files } = writeScripts(entries);
	try {
		check(files);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** The four example cases of a runbook: two-node and all-in-one, each with networking option 1 and 2. */
export function exampleCases(
	exampleProfile: (name: 'two-node' | 'all-in-one', option: NetworkOption) => Profile,
): { name: string; profile: Profile }[] {
	return (['two-node', 'all-in-one'] as const).flatMap((name) =>
		(['provider', 'selfservice'] as const).map((option) => ({
			name: `${name}, option ${option}`,
			profile: exampleProfile(name, option),
		})),
	);
}

/**
 * The script with each arithmetic expansion, `$(( (a >> 8) & ((b >> 12) & 255) ))`, replaced by 0: variables
 * there follow `(` without being commands.
 */
function withoutArithmetic(script: string): string {
	let out = '';
	let at = 0;
	for (let start = script.indexOf('$((', at); start >= 0; start = script.indexOf('$((', at)) {
		let depth = 0;
		let end = start + 1;
		for (; end < script.length; end++) {
			if (script[end] === '(') depth++;
			else if (script[end] === ')' && --depth === 0) break;
		}
		out += `${script.slice(at, start)}0`;
		at = end + 1;
	}
	return out + script.slice(at);
}

/** Helper functions called at command positions in a script: line start, after ; & | ( or then/else/do. */
function calledHelpers(script: string): string[] {
	return [
		...withoutArithmetic(script).matchAll(
			/(?:^[\t ]*|[;&|(][\t ]*|\b(?:then|else|do)[\t ]+)(osc_[a-z_]+)(?=[\t ;)]|$)/gm,
		),
	].map((m) => m[1]!);
}

function definedHelpers(script: string): Set<string> {
	return new Set([...script.matchAll(/^(osc_[a-z_]+)\(\)/gm)].map((m) => m[1]!));
}

/**
 * Helper functions an action calls that its own rendering does not define: it then works in a step script only
 * because a sibling action made the renderer emit them, and fails where actions run alone (the Ansible export).
 * Keys: `section/step#N: function` (N counts from 1).
 */
export function helpersFromSiblings(rb: Runbook, profile: Profile): string[] {
	const out = new Set<string>();
	for (const e of renderAll(rb, profile)) {
		e.step.actions.forEach((action, index) => {
			const alone = { ...e.step, check: undefined, verify: undefined, actions: [action] };
			const script = renderStep(rb, e.section, alone, profile, e.node).script;
			const defined = definedHelpers(script);
			for (const name of calledHelpers(script)) {
				if (name !== 'osc_action' && !defined.has(name)) out.add(`${e.section.id}/${e.step.id}#${index + 1}: ${name}`);
			}
		});
	}
	return [...out].sort();
}

export interface LintOptions {
	/** Each case renders at least this many scripts (a runbook that lost its steps fails here). */
	minScripts: number;
	/**
	 * Actions allowed to call a helper their own rendering does not define (see helpersFromSiblings), because the
	 * model has no way yet to declare it; each entry says why.
	 */
	helpersFromSiblings?: Record<string, string>;
	/** Script lines (other than the core secrets line) a runbook may source although ShellCheck cannot follow them. */
	allowedSources?: RegExp;
}

export function describeScriptLint(
	runbook: () => Runbook,
	cases: { name: string; profile: Profile }[],
	options: LintOptions,
): void {
	describe.each(cases)(`${runbook().id} scripts: $name`, ({ profile }) => {
		const entries = renderAll(runbook(), profile);

		it('renders a script for every step on its nodes', () => {
			expect(entries.length).toBeGreaterThan(options.minScripts);
		});

		it('passes bash -n and sh -n', () => {
			withScripts(entries, (files) => {
				const failures: string[] = [];
				for (const [file, key] of files) {
					for (const shell of ['bash', 'sh']) {
						const result = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
						if (result.status !== 0) failures.push(`${key} (${shell}): ${result.stderr}`);
					}
				}
				expect(failures).toEqual([]);
			});
		});

		it.skipIf(!hasShellcheck())('passes shellcheck -s sh -S warning', () => {
			withScripts(entries, (files) => {
				const result = spawnSync('shellcheck', ['-s', 'sh', '-S', 'warning', '-f', 'gcc', ...files.keys()], {
					encoding: 'utf8',
				});
				const findings = result.stdout
					.split('\n')
					.filter(Boolean)
					.filter((line) => {
						const sourced = sourcedLine(line);
						if (sourced === undefined) return true;
						return !(sourced === CORE_SECRETS_LINE || options.allowedSources?.test(sourced));
					})
					.map((line) => {
						const file = line.slice(0, line.indexOf(':'));
						return `${files.get(file) ?? file}${line.slice(file.length)}`;
					});
				expect(findings).toEqual([]);
				// 0: clean, 1: findings (all filtered above); anything else means shellcheck itself failed
				expect([0, 1]).toContain(result.status);
			});
		});

		it('calls only helper functions the script defines', () => {
			const problems: string[] = [];
			for (const e of entries) {
				const defined = definedHelpers(e.rendered.script);
				for (const name of calledHelpers(e.rendered.script)) {
					if (!defined.has(name)) problems.push(`${e.key}: ${name}`);
				}
			}
			expect([...new Set(problems)]).toEqual([]);
		});

		it('each action declares the helper functions it calls (actions run alone in the Ansible export)', () => {
			const allowed = options.helpersFromSiblings ?? {};
			expect(helpersFromSiblings(runbook(), profile).filter((key) => !(key in allowed))).toEqual([]);
		});
	});

	it('every allowed helper-from-a-sibling is still needed (drop it once the action can declare it)', () => {
		const found = new Set(cases.flatMap(({ profile }) => helpersFromSiblings(runbook(), profile)));
		expect(Object.keys(options.helpersFromSiblings ?? {}).filter((key) => !found.has(key))).toEqual([]);
	});

	it('shellcheck is installed (CI installs it; the lint tests above are skipped without it)', () => {
		if (process.env.CI) expect(hasShellcheck()).toBe(true);
		else if (!hasShellcheck()) console.warn('shellcheck not found: apt-get install -y shellcheck');
		expect(spawnSync('bash', ['--version'], { encoding: 'utf8' }).stdout).toMatch(/bash/);
	});
}
