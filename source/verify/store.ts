/**
 * Verification results, saved with the profile: `stateDir(profile)/verify.json` (mode 0600, atomic writes
 * through conf like the progress file), one entry per check and node with when it last ran. A file that does
 * not validate is moved aside (verify.json.damaged-TIME) and reported: results are re-made by running the
 * checks again, so nothing is lost that a re-run does not bring back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../profile/schema.js';
import { ensurePrivateDir, openConf, stateDir } from '../profile/store.js';
import { type CheckResult, instanceKey, VERIFY_SECTIONS } from './types.js';

export const VERIFY_FILE_VERSION = 1;

const CheckResultSchema = z
	.object({
		check: z.string(),
		section: z.enum(VERIFY_SECTIONS.map((s) => s.id) as [string, ...string[]]),
		title: z.string(),
		node: z.string(),
		status: z.enum(['pass', 'fail']),
		detail: z.string(),
		hint: z.string().optional(),
		ranAt: z.string(),
		durationMs: z.number().min(0),
	})
	.strict();

const VerifyFile = z
	.object({
		version: z.literal(VERIFY_FILE_VERSION),
		profile: z.string(),
		runbook: z.string(),
		results: z.record(z.string(), CheckResultSchema),
	})
	.strict();
type VerifyFile = z.infer<typeof VerifyFile>;

export function verifyFile(profileName: string): string {
	return path.join(stateDir(profileName), 'verify.json');
}

export class VerifyStore {
	readonly file: string;
	/** Why the saved results could not be read (the file was moved aside). */
	readonly warning?: string;
	private data: VerifyFile;

	constructor(
		readonly profileName: string,
		readonly runbookId: string,
	) {
		this.file = verifyFile(profileName);
		this.data = { version: VERIFY_FILE_VERSION, profile: profileName, runbook: runbookId, results: {} };
		if (!fs.existsSync(this.file)) return;
		let problem: string | undefined;
		try {
			const parsed = VerifyFile.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
			if (parsed.success) {
				// Results of another runbook (the profile changed runbook) do not describe this cloud.
				if (parsed.data.runbook === runbookId) this.data = parsed.data;
			} else problem = describeIssues(parsed.error).slice(0, 3).join('; ');
		} catch (error) {
			problem = (error as Error).message;
		}
		if (problem) {
			const aside = `${this.file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
			try {
				fs.renameSync(this.file, aside);
				this.warning = `verification results ${this.file} could not be read (${problem}); moved to ${aside}`;
			} catch {
				this.warning = `verification results ${this.file} could not be read (${problem})`;
			}
		}
	}

	get(checkId: string, node: string): CheckResult | undefined {
		return this.data.results[instanceKey(checkId, node)] as CheckResult | undefined;
	}

	all(): CheckResult[] {
		return Object.values(this.data.results) as CheckResult[];
	}

	/** Record a result and save at once. */
	set(result: CheckResult): void {
		this.data.results[instanceKey(result.check, result.node)] = result;
		this.save();
	}

	private save(): void {
		ensurePrivateDir(path.dirname(this.file));
		const conf = openConf(path.dirname(this.file), 'verify');
		conf.store = this.data as unknown as Record<string, unknown>;
	}
}
