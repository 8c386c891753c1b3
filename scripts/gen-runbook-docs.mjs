#!/usr/bin/env node
/**
 * Writes docs/runbooks/<runbook>.md from the runbook data, with the values of the runbook's two-node example
 * profile (profiles/<runbook>-two-node.json); every runbook that has one is documented.
 * Run after `npm run build` (it reads dist/): `node scripts/gen-runbook-docs.mjs [--check]`.
 * test/runbook/export-doc.test.ts renders the same text from source/ and fails when a committed file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { renderRunbookDoc } = await import(path.join(root, 'dist/runbook/export.js'));
const { getRunbook, listRunbooks } = await import(path.join(root, 'dist/runbook/registry.js'));
const { parseProfile } = await import(path.join(root, 'dist/profile/store.js'));

const GENERATOR = 'scripts/gen-runbook-docs.mjs';
/** The runbooks documented, each with the example profile whose values the document shows. */
const DOCS = listRunbooks()
	.map((r) => ({ runbook: r.id, profile: `profiles/${r.id}-two-node.json` }))
	.filter((doc) => fs.existsSync(path.join(root, doc.profile)));

const check = process.argv.includes('--check');
let stale = 0;
for (const doc of DOCS) {
	const file = path.join(root, doc.profile);
	const profile = parseProfile(JSON.parse(fs.readFileSync(file, 'utf8')), file);
	const text = renderRunbookDoc(getRunbook(doc.runbook), profile, GENERATOR);
	const target = path.join(root, 'docs/runbooks', `${doc.runbook}.md`);
	const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
	if (current === text) {
		console.log(`up to date: ${path.relative(root, target)}`);
	} else if (check) {
		console.error(`stale: ${path.relative(root, target)} (run: npm run build && node ${GENERATOR})`);
		stale++;
	} else {
		fs.mkdirSync(path.dirname(target), { recursive: true });
		fs.writeFileSync(target, text);
		console.log(`wrote ${path.relative(root, target)}`);
	}
}
process.exitCode = stale ? 1 : 0;
