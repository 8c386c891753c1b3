/**
 * The guide's database prerequisites, the same in every service section of every runbook: the service's
 * database(s), created only if absent, and its user with access from localhost and from anywhere.
 */
import type { ActionInput } from '../../runbook/model.js';

/** `mysql+pymysql://USER:PASS@controller/DB`, the [database] connection every service sets. */
export function dbUrl(user: string, passVar: string, database: string): string {
	return `mysql+pymysql://${user}:{{${passVar}}}@{{CONTROLLER_HOST}}/${database}`;
}

/** CREATE DATABASE IF NOT EXISTS and the two GRANTs of each database, one statement a line. */
export function grantStatements(databases: string[], user: string, passVar: string): string {
	return databases
		.flatMap((db) => [
			`CREATE DATABASE IF NOT EXISTS ${db};`,
			`GRANT ALL PRIVILEGES ON ${db}.* TO '${user}'@'localhost' IDENTIFIED BY '{{${passVar}}}';`,
			`GRANT ALL PRIVILEGES ON ${db}.* TO '${user}'@'%' IDENTIFIED BY '{{${passVar}}}';`,
		])
		.join('\n');
}

/** The SQL action (as the database root user) that creates the databases and grants the service user access. */
export function createDatabases(databases: string[], user: string, passVar: string, describe: string): ActionInput {
	return { kind: 'sql', describe, sql: grantStatements(databases, user, passVar) };
}

/**
 * Shell: log in to each database over the network as the service user, as the service will, proving the grant
 * and the password. The password goes into a root-only (0600) defaults file that is removed afterwards, never
 * into a process's arguments or environment. Every database must answer (set -e stops at the first that does not).
 */
export function serviceLoginCheck(databases: string[], user: string, passVar: string): string {
	return [
		`# ${user} logs in to ${databases.join(', ')} over the network (the password in a 0600 defaults file)`,
		// mktemp makes the file 0600 (root's: steps run as root); the EXIT trap removes it whatever happens.
		'osc_cnf=$(mktemp "${OSC_RUN_DIR:-/tmp}/osc-my.XXXXXX")',
		`trap 'rm -f "$osc_cnf"' EXIT`,
		`printf '[client]\\nuser=%s\\npassword=%s\\n' ${user} {{${passVar}}} > "$osc_cnf"`,
		...databases.flatMap((db) => [
			`mysql --defaults-extra-file="$osc_cnf" --host={{CONTROLLER_HOST}} --batch --skip-column-names --execute='SELECT 1' ${db} >/dev/null`,
			`echo "${user} reaches database ${db} on" {{CONTROLLER_HOST}}`,
		]),
	].join('\n');
}
