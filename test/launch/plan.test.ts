/**
 * The launch plan: typed actions, each create guarded so a second submit changes nothing; the equivalent
 * commands; the script as Engine.exec renders it (checked with sh -n, no secret in it); and a submit through
 * the real pipeline (LocalShellRunner, no OpenStack here: it must fail with the client's words).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openProfile } from '../../source/console/open-profile.js';
import { planLaunch } from '../../source/launch/plan.js';
import { type LaunchSpec, validateDraft } from '../../source/launch/spec.js';
import { type LaunchPhase, submitLaunch } from '../../source/launch/submit.js';
import { Profile } from '../../source/profile/schema.js';
import { loadOrCreateSecrets } from '../../source/profile/store.js';
import { RunbookStep } from '../../source/runbook/model.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { renderStep } from '../../source/runbook/render.js';
import { replaceLostServerTitle } from '../../source/steps/shared/launch.js';
import { LocalShellRunner } from '../helpers/local-runner.js';
import { demoProfile, tempHome, writeProfile } from '../helpers/profiles.js';
import { draft, PUBLIC_KEY } from './helpers.js';

function spec(overrides: Parameters<typeof draft>[0] = {}): LaunchSpec {
	const v = validateDraft(draft(overrides));
	if (!v.spec) throw new Error(JSON.stringify(v.errors));
	return v.spec;
}

const options = { publicKey: `${PUBLIC_KEY}\n`, keyDir: '/var/lib/os-console/launch', physicalNetwork: 'provider' };

describe('planLaunch', () => {
	it("self-service: the guide's commands in order, as admin then demo, with the operator's key file", () => {
		const plan = planLaunch({ ...spec(), keypair: { name: 'mykey', publicKeyFile: '~/.ssh/id_ed25519.pub' } }, options);
		expect(plan.commands).toEqual([
			'# as admin: . admin-openrc',
			'openstack network create --share --external --provider-physical-network provider --provider-network-type flat provider',
			'openstack subnet create --network provider --allocation-pool start=203.0.113.101,end=203.0.113.250 --dns-nameserver 8.8.4.4 --gateway 203.0.113.1 --subnet-range 203.0.113.0/24 provider',
			'# as demo: . demo-openrc',
			'openstack network create selfservice',
			'openstack subnet create --network selfservice --dns-nameserver 8.8.4.4 --gateway 172.16.1.1 --subnet-range 172.16.1.0/24 selfservice',
			'openstack router create router',
			'openstack router add subnet router selfservice',
			'openstack router set router --external-gateway provider',
			'# as admin: . admin-openrc',
			'openstack flavor create --vcpus 1 --ram 64 --disk 1 m1.nano',
			'openstack port list --network selfservice --device-owner network:dhcp',
			'# as demo: . demo-openrc',
			'openstack keypair create --public-key ~/.ssh/id_ed25519.pub mykey',
			'openstack security group rule create --proto icmp default',
			'openstack security group rule create --proto tcp --dst-port 22 default',
			'openstack server create --flavor m1.nano --image blank-qcow2-test --nic net-id=selfservice --security-group default --key-name mykey -f value -c id selfservice-instance',
			'openstack server show selfservice-instance',
			'openstack console url show selfservice-instance',
		]);
	});

	it('every create is guarded (unless, or a list test), except the idempotent router gateway', () => {
		const plan = planLaunch(spec(), options);
		for (const action of plan.actions) {
			if (action.kind === 'openstack') {
				const guarded = action.unless !== undefined || (action.args[0] === 'router' && action.args[1] === 'set');
				expect(guarded, action.args.join(' ')).toBe(true);
			} else if (action.kind === 'shell' && action.describe === replaceLostServerTitle('selfservice-instance')) {
				// removes only a server that never ran (ERROR, or BUILD with no change), before the server's create
				expect(plan.actions[plan.actions.indexOf(action) + 1]).toMatchObject({
					args: expect.arrayContaining(['server', 'create']),
				});
				expect(action.uses).toEqual(['openstack-demo']);
			} else if (action.kind === 'shell') {
				expect(action.script).toMatch(/^if .*; then\n\techo 'exists, not created: /);
				expect(action.uses).toEqual(['openstack-demo']);
			} else if (action.kind === 'wait') {
				// creates nothing: waits for the DHCP agent's port on the instance's network
				expect(action.describe).toBe("neutron's DHCP agent serves network selfservice (its DHCP port exists)");
			} else {
				expect(action.kind).toBe('file');
			}
		}
	});

	it('provider option: no self-service network or router; rules can be left out', () => {
		const plan = planLaunch(
			spec({ network: 'provider', instance: 'provider-instance', 'securityGroup.ssh': 'no', 'provider.dns': '' }),
			options,
		);
		const text = plan.commands.join('\n');
		expect(text).not.toContain('router');
		expect(text).not.toContain('--dst-port 22');
		expect(text).not.toContain('--dns-nameserver');
		expect(text).toContain(
			'--nic net-id=provider --security-group default --key-name mykey -f value -c id provider-instance',
		);
	});

	it('renders to one valid sh script with the key in a file action and no secret values', () => {
		const profile = Profile.parse(demoProfile({ demoRoot: '/tmp/x' }));
		const runbook = getRunbook('demo');
		const plan = planLaunch(spec(), options);
		const step = RunbookStep.parse({ id: 'adhoc', title: 'launch', on: 'all', actions: plan.actions });
		const rendered = renderStep(
			runbook,
			{ id: 'adhoc', title: 'launch', guide: 'x', steps: [step] },
			step,
			profile,
			profile.nodes[0]!,
		);
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'osc-plan-')), 'script.sh');
		fs.writeFileSync(file, rendered.script);
		execFileSync('sh', ['-n', file]);
		expect(rendered.script).toContain('osc_creds_demo()');
		expect(rendered.script).toContain('osc_creds_admin()');
		expect(rendered.script).toContain(PUBLIC_KEY);
		expect(rendered.script).toContain("osc_write_file '/var/lib/os-console/launch/mykey.pub' 0644 root:root");
		expect(rendered.secrets).toEqual(['ADMIN_PASS', 'DEMO_PASS']);
		expect(rendered.actions).toHaveLength(plan.actions.length);
	});
});

it('a list-guarded action renders the client helpers on its own (uses)', () => {
	const profile = Profile.parse(demoProfile({ demoRoot: '/tmp/x' }));
	const runbook = getRunbook('demo');
	const plan = planLaunch(spec(), options);
	const sshRule = plan.actions.filter((a) => a.kind === 'shell' && a.describe.includes('SSH')).pop()!;
	expect(sshRule.describe).toBe('ensure SSH (tcp 22) into security group default');
	const step = RunbookStep.parse({ id: 'adhoc', title: 'rule', on: 'all', actions: [sshRule] });
	const rendered = renderStep(
		runbook,
		{ id: 'adhoc', title: 'rule', guide: 'x', steps: [step] },
		step,
		profile,
		profile.nodes[0]!,
	);
	expect(rendered.script).toContain('osc_creds_demo()');
	expect(rendered.script).toContain('osc_openstack() {');
	expect(rendered.secrets).toEqual(['DEMO_PASS']);
});

describe("the wait for neutron's DHCP port before the server is created", () => {
	// A fake osc_openstack (no OpenStack here): it answers `subnet list --dhcp` and `port list` from variables.
	const fakeClient = [
		'osc_openstack() {',
		'\tcase "$3 $4" in',
		'\t"subnet list") printf "%s" "$FAKE_DHCP_SUBNETS" ;;',
		'\t"port list") printf "%s" "$FAKE_DHCP_PORTS" ;;',
		'\t*) echo "unexpected: $*" >&2; return 2 ;;',
		'\tesac',
		'}',
	].join('\n');
	const condition = () => {
		const wait = planLaunch(spec({ network: 'provider', instance: 'provider-instance' }), options).actions.find(
			(a) => a.kind === 'wait',
		);
		if (wait?.kind !== 'wait') throw new Error('no wait action in the plan');
		expect(wait.uses).toEqual(['openstack-admin']);
		return String(wait.until);
	};
	const run = (env: Record<string, string>) => {
		try {
			return {
				code: 0,
				out: execFileSync('sh', ['-c', `${fakeClient}\n${condition()}`], {
					env: { ...env, PATH: process.env.PATH },
				}).toString(),
			};
		} catch (error) {
			const e = error as { status: number; stdout: Buffer };
			return { code: e.status, out: e.stdout.toString() };
		}
	};

	it('holds once the DHCP port exists', () => {
		expect(run({ FAKE_DHCP_SUBNETS: 'subnet-1\n', FAKE_DHCP_PORTS: 'port-1\n' }).code).toBe(0);
	});

	it('keeps waiting while it does not, and names where to look', () => {
		const r = run({ FAKE_DHCP_SUBNETS: 'subnet-1\n', FAKE_DHCP_PORTS: '' });
		expect(r.code).toBe(1);
		expect(r.out).toContain('no DHCP port on network provider yet: is neutron-dhcp-agent alive on the controller?');
	});

	it('does not wait for a network whose subnets hand out no addresses by DHCP', () => {
		const r = run({ FAKE_DHCP_SUBNETS: '', FAKE_DHCP_PORTS: '' });
		expect(r.code).toBe(0);
		expect(r.out).toContain('nothing to wait for');
	});
});

describe('submitLaunch through Engine.exec and the LocalShellRunner', () => {
	const engines: { close(): Promise<void> }[] = [];
	afterEach(async () => {
		for (const e of engines.splice(0)) await e.close();
	});

	it('runs the plan on the controller with live output, and fails with the reason when the client cannot run', async () => {
		tempHome();
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-launch-'));
		const runner = new LocalShellRunner();
		const file = writeProfile(dir, demoProfile({ demoRoot: dir, name: 'launch-lab' }));
		const { engine } = await openProfile(file, { hostKeys: { mode: 'strict' }, runner });
		engines.push(engine);
		const lines: string[] = [];
		const phases: LaunchPhase['kind'][] = [];
		const outcome = await submitLaunch(engine, spec(), {
			publicKey: `${PUBLIC_KEY}\n`,
			keyDir: path.join(dir, 'keys'),
			onLine: (_s, text) => lines.push(text),
			onPhase: (p) => phases.push(p.kind),
		});
		expect(outcome.kind).toBe('failed');
		expect(phases).toEqual(['creating', 'failed']);
		if (outcome.kind === 'failed') expect(outcome.detail).toMatch(/^creating the resources failed on controller: ./);
		expect(lines.length).toBeGreaterThan(0);
		expect(runner.runs).toHaveLength(1);
		expect(runner.runs[0]!.node).toBe('controller');
		const secrets = loadOrCreateSecrets('launch-lab');
		expect(runner.runs[0]!.script).not.toContain(secrets.ADMIN_PASS);
		expect(lines.join('\n')).not.toContain(secrets.ADMIN_PASS);
	});
});
