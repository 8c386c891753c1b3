/**
 * Every rendered script of the debian12-zed runbook (two-node and all-in-one, both networking options, and a
 * second profile with other values) is valid shell: `bash -n`, `sh -n` and ShellCheck as POSIX sh at severity
 * warning (see ../shared/lint-scripts.ts).
 */
import { describeScriptLint, exampleCases } from '../shared/lint-scripts.js';
import { exampleProfile, otherProfile, runbook } from './helpers.js';

describeScriptLint(
	runbook,
	[
		...exampleCases(exampleProfile),
		{ name: 'three nodes with other values, option selfservice', profile: otherProfile('selfservice') },
	],
	{
		minScripts: 50,
		// Sourcing /root/admin-openrc (written by the keystone section on the controller) is the guide's way to get
		// credentials; ShellCheck cannot follow a file that exists only on the node.
		allowedSources: /^\s*\. \/root\/(admin|demo)-openrc$/,
	},
);
