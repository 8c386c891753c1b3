/** The instance-launch form's model: spec and validation, prefill, the plan of typed actions, submit. */
export * from './plan.js';
export * from './prefill.js';
export * from './spec.js';
export * from './submit.js';
