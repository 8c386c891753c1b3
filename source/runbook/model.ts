/**
 * The runbook model: typed data, validated with zod. A runbook is sections of steps; a step is ordered, typed
 * actions that run on the nodes of one role. Values from the profile appear only as `{{NAME}}` placeholders
 * (see variables.ts); the renderer turns them into quoted shell variable references, never into code.
 */
import { z } from 'zod';

const id = z
	.string()
	.regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lower-case letters, digits and dashes, starting with a letter or digit');

const absolutePath = z
	.string()
	.regex(/^(\/|\{\{)/, 'must be an absolute path (or start with a placeholder that holds one)');

/** A template: literal text with `{{NAME}}` placeholders. */
export const Template = z.string();
export type Template = z.infer<typeof Template>;

/** Conditions on the profile, used to include a step or action only for one networking option, say. */
export const Condition = z
	.object({
		networking: z.enum(['provider', 'selfservice']).optional(),
		/** Include only when the named setting has this value. */
		setting: z.object({ name: z.string(), equals: z.string() }).optional(),
		/** Per node: skip nodes that also have this role (e.g. a compute step that must not touch an all-in-one controller). */
		notOn: z.enum(['controller', 'compute']).optional(),
	})
	.strict();
export type Condition = z.infer<typeof Condition>;

/**
 * Helper functions a shell script or wait condition calls, declared so that the action rendered alone (as the
 * Ansible export runs it) defines them: `ini` (osc_ini), `file` (osc_write_file), `sql` (osc_sql), `packages`
 * (the runbook's package helper, osc_pkg_apt or osc_pkg_yum), `openstack-admin` / `openstack-demo`
 * (osc_openstack and osc_exists with those credentials).
 */
export const Helper = z.enum(['ini', 'file', 'sql', 'packages', 'openstack-admin', 'openstack-demo']);
export type Helper = z.infer<typeof Helper>;

const base = {
	/** One line for the plan view; defaults to a description derived from the action. */
	describe: z.string().optional(),
	when: Condition.optional(),
};

export const ShellAction = z
	.object({
		kind: z.literal('shell'),
		...base,
		describe: z.string(),
		/** POSIX sh. `{{NAME}}` becomes `"${NAME}"`: use placeholders outside single quotes. */
		script: Template,
		/** Helper functions the script calls (see Helper). */
		uses: z.array(Helper).default([]),
	})
	.strict();

export const IniSetting = z.tuple([z.string().min(1), z.string().min(1), Template]);
export const IniAction = z
	.object({
		kind: z.literal('ini'),
		...base,
		file: absolutePath,
		/** [section, key, value]: set the key in the section, replacing any value it had (never appended twice). */
		set: z.array(IniSetting).default([]),
		/** [section, key]: remove the key from the section. */
		unset: z.array(z.tuple([z.string().min(1), z.string().min(1)])).default([]),
	})
	.strict();

export const FileAction = z
	.object({
		kind: z.literal('file'),
		...base,
		path: absolutePath,
		content: Template,
		mode: z
			.string()
			.regex(/^0?[0-7]{3,4}$/)
			.default('0644'),
		owner: z
			.string()
			.regex(/^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/)
			.default('root:root'),
	})
	.strict();

export const PackagesAction = z
	.object({
		kind: z.literal('packages'),
		...base,
		names: z.array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9.+_:-]*$/)).default([]),
		/** apt only: --no-install-recommends (Debian pulls a kernel and initramfs into containers otherwise). */
		noRecommends: z.boolean().default(false),
		/** Keep package postinst scripts from starting services (policy-rc.d); configure first, start later. */
		noStart: z.boolean().default(false),
		/** Upgrade every installed package instead of installing names (yum upgrade / apt-get dist-upgrade). */
		upgrade: z.boolean().default(false),
		/**
		 * Wait up to this long for the package manager's lock (dpkg/apt, or yum) when another process holds it,
		 * such as unattended-upgrades on a fresh node, instead of failing at once; then fail naming the holder.
		 */
		lockTimeoutSec: z.number().int().positive().max(3600).optional(),
	})
	.strict()
	.refine((a) => a.upgrade || a.names.length > 0, {
		message: 'name at least one package (or set upgrade: true)',
		path: ['names'],
	});

export const ServiceAction = z
	.object({
		kind: z.literal('service'),
		...base,
		names: z.array(z.string().regex(/^[a-zA-Z0-9@._-]+$/)).min(1),
		enable: z.boolean().default(true),
		state: z.enum(['started', 'restarted', 'stopped']).default('started'),
		/**
		 * With state `restarted`: restart only when one of these files changed since the console last restarted
		 * the service on this node (their checksums are kept under /var/lib/os-console/config-sums/ on the node);
		 * otherwise only start it (nothing happens when it runs). Re-running a finished section then does not
		 * bounce services whose configuration is the same.
		 */
		restartWhenChanged: z.array(absolutePath).min(1).optional(),
	})
	.strict()
	.refine((a) => a.restartWhenChanged === undefined || a.state === 'restarted', {
		message: 'restartWhenChanged needs state: restarted',
		path: ['restartWhenChanged'],
	});

