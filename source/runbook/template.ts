/**
 * Templates are literal text with `{{NAME}}` placeholders. They are never interpolated as text into code:
 * each form below turns literals and variables into shell syntax that keeps values inert.
 */
import { heredocEscape, shellQuoteAlways } from '../util/shell.js';

export type TemplatePart = { literal: string } | { variable: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function parseTemplate(template: string): TemplatePart[] {
	const parts: TemplatePart[] = [];
	let last = 0;
	for (const match of template.matchAll(PLACEHOLDER)) {
		if (match.index > last) parts.push({ literal: template.slice(last, match.index) });
		parts.push({ variable: match[1]! });
		last = match.index + match[0].length;
	}
	if (last < template.length) parts.push({ literal: template.slice(last) });
	return parts;
}

export function templateVariables(template: string): string[] {
	return parseTemplate(template).flatMap((p) => ('variable' in p ? [p.variable] : []));
}

/** The variable name when the template is exactly one placeholder, e.g. "{{GLANCE_PASS}}". */
export function soleVariable(template: string): string | undefined {
	const parts = parseTemplate(template);
	return parts.length === 1 && 'variable' in parts[0]! ? parts[0].variable : undefined;
}

/** One shell word: literals single-quoted, variables as "${NAME}" (expanded, never re-parsed). */
export function asShellWord(template: string): string {
	const parts = parseTemplate(template);
	if (parts.length === 0) return "''";
	return parts.map((p) => ('variable' in p ? `"\${${p.variable}}"` : shellQuoteAlways(p.literal))).join('');
}

/** Body of an unquoted heredoc: literals escaped so only the placeholders expand. */
export function asHeredocBody(template: string): string {
	return parseTemplate(template)
		.map((p) => ('variable' in p ? `\${${p.variable}}` : heredocEscape(p.literal)))
		.join('');
}

/** Script text written by the runbook author: placeholders become double-quoted variable references. */
export function asScriptText(template: string): string {
	return template.replace(PLACEHOLDER, (_m, name: string) => `"\${${name}}"`);
}

/** Substitute values for display (plan descriptions); `lookup` decides how secrets are shown. */
export function substitute(template: string, lookup: (name: string) => string): string {
	return template.replace(PLACEHOLDER, (_m, name: string) => lookup(name));
}
