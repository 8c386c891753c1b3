/**
 * A private MariaDB server for tests: its own data directory and unix socket in a temp dir, no networking, root
 * authenticated by the socket (as Debian's package sets it up). Nothing listens on a port and the machine's own
 * server, if any, is left alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((f) => fs.existsSync(f));
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((f) => fs.existsSync(f));
export const MYSQL_CLIENT = ['/usr/bin/mysql', '/usr/bin/mariadb'].find((f) => fs.existsSync(f));

/** Why a private server cannot run here, or undefined when it can. */
export const mariadbMissing: string | undefined =
	MARIADBD && INSTALL_DB && MYSQL_CLIENT
		? process.getuid?.() === 0
			? undefined
			: 'the tests do not run as root'
		: 'mariadb-server is not installed (apt-get install -y mariadb-server)';

export interface PrivateMariaDb {
	dir: string;
	socket: string;
	/** SQL as the server's root user over its socket (setup and inspection only); returns stdout. */
	rootSql(sql: string): string;
	stop(): Promise<void>;
}

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
	if (mariadbMissing) throw new Error(`cannot start MariaDB: ${mariadbMissing}`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-mariadb-'));
	const socket = path.join(dir, 'mysqld.sock');
	const install = spawnSync(
		INSTALL_DB!,
		[
			'--no-defaults',
			`--datadir=${path.join(dir, 'data')}`,
			'--user=root',
			'--skip-test-db',
			'--auth-root-authentication-method=socket',
		],
		{ encoding: 'utf8' },
	);
	if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
	const server: ChildProcess = spawn(
		MARIADBD!,
		[
			'--no-defaults',
			`--datadir=${path.join(dir, 'data')}`,
			`--socket=${socket}`,
			'--skip-networking',
			'--user=root',
			`--pid-file=${path.join(dir, 'mysqld.pid')}`,
			`--log-error=${path.join(dir, 'error.log')}`,
		],
		{ stdio: 'ignore' },
	);
	const deadline = Date.now() + 30_000;
	while (!fs.existsSync(socket)) {
		if (Date.now() > deadline || server.exitCode !== null) {
			server.kill('SIGKILL');
			throw new Error(`mariadbd did not start: ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return {
		dir,
		socket,
		rootSql(sql) {
			const r = spawnSync(
				MYSQL_CLIENT!,
				['--no-defaults', `--socket=${socket}`, '--user=root', '--batch', '-N', '-e', sql],
				{ encoding: 'utf8' },
			);
			if (r.status !== 0) throw new Error(`root SQL failed: ${r.stderr}`);
			return r.stdout;
		},
		async stop() {
			if (server.exitCode === null) {
				const exited = new Promise((resolve) => server.once('exit', resolve));
				server.kill('SIGTERM');
				await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
				if (server.exitCode === null) server.kill('SIGKILL');
			}
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
