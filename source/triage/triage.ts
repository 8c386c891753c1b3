/**
 * Failure triage: when a step fails on a node, gather what an operator looks at first: the action that
 * failed, the exit code, the last lines of stderr, the tail of the relevant service logs on that node, and
 * hints for known errors found in all of it.
 */
import type { Engine } from '../engine/engine.js';
import type { RunbookSection, RunbookStep } from '../runbook/model.js';
import { shellQuoteAlways } from '../util/shell.js';
import { type KnownErrorMatch, matchKnownErrors } from './known-errors.js';

export interface LogSource {
	/** Files to try, first existing wins. */
	files: string[];
	/** systemd unit for `journalctl -u` when none of the files exists. */
	unit?: string;
	label: string;
}

const PROJECTS = ['keystone', 'glance', 'placement', 'nova', 'neutron'];

/** Where the logs of a service live, on RDO (CentOS) and Debian layouts. */
export function logSourceForService(service: string): LogSource {
	const name = service.replace(/^openstack-/, '');
	const project = PROJECTS.find((p) => name === p || name.startsWith(`${p}-`));
	if (project) {
		const short = name === project ? project : name.slice(project.length + 1);
		const files = [`/var/log/${project}/${name}.log`, `/var/log/${project}/${short}.log`];
		if (name === 'neutron-server') files.push('/var/log/neutron/server.log');
		return { label: service, files: [...new Set(files)], unit: service };
	}
	switch (name) {
		case 'httpd':
			return { label: service, files: ['/var/log/httpd/error_log', '/var/log/httpd/keystone.log'], unit: service };
		case 'apache2':
			return { label: service, files: ['/var/log/apache2/error.log'], unit: service };
		case 'rabbitmq-server':
			return { label: service, files: [], unit: service };
		case 'libvirtd':
			return { label: service, files: ['/var/log/libvirt/libvirtd.log'], unit: service };
		default:
			return { label: service, files: [], unit: service };
	}
}

/** The logs relevant to a step: its services', else its project's newest log. */
export function logSourcesForStep(section: RunbookSection, step: RunbookStep): LogSource[] {
	const services = step.actions.flatMap((a) => (a.kind === 'service' ? a.names : []));
	const sources = services.map(logSourceForService);
	if (sources.length > 0) return sources;
	const project = PROJECTS.find((p) => section.id.startsWith(p) || step.id.includes(p));
	if (project) return [{ label: `${project} (newest log)`, files: [`/var/log/${project}/*.log`] }];
	return [];
}

export function logTailScript(sources: LogSource[], lines = 30): string {
	const parts = sources.map((s) => {
		const files = s.files.map(shellQuoteAlways).join(' ');
		const unit = s.unit ? shellQuoteAlways(s.unit) : "''";
		return `osc_tail ${shellQuoteAlways(s.label)} ${unit} ${files}`;
	});
	return [
		'osc_tail() {',
		'	label=$1; unit=$2; shift 2',
		// Globs are expanded here on purpose (the "newest log" source); the newest match is used.
		'	for pattern in "$@"; do',
		'		# shellcheck disable=SC2086',
		'		f=$(ls -t $pattern 2>/dev/null | head -n 1)',
		`		if [ -n "$f" ] && [ -f "$f" ]; then echo "==> $label: $f <=="; tail -n ${lines} "$f"; return 0; fi`,
		'	done',
		'	if [ -n "$unit" ] && [ -d /run/systemd/system ]; then',
		`		echo "==> $label: journalctl -u $unit <=="; journalctl -u "$unit" -n ${lines} --no-pager 2>&1; return 0`,
		'	fi',
		'	echo "==> $label: no log found <=="',
		'}',
		...parts,
	].join('\n');
}

export function parseLogTails(stdout: string): { source: string; lines: string[] }[] {
	const out: { source: string; lines: string[] }[] = [];
	for (const line of stdout.split('\n')) {
		const header = /^==> (.*) <==$/.exec(line);
		if (header) out.push({ source: header[1]!, lines: [] });
		else out.at(-1)?.lines.push(line);
	}
	return out;
}

export interface Triage {
	step: string;
	node: string;
	action?: string;
	exitCode?: number;
	reason?: string;
	stderrTail: string[];
	logs: { source: string; lines: string[] }[];
	hints: KnownErrorMatch[];
}

/** Gather the triage of a failed step on a node (one SSH exec for the log tails). */
export async function triageFailure(
	engine: Engine,
	key: string,
	node: string,
	options: { fetchLogs?: boolean } = {},
): Promise<Triage> {
	const planned = engine.planned(key);
	const state = engine.state(key, node);
	const stderrTail = engine.stderrTail(key, node);
	let logs: Triage['logs'] = [];
	const sources = logSourcesForStep(planned.section, planned.step);
	if (options.fetchLogs !== false && sources.length > 0) {
		const result = await engine.exec(node, {
			title: `logs for ${key}`,
			actions: [{ kind: 'shell', describe: 'tail the service logs', script: logTailScript(sources) }],
			timeoutSec: 30,
		});
		logs = parseLogTails(result.stdout);
	}
	const text = [...engine.output(key, node), ...logs.flatMap((l) => l.lines)].join('\n');
	return {
		step: key,
		node,
		action: state.action,
		exitCode: state.exitCode,
		reason: state.reason,
		stderrTail,
		logs,
		hints: matchKnownErrors(text),
	};
}
