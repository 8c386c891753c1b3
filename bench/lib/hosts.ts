/**
 * "Hosts" for the benchmarks: private OpenSSH sshd processes from the test harness (test/helpers/sshd.ts),
 * listening on loopback addresses 127.0.0.10 and up (sshd takes at most 16 ListenAddress per process, so
 * several processes for 50 hosts). One client key and one known_hosts file serve every host, and one
 * ssh_config makes OpenSSH, parallel-ssh and Ansible connect exactly alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSshd, type TestSshd } from '../../test/helpers/sshd.js';

export interface Host {
	/** Node name in the console's profile (and the inventory). */
	name: string;
	address: string;
	port: number;
}

export interface Farm {
	hosts: Host[];
	dir: string;
	keyFile: string;
	knownHosts: string;
	/** ssh_config for OpenSSH, parallel-ssh (-x "-F ...") and Ansible (ansible_ssh_common_args). */
	sshConfig: string;
	/** `ssh -F cfg -p PORT ADDRESS` (append the command). */
	ssh(host: Host, ...extra: string[]): string[];
	stop(): Promise<void>;
}

const PER_SSHD = 16;

/**
 * `rootBashrc`: serve the hosts' root logins with this file as root's ~/.bashrc (test/helpers/sshd.ts), so that
 * every tool's sessions start like a fresh node's instead of like this machine's root shell.
 */
export async function startFarm(count: number, firstOctet = 10, rootBashrc?: string): Promise<Farm> {
	if (firstOctet + count > 255) throw new Error('too many hosts for 127.0.0.x');
	const addresses = Array.from({ length: count }, (_, i) => `127.0.0.${firstOctet + i}`);
	const daemons: TestSshd[] = [];
	try {
		for (let i = 0; i < addresses.length; i += PER_SSHD) {
			daemons.push(
				await startSshd({ addresses: addresses.slice(i, i + PER_SSHD), ...(rootBashrc ? { rootBashrc } : {}) }),
			);
		}
	} catch (error) {
		await Promise.all(daemons.map((d) => d.stop()));
		throw error;
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-bench-hosts-'));
	const first = daemons[0]!;
	const keyFile = path.join(dir, 'client_key');
	fs.copyFileSync(first.clientKeyPath, keyFile);
	fs.chmodSync(keyFile, 0o600);
	const pub = fs.readFileSync(`${first.clientKeyPath}.pub`, 'utf8');
	// Every sshd accepts the first one's client key (each reads its own authorized_keys file).
	for (const d of daemons.slice(1)) fs.appendFileSync(path.join(d.dir, 'authorized_keys'), pub);

	const hosts: Host[] = [];
	const known: string[] = [];
	for (const d of daemons) {
		for (const address of d.addresses) {
			hosts.push({ name: `n${String(hosts.length + 1).padStart(2, '0')}`, address, port: d.port });
			known.push(d.knownHostsLine(address));
		}
	}
	const knownHosts = path.join(dir, 'known_hosts');
	fs.writeFileSync(knownHosts, `${known.join('\n')}\n`);
	const sshConfig = path.join(dir, 'ssh_config');
	fs.writeFileSync(
		sshConfig,
		[
			'Host *',
			'  User root',
			`  IdentityFile ${keyFile}`,
			'  IdentitiesOnly yes',
			`  UserKnownHostsFile ${knownHosts}`,
			'  GlobalKnownHostsFile /dev/null',
			'  StrictHostKeyChecking yes',
			'  BatchMode yes',
			'  LogLevel ERROR',
			'',
		].join('\n'),
	);
	return {
		hosts,
		dir,
		keyFile,
		knownHosts,
		sshConfig,
		ssh: (host, ...extra) => ['-F', sshConfig, '-p', String(host.port), ...extra, host.address],
		async stop() {
			await Promise.all(daemons.map((d) => d.stop()));
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
