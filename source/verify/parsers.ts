/**
 * Pure parsers of what the checks print: the OpenStack CLI's `-f json` output (both the shapes of the
 * Ocata-era client, which formats some columns as text, and of the Zed-era client, which keeps booleans,
 * lists and dicts), chronyc's CSV, mysql --batch, rabbitmqctl, memcached's `version`, the placement
 * version document, and `nova-status upgrade check`'s table. No I/O, no clock: the same output and profile
 * always give the same outcome.
 */
import { controllerOf, type ProfileNode } from '../profile/schema.js';
import { agentsForNode, serviceHint } from './runbook-data.js';
import type { CheckOutcome, CheckParser } from './types.js';

// ----- shared helpers ---------------------------------------------------------------------------------

export function pass(detail: string): CheckOutcome {
	return { status: 'pass', detail };
}

export function fail(detail: string, hint?: string): CheckOutcome {
	return hint ? { status: 'fail', detail, hint } : { status: 'fail', detail };
}

/** Lines of output without blanks and trailing spaces. */
function lines(text: string): string[] {
	return text
		.split('\n')
		.map((l) => l.trimEnd())
		.filter((l) => l.trim() !== '');
}

/**
 * The line of stderr that says what went wrong: the last one that is not a traceback frame or a warning
 * (the OpenStack client prints "Failed to discover ..." and then the reason).
 */
export function errorLine(stderr: string, stdout = ''): string | undefined {
	// rabbitmqctl and mysql say it on a line of its own, before pages of diagnostics.
	const flagged = lines(stderr).find((l) => /^(Error|ERROR)\b/.test(l));
	if (flagged) return flagged.length > 240 ? `${flagged.slice(0, 239)}…` : flagged;
	const candidates = lines(stderr).filter(
		(l) =>
			!/^\s*File "/.test(l) &&
			!/^Traceback/.test(l) &&
			!/Warning:|warnings\.warn|^\s{2,}/.test(l) &&
			!/^Failed to discover available identity versions/.test(l),
	);
	const line = candidates[candidates.length - 1] ?? lines(stdout).pop();
	if (!line) return undefined;
	// urllib3's wrapper text says nothing the first half did not.
	const short = line.replace(/: HTTPConnectionPool\(.*$/, '').replace(/ \(Request-ID: [^)]*\)/, '');
	return short.length > 240 ? `${short.slice(0, 239)}…` : short;
}

/** A command that did not give usable output: say why, and where to look. */
export function commandFailed(
	what: string,
	stderr: string,
	stdout: string,
	code: number | undefined,
	hint?: string,
): CheckOutcome {
	const reason = errorLine(stderr, stdout);
	const exit = code === undefined ? '' : ` (exit ${code})`;
	if (code === 127 || /command not found$|^\S*sh: (\d+: )?\S+: not found$/.test(reason ?? '')) {
		return fail(`${what}: command not found${reason ? `: ${reason}` : ''}`, hint);
	}
	if (/No module named '?openstackclient/.test(stderr)) {
		return fail(`${what}: the OpenStack client is not installed (python module openstackclient missing)`, hint);
	}
	return fail(`${what} failed${exit}${reason ? `: ${reason}` : ': no output'}`, hint);
}

