/**
 * The operator's OpenSSH client configuration (~/.ssh/config), read with the maintained `ssh-config` parser, so
 * that a profile node's `host` may be a Host alias exactly as with `ssh ALIAS`.
 *
 * Honoured, per ssh_config(5): Host patterns (first value wins; negations), Match (host, originalhost, user,
 * localuser, all, final; `Match exec` is NOT evaluated: the console runs no command from the config file),
 * HostName (with %h), User, Port, IdentityFile and UserKnownHostsFile (~ and %-tokens expanded), IdentitiesOnly,
 * HostKeyAlias, HashKnownHosts (for keys the console records), ProxyJump (one or more hops: `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma separated;
 * each hop is itself looked up in the config; the first hop's own ProxyJump applies, as ssh's nested -J does),
 * `ProxyJump none`, and Include (glob patterns; relative paths are taken from ~/.ssh as ssh does).
 * ProxyCommand is refused with a message (the console cannot run it); other options are ignored.
 *
 * Which file: `OS_CONSOLE_SSH_CONFIG` (a path, or `none` for no file), else ~/.ssh/config; a missing file is an
 * empty configuration. Callers (and tests) may give the file explicitly.
 *
 * Precedence, like OpenSSH: a profile's explicit port and user are what `ssh -p PORT USER@HOST` puts on the command
 * line, and they win over the config file. The profile format fills in port 22 and user root when they are left
 * out (and the console's profile form always writes them), so those two values cannot be told from "not set":
 * port 22 and user root yield to the config's Port and User; any other port or user in the profile wins. The
 * profile's host is looked up as written: HostName in the config replaces it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig, { type Directive, type Line, LineType } from 'ssh-config';

export const SSH_CONFIG_ENV = 'OS_CONSOLE_SSH_CONFIG';

/** The profile defaults that count as "not set" (see the file comment). */
export const PROFILE_DEFAULT_PORT = 22;
export const PROFILE_DEFAULT_USER = 'root';

/** ssh's own limit on Include nesting, and a bound on jump chains. */
const MAX_INCLUDE_DEPTH = 16;
const MAX_JUMPS = 8;

export class SshConfigError extends Error {
	override name = 'SshConfigError';
	constructor(
		message: string,
		readonly file?: string,
	) {
		super(message);
	}
}

/** One host to connect to: the target or a jump host, with everything the config said about it. */
export interface ResolvedEndpoint {
	/** The name as given (profile host, or a ProxyJump hop), before HostName. */
	alias: string;
	/** Where to connect (HostName, or the alias). */
	hostName: string;
	port: number;
	user: string;
	/** IdentityFile entries, expanded (files that do not exist are kept: the caller skips them). */
	identityFiles: string[];
	/** IdentitiesOnly yes: offer only the identity files, not every key in the agent. */
	identitiesOnly: boolean;
	/** UserKnownHostsFile entries, expanded (in addition to the console's known_hosts files). */
	knownHostsFiles: string[];
	/** HostKeyAlias: the name host keys are looked up and recorded under. */
	hostKeyAlias?: string;
	/** HashKnownHosts yes: host keys the console records for this host get a hashed host name. */
	hashKnownHosts: boolean;
}

export interface ResolvedHost extends ResolvedEndpoint {
	/** Jump hosts in connection order (first = the one the console connects to directly). */
	jumps: ResolvedEndpoint[];
	/** The config file read, or null when none is used. */
	configFile: string | null;
	/** Things the config says that the console does not do (shown, not fatal). */
	warnings: string[];
}

export interface ExplicitValues {
	/** The profile's port, when it counts as explicit (see PROFILE_DEFAULT_PORT). */
	port?: number;
	/** The profile's user, when it counts as explicit. */
	user?: string;
	/** Used when neither the profile nor the config names a user. */
	defaultUser: string;
}

export interface SshConfigOptions {
	/** The config file; null: none. Default: defaultSshConfigFile(). */
	file?: string | null;
	/** Home directory for ~ and %d (default os.homedir()). */
	home?: string;
	/** Local user name for %u, Match localuser and the default user of jump hosts (default: this process's user). */
	localUser?: string;
	/**
	 * ProxyCommand: 'refuse' (default: the console cannot run it, resolving throws) or 'ignore' (for callers that
	 * hand the connection to OpenSSH, like the Ansible export: ssh runs the proxy command itself).
	 */
	proxyCommand?: 'refuse' | 'ignore';
}

export function expandHome(p: string, home = os.homedir()): string {
	if (p === '~') return home;
	if (p.startsWith('~/')) return path.join(home, p.slice(2));
	return p;
}

