/**
 * Every rendered script of the centos7-ocata runbook (two-node and all-in-one, both networking options) is
 * valid shell: `bash -n`, `sh -n` and ShellCheck as POSIX sh at severity warning (see ../shared/lint-scripts.ts).
 */
import { describeScriptLint } from '../shared/lint-scripts.js';
import { exampleProfile, runbook } from './helpers.js';

describeScriptLint(
	runbook,
	[
		{ name: 'two-node, option provider', profile: exampleProfile('two-node', 'provider') },
		{ name: 'two-node, option selfservice', profile: exampleProfile('two-node', 'selfservice') },
		{ name: 'all-in-one, option provider', profile: exampleProfile('all-in-one', 'provider') },
		{ name: 'all-in-one, option selfservice', profile: exampleProfile('all-in-one', 'selfservice') },
	],
	{ minScripts: 60 },
);