export type JsonResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON from a command's stdout; tolerates lines printed before the document (e.g. by a wrapper). */
export function parseJsonOutput<T = unknown>(stdout: string): JsonResult<T> {
	const text = stdout.trim();
	if (text === '') return { ok: false, error: 'no output' };
	try {
		return { ok: true, value: JSON.parse(text) as T };
	} catch {
		const start = text.search(/^[[{]/m);
		if (start > 0) {
			try {
				return { ok: true, value: JSON.parse(text.slice(start)) as T };
			} catch {
				/* fall through */
			}
		}
		return { ok: false, error: `not JSON: ${text.split('\n')[0]?.slice(0, 120)}` };
	}
}

type Row = Record<string, unknown>;

function asRows(value: unknown): Row[] | undefined {
	return Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null) ? (value as Row[]) : undefined;
}

/**
 * The rows of an OpenStack CLI `openstack ... list -f json`, or the failed outcome that says why there are
 * none: the command failed (hint: `hints.failed`) or its output is not a JSON list of rows (`hints.unreadable`).
 */
function cliRows(
	command: string,
	output: { stdout: string; stderr: string; code: number | undefined },
	hints: { failed?: string; unreadable?: string },
): { ok: true; rows: Row[] } | { ok: false; outcome: CheckOutcome } {
	const { stdout, stderr, code } = output;
	if (code !== 0) return { ok: false, outcome: commandFailed(command, stderr, stdout, code, hints.failed) };
	const json = parseJsonOutput(stdout);
	const rows = json.ok ? asRows(json.value) : undefined;
	if (!rows) {
		return { ok: false, outcome: fail(`${command}: ${json.ok ? 'unexpected output' : json.error}`, hints.unreadable) };
	}
	return { ok: true, rows };
}

function str(value: unknown): string {
	if (value === null || value === undefined) return '';
	return typeof value === 'string' ? value : String(value);
}

/** Column values across client versions: true/false (Zed), ":-)"/"XXX" and "UP"/"DOWN" (Ocata), "True". */
export function truthy(value: unknown): boolean {
	if (typeof value === 'boolean') return value;
	const s = str(value).trim().toLowerCase();
	return s === ':-)' || s === 'up' || s === 'true' || s === 'yes' || s === '1' || s === 'enabled';
}

/** Does a host name reported by a service belong to this node ("compute1" or "compute1.example.org")? */
export function hostMatches(host: string, node: Pick<ProfileNode, 'name'>): boolean {
	const h = host.toLowerCase();
	const n = node.name.toLowerCase();
	return h === n || h.startsWith(`${n}.`);
}

/** "2023-05-10T12:03:11.000000" → "12:03 UTC on 2023-05-10"; other text as it is. */
export function describeTimestamp(value: unknown): string {
	const s = str(value);
	const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(s);
	return m ? `${m[2]} UTC on ${m[1]}` : s || 'an unknown time';
}

function listNames(names: string[], max = 6): string {
	if (names.length === 0) return 'none';
	return names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', ');
}

// ----- environment ----------------------------------------------------------------------------------------

export interface ChronySource {
	mode: string;
	state: string;
	name: string;
	stratum: number;
	/** The reachability register (octal), "377" when the last 8 polls answered. */
	reach: string;
}

