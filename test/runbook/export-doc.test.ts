/**
 * docs/runbooks/<runbook>.md is generated (scripts/gen-runbook-docs.mjs, from dist/) for every runbook with a
 * two-node example profile, by the same renderRunbookDoc this test calls from source/: the test fails when a
 * committed document is stale or missing, or when a document has no runbook.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRunbookDoc } from '../../source/runbook/export.js';
import { getRunbook, listRunbooks } from '../../source/runbook/registry.js';
import { loadExampleProfile, ROOT } from '../steps/shared/render-all.js';

const GENERATOR = 'scripts/gen-runbook-docs.mjs';
const REGENERATE = `npm run build && node ${GENERATOR}`;

/** The generator's rule: every runbook that has profiles/<runbook>-two-node.json. */
const documented = listRunbooks()
	.map((r) => r.id)
	.filter((id) => fs.existsSync(path.join(ROOT, 'profiles', `${id}-two-node.json`)));

function committedDoc(id: string): string {
	return fs.readFileSync(path.join(ROOT, 'docs/runbooks', `${id}.md`), 'utf8');
}

it('documents both OpenStack runbooks, and nothing else', () => {
	expect(documented).toEqual(expect.arrayContaining(['centos7-ocata', 'debian12-zed']));
	const files = fs.readdirSync(path.join(ROOT, 'docs/runbooks')).filter((f) => f.endsWith('.md'));
	expect(files.sort()).toEqual(documented.map((id) => `${id}.md`).sort());
});

describe.each(documented)('docs/runbooks/%s.md', (id) => {
	it(`is current (regenerate: ${REGENERATE})`, () => {
		const generated = renderRunbookDoc(getRunbook(id), loadExampleProfile(id, 'two-node'), GENERATOR);
		expect(committedDoc(id) === generated, `docs/runbooks/${id}.md is stale: run ${REGENERATE}`).toBe(true);
	});

	it('keeps every line of a block inside a numbered action indented with it (multi-line SQL and scripts)', () => {
		const lines = committedDoc(id).split('\n');
		const outdented: string[] = [];
		let blocks = 0;
		for (let i = 0; i < lines.length; i++) {
			const open = /^( {3})(`{3,4})[a-z]*$/.exec(lines[i]!);
			if (!open) continue;
			blocks++;
			for (i++; i < lines.length && lines[i] !== `${open[1]}${open[2]}`; i++) {
				if (lines[i] !== '' && !lines[i]!.startsWith(open[1]!)) outdented.push(`line ${i + 1}: ${lines[i]}`);
			}
		}
		expect(blocks).toBeGreaterThan(50);
		expect(outdented).toEqual([]);
	});

	it('shows every section and step', () => {
		const doc = committedDoc(id);
		for (const section of getRunbook(id).sections) {
			expect(doc).toContain(`. ${section.title}\n`);
			for (const step of section.steps) expect(doc).toContain(`\`${section.id}/${step.id}\``);
		}
		expect(doc).toContain('only for networking option 2 (self-service)');
	});
});

it('the centos7-ocata document shows commands as an operator reads them', () => {
	const doc = committedDoc('centos7-ocata');
	expect(doc).toContain('yum install -y openstack-nova-compute');
	expect(doc).toContain('connection = mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone');
	expect(doc).toContain('openstack user create --domain default --password GLANCE_PASS glance');
	expect(doc).toContain('local_ip = <NODE_IP>');
	// SQL runs as root with the password the mariadb-secure step sets
	expect(doc).toContain('As the database root user, with its password `DB_ROOT_PASS` (`mysql -u root -p`):');
	expect(doc).not.toContain('over the unix socket without a password');
});

it('the debian12-zed document shows commands as an operator reads them', () => {
	const doc = committedDoc('debian12-zed');
	expect(doc).toContain('apt-get install -y nova-compute nova-compute-kvm');
	expect(doc).toContain('connection = mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone');
	expect(doc).toContain('openstack user create --domain default --password GLANCE_PASS glance');
	expect(doc).toContain('www_authenticate_uri = http://controller:5000');
	expect(doc).toContain('local_ip = <NODE_IP>');
	// the database login check: the password goes into a defaults file, not into mysql's environment
	expect(doc).toContain('mysql --defaults-extra-file="$osc_cnf"');
	expect(doc).not.toContain('MYSQL_PWD');
	// Debian's root connects over the unix socket, without a password
	expect(doc).toContain('As the database root user, over the unix socket without a password (`mysql -u root`):');
	expect(doc).not.toContain('mysql -u root -p');
	expect(doc).toContain(
		"   CREATE DATABASE IF NOT EXISTS keystone;\n   GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'localhost'",
	);
});
