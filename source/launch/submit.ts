/**
 * Submitting a launch: the plan runs on the controller (one script, live output), then the server is polled
 * with `openstack server show -f json` until it leaves BUILD or the wait times out; ACTIVE shows its addresses
 * and the console URL, ERROR the fault nova recorded.
 */
import type { Engine } from '../engine/engine.js';
import { controllerOf } from '../profile/schema.js';
import { errorLine, parseJsonOutput } from '../verify/parsers.js';
import { expectationsFor } from '../verify/runbook-data.js';
import { type LaunchPlan, planLaunch } from './plan.js';
import type { LaunchSpec } from './spec.js';

export interface ServerInfo {
	id: string;
	name: string;
	status: string;
	/** "selfservice: 172.16.1.8, 203.0.113.104", one entry per network. */
	addresses: string[];
	host?: string;
	/** nova's task in progress (BUILD: scheduling, networking, spawning ...), when it has one. */
	taskState?: string;
	/** nova's fault message (ERROR), when it recorded one. */
	fault?: string;
}

export type LaunchPhase =
	| { kind: 'creating' }
	| { kind: 'waiting'; status: string; waitedSec: number }
	| { kind: 'active'; server: ServerInfo; consoleUrl?: string; consoleProblem?: string }
	| { kind: 'error'; server: ServerInfo }
	| { kind: 'timeout'; name: string; status: string; waitedSec: number; taskState?: string }
	| { kind: 'failed'; detail: string }
	| { kind: 'cancelled' };

export type LaunchOutcome = Extract<LaunchPhase, { kind: 'active' | 'error' | 'timeout' | 'failed' | 'cancelled' }>;

type Row = Record<string, unknown>;

function text(value: unknown): string {
	if (value === null || value === undefined) return '';
	return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `addresses`: a dict of lists (Zed client) or "net=ip, ip; net2=ip" text (Ocata client). */
export function formatAddresses(value: unknown): string[] {
	if (value && typeof value === 'object' && !Array.isArray(value)) {
		return Object.entries(value as Record<string, unknown>).map(([net, ips]) => {
			const list = Array.isArray(ips)
				? ips.map((ip) => (typeof ip === 'object' && ip !== null ? text((ip as Row).addr) : text(ip)))
				: [text(ips)];
			return `${net}: ${list.join(', ')}`;
		});
	}
	const s = text(value).trim();
	if (!s) return [];
	return s.split(/;\s*/).map((part) => part.replace('=', ': '));
}

/** `fault`: nova's dict ({code, created, message, details}) or text. */
export function formatFault(value: unknown): string | undefined {
	if (value === null || value === undefined || value === '') return undefined;
	if (typeof value === 'object') {
		const f = value as Row;
		const message = text(f.message).trim();
		const code = f.code !== undefined ? ` (code ${text(f.code)})` : '';
		return message ? `${message}${code}` : JSON.stringify(value);
	}
	const s = text(value);
	const m = /'message': u?'([^']*)'/.exec(s);
	return (m ? m[1]! : s).trim();
}

/** `openstack server show NAME -f json`. */
export function parseServerShow(stdout: string): ServerInfo | undefined {
	const json = parseJsonOutput<Row>(stdout);
	if (!json.ok || typeof json.value !== 'object' || Array.isArray(json.value)) return undefined;
	const s = json.value;
	if (!s.status) return undefined;
	const host = text(s['OS-EXT-SRV-ATTR:host']);
	const taskState = text(s['OS-EXT-STS:task_state']);
	const fault = formatFault(s.fault);
	return {
		id: text(s.id),
		name: text(s.name),
		status: text(s.status).toUpperCase(),
		addresses: formatAddresses(s.addresses),
		...(host ? { host } : {}),
		...(taskState ? { taskState } : {}),
		...(fault ? { fault } : {}),
	};
}

/** `openstack console url show NAME -f json`: {"type": "novnc", "url": "..."}. */
export function parseConsoleUrl(stdout: string): string | undefined {
	const json = parseJsonOutput<Row>(stdout);
	if (!json.ok || typeof json.value !== 'object') return undefined;
	const url = text((json.value as Row).url);
	return url || undefined;
}