/** `chronyc -c -n sources`: one CSV line per source. */
export function parseChronySources(stdout: string): ChronySource[] {
	return lines(stdout)
		.map((l) => l.split(','))
		.filter((f) => f.length >= 6 && /^[\^=#]$/.test(f[0] ?? ''))
		.map((f) => ({ mode: f[0]!, state: f[1]!, name: f[2]!, stratum: Number(f[3]), reach: f[5]! }));
}

export const parseChrony: CheckParser = (stdout, stderr, code, ctx) => {
	const hint = serviceHint(ctx.expect, 'chrony', ctx.node);
	if (code !== 0) return commandFailed('chronyc sources', stderr, stdout, code, hint);
	const sources = parseChronySources(stdout);
	if (sources.length === 0) return fail(`chronyd on ${ctx.node.name} has no time sources`, hint);
	const reachable = sources.filter((s) => s.reach !== '0' && s.reach !== '');
	const unreachable = sources.filter((s) => !reachable.includes(s));
	const unreachableText = unreachable.length
		? `; not answering: ${unreachable.map((s) => `${s.name} (reach ${s.reach || 0})`).join(', ')}`
		: '';
	if (reachable.length === 0) {
		return fail(
			`no time source answers on ${ctx.node.name}: ${sources.map((s) => `${s.name} (reach 0)`).join(', ')}`,
			hint,
		);
	}
	const controller = controllerOf(ctx.profile);
	if (ctx.node.name !== controller.name) {
		const fromController = sources.find((s) => s.name === controller.managementIp || s.name === controller.name);
		if (!fromController) {
			return fail(
				`${ctx.node.name} does not take its time from the controller (${controller.managementIp}); its sources: ${listNames(sources.map((s) => s.name))}`,
				hint,
			);
		}
		if (!reachable.includes(fromController)) {
			return fail(
				`${ctx.node.name}: the controller (${fromController.name}) does not answer NTP (reach 0)`,
				`${hint}; and chrony on ${controller.name} ("allow" the management network)`,
			);
		}
	}
	const selected = sources.find((s) => s.state === '*');
	if (!selected) {
		return fail(
			`${ctx.node.name}: ${reachable.length} source${reachable.length > 1 ? 's' : ''} answer${reachable.length > 1 ? '' : 's'} (${reachable.map((s) => s.name).join(', ')}) but none is selected yet${unreachableText}`,
			`${hint}; chronyc sources again in a minute (a new source takes a few polls)`,
		);
	}
	return pass(
		`synchronized to ${selected.name} (stratum ${selected.stratum}, reach ${selected.reach})${unreachableText}`,
	);
};

/** The database check prints `osc-db-ok<TAB>VERSION` (mysql --batch, with a header line). */
export const parseDatabase: CheckParser = (stdout, stderr, code, ctx) => {
	const hint = serviceHint(ctx.expect, 'mariadb', ctx.node);
	const row = lines(stdout).find((l) => l.startsWith('osc-db-ok'));
	if (code !== 0 || !row) return commandFailed('the database query (SELECT 1 as root)', stderr, stdout, code, hint);
	const version = row.split('\t')[1]?.trim();
	const how = ctx.runbook.sqlAuth === 'socket' ? 'as root over the unix socket' : 'as root with DB_ROOT_PASS';
	return pass(`the database answers ${how}${version ? ` (${version})` : ''}`);
};

/** `rabbitmqctl -q list_users`: "user<TAB>tags" lines (3.8+ prints a header line first). */
export const parseRabbitUsers: CheckParser = (stdout, stderr, code, ctx) => {
	const hint = serviceHint(ctx.expect, 'rabbitmq', ctx.node);
	if (code !== 0) return commandFailed('rabbitmqctl list_users', stderr, stdout, code, hint);
	const users = lines(stdout)
		.filter((l) => !/^Listing users/.test(l))
		.map((l) => l.split(/\s+/)[0] ?? '')
		.filter((u) => u !== '' && u !== 'user');
	if (!users.includes('openstack')) {
		return fail(
			`RabbitMQ has no user "openstack" (users: ${listNames(users)})`,
			`the environment section's message-queue step adds it; ${hint}`,
		);
	}
	return pass(`RabbitMQ user openstack exists (users: ${listNames(users)})`);
};

/** The memcached check prints memcached's answer to `version`: "VERSION 1.6.18". */
export const parseMemcached: CheckParser = (stdout, stderr, code, ctx) => {
	const hint = serviceHint(ctx.expect, 'memcached', ctx.node);
	const address = `${controllerOf(ctx.profile).managementIp}:11211`;
	const m = /^VERSION (\S+)/m.exec(stdout);
	if (code !== 0 || !m) {
		const reason = errorLine(stderr, stdout);
		return fail(
			`memcached does not answer on ${address}${reason ? `: ${reason.replace(/^[^ ]+: /, '')}` : ''}`,
			`${hint}; it must listen on the management address (-l)`,
		);
	}
	return pass(`memcached ${m[1]} answers on ${address}`);
};

// ----- keystone -------------------------------------------------------------------------------------------

export function parseToken(user: 'admin' | 'demo'): CheckParser {
	return (stdout, stderr, code, ctx) => {
		const hint = `${serviceHint(ctx.expect, 'keystone', controllerOf(ctx.profile))}; the ${user} credentials come from the profile's secrets (${user === 'admin' ? 'ADMIN_PASS' : 'DEMO_PASS'})`;
		if (code !== 0) return commandFailed(`openstack token issue as ${user}`, stderr, stdout, code, hint);
		const json = parseJsonOutput<Row>(stdout);
		if (!json.ok || typeof json.value !== 'object' || Array.isArray(json.value)) {
			return fail(`openstack token issue as ${user}: ${json.ok ? 'unexpected output' : json.error}`, hint);
		}
		const token = json.value;
		if (!str(token.id)) return fail(`openstack token issue as ${user}: no token in the answer`, hint);
		// The token itself is never shown.
		const project = str(token.project_id);
		return pass(
			`${user} got a token${project ? ` for project ${project.slice(0, 8)}…` : ''}, expires ${str(token.expires) || 'at an unknown time'}`,
		);
	};
}

// ----- glance -----------------------------------------------------------------------------------------------

export const parseImageList: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const hint = serviceHint(ctx.expect, 'glance-api', controller);
	const list = cliRows('openstack image list', { stdout, stderr, code }, { failed: hint, unreadable: hint });
	if (!list.ok) return list.outcome;
	const { rows } = list;
	const name = ctx.expect.testImage(ctx.profile, ctx.runbook);
	const image = rows.find((r) => str(r.Name) === name);
	const names = rows.map((r) => str(r.Name));
	if (!image) {
		return fail(
			`the test image ${name} is not in the image list (images: ${listNames(names)})`,
			`the glance section uploads it; ${hint}`,
		);
	}
	const status = str(image.Status).toLowerCase();
	if (status !== 'active') {
		return fail(`image ${name} is ${status || 'of unknown status'}, not active`, hint);
	}
	return pass(`${rows.length} image${rows.length === 1 ? '' : 's'}; ${name} is active (${str(image.ID).slice(0, 8)}…)`);
};

// ----- placement ---------------------------------------------------------------------------------------------

export const HTTP_STATUS_MARKER = 'osc-http-status';

/** `curl -sS -w '\nosc-http-status %{http_code}\n' URL/`: the version document, then the status. */
export const parsePlacement: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const hint = serviceHint(ctx.expect, 'placement', controller);
	const statusLine = new RegExp(`^${HTTP_STATUS_MARKER} (\\d{3})$`, 'm').exec(stdout);
	const body = stdout.replace(new RegExp(`\\n?^${HTTP_STATUS_MARKER} .*$`, 'm'), '').trim();
	if (code !== 0 || !statusLine) return commandFailed('the placement API', stderr, stdout, code, hint);
	const http = statusLine[1];
	if (http !== '200') {
		return fail(`the placement API answers HTTP ${http}${body ? `: ${body.split('\n')[0]?.slice(0, 160)}` : ''}`, hint);
	}
	const json = parseJsonOutput<{ versions?: Row[] }>(body);
	const versions = json.ok ? json.value.versions : undefined;
	const current = versions?.find((v) => str(v.status) === 'CURRENT') ?? versions?.[0];
	if (!current) return fail(`the placement API answers, but not with a version document: ${body.slice(0, 120)}`, hint);
	const range =
		current.min_version || current.max_version
			? ` (microversions ${str(current.min_version)} to ${str(current.max_version)})`
			: '';
	return pass(`the placement API answers: ${str(current.id)} ${str(current.status)}${range}`);
};

