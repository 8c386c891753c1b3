/**
 * `os-console openrc`: fetch the admin-openrc and demo-openrc files the runbook wrote on the controller
 * (mode 0600 there) to the operator's machine, mode 0600 in a 0700 directory. The files are found in the
 * runbook itself (its `file` actions named admin-openrc / demo-openrc), read with Engine.exec over the same
 * SSH path as the steps, and carried base64-encoded so the console's secret masking (which protects panes,
 * logs and the journal) leaves their content intact. Nothing of their content is printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OpenedProfile } from '../console/open-profile.js';
import { controllerOf } from '../profile/schema.js';
import { ensurePrivateDir, stateDir, writePrivateFileAtomic } from '../profile/store.js';
import type { Runbook } from '../runbook/model.js';
import { displayTemplate } from '../runbook/render.js';
import { parseTemplate } from '../runbook/template.js';
import {
	EXIT_FAILED,
	EXIT_OK,
	escapeControls,
	HOST_KEY_FLAGS,
	openProfileForCommand,
	parseFlags,
	printNote,
	reportError,
	requireProfileFlag,
	UsageError,
} from './common.js';

export const usage = `Usage: os-console openrc --profile NAME_OR_PATH [--out DIR] [--accept-new] [--known-hosts FILE]

Fetches the admin-openrc and demo-openrc files that the runbook's keystone section wrote on the controller
(mode 0600 there) and writes them, mode 0600, into DIR. Then: . DIR/admin-openrc; openstack token issue

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --out DIR               where to write them (created 0700 if needed); default: the profile's state
                          directory, STATE/openrc
  --accept-new            accept and record host keys of hosts never seen before (in the file the
                          profile's ssh.knownHostsFile names; default: the console's known_hosts)
  --known-hosts FILE      also trust the host keys in FILE (repeatable)

Exit codes: 0 fetched, 1 a file could not be fetched (e.g. its step has not run yet), 2 bad flags or profile.`;

export interface OpenrcFile {
	/** admin-openrc or demo-openrc */
	name: string;
	/** The path template in the runbook (e.g. /root/admin-openrc, or {{DEMO_ROOT}}/{{NODE_NAME}}/admin-openrc). */
	template: string;
	/** The step that writes it. */
	step: string;
}

/** The openrc files the runbook writes (first writer of each name wins). */
export function openrcFiles(runbook: Runbook): OpenrcFile[] {
	const found = new Map<string, OpenrcFile>();
	for (const section of runbook.sections) {
		for (const step of section.steps) {
			for (const action of step.actions) {
				if (action.kind !== 'file') continue;
				const name = action.path.split('/').pop() ?? '';
				if ((name === 'admin-openrc' || name === 'demo-openrc') && !found.has(name)) {
					found.set(name, { name, template: action.path, step: `${section.id}/${step.id}` });
				}
			}
		}
	}
	return [...found.values()];
}

const BEGIN = 'OSC-OPENRC-BEGIN';

/** The node-side reader: `f=PATH` with placeholders as variables, literal parts restricted to path characters. */
function readerScript(template: string): string {
	for (const part of parseTemplate(template)) {
		if ('literal' in part && !/^[A-Za-z0-9._/-]*$/.test(part.literal)) {
			throw new UsageError(`the runbook's openrc path ${template} has characters this command does not handle`);
		}
	}
	return [
		`f=${template}`,
		'if [ ! -f "$f" ]; then echo "os-console: $f does not exist on this node" >&2; exit 3; fi',
		'stat -c "%a %U" "$f"',
		`echo ${BEGIN}`,
		'base64 < "$f"',
	].join('\n');
}

export async function run(argv: string[]): Promise<number> {
	let opened: OpenedProfile | undefined;
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				out: { type: 'string' },
				...HOST_KEY_FLAGS,
			},
			'openrc',
		);
		const profileArg = requireProfileFlag(flags.profile, 'openrc');
		if (flags.out !== undefined && flags.out.trim() === '') throw new UsageError('--out needs a directory');
		// Reading two files changes nothing the console keeps: no lock, a running console may stay open.
		opened = await openProfileForCommand(profileArg, flags, {}, { lock: false });
		const { engine, runbook } = opened;
		const files = openrcFiles(runbook);
		if (files.length === 0) throw new UsageError(`runbook ${runbook.id} writes no admin-openrc or demo-openrc file`);
		for (const missing of ['admin-openrc', 'demo-openrc'].filter((n) => !files.some((f) => f.name === n))) {
			printNote(`note: runbook ${runbook.id} writes no ${missing}`);
		}
		const controller = controllerOf(engine.profile);
		const outDir = path.resolve(flags.out ?? path.join(stateDir(engine.profile.name), 'openrc'));
		if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
			throw new UsageError(`--out ${outDir} exists and is not a directory`);
		}
		ensurePrivateDir(outDir);
		const dirMode = fs.statSync(outDir).mode & 0o777;
		if (dirMode & 0o077) {
			printNote(
				`warning: ${outDir} is open to others (mode ${dirMode.toString(8).padStart(4, '0')}); the files are 0600, but consider chmod 700 '${outDir}'`,
			);
		}
		let failed = 0;
		for (const file of files) {
			const remote = displayTemplate(file.template, runbook, engine.profile, controller);
			const result = await engine.exec(controller.name, {
				title: `fetch ${file.name}`,
				actions: [{ kind: 'shell', describe: `read ${remote}`, script: readerScript(file.template) }],
				timeoutSec: 60,
			});
			if (!result.ok) {
				failed++;
				const why =
					result.code === 3
						? `it does not exist there yet: run step ${file.step} first`
						: result.outcome.kind === 'error'
							? result.outcome.message
							: result.stderr.trim() || `exit code ${result.code ?? result.outcome.kind}`;
				printNote(`${file.name}: could not fetch ${remote} from ${controller.name}: ${why}`);
				continue;
			}
			const lines = result.stdout.split('\n');
			const begin = lines.indexOf(BEGIN);
			const [mode, owner] = (lines[begin - 1] ?? '').trim().split(' ');
			const content = Buffer.from(lines.slice(begin + 1).join(''), 'base64');
			if (begin < 1 || content.length === 0) {
				failed++;
				printNote(`${file.name}: ${remote} on ${controller.name} is empty or could not be read`);
				continue;
			}
			if (mode && /^[0-7]+$/.test(mode) && Number.parseInt(mode, 8) & 0o077) {
				printNote(
					`warning: ${remote} on ${controller.name} is readable by others (mode ${mode}, owner ${owner}); run there: chmod 600 ${remote}`,
				);
			}
			const local = path.join(outDir, file.name);
			writePrivateFileAtomic(local, content);
			process.stdout.write(escapeControls(`${file.name}: ${controller.name}:${remote} -> ${local} (mode 0600)\n`));
		}
		if (failed === 0) {
			const admin = files.find((f) => f.name === 'admin-openrc');
			if (admin) process.stdout.write(escapeControls(`Use it with: . '${path.join(outDir, admin.name)}'\n`));
		}
		return failed ? EXIT_FAILED : EXIT_OK;
	} catch (error) {
		return reportError(error);
	} finally {
		await opened?.engine.close();
	}
}
