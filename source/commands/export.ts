/**
 * `os-console export`: the runbook for a profile as files to run without the console. `--format bash` writes
 * one self-contained script per node, rendered by the runner's own code; `--format ansible` an inventory,
 * variables, a vault-ready secrets file and a playbook per section; other formats plug into EXPORTERS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadOrCreateSecrets } from '../profile/store.js';
import { EXPORTERS, PLANNED_FORMATS } from '../runbook/export.js';
import { EXIT_OK, parseFlags, reportError, requireProfileFlag, UsageError } from './common.js';
import { checkFilters, loadForViews } from './plan.js';

export const usage = `Usage: os-console export --profile NAME_OR_PATH --format bash|ansible [--out DIR] [--node NAME] [--reveal-secrets]

Writes the profile's runbook as files to run without the console. Nothing connects anywhere.

Formats:
${[
	...Object.entries(EXPORTERS).map(([name, e]) => `  ${name.padEnd(8)} ${e.describe}`),
	...PLANNED_FORMATS.map((name) => `  ${name.padEnd(8)} (not supported yet)`),
].join('\n')}

Options:
  --profile NAME_OR_PATH  a saved profile's name or a profile file (required)
  --format FORMAT         the output format (required)
  --out DIR               write the files into DIR (created if needed); without it, the script of the one
                          node (--node, or a one-node profile) goes to standard output (bash only)
  --node NAME             only this node
  --reveal-secrets        put the secret values into the export (generated into the profile's state
                          directory on first use): bash into the scripts, ansible into group_vars/all/vault.yml
                          (encrypt it with ansible-vault); without it, bash scripts read them from a
                          secrets.env file you provide (DIR/secrets.env.example lists the names), and the
                          ansible vault.yml lists the names to fill in

The ansible export resolves each node's host through the ssh config as the console does (ansible_port and
ansible_user are the ones the console would use) and trusts the known_hosts files the console trusts.

Exit codes: 0 written, 2 bad flags, profile, format or node.`;

export async function run(argv: string[]): Promise<number> {
	try {
		const flags = parseFlags(
			argv,
			{
				profile: { type: 'string' },
				format: { type: 'string' },
				out: { type: 'string' },
				node: { type: 'string' },
				'reveal-secrets': { type: 'boolean' },
			},
			'export',
		);
		const profileArg = requireProfileFlag(flags.profile, 'export');
		const format = flags.format;
		if (!format) throw new UsageError(`--format is required (supported: ${Object.keys(EXPORTERS).join(', ')})`);
		const exporter = EXPORTERS[format];
		if (!exporter) {
			if (PLANNED_FORMATS.includes(format)) {
				throw new UsageError(
					`--format ${format} is not supported yet (supported: ${Object.keys(EXPORTERS).join(', ')})`,
				);
			}
			throw new UsageError(
				`--format ${format}: unknown format (supported: ${Object.keys(EXPORTERS).join(', ')}; planned: ${PLANNED_FORMATS.join(', ')})`,
			);
		}
		const { profile, runbook, file } = loadForViews(profileArg);
		checkFilters(runbook, profile, undefined, flags.node);
		const nodes = flags.node ? profile.nodes.filter((n) => n.name === flags.node) : profile.nodes;
		if (!flags.out && exporter.directoryOnly) {
			throw new UsageError(`--format ${format} writes several files: give --out DIR`);
		}
		if (!flags.out && nodes.length !== 1) {
			throw new UsageError(
				`profile ${profile.name} has ${nodes.length} nodes (${nodes.map((n) => n.name).join(', ')}): give --out DIR for one file per node, or --node NAME to print one script`,
			);
		}
		const reveal = flags['reveal-secrets'] === true;
		const secrets = reveal ? loadOrCreateSecrets(profile.name) : undefined;
		const files = exporter.render({ runbook, profile, nodes, secrets, profileLabel: file });
		if (!flags.out) {
			const script = files.find((f) => f.path === `${nodes[0]!.name}.sh`) ?? files[0]!;
			process.stdout.write(script.content);
			if (reveal) process.stderr.write('os-console: warning: the script above holds the secrets in clear text\n');
			return EXIT_OK;
		}
		const dir = path.resolve(flags.out);
		try {
			fs.mkdirSync(dir, { recursive: true, mode: reveal ? 0o700 : 0o755 });
		} catch (error) {
			throw new UsageError(`--out ${flags.out}: cannot create the directory (${(error as Error).message})`);
		}
		for (const f of files) {
			const target = path.join(dir, f.path);
			fs.mkdirSync(path.dirname(target), { recursive: true, mode: reveal ? 0o700 : 0o755 });
			fs.writeFileSync(target, f.content, { mode: f.mode });
			fs.chmodSync(target, f.mode);
			process.stdout.write(`wrote ${target}${f.secret ? ' (holds secrets: keep it private)' : ''}\n`);
		}
		if (reveal) process.stderr.write(`os-console: warning: the files in ${dir} hold the secrets in clear text\n`);
		if (exporter.hint) process.stdout.write(exporter.hint(dir, reveal));
		else if (!reveal)
			process.stdout.write(
				`the scripts read their secrets from secrets.env beside them: fill in ${path.join(dir, 'secrets.env.example')} and rename it\n`,
			);
		return EXIT_OK;
	} catch (error) {
		return reportError(error);
	}
}