/** The config file the console reads: $OS_CONSOLE_SSH_CONFIG (`none`: no file), else ~/.ssh/config. */
export function defaultSshConfigFile(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string | null {
	const value = env[SSH_CONFIG_ENV];
	if (value !== undefined && value !== '') return value === 'none' ? null : path.resolve(expandHome(value, home));
	return path.join(home, '.ssh', 'config');
}

function localUserName(): string {
	try {
		return os.userInfo().username;
	} catch {
		return process.env.USER ?? process.env.LOGNAME ?? 'root';
	}
}

// ---------------------------------------------------------------------------------------------------------
// Reading (with Include)

type Value = Directive['value'];

function values(value: Value | undefined): string[] {
	if (value === undefined) return [];
	if (typeof value === 'string') return [value];
	return (value as { val: string }[]).map((v) => v.val);
}

function hasGlob(s: string): boolean {
	return /[*?[]/.test(s);
}

function globToRegExp(pattern: string): RegExp {
	let re = '';
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i]!;
		if (c === '*') re += '[^/]*';
		else if (c === '?') re += '[^/]';
		else if (c === '[') {
			const end = pattern.indexOf(']', i + 1);
			if (end < 0) re += '\\[';
			else {
				const body = pattern
					.slice(i + 1, end)
					.replace(/^!/, '^')
					.replace(/\\/g, '\\\\');
				re += `[${body}]`;
				i = end;
			}
		} else re += c.replace(/[\\^$.|+(){}]/g, '\\$&');
	}
	return new RegExp(`^${re}$`);
}

/** glob(3) for Include: `*`, `?` and `[...]` in any path component; sorted; hidden files only when asked for. */
function globFiles(pattern: string): string[] {
	if (!hasGlob(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
	const parts = pattern.split('/');
	let bases = [parts[0] === '' ? '/' : parts[0]!];
	for (const part of parts.slice(1)) {
		if (part === '') continue;
		const next: string[] = [];
		for (const base of bases) {
			if (!hasGlob(part)) {
				const p = path.join(base, part);
				if (fs.existsSync(p)) next.push(p);
				continue;
			}
			let names: string[];
			try {
				names = fs.readdirSync(base);
			} catch {
				continue;
			}
			const re = globToRegExp(part);
			for (const name of names.sort()) {
				if (name.startsWith('.') && !part.startsWith('.')) continue;
				if (re.test(name)) next.push(path.join(base, name));
			}
		}
		bases = next;
	}
	return bases.filter((f) => {
		try {
			return fs.statSync(f).isFile();
		} catch {
			return false;
		}
	});
}

function isDirective(line: Line): line is Directive {
	return line.type === LineType.DIRECTIVE;
}

function isSection(line: Line): boolean {
	return isDirective(line) && /^(host|match)$/i.test(line.param);
}

interface ReadContext {
	home: string;
	warnings: string[];
}

function readConfigText(file: string): string | undefined {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
		throw new SshConfigError(`cannot read the ssh config ${file}: ${(error as Error).message}`, file);
	}
}

function parseConfigText(text: string, file: string): SSHConfig {
	try {
		return SSHConfig.parse(text);
	} catch (error) {
		throw new SshConfigError(`cannot parse the ssh config ${file}: ${(error as Error).message}`, file);
	}
}

/** The files an Include line names (relative paths are in ~/.ssh, as for ssh's user configuration). */
function includeTargets(line: Directive, ctx: ReadContext): string[] {
	const out: string[] = [];
	for (const raw of values(line.value)) {
		const expanded = expandHome(raw, ctx.home);
		const absolute = path.isAbsolute(expanded) ? expanded : path.join(ctx.home, '.ssh', expanded);
		out.push(...globFiles(absolute));
	}
	return out;
}

function loadIncluded(file: string, ctx: ReadContext, depth: number): Line[] {
	if (depth > MAX_INCLUDE_DEPTH) {
		throw new SshConfigError(`ssh config Include nested more than ${MAX_INCLUDE_DEPTH} deep (at ${file})`, file);
	}
	const text = readConfigText(file);
	if (text === undefined) return [];
	const config = parseConfigText(text, file);
	expandIncludes(config, ctx, depth, file);
	return [...config];
}

/**
 * Replace Include lines by the lines of the files they name. At the top level the included lines take the
 * Include's place; inside a Host or Match block, the included file's directives join that block (its own Host or
 * Match blocks are not supported there and are reported).
 */
function expandIncludes(config: SSHConfig, ctx: ReadContext, depth: number, file: string): void {
	for (let i = 0; i < config.length; i++) {
		const line = config[i]!;
		if (!isDirective(line)) continue;
		if (/^include$/i.test(line.param)) {
			const lines = includeTargets(line, ctx).flatMap((f) => loadIncluded(f, ctx, depth + 1));
			config.splice(i, 1, ...lines);
			i += lines.length - 1;
			continue;
		}
		if ('config' in line && line.config) {
			const inner = line.config as SSHConfig;
			for (let j = 0; j < inner.length; j++) {
				const sub = inner[j]!;
				if (!isDirective(sub) || !/^include$/i.test(sub.param)) continue;
				const lines = includeTargets(sub, ctx).flatMap((f) => loadIncluded(f, ctx, depth + 1));
				const firstSection = lines.findIndex(isSection);
				const directives = firstSection < 0 ? lines : lines.slice(0, firstSection);
				if (firstSection >= 0) {
					ctx.warnings.push(
						`${file}: an Include inside "${line.param} ${values(line.value).join(' ')}" names Host/Match blocks; the console applies only the directives before them`,
					);
				}
				inner.splice(j, 1, ...directives);
				j += directives.length - 1;
			}
		}
	}
}

/** ssh lower-cases the host name it is given and compares Host patterns without case: so does this. */
function lowerCaseHostPatterns(config: SSHConfig): void {
	for (const line of config) {
		if (!isDirective(line) || !/^host$/i.test(line.param)) continue;
		if (typeof line.value === 'string') line.value = line.value.toLowerCase();
		else for (const v of line.value) v.val = v.val.toLowerCase();
	}
}

// ---------------------------------------------------------------------------------------------------------
// Resolving

type Computed = Record<string, string | string[]>;

function first(v: string | string[] | undefined): string | undefined {
	if (v === undefined) return undefined;
	return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
	if (v === undefined) return [];
	return Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean);
}

