/**
 * Every rendered script of the centos7-ocata runbook (two-node and all-in-one, both networking options) is
 * valid shell: `bash -n`, `sh -n` and ShellCheck as POSIX sh at severity warning (see ../shared/lint-scripts.ts).
 */
import { describeScriptLint, exampleCases } from '../shared/lint-scripts.js';
import { exampleProfile, runbook } from './helpers.js';

describeScriptLint(runbook, exampleCases(exampleProfile), { minScripts: 60 });