// ----- nova --------------------------------------------------------------------------------------------------

export const parseComputeServices: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const list = cliRows(
		'openstack compute service list',
		{ stdout, stderr, code },
		{ failed: serviceHint(ctx.expect, 'nova-api', controller) },
	);
	if (!list.ok) return list.outcome;
	const { rows } = list;
	const problems: { text: string; hint: string }[] = [];
	const hintFor = (binary: string, host: string) => {
		const node = ctx.profile.nodes.find((n) => hostMatches(host, n));
		return serviceHint(ctx.expect, binary, node ?? host);
	};
	for (const row of rows) {
		const binary = str(row.Binary);
		const host = str(row.Host);
		if (!truthy(row.Status)) {
			const reason = str(row['Disabled Reason']);
			problems.push({
				text: `${binary} on ${host}: disabled${reason && reason !== 'None' ? ` (${reason})` : ''}`,
				hint: `openstack compute service set --enable ${host} ${binary}`,
			});
		}
		if (!truthy(row.State)) {
			problems.push({
				text: `${binary} on ${host}: down since ${describeTimestamp(row['Updated At'])}`,
				hint: hintFor(binary, host),
			});
		}
	}
	for (const binary of ctx.expect.novaControllerBinaries) {
		if (!rows.some((r) => str(r.Binary) === binary && hostMatches(str(r.Host), controller))) {
			problems.push({
				text: `${binary} on ${controller.name}: not registered`,
				hint: hintFor(binary, controller.name),
			});
		}
	}
	const computeNodes = ctx.profile.nodes.filter((n) => n.roles.includes('compute'));
	for (const node of computeNodes) {
		const found = rows.filter((r) => str(r.Binary) === 'nova-compute' && hostMatches(str(r.Host), node));
		if (found.length === 0) {
			problems.push({
				text: `nova-compute on ${node.name}: not registered`,
				hint: `${serviceHint(ctx.expect, 'nova-compute', node)}; then the nova-compute section's discover step`,
			});
		} else if (found.length > 1) {
			problems.push({
				text: `nova-compute on ${node.name}: registered ${found.length} times (${found.map((r) => str(r.Host)).join(', ')})`,
				hint: 'openstack compute service delete the stale one',
			});
		}
	}
	const strays = rows.filter(
		(r) => str(r.Binary) === 'nova-compute' && !computeNodes.some((n) => hostMatches(str(r.Host), n)),
	);
	const strayText = strays.length
		? `; also nova-compute on ${strays.map((r) => str(r.Host)).join(', ')} (not in the profile)`
		: '';
	if (problems.length) {
		return fail(problems.map((p) => p.text).join('\n') + strayText, problems[0]?.hint);
	}
	const byHost = new Map<string, string[]>();
	for (const r of rows) byHost.set(str(r.Host), [...(byHost.get(str(r.Host)) ?? []), str(r.Binary)]);
	const summary = [...byHost].map(([host, binaries]) => `${host}: ${binaries.join(', ')}`).join('; ');
	return pass(`${rows.length} services enabled and up (${summary})${strayText}`);
};