interface Hop {
	host: string;
	user?: string;
	port?: number;
}

/** One ProxyJump hop: `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpHop(spec: string, file?: string): Hop {
	let rest = spec.trim();
	if (rest.startsWith('ssh://')) rest = rest.slice(6).replace(/\/$/, '');
	let user: string | undefined;
	const at = rest.lastIndexOf('@');
	if (at >= 0) {
		user = rest.slice(0, at);
		rest = rest.slice(at + 1);
	}
	let host = rest;
	let port: number | undefined;
	const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
	if (v6) {
		host = v6[1]!;
		if (v6[2]) port = Number(v6[2]);
	} else {
		const colon = rest.lastIndexOf(':');
		if (colon >= 0 && rest.indexOf(':') === colon) {
			host = rest.slice(0, colon);
			port = Number(rest.slice(colon + 1));
		}
	}
	if (
		!host ||
		(user !== undefined && user === '') ||
		(port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
	) {
		throw new SshConfigError(`ProxyJump hop "${spec}" is not [user@]host[:port]${file ? ` (in ${file})` : ''}`, file);
	}
	const hop: Hop = { host };
	if (user !== undefined) hop.user = user;
	if (port !== undefined) hop.port = port;
	return hop;
}

export class SshConfigResolver {
	readonly file: string | null;
	private readonly home: string;
	private readonly localUser: string;
	private readonly config: SSHConfig;
	private readonly loadWarnings: string[] = [];
	private readonly proxyCommand: 'refuse' | 'ignore';

	constructor(options: SshConfigOptions = {}) {
		this.proxyCommand = options.proxyCommand ?? 'refuse';
		this.home = options.home ?? os.homedir();
		this.localUser = options.localUser ?? localUserName();
		this.file = options.file === undefined ? defaultSshConfigFile(process.env, this.home) : options.file;
		this.config = new SSHConfig();
		if (this.file) {
			const text = readConfigText(this.file);
			if (text !== undefined) {
				this.config = parseConfigText(text, this.file);
				expandIncludes(this.config, { home: this.home, warnings: this.loadWarnings }, 0, this.file);
				lowerCaseHostPatterns(this.config);
			}
		}
	}

	/** What `ssh -G` would compute for `alias` (lower-case option names), Match exec not evaluated. */
	compute(alias: string, user?: string): Computed {
		const query: { Host: string; User?: string } = { Host: alias.toLowerCase() };
		if (user !== undefined) query.User = user;
		return this.config.compute(query, { ignoreCase: true, matchExec: false });
	}

	private where(): string {
		return this.file ? ` (in ${this.file})` : '';
	}

	private endpoint(alias: string, computed: Computed, explicit: ExplicitValues): ResolvedEndpoint {
		const hostName = expandTokens(first(computed.hostname) ?? alias, { h: alias, '%': '%' });
		let port = explicit.port;
		if (port === undefined) {
			const configured = first(computed.port);
			if (configured !== undefined) {
				port = Number(configured);
				if (!Number.isInteger(port) || port < 1 || port > 65535) {
					throw new SshConfigError(
						`Port "${configured}" for host ${alias} is not a port number${this.where()}`,
						this.file ?? undefined,
					);
				}
			}
		}
		port ??= PROFILE_DEFAULT_PORT;
		const user = explicit.user ?? first(computed.user) ?? explicit.defaultUser;
		const hostKeyAlias = first(computed.hostkeyalias);
		const tokens: Record<string, string> = {
			'%': '%',
			d: this.home,
			h: hostName,
			n: alias,
			p: String(port),
			r: user,
			u: this.localUser,
			k: hostKeyAlias ?? alias,
			l: os.hostname(),
			L: os.hostname().split('.')[0] ?? '',
			i: String(process.getuid?.() ?? ''),
			C: createHash('sha1').update(`${os.hostname()}${hostName}${port}${user}`).digest('hex'),
		};
		const file = (p: string) => {
			const expanded = expandHome(expandTokens(p, tokens), this.home);
			return path.isAbsolute(expanded) ? expanded : path.resolve(expanded);
		};
		const identityFiles = all(computed.identityfile)
			.filter((f) => f.toLowerCase() !== 'none')
			.map(file);
		const knownHostsFiles = all(computed.userknownhostsfile)
			.filter((f) => f.toLowerCase() !== 'none')
			.map(file);
		const endpoint: ResolvedEndpoint = {
			alias,
			hostName,
			port,
			user,
			identityFiles,
			identitiesOnly: (first(computed.identitiesonly) ?? 'no').toLowerCase() === 'yes',
			knownHostsFiles,
			hashKnownHosts: (first(computed.hashknownhosts) ?? 'no').toLowerCase() === 'yes',
		};
		if (hostKeyAlias) endpoint.hostKeyAlias = hostKeyAlias;
		return endpoint;
	}

	private refuseProxyCommand(alias: string, computed: Computed): void {
		if (this.proxyCommand === 'ignore') return;
		const command = first(computed.proxycommand);
		if (command && command.toLowerCase() !== 'none' && first(computed.proxyjump) === undefined) {
			throw new SshConfigError(
				`the ssh config sets ProxyCommand for ${alias}${this.where()}; the console cannot run a proxy command. Use ProxyJump (for "ssh -W %h:%p bastion" write "ProxyJump bastion"), or connect directly.`,
				this.file ?? undefined,
			);
		}
	}

	private jumpChain(spec: string, seen: string[]): ResolvedEndpoint[] {
		if (spec.trim().toLowerCase() === 'none') return [];
		const hops = spec
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean)
			.map((s) => parseJumpHop(s, this.file ?? undefined));
		const out: ResolvedEndpoint[] = [];
		hops.forEach((hop, index) => {
			const computed = this.compute(hop.host, hop.user);
			this.refuseProxyCommand(hop.host, computed);
			const explicit: ExplicitValues = { defaultUser: this.localUser };
			if (hop.port !== undefined) explicit.port = hop.port;
			if (hop.user !== undefined) explicit.user = hop.user;
			const endpoint = this.endpoint(hop.host, computed, explicit);
			// As with ssh's nested -J: only the first hop is reached by its own configured ProxyJump.
			const own = first(computed.proxyjump);
			if (index === 0 && own !== undefined && own.toLowerCase() !== 'none') {
				const key = hop.host.toLowerCase();
				if (seen.includes(key)) {
					throw new SshConfigError(
						`ProxyJump loops: ${[...seen, key].join(' -> ')}${this.where()}`,
						this.file ?? undefined,
					);
				}
				out.push(...this.jumpChain(own, [...seen, key]));
			}
			out.push(endpoint);
		});
		if (out.length > MAX_JUMPS) {
			throw new SshConfigError(
				`more than ${MAX_JUMPS} jump hosts for ${seen[0] ?? spec}${this.where()}`,
				this.file ?? undefined,
			);
		}
		return out;
	}

	/** Resolve a profile node's host (an address, a name, or a Host alias) with the profile's explicit values. */
	resolve(alias: string, explicit: ExplicitValues): ResolvedHost {
		const computed = this.compute(alias, explicit.user);
		this.refuseProxyCommand(alias, computed);
		const endpoint = this.endpoint(alias, computed, explicit);
		const jump = first(computed.proxyjump);
		const jumps = jump === undefined ? [] : this.jumpChain(jump, [alias.toLowerCase()]);
		return { ...endpoint, jumps, configFile: this.file, warnings: [...this.loadWarnings] };
	}
}

/** %-tokens of ssh_config(5) TOKENS; unknown tokens are left as they are. */
export function expandTokens(value: string, tokens: Record<string, string>): string {
	return value.replace(/%(.)/g, (whole, c: string) => tokens[c] ?? whole);
}

/** The profile's port and user as "explicit" values (the schema defaults 22 and root count as not set). */
export function explicitFromProfile(node: { port: number; user: string }): ExplicitValues {
	const explicit: ExplicitValues = { defaultUser: node.user };
	if (node.port !== PROFILE_DEFAULT_PORT) explicit.port = node.port;
	if (node.user !== PROFILE_DEFAULT_USER) explicit.user = node.user;
	return explicit;
}
