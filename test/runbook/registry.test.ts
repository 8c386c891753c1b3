/**
 * The bundle embeds the shipped runbooks as validated at build time (scripts/bundle.mjs), as JSON: that is only
 * right while validation gives plain data that JSON carries unchanged, and while the bundle holds the same data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { listRunbooks, validateShippedRunbooks } from '../../source/runbook/registry.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('runbooks validated at build time', () => {
	it('every shipped runbook survives JSON unchanged', () => {
		const shipped = validateShippedRunbooks();
		expect(Object.keys(shipped)).toEqual(listRunbooks().map((r) => r.id));
		for (const [id, runbook] of Object.entries(shipped)) {
			expect(isDeepStrictEqual(JSON.parse(JSON.stringify(runbook)), runbook), id).toBe(true);
		}
	});

	it('the built bundle holds exactly what validation gives now (npm run build after a runbook change)', () => {
		const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'cli.cjs'), 'utf8');
		const start = bundle.indexOf('prevalidated ??= JSON.parse(');
		expect(start).toBeGreaterThan(0);
		// The embedded text is a JavaScript string literal: evaluate just that literal.
		const open = start + 'prevalidated ??= JSON.parse('.length;
		const close = bundle.indexOf(');\n', open);
		const literal = bundle.slice(open, close);
		const text = vm.runInNewContext(literal) as string;
		expect(JSON.parse(text)).toEqual(validateShippedRunbooks());
	});
});