export interface UpgradeCheck {
	name: string;
	result: string;
	details: string;
}

/** The table `nova-status upgrade check` prints (oslo.upgradecheck, and nova's own before Stein). */
export function parseUpgradeCheckTable(stdout: string): UpgradeCheck[] {
	const checks: UpgradeCheck[] = [];
	let current: UpgradeCheck | undefined;
	let inDetails = false;
	for (const raw of stdout.split('\n')) {
		const line = raw.trim();
		if (/^\+[-=+]*\+$/.test(line)) {
			inDetails = false;
			continue;
		}
		const cell = line.replace(/^\|\s?/, '').replace(/\s*\|$/, '');
		const check = /^Check: (.*)$/.exec(cell);
		const result = /^Result: (.*)$/.exec(cell);
		const details = /^Details: (.*)$/.exec(cell);
		if (check) {
			current = { name: check[1]!.trim(), result: '', details: '' };
			checks.push(current);
			inDetails = false;
		} else if (current && result) {
			current.result = result[1]!.trim();
		} else if (current && details) {
			current.details = details[1]!.trim();
			inDetails = true;
		} else if (current && inDetails && cell.trim() !== '') {
			current.details = `${current.details} ${cell.trim()}`.trim();
		}
	}
	return checks;
}

export const parseUpgradeCheck: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const hint = `${serviceHint(ctx.expect, 'nova-api', controller)}; nova-status reads /etc/nova/nova.conf`;
	const checks = parseUpgradeCheckTable(stdout);
	if (checks.length === 0) return commandFailed('nova-status upgrade check', stderr, stdout, code, hint);
	const bad = checks.filter((c) => c.result.toLowerCase() !== 'success');
	if (bad.length) {
		return fail(
			bad.map((c) => `${c.name}: ${c.result}${c.details && c.details !== 'None' ? ` (${c.details})` : ''}`).join('\n'),
			hint,
		);
	}
	return pass(`all ${checks.length} checks Success (${checks.map((c) => c.name).join(', ')})`);
};

