/** Verification checks: data, parsers, results saved with the profile, and the runner. */
export { CHECKS, checkContext, planChecks, VerifySelectionError, verifySectionForRunbookSection } from './checks.js';
export * from './parsers.js';
export { type RunChecksOptions, runCheck, runChecks } from './run.js';
export { agentsForNode, expectationsFor, type RunbookExpectations, serviceHint } from './runbook-data.js';
export { VerifyStore, verifyFile } from './store.js';
export * from './types.js';
