/**
 * The per-runbook expectations of the checks against the runbooks themselves: every service unit the checks
 * name is one the runbook manages, the Debian log paths are the runbook's own, the test image is the one its
 * glance section uploads, and the checks' scripts render for each runbook.
 */
import { describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import { RunbookStep } from '../../source/runbook/model.js';
import { getRunbook, listRunbooks } from '../../source/runbook/registry.js';
import { renderStep } from '../../source/runbook/render.js';
import { SERVICE_LOGS } from '../../source/steps/debian12-zed/lib.js';
import { checkContext, planChecks } from '../../source/verify/checks.js';
import { expectationsFor, hasOwnExpectations } from '../../source/verify/runbook-data.js';
import { cloudProfile } from './helpers.js';

const RUNBOOKS = ['centos7-ocata', 'debian12-zed'] as const;

describe.each(RUNBOOKS)('%s', (id) => {
	it('is registered and has its own expectations', () => {
		expect(listRunbooks().map((r) => r.id)).toContain(id);
		expect(hasOwnExpectations(id)).toBe(true);
	});

	it('names only service units the runbook manages', () => {
		const runbook = getRunbook(id);
		const text = JSON.stringify(runbook);
		const expect_ = expectationsFor(runbook);
		for (const [service, info] of Object.entries(expect_.services)) {
			expect(text.includes(info.unit), `${service}: unit ${info.unit} not in runbook ${id}`).toBe(true);
		}
		for (const binary of expect_.novaControllerBinaries) expect(text).toContain(binary);
		expect(text).toContain(`'provider:{{PROVIDER_IFACE}}'`.replace('provider', expect_.physicalNetwork).slice(1, -1));
	});

	it('the test image is the one the glance section uploads', () => {
		const runbook = getRunbook(id);
		const profile = cloudProfile({ runbook: id, settings: {} });
		const image = expectationsFor(runbook).testImage(profile, runbook);
		const glance = JSON.stringify(runbook.sections.find((s) => s.id === 'glance'));
		expect(glance.includes(image) || glance.includes('{{IMAGE_NAME}}')).toBe(true);
		if (id === 'debian12-zed') expect(image).toBe(runbook.settings.find((s) => s.name === 'IMAGE_NAME')?.default);
	});

	it("every check renders for the runbook's nodes (no unknown variables, no secret in the script)", () => {
		const runbook = getRunbook(id);
		const profile = Profile.parse(cloudProfile({ runbook: id, settings: {} }));
		for (const instance of planChecks(profile)) {
			const ctx = checkContext(runbook, profile, instance.node);
			const step = RunbookStep.parse({ id: 'adhoc', title: 't', on: 'all', actions: instance.def.actions(ctx) });
			const rendered = renderStep(
				runbook,
				{ id: 'adhoc', title: 't', guide: 'g', steps: [step] },
				step,
				profile,
				instance.node,
			);
			expect(rendered.script).toContain('set -eu');
		}
	});
});

it("debian12-zed log paths are the runbook's own", () => {
	const data = expectationsFor(getRunbook('debian12-zed'));
	for (const [service, info] of Object.entries(data.services)) {
		const own =
			SERVICE_LOGS[service === 'neutron-server' ? 'neutron-api' : service === 'placement' ? 'placement-api' : service];
		if (own) expect(info.log, service).toBe(own);
	}
});
