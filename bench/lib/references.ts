/**
 * The tools operators already run, set up to connect exactly like the console (same key, same known_hosts,
 * host keys checked): OpenSSH (plain and multiplexed), parallel-ssh and Ansible ad-hoc.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Farm, Host } from './hosts.js';
import { timeOk } from './proc.js';
import { shQuote } from './sh.js';

export const REFERENCE_PACKAGES = ['openssh-client', 'pssh', 'ansible'];

function has(bin: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/**
 * Install the references from Debian's packages when a binary is missing (apt-get, as root). Returns the
 * references still missing afterwards, with why.
 */
export function ensureReferences(log: (m: string) => void): Map<string, string> {
	const wanted: [string, string][] = [
		['ssh', 'openssh-client'],
		['parallel-ssh', 'pssh'],
		['ansible', 'ansible'],
	];
	const absent = wanted.filter(([bin]) => !has(bin));
	const missing = new Map<string, string>();
	if (absent.length) {
		const pkgs = absent.map(([, pkg]) => pkg);
		log(`setup: installing ${pkgs.join(' ')} (apt-get install -y)`);
		try {
			execFileSync('apt-get', ['install', '-y', ...pkgs], {
				stdio: ['ignore', 'ignore', 'pipe'],
				env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			});
		} catch (error) {
			log(`setup: apt-get failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(0, 500)}`);
		}
	}
	for (const [bin, pkg] of wanted) {
		if (!has(bin)) missing.set(bin, `${bin} is not installed (package ${pkg}) and could not be installed`);
	}
	return missing;
}

export function versions(): Record<string, string> {
	const v: Record<string, string> = {};
	const grab = (name: string, cmd: string) => {
		try {
			v[name] = execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
		} catch {
			v[name] = 'unavailable';
		}
	};
	grab('node', 'node --version');
	grab('ssh', 'ssh -V 2>&1');
	grab('parallel-ssh', "dpkg-query -W -f '${Version}' pssh");
	grab('ansible', 'ansible --version');
	return v;
}

/** A private directory for one run's control sockets (so every run starts without a master). */
export function controlDir(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'osc-bench-cm-'));
}

/** Close every OpenSSH master whose socket is in `dir`, then remove the directory. */
export function closeMasters(dir: string): void {
	for (const sock of fs.readdirSync(dir)) {
		try {
			execFileSync('ssh', ['-o', `ControlPath=${path.join(dir, sock)}`, '-O', 'exit', 'unused'], { stdio: 'ignore' });
		} catch {
			// already gone
		}
	}
	fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * `count` commands over one multiplexed OpenSSH connection, from a shell loop: the first ssh opens the
 * master (ControlMaster=auto, ControlPersist), the others reuse it; the master is closed at the end.
 */
export async function sshMuxSequence(farm: Farm, host: Host, command: string, count: number): Promise<number> {
	const dir = controlDir();
	const ssh = [
		'ssh',
		'-F',
		farm.sshConfig,
		'-p',
		String(host.port),
		'-o',
		'ControlMaster=auto',
		'-o',
		`ControlPath=${dir}/cm`,
		'-o',
		'ControlPersist=60',
	]
		.map(shQuote)
		.join(' ');
	const script = `i=0; while [ $i -lt ${count} ]; do ${ssh} ${host.address} ${shQuote(command)} || exit 1; i=$((i + 1)); done; ${ssh} -O exit ${host.address} 2>/dev/null; exit 0`;
	try {
		return (await timeOk('sh', ['-c', script], { timeoutMs: 300_000 })).ms;
	} finally {
		closeMasters(dir);
	}
}

/** One command on a new OpenSSH connection, stdout to /dev/null. */
export async function sshOnce(farm: Farm, host: Host, command: string, timeoutMs = 600_000): Promise<number> {
	return (await timeOk('ssh', [...farm.ssh(host), command], { timeoutMs })).ms;
}

export function psshHostsFile(farm: Farm, hosts: Host[]): string {
	const file = path.join(farm.dir, `pssh-hosts-${hosts.length}`);
	fs.writeFileSync(file, `${hosts.map((h) => `root@${h.address}:${h.port}`).join('\n')}\n`);
	return file;
}

/** parallel-ssh on `hosts` with `parallelism`; every host must succeed. */
export async function pssh(farm: Farm, hosts: Host[], command: string, parallelism: number): Promise<number> {
	const file = psshHostsFile(farm, hosts);
	return (
		await timeOk(
			'parallel-ssh',
			['-h', file, '-p', String(parallelism), '-t', '120', '-x', `-F ${farm.sshConfig}`, command],
			{
				timeoutMs: 300_000,
			},
		)
	).ms;
}

/** An Ansible inventory of `hosts` that connects like the others (same key, known_hosts, ssh_config). */
export function ansibleInventory(farm: Farm, hosts: Host[]): string {
	const file = path.join(farm.dir, `inventory-${hosts.length}.ini`);
	const lines = ['[bench]', ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`)];
	lines.push(
		'',
		'[bench:vars]',
		'ansible_user=root',
		`ansible_ssh_private_key_file=${farm.keyFile}`,
		`ansible_ssh_common_args=-F ${farm.sshConfig}`,
		'ansible_python_interpreter=/usr/bin/python3',
		'',
	);
	fs.writeFileSync(file, lines.join('\n'));
	return file;
}

/**
 * Ansible's environment for a run: its defaults (ssh with ControlMaster=auto, ControlPersist=60s) with
 * pipelining on (the usual tuning), control sockets in a private directory, no retry files, no cowsay.
 */
export function ansibleEnv(cm: string): NodeJS.ProcessEnv {
	return {
		...process.env,
		ANSIBLE_PIPELINING: 'True',
		ANSIBLE_SSH_CONTROL_PATH_DIR: cm,
		ANSIBLE_HOST_KEY_CHECKING: 'True',
		ANSIBLE_RETRY_FILES_ENABLED: 'False',
		ANSIBLE_NOCOWS: '1',
		ANSIBLE_LOCAL_TEMP: path.join(cm, 'tmp'),
		ANSIBLE_DEPRECATION_WARNINGS: 'False',
	};
}

/** `count` ad-hoc `ansible -m command` runs in sequence (shell loop) on `hosts` with `forks`. */
export async function ansibleAdHoc(
	farm: Farm,
	hosts: Host[],
	command: string,
	options: { count: number; forks: number },
): Promise<number> {
	const inventory = ansibleInventory(farm, hosts);
	const cm = controlDir();
	const one = ['ansible', 'all', '-i', inventory, '-f', String(options.forks), '-m', 'command', '-a', command]
		.map(shQuote)
		.join(' ');
	const script = `i=0; while [ $i -lt ${options.count} ]; do ${one} >/dev/null || exit 1; i=$((i + 1)); done`;
	try {
		return (await timeOk('sh', ['-c', script], { env: ansibleEnv(cm), timeoutMs: 900_000 })).ms;
	} finally {
		closeMasters(cm);
	}
}
