/**
 * `openstack server create` prints a table with the server's generated adminPass unless told to print less. That
 * password is not one of the profile's secrets, so the output masking cannot know it: every runbook's server
 * creation must ask for the id alone, or the password lands in panes, logs and the journal.
 */
import { describe, expect, it } from 'vitest';
import { getRunbook } from '../../source/runbook/registry.js';
import { loadExampleProfile, renderAll } from './shared/render-all.js';

describe.each(['centos7-ocata', 'debian12-zed'])('%s: server create prints only the id', (runbookId) => {
	it.each(['provider', 'selfservice'] as const)('networking option %s', (option) => {
		const rb = getRunbook(runbookId);
		const creates = renderAll(rb, loadExampleProfile(runbookId, 'two-node', option))
			.flatMap((e) => e.rendered.script.split('\n'))
			// the action markers only name the command (the plan's one-line description); they do not run it
			.filter((line) => !/^\s*(osc_action|#)/.test(line))
			.filter((line) => /\bserver['"]? +['"]?create\b/.test(line));
		expect(creates.length).toBeGreaterThan(0);
		for (const line of creates) expect(line).toMatch(/-f'? +'?value'? +'?-c'? +'?id\b/);
	});
});
