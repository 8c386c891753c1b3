import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeNode, parseFacts } from '../../source/doctor/doctor.js';
import { Profile, type ProfileInput } from '../../source/profile/schema.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const runbook = getRunbook('demo');
const profile = Profile.parse(demoProfile({ demoRoot: '/tmp/x' }));
const good = {
	uid: '0',
	os_id: 'debian',
	os_version: '12',
	virt_flags: '0',
	mem_kb: String(8 * 1024 * 1024),
	cores: '2',
	disk_kb: String(50 * 1024 * 1024),
	hostname: 'compute1',
	resolve_controller: '127.0.0.2',
	resolve_compute1: '127.0.0.3',
	resolve_compute2: '127.0.0.4',
	provider_exists: 'yes',
	provider_addr: '',
	repo: 'ok',
};

function statusOf(findings: ReturnType<typeof judgeNode>, check: string) {
	return findings.find((f) => f.check === check)?.status;
}

describe('doctor judgement', () => {
	it('passes a node that meets everything, warns about emulation on compute nodes', () => {
		const findings = judgeNode(profile, runbook, profile.nodes[1]!, good);
		expect(findings.filter((f) => f.status === 'fail')).toEqual([]);
		expect(statusOf(findings, 'virtualization')).toBe('warn');
		expect(findings.find((f) => f.check === 'virtualization')!.why).toContain('virt_type=qemu');
	});

	it('fails with a fix for each problem', () => {
		const bad = {
			...good,
			uid: '1000',
			mem_kb: '1000000',
			disk_kb: '1000',
			resolve_controller: '10.9.9.9',
			provider_exists: 'no',
			repo: 'fail',
		};
		const findings = judgeNode(profile, runbook, profile.nodes[1]!, bad);
		for (const check of ['root', 'disk', 'resolves controller', 'provider interface', 'package repository']) {
			const f = findings.find((x) => x.check === check)!;
			expect(f.status, check).toBe('fail');
			expect(f.fix, check).toBeTruthy();
		}
		expect(statusOf(findings, 'memory')).toBe('warn');
		expect(findings.find((f) => f.check === 'root')!.fix).toContain('"sudo": true');
	});

	it('parses KEY=VALUE facts', () => {
		expect(parseFacts('a=1\nb=x=y\njunk\n')).toEqual({ a: '1', b: 'x=y' });
	});
});

describe('os-console doctor against the test sshd', () => {
	let sshd: TestSshd;
	beforeAll(async () => {
		if (!fs.existsSync('dist/cli.js')) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
		sshd = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3'] });
	});
	afterAll(async () => {
		await sshd?.stop();
	});

	it('reports facts of real nodes as findings, JSON and text', () => {
		const home = tempHome();
		const kh = path.join(sshd.dir, 'kh.doctor');
		fs.writeFileSync(kh, `${sshd.knownHostsLine('127.0.0.2')}\n${sshd.knownHostsLine('127.0.0.3')}\n`);
		const input = demoProfile({ demoRoot: '/tmp/x', port: sshd.port, keyFile: sshd.clientKeyPath } as never);
		input.nodes = input.nodes.slice(0, 2);
		const file = writeProfile(home, Profile.parse(input) as ProfileInput);
		const args = ['dist/cli.js', 'doctor', '--profile', file, '--no-repository', '--known-hosts', kh];
		let out: string;
		let code = 0;
		try {
			out = execFileSync('node', [...args, '--json'], { env: { ...process.env, OS_CONSOLE_HOME: home } }).toString();
		} catch (error) {
			out = (error as { stdout: Buffer }).stdout.toString();
			code = (error as { status: number }).status;
		}
		const report = JSON.parse(out) as { findings: { node: string; check: string; status: string; why: string }[] };
		const find = (node: string, check: string) => report.findings.find((f) => f.node === node && f.check === check);
		expect(find('controller', 'ssh')?.status).toBe('pass');
		expect(find('controller', 'root')?.status).toBe('pass');
		expect(find('compute1', 'cores')?.why).toMatch(/^\d+ cores$/);
		// The loopback interface exists and has an address: the guide wants an unnumbered provider interface.
		expect(find('compute1', 'provider interface')?.status).toBe('warn');
		expect(find('*', 'time')?.status).toBe('pass');
		expect([0, 1]).toContain(code);
		const text = execFileSync('node', args, { env: { ...process.env, OS_CONSOLE_HOME: home } })
			.toString()
			.split('\n');
		expect(text.some((l) => /passed, \d+ warnings, \d+ failed/.test(l))).toBe(true);
	});
});