export interface SubmitOptions {
	/** The public key line (from the validated key file). */
	publicKey: string;
	onLine?: (stream: 'stdout' | 'stderr', text: string) => void;
	onPhase?: (phase: LaunchPhase) => void;
	signal?: AbortSignal;
	/** How long the server may stay in BUILD (default 300 s). */
	buildTimeoutSec?: number;
	pollSec?: number;
	/** Where the public key goes on the controller (default: the runbook's key directory). */
	keyDir?: string;
	/** Time source and sleeper (tests shorten the wait). */
	sleep?: (ms: number) => Promise<void>;
}

export function launchPlanFor(engine: Engine, spec: LaunchSpec, publicKey: string, keyDir?: string): LaunchPlan {
	const expect = expectationsFor(engine.runbook);
	return planLaunch(spec, { publicKey, keyDir: keyDir ?? expect.keyDir, physicalNetwork: expect.physicalNetwork });
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function submitLaunch(engine: Engine, spec: LaunchSpec, options: SubmitOptions): Promise<LaunchOutcome> {
	const controller = controllerOf(engine.profile).name;
	const phase = (p: LaunchPhase) => options.onPhase?.(p);
	const finish = (p: LaunchOutcome): LaunchOutcome => {
		phase(p);
		return p;
	};
	const plan = launchPlanFor(engine, spec, options.publicKey, options.keyDir);
	phase({ kind: 'creating' });
	let created: Awaited<ReturnType<Engine['exec']>>;
	try {
		created = await engine.exec(controller, {
			title: `launch ${spec.instance}`,
			actions: plan.actions,
			timeoutSec: 600,
			signal: options.signal,
			onLine: options.onLine,
		});
	} catch (error) {
		return finish({ kind: 'failed', detail: (error as Error).message });
	}
	if (options.signal?.aborted || created.outcome.kind === 'cancelled') return finish({ kind: 'cancelled' });
	if (!created.ok) {
		const why =
			created.outcome.kind === 'exited'
				? (errorLine(created.stderr, created.stdout) ?? `exit code ${created.code}`)
				: created.outcome.kind === 'error'
					? created.outcome.message
					: created.outcome.kind;
		return finish({ kind: 'failed', detail: `creating the resources failed on ${controller}: ${why}` });
	}

	const show = async (args: string[]) =>
		engine.exec(controller, {
			title: `launch: ${args.slice(0, 3).join(' ')}`,
			actions: [{ kind: 'openstack', creds: 'demo', args }],
			timeoutSec: 60,
			signal: options.signal,
		});
	const sleep = options.sleep ?? defaultSleep;
	const timeoutSec = options.buildTimeoutSec ?? 300;
	const pollMs = (options.pollSec ?? 3) * 1000;
	const started = Date.now();
	let status = 'BUILD';
	for (;;) {
		if (options.signal?.aborted) return finish({ kind: 'cancelled' });
		const result = await show(['server', 'show', spec.instance, '-f', 'json']);
		const server = result.ok ? parseServerShow(result.stdout) : undefined;
		if (!server) {
			return finish({
				kind: 'failed',
				detail: `openstack server show ${spec.instance}: ${errorLine(result.stderr, result.stdout) ?? result.outcome.kind}`,
			});
		}
		status = server.status;
		const waitedSec = Math.round((Date.now() - started) / 1000);
		if (status === 'ACTIVE') {
			const consoleResult = await show(['console', 'url', 'show', spec.instance, '-f', 'json']);
			const consoleUrl = consoleResult.ok ? parseConsoleUrl(consoleResult.stdout) : undefined;
			return finish({
				kind: 'active',
				server,
				...(consoleUrl
					? { consoleUrl }
					: { consoleProblem: errorLine(consoleResult.stderr, consoleResult.stdout) ?? 'no URL' }),
			});
		}
		if (status === 'ERROR') return finish({ kind: 'error', server });
		if (status !== 'BUILD') {
			// SHUTOFF, PAUSED ...: left BUILD, but not running.
			return finish({
				kind: 'error',
				server: { ...server, fault: server.fault ?? `the server is ${status}, not ACTIVE` },
			});
		}
		if (waitedSec >= timeoutSec)
			return finish({
				kind: 'timeout',
				name: spec.instance,
				status,
				waitedSec,
				...(server.taskState ? { taskState: server.taskState } : {}),
			});
		phase({ kind: 'waiting', status, waitedSec });
		await sleep(pollMs);
	}
}