export const SqlAction = z
	.object({
		kind: z.literal('sql'),
		...base,
		describe: z.string(),
		/** SQL run as the database root user (statements separated by `;`). */
		sql: Template,
	})
	.strict();

/** An argument of an OpenStack CLI command: a template, or exactly one secret passed out of band. */
export const OpenstackAction = z
	.object({
		kind: z.literal('openstack'),
		...base,
		creds: z.enum(['admin', 'demo']),
		/** The command after `openstack`, one argument per element. */
		args: z.array(Template).min(1),
		/**
		 * Create-if-absent: an `openstack` command that prints something when the object already exists
		 * (for example `['user', 'show', 'glance', '-f', 'value', '-c', 'id']`). When it succeeds with output,
		 * the action is skipped.
		 */
		unless: z.array(Template).optional(),
	})
	.strict();

export const WaitAction = z
	.object({
		kind: z.literal('wait'),
		...base,
		describe: z.string(),
		/** Shell condition; the action waits until it succeeds, or fails after timeoutSec. */
		until: Template,
		timeoutSec: z.number().int().positive().default(120),
		intervalSec: z.number().positive().default(2),
		/**
		 * Shell condition checked on each round: when it succeeds, waiting is pointless (a server in ERROR will not
		 * become ACTIVE), so the action fails at once; what it printed is shown as the reason.
		 */
		failWhen: Template.optional(),
		/** Helper functions `until` or `failWhen` call (see Helper), e.g. `openstack-admin` for osc_openstack. */
		uses: z.array(Helper).default([]),
	})
	.strict();

export const Action = z.discriminatedUnion('kind', [
	ShellAction,
	IniAction,
	FileAction,
	PackagesAction,
	ServiceAction,
	SqlAction,
	OpenstackAction,
	WaitAction,
]);
export type Action = z.infer<typeof Action>;
export type ActionInput = z.input<typeof Action>;

export const NodeSelector = z.enum(['controller', 'compute', 'all']);
export type NodeSelector = z.infer<typeof NodeSelector>;

export const RunbookStep = z
	.object({
		id,
		title: z.string().min(1),
		/** Where in the guide this step comes from, e.g. "2.4 Keystone: populate the database". */
		guide: z.string().optional(),
		on: NodeSelector,
		when: Condition.optional(),
		/** Shell condition: when it succeeds on a node, the step is already done there and its actions are skipped. */
		check: Template.optional(),
		actions: z.array(Action).min(1),
		/** Shell command run after the actions; a failure fails the step. */
		verify: Template.optional(),
		timeoutSec: z.number().int().positive().default(900),
	})
	.strict();
export type RunbookStep = z.infer<typeof RunbookStep>;
export type RunbookStepInput = z.input<typeof RunbookStep>;

export const RunbookSection = z
	.object({
		id,
		title: z.string().min(1),
		/** The guide (and operators' notes) section this mirrors. */
		guide: z.string().min(1),
		steps: z.array(RunbookStep).min(1),
	})
	.strict();
export type RunbookSection = z.infer<typeof RunbookSection>;
export type RunbookSectionInput = z.input<typeof RunbookSection>;

export const RunbookSetting = z
	.object({
		name: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
		default: z.string(),
		describe: z.string(),
		/** Values must match this pattern (anchored); it keeps settings safe for every config syntax they reach. */
		pattern: z.string().default('^[A-Za-z0-9._:/-]*$'),
	})
	.strict();
export type RunbookSetting = z.infer<typeof RunbookSetting>;

export const Credentials = z.record(z.string().regex(/^OS_[A-Z_]+$/), Template);

export const Runbook = z
	.object({
		id,
		title: z.string(),
		description: z.string(),
		os: z
			.object({
				/** Shown by the doctor and used to check /etc/os-release (ID and VERSION_ID prefix). */
				id: z.string(),
				version: z.string(),
				packageManager: z.enum(['apt', 'yum']),
				/** Interpreter that runs the OpenStack client's Python entry point. */
				python: z.string().regex(/^[a-z0-9.]+$/),
			})
			.strict(),
		/** How SQL actions reach the database as root: the unix socket (Debian) or root with DB_ROOT_PASS. */
		sqlAuth: z.enum(['socket', 'password']),
		credentials: z.object({ admin: Credentials, demo: Credentials }).strict(),
		settings: z.array(RunbookSetting).default([]),
		sections: z.array(RunbookSection).min(1),
	})
	.strict();
export type Runbook = z.infer<typeof Runbook>;
export type RunbookInput = z.input<typeof Runbook>;

/** Steps are addressed as `section/step` in progress files, CLI flags and journals. */
export function stepKey(section: { id: string }, step: { id: string }): string {
	return `${section.id}/${step.id}`;
}
