/**
 * Every rendered script of the centos7-ocata runbook (two-node and all-in-one, both networking options) is
 * valid shell: `bash -n`, `sh -n` and ShellCheck as POSIX sh at severity warning (see ../shared/lint-scripts.ts).
 */
import { describeScriptLint, exampleCases } from '../shared/lint-scripts.js';
import { exampleProfile, runbook } from './helpers.js';

/** The model has no `uses` on wait actions: these waits get osc_openstack from the step's openstack actions. */
const WAIT_CANNOT_DECLARE = 'a wait action cannot declare uses: [openstack-admin] (source/runbook/model.ts)';

describeScriptLint(runbook, exampleCases(exampleProfile), {
	minScripts: 60,
	helpersFromSiblings: Object.fromEntries(
		[
			'glance/verify#3',
			'neutron-compute/verify#2',
			'neutron-controller/verify#1',
			'neutron-controller/verify#2',
			'nova-compute/discover#1',
			'nova-compute/verify#1',
			'nova-controller/verify#1',
		].map((action) => [`${action}: osc_openstack`, WAIT_CANNOT_DECLARE]),
	),
});
