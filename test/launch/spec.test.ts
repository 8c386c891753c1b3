/** Validation of the launch spec: what the form shows next to each field and the command prints. */
import { describe, expect, it } from 'vitest';
import { draftFromProfile } from '../../source/launch/prefill.js';
import {
	describeErrors,
	parseCidr,
	publicKeyProblem,
	specToDraft,
	unknownPaths,
	validateDraft,
} from '../../source/launch/spec.js';
import { cloudProfile, runbookLike } from '../verify/helpers.js';
import { draft, keyDir, PUBLIC_KEY, writeKey } from './helpers.js';

describe('prefill from the profile', () => {
	it("takes the profile's networks, the guide's names and the runbook's test image, and validates", () => {
		const d = draft();
		expect(d).toMatchObject({
			network: 'selfservice',
			'provider.cidr': '203.0.113.0/24',
			'provider.gateway': '203.0.113.1',
			'provider.poolStart': '203.0.113.101',
			'provider.poolEnd': '203.0.113.250',
			'provider.dns': '8.8.4.4',
			'selfservice.cidr': '172.16.1.0/24',
			'selfservice.router': 'router',
			'flavor.name': 'm1.nano',
			image: 'blank-qcow2-test',
			instance: 'selfservice-instance',
		});
		const v = validateDraft(d);
		expect(v.errors).toEqual({});
		expect(v.spec).toMatchObject({
			network: 'selfservice',
			flavor: { vcpus: 1, ramMb: 64, diskGb: 1 },
			securityGroup: { icmp: true, ssh: true },
		});
		expect(v.publicKey).toBe(`${PUBLIC_KEY}\n`);
		const ocata = draftFromProfile(cloudProfile(), runbookLike('centos7-ocata'), { keyFile: '/x.pub' });
		expect(ocata.image).toBe('cirros');
	});
});

describe('validation as the operator types', () => {
	it('CIDR syntax and host bits', () => {
		expect(parseCidr('203.0.113.0/24')).toMatchObject({ prefix: 24 });
		expect(parseCidr('203.0.113/24')).toBe('must be an IPv4 network in CIDR form like 203.0.113.0/24');
		expect(parseCidr('203.0.113.7/24')).toBe('host bits are set: the network is 203.0.113.0/24');
		expect(parseCidr('203.0.113.4/31')).toMatch(/\/30 or shorter/);
		expect(validateDraft(draft({ 'provider.cidr': '203.0.113.0/33' })).errors['provider.cidr']).toMatch(/CIDR form/);
	});

	it('gateway and pool inside the subnet, start not after end, gateway outside the pool', () => {
		const e = (o: Parameters<typeof draft>[0]) => validateDraft(draft(o)).errors;
		expect(e({ 'provider.gateway': '198.51.100.1' })).toEqual({
			'provider.gateway': 'must be inside 203.0.113.0/24 (not its network or broadcast address)',
		});
		expect(e({ 'provider.gateway': '203.0.113.255' })['provider.gateway']).toMatch(/must be inside/);
		expect(e({ 'provider.poolStart': '203.0.114.5' })).toEqual({
			'provider.poolStart': 'must be inside 203.0.113.0/24',
		});
		expect(e({ 'provider.poolStart': '203.0.113.200', 'provider.poolEnd': '203.0.113.150' })).toEqual({
			'provider.poolEnd': 'must not come before the pool start 203.0.113.200',
		});
		expect(e({ 'provider.gateway': '203.0.113.120' })).toEqual({
			'provider.gateway': 'is inside the allocation pool 203.0.113.101-203.0.113.250: neutron refuses that',
		});
		expect(e({ 'selfservice.gateway': '172.16.2.1' })['selfservice.gateway']).toMatch(/inside 172\.16\.1\.0\/24/);
		expect(e({ 'selfservice.cidr': '203.0.113.0/25' })['selfservice.cidr']).toBe(
			'overlaps the provider network: the router cannot connect both',
		);
		expect(e({ 'provider.dns': '8.8.8' })['provider.dns']).toBe(
			'must be an IPv4 address like 8.8.4.4, or empty for none',
		);
		expect(e({ 'provider.dns': '' })).toEqual({});
	});

	it('names non-empty with allowed characters; sizes positive whole numbers', () => {
		const e = (o: Parameters<typeof draft>[0]) => validateDraft(draft(o)).errors;
		expect(e({ instance: '' })).toEqual({ instance: 'must not be empty' });
		expect(e({ 'selfservice.router': 'my router' })['selfservice.router']).toMatch(/letters, digits, \. _ - only/);
		expect(e({ 'keypair.name': '{{ADMIN_PASS}}' })['keypair.name']).toMatch(/letters, digits/);
		expect(e({ 'flavor.vcpus': '0' })).toEqual({ 'flavor.vcpus': 'must be 1 or more' });
		expect(e({ 'flavor.ramMb': '64.5' })).toEqual({ 'flavor.ramMb': 'must be a whole number' });
		expect(e({ 'flavor.diskGb': '' })).toEqual({ 'flavor.diskGb': 'must not be empty' });
	});

	it('self-service fields are ignored for the provider option', () => {
		const v = validateDraft(draft({ network: 'provider', 'selfservice.cidr': 'nonsense', 'selfservice.router': '' }));
		expect(v.errors).toEqual({});
		expect(v.spec?.selfservice).toBeUndefined();
	});

	it('the key file exists and holds one OpenSSH public key', () => {
		const dir = keyDir();
		expect(validateDraft(draft({}, `${dir}/missing.pub`)).errors['keypair.publicKeyFile']).toBe(
			`${dir}/missing.pub does not exist`,
		);
		const priv = writeKey(
			dir,
			'id_ed25519',
			'-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n',
		);
		expect(validateDraft(draft({}, priv)).errors['keypair.publicKeyFile']).toBe(
			`${priv}: this is a private key: give the .pub file next to it`,
		);
		expect(validateDraft(draft({}, dir)).errors['keypair.publicKeyFile']).toBe(`${dir} is not a file`);
		expect(publicKeyProblem('hello world')).toMatch(/does not hold an OpenSSH public key/);
		expect(publicKeyProblem('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIItQ+81c1ym/3VC0A7iQybuISas++1uain9GqtoJLbxd')).toBe(
			'the key data does not match its type ssh-rsa (damaged or truncated?)',
		);
		expect(publicKeyProblem(`${PUBLIC_KEY}\n${PUBLIC_KEY}\n`)).toMatch(/holds 2 lines/);
		expect(publicKeyProblem(`${PUBLIC_KEY.replace('operator@laptop', '{{x}}')}`)).toMatch(/comment contains/);
		expect(publicKeyProblem(`# my key\n${PUBLIC_KEY}\n`)).toBeUndefined();
	});
});

describe('spec files', () => {
	it('a partial spec over the defaults; unknown keys are named', () => {
		const d = specToDraft({ network: 'provider', flavor: { vcpus: 2 }, securityGroup: { ssh: false } }, draft());
		expect(d).toMatchObject({
			network: 'provider',
			'flavor.vcpus': '2',
			'securityGroup.ssh': 'no',
			'flavor.ramMb': '64',
		});
		expect(unknownPaths({ network: 'provider', flavor: { ram: 64 }, imgae: 'x', provider: { cidr: 'x' } })).toEqual([
			'flavor.ram',
			'imgae',
		]);
		expect(describeErrors(validateDraft({ ...d, 'provider.cidr': 'x' }).errors)).toEqual([
			'provider.cidr: must be an IPv4 network in CIDR form like 203.0.113.0/24',
		]);
	});
});
