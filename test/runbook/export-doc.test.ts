/**
 * docs/runbooks/centos7-ocata.md is generated (scripts/gen-runbook-docs.mjs, from dist/) by the same
 * renderRunbookDoc this test calls from source/: the test fails when the committed document is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { renderRunbookDoc } from '../../source/runbook/export.js';
import { exampleProfile, ROOT, runbook } from '../steps/centos7-ocata/helpers.js';

it('docs/runbooks/centos7-ocata.md is current (regenerate: npm run build && node scripts/gen-runbook-docs.mjs)', () => {
	const committed = fs.readFileSync(path.join(ROOT, 'docs/runbooks/centos7-ocata.md'), 'utf8');
	const generated = renderRunbookDoc(runbook(), exampleProfile('two-node'), 'scripts/gen-runbook-docs.mjs');
	expect(
		committed === generated,
		'docs/runbooks/centos7-ocata.md is stale: run npm run build && node scripts/gen-runbook-docs.mjs',
	).toBe(true);
});

it('the document shows every section and step, and commands as an operator reads them', () => {
	const doc = fs.readFileSync(path.join(ROOT, 'docs/runbooks/centos7-ocata.md'), 'utf8');
	for (const section of runbook().sections) {
		expect(doc).toContain(`. ${section.title}\n`);
		for (const step of section.steps) expect(doc).toContain(`\`${section.id}/${step.id}\``);
	}
	expect(doc).toContain('yum install -y openstack-nova-compute');
	expect(doc).toContain('connection = mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone');
	expect(doc).toContain('openstack user create --domain default --password GLANCE_PASS glance');
	expect(doc).toContain('local_ip = <NODE_IP>');
	expect(doc).toContain('only for networking option 2 (self-service)');
});