/** `openstack catalog list -f json`: Endpoints is a list of dicts (Zed client) or text (Ocata client). */
export const parseCatalog: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const hint = serviceHint(ctx.expect, 'keystone', controller);
	const list = cliRows('openstack catalog list', { stdout, stderr, code }, { failed: hint, unreadable: hint });
	if (!list.ok) return list.outcome;
	const { rows } = list;
	const interfaces = (endpoints: unknown): string[] => {
		if (Array.isArray(endpoints)) return endpoints.map((e) => str((e as Row).interface)).filter(Boolean);
		return [...str(endpoints).matchAll(/^\s*(public|internal|admin): /gm)].map((m) => m[1]!);
	};
	const problems: string[] = [];
	for (const want of ctx.expect.catalog) {
		const entry = rows.find((r) => str(r.Type) === want.type);
		if (!entry) {
			problems.push(`${want.type} (${want.name}): not in the catalog`);
			continue;
		}
		const have = interfaces(entry.Endpoints);
		const missing = ['public', 'internal', 'admin'].filter((i) => !have.includes(i));
		if (missing.length) problems.push(`${want.type} (${str(entry.Name)}): no ${missing.join(', ')} endpoint`);
	}
	if (problems.length) {
		return fail(
			problems.join('\n'),
			`openstack endpoint list; the service-entities step of the section that installs it`,
		);
	}
	return pass(`the catalog has ${rows.map((r) => `${str(r.Name)} (${str(r.Type)})`).join(', ')}`);
};

// ----- neutron ------------------------------------------------------------------------------------------------

export const parseNetworkAgents: CheckParser = (stdout, stderr, code, ctx) => {
	const controller = controllerOf(ctx.profile);
	const list = cliRows(
		'openstack network agent list',
		{ stdout, stderr, code },
		{ failed: serviceHint(ctx.expect, 'neutron-server', controller) },
	);
	if (!list.ok) return list.outcome;
	const { rows } = list;
	const problems: { text: string; hint: string }[] = [];
	const examined = new Set<Row>();
	let expected = 0;
	for (const node of ctx.profile.nodes) {
		for (const agent of agentsForNode(ctx.expect, ctx.profile, node)) {
			expected++;
			const hint = serviceHint(ctx.expect, agent.binary, node);
			const row = rows.find((r) => str(r.Binary) === agent.binary && hostMatches(str(r.Host), node));
			if (!row) {
				problems.push({ text: `${agent.type} (${agent.binary}) on ${node.name}: not registered`, hint });
				continue;
			}
			examined.add(row);
			if (!truthy(row.Alive))
				problems.push({ text: `${agent.type} on ${node.name}: not alive (${str(row.Alive)})`, hint });
			if (!truthy(row.State)) {
				problems.push({
					text: `${agent.type} on ${node.name}: administratively down`,
					hint: `openstack network agent set --enable ${str(row.ID)}`,
				});
			}
		}
	}
	for (const r of rows.filter((row) => !examined.has(row) && !truthy(row.Alive))) {
		problems.push({
			text: `${str(r['Agent Type'])} on ${str(r.Host)}: not alive`,
			hint: serviceHint(ctx.expect, str(r.Binary), str(r.Host)),
		});
	}
	if (problems.length) return fail(problems.map((p) => p.text).join('\n'), problems[0]?.hint);
	return pass(
		`${expected} expected agents alive and up for networking option ${ctx.profile.network.option === 'provider' ? '1 (provider)' : '2 (self-service)'} (${rows.length} listed)`,
	);
};
