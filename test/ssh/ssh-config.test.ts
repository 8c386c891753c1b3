/**
 * ~/.ssh/config resolution (source/ssh/ssh-config.ts): aliases, patterns, HostName, User, Port, IdentityFile,
 * UserKnownHostsFile, HostKeyAlias, ProxyJump chains, Include, precedence of the profile's values, and the
 * NodeTarget the step runner builds. Every config here is a temp file: the real ~/.ssh/config is never read.
 * Where OpenSSH can say what it would do (`ssh -G`), the resolver is checked against it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile } from '../../source/profile/schema.js';
import {
	defaultSshConfigFile,
	explicitFromProfile,
	parseJumpHop,
	SSH_CONFIG_ENV,
	SshConfigError,
	SshConfigResolver,
} from '../../source/ssh/ssh-config.js';
import { nodeTarget } from '../../source/ssh/step-runner.js';
import { demoProfile } from '../helpers/profiles.js';

let dir: string;
let home: string;

function writeConfig(name: string, text: string): string {
	const file = path.join(dir, name);
	fs.writeFileSync(file, text, { mode: 0o600 });
	return file;
}

function resolver(text: string, name = 'config'): SshConfigResolver {
	return new SshConfigResolver({ file: writeConfig(name, text), home, localUser: 'operator' });
}

const NOT_SET = { defaultUser: 'root' };

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-ssh-config-'));
	home = path.join(dir, 'home');
	fs.mkdirSync(path.join(home, '.ssh', 'config.d'), { recursive: true });
});
afterAll(() => {
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('which file', () => {
	it('OS_CONSOLE_SSH_CONFIG names the file, "none" means none, otherwise ~/.ssh/config', () => {
		expect(defaultSshConfigFile({}, '/home/op')).toBe('/home/op/.ssh/config');
		expect(defaultSshConfigFile({ [SSH_CONFIG_ENV]: 'none' }, '/home/op')).toBeNull();
		expect(defaultSshConfigFile({ [SSH_CONFIG_ENV]: '~/other' }, '/home/op')).toBe('/home/op/other');
		expect(defaultSshConfigFile({ [SSH_CONFIG_ENV]: '/etc/osc/ssh_config' }, '/home/op')).toBe('/etc/osc/ssh_config');
	});

	it('a missing file and no file both resolve a host to itself with the profile values', () => {
		for (const file of [path.join(dir, 'absent'), null]) {
			const r = new SshConfigResolver({ file, home, localUser: 'operator' }).resolve('10.0.0.11', NOT_SET);
			expect(r).toMatchObject({ hostName: '10.0.0.11', port: 22, user: 'root', identityFiles: [], jumps: [] });
		}
	});

	it('reports an unreadable config with its path', () => {
		const d = path.join(dir, 'a-directory');
		fs.mkdirSync(d, { recursive: true });
		expect(() => new SshConfigResolver({ file: d, home })).toThrow(SshConfigError);
		expect(() => new SshConfigResolver({ file: d, home })).toThrow(d);
	});
});

describe('resolving a node host', () => {
	const text = `# operator's config
Host ctl controller-alias
    HostName 192.0.2.11
    User admin
    Port 2201
    IdentityFile ~/.ssh/id_ctl
    IdentityFile %d/.ssh/id_%r_%h_%p
    UserKnownHostsFile ~/.ssh/known_hosts.lab /etc/ssh/lab_known_hosts
    HostKeyAlias lab-controller

Host web-* !web-bad
    HostName %h.lab.example
    User web

Host *.lab.example
    Port 2299

Host *
    User fallback
    IdentitiesOnly yes
`;

	it('applies HostName, User, Port, IdentityFile (~ and tokens), UserKnownHostsFile and HostKeyAlias', () => {
		const r = resolver(text).resolve('ctl', NOT_SET);
		expect(r).toMatchObject({
			alias: 'ctl',
			hostName: '192.0.2.11',
			port: 2201,
			user: 'admin',
			hostKeyAlias: 'lab-controller',
			identitiesOnly: true,
			identityFiles: [path.join(home, '.ssh/id_ctl'), path.join(home, '.ssh/id_admin_192.0.2.11_2201')],
			knownHostsFiles: [path.join(home, '.ssh/known_hosts.lab'), '/etc/ssh/lab_known_hosts'],
			jumps: [],
		});
	});

	it('matches patterns and negations, first value wins, and Host * fills the rest', () => {
		const rx = resolver(text);
		expect(rx.resolve('web-1', NOT_SET)).toMatchObject({ hostName: 'web-1.lab.example', user: 'web', port: 22 });
		expect(rx.resolve('web-bad', NOT_SET)).toMatchObject({ hostName: 'web-bad', user: 'fallback', port: 22 });
		// The second alias of a Host line matches too; the name is compared without case, like ssh.
		expect(rx.resolve('Controller-Alias', NOT_SET)).toMatchObject({ hostName: '192.0.2.11', user: 'admin' });
		expect(rx.resolve('10.0.0.31', NOT_SET)).toMatchObject({ hostName: '10.0.0.31', user: 'fallback', port: 22 });
	});

	it("the profile's port and user win unless they are the defaults 22 and root", () => {
		const rx = resolver(text);
		const node = (port: number, user: string) => explicitFromProfile({ port, user });
		expect(rx.resolve('ctl', node(22, 'root'))).toMatchObject({ port: 2201, user: 'admin' });
		expect(rx.resolve('ctl', node(2222, 'ubuntu'))).toMatchObject({ port: 2222, user: 'ubuntu' });
		expect(rx.resolve('ctl', node(22, 'ubuntu'))).toMatchObject({ port: 2201, user: 'ubuntu' });
		// No User anywhere: the profile's (default) user, not the local one.
		expect(resolver('Host x\n  HostName 10.1.1.1\n', 'plain').resolve('x', node(22, 'root')).user).toBe('root');
	});

	it('agrees with `ssh -G` on what OpenSSH would connect to', () => {
		const file = writeConfig('for-ssh-g', text);
		const rx = new SshConfigResolver({ file, home, localUser: os.userInfo().username });
		const cases: { alias: string; args: string[]; explicit: { port?: number; user?: string; defaultUser: string } }[] =
			[
				{ alias: 'ctl', args: [], explicit: { defaultUser: 'root' } },
				{
					alias: 'ctl',
					args: ['-p', '2222', '-l', 'ubuntu'],
					explicit: { port: 2222, user: 'ubuntu', defaultUser: 'root' },
				},
				{ alias: 'web-7', args: [], explicit: { defaultUser: 'root' } },
				{ alias: 'web-bad', args: [], explicit: { defaultUser: 'root' } },
			];
		for (const c of cases) {
			const out = execFileSync('ssh', ['-G', '-F', file, ...c.args, c.alias], {
				encoding: 'utf8',
				env: { ...process.env, HOME: home },
			});
			const g = new Map<string, string[]>();
			for (const line of out.split('\n')) {
				const [k, ...v] = line.split(' ');
				if (k) g.set(k, [...(g.get(k) ?? []), v.join(' ')]);
			}
			const r = rx.resolve(c.alias, c.explicit);
			expect({ alias: c.alias, hostName: r.hostName, port: r.port, user: r.user }).toEqual({
				alias: c.alias,
				hostName: g.get('hostname')?.[0],
				port: Number(g.get('port')?.[0]),
				user: g.get('user')?.[0],
			});
			// ssh -G prints IdentityFile unexpanded: compare the entries without %-tokens
			if (r.identityFiles.length) {
				const plain = (g.get('identityfile') ?? []).filter((f) => !f.includes('%')).map((f) => f.replace(/^~/, home));
				expect(r.identityFiles).toEqual(expect.arrayContaining(plain));
				expect(plain.length).toBeGreaterThan(0);
			}
		}
	});

	it('does not run Match exec commands; Match host and user do apply', () => {
		const flag = path.join(dir, 'match-exec-ran');
		const rx = resolver(
			`Match exec "touch ${flag}"
    User from-exec
Match host 10.9.*
    Port 2022
Host db
    HostName 10.9.0.5
`,
			'match',
		);
		const r = rx.resolve('db', NOT_SET);
		expect(fs.existsSync(flag)).toBe(false);
		expect(r).toMatchObject({ hostName: '10.9.0.5', user: 'root' });
		expect(rx.resolve('10.9.1.1', NOT_SET).port).toBe(2022);
	});

	it('refuses ProxyCommand with a message that says what to write instead', () => {
		const rx = resolver('Host old\n    ProxyCommand ssh -W %h:%p bastion\n', 'proxycommand');
		expect(() => rx.resolve('old', NOT_SET)).toThrow(/ProxyCommand.*Use ProxyJump/);
		expect(rx.resolve('other', NOT_SET).hostName).toBe('other');
		// for OpenSSH itself (the Ansible export), only the host, port and user matter
		const lenient = new SshConfigResolver({ file: rx.file, home, localUser: 'operator', proxyCommand: 'ignore' });
		expect(lenient.resolve('old', NOT_SET)).toMatchObject({ hostName: 'old', jumps: [] });
	});

	it('reads Include files (globs, relative to ~/.ssh) where the Include stands; inside a Host block only for that host', () => {
		fs.writeFileSync(path.join(home, '.ssh/config.d/10-lab'), 'Host lab1\n    HostName 198.51.100.1\n    Port 2201\n');
		fs.writeFileSync(path.join(home, '.ssh/config.d/20-lab'), 'Host lab2\n    HostName 198.51.100.2\n');
		fs.writeFileSync(path.join(home, '.ssh/config.d/.hidden'), 'Host lab1\n    HostName 203.0.113.99\n');
		const shared = path.join(dir, 'shared-users');
		fs.writeFileSync(shared, 'User deploy\n');
		const file = writeConfig(
			'include',
			`Include config.d/*
Host lab2
    Include ${shared}
    Port 2202
Host *
    User nobody
`,
		);
		const rx = new SshConfigResolver({ file, home, localUser: 'operator' });
		const expected = {
			lab1: { hostName: '198.51.100.1', port: 2201, user: 'nobody' },
			lab2: { hostName: '198.51.100.2', port: 2202, user: 'deploy' },
		};
		for (const [alias, want] of Object.entries(expected)) {
			expect(rx.resolve(alias, NOT_SET)).toMatchObject(want);
			const g = execFileSync('ssh', ['-G', '-F', file, alias], {
				encoding: 'utf8',
				env: { ...process.env, HOME: home },
			});
			expect(g).toContain(`\nhostname ${want.hostName}\n`);
			expect(g).toContain(`\nport ${want.port}\n`);
			expect(g).toMatch(new RegExp(`(^|\\n)user ${want.user}\\n`));
		}
	});
});

describe('ProxyJump', () => {
	it('parses the hop forms ssh accepts', () => {
		expect(parseJumpHop('bastion')).toEqual({ host: 'bastion' });
		expect(parseJumpHop('ops@bastion:2222')).toEqual({ host: 'bastion', user: 'ops', port: 2222 });
		expect(parseJumpHop('ssh://ops@192.0.2.1:2200')).toEqual({ host: '192.0.2.1', user: 'ops', port: 2200 });
		expect(parseJumpHop('[2001:db8::1]:2022')).toEqual({ host: '2001:db8::1', port: 2022 });
		expect(parseJumpHop('2001:db8::1')).toEqual({ host: '2001:db8::1' });
		expect(() => parseJumpHop('ops@bastion:99999')).toThrow(SshConfigError);
		expect(() => parseJumpHop('@bastion')).toThrow(SshConfigError);
	});

	const text = `Host node-*
    ProxyJump bastion
    User root
Host node-a
    HostName 10.0.0.11
Host bastion
    HostName 192.0.2.1
    Port 2222
    User jumper
    IdentityFile /keys/bastion
    UserKnownHostsFile /keys/bastion_known_hosts
    ProxyJump edge
Host edge
    HostName 198.51.100.7
    User edge-user
Host inner
    HostName 10.0.0.2
    ProxyJump ops@10.0.0.1:2200,inner-hop
Host inner-hop
    HostName 10.0.0.3
    ProxyJump should-be-ignored
Host loop-a
    ProxyJump loop-b
Host loop-b
    ProxyJump loop-a
Host direct
    ProxyJump none
`;

	it("builds the chain in connection order, each hop looked up in the config; the first hop's own ProxyJump comes first", () => {
		const r = resolver(text, 'jump').resolve('node-a', NOT_SET);
		expect(r).toMatchObject({ hostName: '10.0.0.11', user: 'root', port: 22 });
		expect(r.jumps.map((j) => [j.alias, j.hostName, j.port, j.user])).toEqual([
			['edge', '198.51.100.7', 22, 'edge-user'],
			['bastion', '192.0.2.1', 2222, 'jumper'],
		]);
		expect(r.jumps[1]).toMatchObject({
			identityFiles: ['/keys/bastion'],
			knownHostsFiles: ['/keys/bastion_known_hosts'],
		});
	});

	it('takes user@host:port hops as written (they win over the config), later hops ignore their own ProxyJump', () => {
		const r = resolver(text, 'jump2').resolve('inner', NOT_SET);
		expect(r.jumps.map((j) => [j.alias, j.hostName, j.port, j.user])).toEqual([
			// no User for 10.0.0.1 anywhere: the local user, like ssh
			['10.0.0.1', '10.0.0.1', 2200, 'ops'],
			['inner-hop', '10.0.0.3', 22, 'operator'],
		]);
	});

	it('refuses loops, and ProxyJump none means a direct connection', () => {
		const rx = resolver(text, 'jump3');
		expect(() => rx.resolve('loop-a', NOT_SET)).toThrow(/ProxyJump loops/);
		expect(rx.resolve('direct', NOT_SET).jumps).toEqual([]);
	});
});

describe('the NodeTarget the step runner builds', () => {
	const config = `Host ctl
    HostName 127.0.0.9
    Port 2201
    IdentityFile /keys/ctl
    UserKnownHostsFile /keys/ctl_known_hosts
    ProxyJump jump
Host jump
    HostName 127.0.0.5
    User root
    IdentityFile /keys/jump
`;
	function profileWith(auth: { type: 'agent' } | { type: 'key'; keyFile: string }) {
		return Profile.parse(
			demoProfile({
				demoRoot: '/tmp/x',
				nodes: [{ name: 'controller', host: 'ctl', roles: ['controller', 'compute'], managementIp: '10.0.0.11', auth }],
			}),
		);
	}

	it('agent auth gets the IdentityFiles; a jump host gets its own keys, then the node key, then the agent', () => {
		const rx = resolver(config, 'target');
		const agentNode = profileWith({ type: 'agent' }).nodes[0]!;
		const t = nodeTarget(agentNode, rx.resolve(agentNode.host, explicitFromProfile(agentNode)));
		expect(t).toMatchObject({
			name: 'controller',
			alias: 'ctl',
			host: '127.0.0.9',
			port: 2201,
			user: 'root',
			identityFiles: ['/keys/ctl'],
			knownHostsFiles: ['/keys/ctl_known_hosts'],
		});
		expect(t.jump).toEqual([
			{
				label: 'jump',
				host: '127.0.0.5',
				port: 22,
				user: 'root',
				identityFiles: ['/keys/jump'],
				useAgent: true,
				knownHostsFiles: [],
			},
		]);
		const keyNode = profileWith({ type: 'key', keyFile: '/keys/profile' }).nodes[0]!;
		const k = nodeTarget(keyNode, rx.resolve(keyNode.host, explicitFromProfile(keyNode)));
		expect(k.identityFiles).toBeUndefined();
		expect(k.auth).toEqual({ type: 'key', keyFile: '/keys/profile' });
		expect(k.jump?.[0]?.identityFiles).toEqual(['/keys/jump', '/keys/profile']);
	});

	it('ssh.knownHostsFile "user": each host records in its own first UserKnownHostsFile, else ~/.ssh/known_hosts', () => {
		const rx = resolver(`${config}Host jump\n    HashKnownHosts yes\n`, 'target-user');
		const node = profileWith({ type: 'agent' }).nodes[0]!;
		const resolved = rx.resolve(node.host, explicitFromProfile(node));
		const user = nodeTarget(node, resolved, 'user');
		expect(user.acceptedKnownHostsFile).toBe('/keys/ctl_known_hosts');
		expect(user.hashKnownHosts).toBeUndefined();
		expect(user.jump?.[0]).toMatchObject({
			acceptedKnownHostsFile: path.join(os.homedir(), '.ssh', 'known_hosts'),
			hashKnownHosts: true,
		});
		const custom = nodeTarget(node, resolved, '~/team/known_hosts');
		expect(custom.acceptedKnownHostsFile).toBe(path.join(os.homedir(), 'team', 'known_hosts'));
		expect(custom.jump?.[0]?.acceptedKnownHostsFile).toBe(path.join(os.homedir(), 'team', 'known_hosts'));
		// the default leaves the choice to the session (the console's known_hosts)
		expect(nodeTarget(node, resolved).acceptedKnownHostsFile).toBeUndefined();
	});
});
