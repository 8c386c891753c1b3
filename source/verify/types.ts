/**
 * Verification checks as data: what runs where (typed actions through Engine.exec), and a pure parser that
 * turns the output into pass or fail with the detail that decided it and, on failure, what to look at next.
 */
import type { Profile, ProfileNode } from '../profile/schema.js';
import type { ActionInput, Runbook } from '../runbook/model.js';
import type { RunbookExpectations } from './runbook-data.js';

/** The verification sections, in the order of the install guide. */
export const VERIFY_SECTIONS = [
	{ id: 'environment', title: 'Environment' },
	{ id: 'keystone', title: 'Identity (Keystone)' },
	{ id: 'glance', title: 'Image (Glance)' },
	{ id: 'placement', title: 'Placement' },
	{ id: 'nova', title: 'Compute (Nova)' },
	{ id: 'neutron', title: 'Networking (Neutron)' },
] as const;
export type VerifySectionId = (typeof VERIFY_SECTIONS)[number]['id'];

export function isVerifySection(id: string): id is VerifySectionId {
	return VERIFY_SECTIONS.some((s) => s.id === id);
}

/** Where a check runs: one node (the controller), or each node of a role (or every node). */
export type CheckSelector = 'controller' | 'compute' | 'all';

export interface CheckContext {
	profile: Profile;
	runbook: Runbook;
	/** The node the check ran on. */
	node: ProfileNode;
	/** Per-runbook data: service names, log paths, agents, the test image. */
	expect: RunbookExpectations;
}

export interface CheckOutcome {
	status: 'pass' | 'fail';
	/** What decided it, in one or a few short lines ("nova-compute on compute1: down since 12:03"). */
	detail: string;
	/** On failure: what to look at next (the service, its log path on that node). */
	hint?: string;
}

/** A parser is pure: the same output and profile always give the same outcome. */
export type CheckParser = (stdout: string, stderr: string, code: number | undefined, ctx: CheckContext) => CheckOutcome;

export interface CheckDef {
	/** `section.name`, stable: results are saved under it. */
	id: string;
	section: VerifySectionId;
	title: string;
	on: CheckSelector;
	/** The actions to run (one action: its output is what the parser reads). */
	actions(ctx: CheckContext): ActionInput[];
	parse: CheckParser;
	timeoutSec?: number;
}

export type CheckStatus = 'pass' | 'fail' | 'not-run' | 'running';

/** One check on one node, as saved in verify.json. */
export interface CheckResult {
	check: string;
	section: VerifySectionId;
	title: string;
	node: string;
	status: 'pass' | 'fail';
	detail: string;
	hint?: string;
	/** ISO time the check last ran. */
	ranAt: string;
	durationMs: number;
}

/** A check expanded onto one node: what the panel lists. */
export interface CheckInstance {
	key: string;
	def: CheckDef;
	node: ProfileNode;
}

export function instanceKey(checkId: string, node: string): string {
	return `${checkId}@${node}`;
}
