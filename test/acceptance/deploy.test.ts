/**
 * The console's promise, for real: a two-node OpenStack Zed from Debian 12's own packages, installed by
 * `os-console run` over SSH onto two fresh LXC system containers (controller, compute1), section by section.
 *
 * 1. fresh nodes from the harness; a profile for them (two-node, option 1, provider interface eth1 on a host
 *    bridge with no address and no uplink, provider range 10.199.0.0/24 that exists only there, no DNS), a
 *    known_hosts made from the host keys the harness reports (nothing is accepted blindly), OS_CONSOLE_HOME
 *    in a temp dir;
 * 2. every service section through `os-console run --section ID --yes --json`;
 * 3. `os-console launch --spec launch.json --yes` on the bare cloud, as an operator would: it creates the
 *    networks (provider; for option 2 also the self-service network, subnet and router), the flavor, the
 *    operator's key pair, the ICMP and SSH rules and the server, which goes ACTIVE on compute1 with an
 *    address; submitted again, every item says it exists, nothing is duplicated, the same server is ACTIVE;
 *    a flavor larger than the compute node makes it report nova's real "No valid host" fault and exit 1;
 * 4. the runbook's launch-instance section on top of that (it finds what launch made and adds its instance);
 * 5. `os-console verify --json` (token issue admin and demo, image list, compute services, nova-status upgrade
 *    check, network agents ...) all pass, and the launch section's instance is ACTIVE on compute1;
 * 6. every section again (--force): every step succeeded or already-done, no step changed anything (no
 *    config written, no service restarted, nothing created), and the cloud's inventory is identical;
 * 7. per-section times; nodes destroyed (OSC_KEEP_NODES=1 keeps them).
 * OSC_ACC_CAPTURE=DIR writes real outputs of the checks' and launch's commands there as fixtures
 * (test/fixtures/openstack-cli/captured; see its README).
 * OSC_ACC_NETWORK_OPTION=selfservice runs the same test with networking option 2 (L3 agent, VXLAN, router,
 * a second instance on the self-service network with a floating IP).
 * A failure prints the failing step, its output and the relevant service logs from the nodes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../source/profile/schema.js';
import { getRunbook } from '../../source/runbook/registry.js';
import { CAPTURE_DIR, capture, openstackCommand } from './helpers/capture.js';
import { inventory, openstackJson, type Remote, serviceLogs, sh } from './helpers/cloud.js';
import {
	type ConsoleResult,
	finalStates,
	parseEvents,
	type RunEvent,
	runConsole,
	stepOutput,
	writeJson,
} from './helpers/console.js';
import {
	createNodes,
	destroyStale,
	ensureHostPrerequisites,
	ensureTemplate,
	type LxcNode,
	type NodeSet,
} from './lxc/nodes.js';

const NODES = [
	{ name: 'controller', ip: '10.0.3.11' },
	{ name: 'compute1', ip: '10.0.3.31' },
];
const SECTIONS = getRunbook('debian12-zed').sections.map((s) => s.id);
/** The service sections; the runbook's own launch section runs after `os-console launch`. */
const SERVICE_SECTIONS = SECTIONS.filter((s) => s !== 'launch-instance');
const KEEP = process.env.OSC_KEEP_NODES === '1' || process.env.OSC_ACC_KEEP === '1';
const OPTION = process.env.OSC_ACC_NETWORK_OPTION === 'selfservice' ? 'selfservice' : 'provider';
/** Output lines by which a step says it changed something (the runbook's and the core's helpers print these). */
const CHANGE = /^(set: |wrote: |removed: |restarted: |started: |created: |made: |downloaded: |Setting up |Unpacking )/;
/** What `os-console launch` is asked for: names of its own beside the runbook's m1.nano, mykey, provider-instance. */
const LAUNCH = { instance: 'console-instance', flavor: 'console.nano', keypair: 'operator-key' };
/** Plan items `os-console launch` guards with an existence check (the router's gateway is set, not guarded). */
const LAUNCH_GUARDED_ITEMS = OPTION === 'provider' ? 7 : 11;

interface Timing {
	phase: 'first run' | 'launch' | 'second run' | 'verify';
	section: string;
	seconds: number;
	ok: boolean;
}

describe.sequential(`debian12-zed: a two-node OpenStack Zed (networking option ${OPTION}) installed by the console onto LXC nodes`, () => {
	let set: NodeSet | undefined;
	let work = '';
	let home = '';
	let knownHosts = '';
	let profileFile = '';
	let logFile = '';
	let controller: Remote;
	let compute: Remote;
	let deployed = false;
	let launchSpecFile = '';
	let launchedId = '';
	const timings: Timing[] = [];
	const started = performance.now();

	beforeAll(async () => {
		await ensureHostPrerequisites();
		const stale = await destroyStale();
		if (stale.length) console.log(`destroyed stale nodes: ${stale.join(', ')}`);
		await ensureTemplate();
		set = await createNodes({ names: NODES, keep: KEEP });
		const [ctl, cmp] = set.nodes as [LxcNode, LxcNode];
		work = fs.mkdtempSync(path.join(os.tmpdir(), 'osc-acceptance-'));
		home = path.join(work, 'home');
		fs.mkdirSync(home, { mode: 0o700 });
		// known_hosts from what the harness says the nodes' keys are: the console refuses anything else.
		knownHosts = path.join(work, 'known_hosts');
		fs.writeFileSync(knownHosts, `${set.nodes.flatMap((n) => n.hostKeyLines).join('\n')}\n`);
		logFile = path.join(work, 'console.log');
		controller = { node: ctl, knownHosts };
		compute = { node: cmp, knownHosts };
		const profile: ProfileInput = {
			version: 1,
			name: 'zed-acceptance',
			runbook: 'debian12-zed',
			description: 'acceptance test: two LXC nodes made by test/acceptance/lxc',
			region: 'RegionOne',
			network: {
				managementCidr: `10.0.3.0/${set.prefixLength}`,
				providerInterface: ctl.providerInterface,
				// Exists only on the harness's provider bridge (no address on the host, no uplink).
				providerCidr: '10.199.0.0/24',
				providerGateway: '10.199.0.1',
				providerPoolStart: '10.199.0.100',
				providerPoolEnd: '10.199.0.200',
				providerDns: '',
				option: OPTION,
			},
			nodes: set.nodes.map((n, i) => ({
				name: n.name,
				host: n.ip,
				port: n.sshPort,
				user: n.user,
				roles: [i === 0 ? 'controller' : 'compute'],
				managementIp: n.ip,
				providerInterface: n.providerInterface,
				auth: { type: 'key', keyFile: n.keyFile },
			})),
			settings: { UWSGI_PROCESSES: '2' },
		};
		profileFile = writeJson(path.join(work, 'zed-acceptance.json'), profile);
		console.log(`acceptance work dir: ${work} (console log: ${logFile}); nodes up in ${set.upSeconds}s`);
	});

	afterAll(async () => {
		const total = (performance.now() - started) / 1000;
		const lines = ['', 'debian12-zed acceptance: time per section'];
		for (const t of timings) {
			lines.push(
				`  ${t.phase.padEnd(10)} ${t.section.padEnd(20)} ${t.seconds.toFixed(1).padStart(7)} s ${t.ok ? '' : ' FAILED'}`,
			);
		}
		for (const phase of ['first run', 'second run'] as const) {
			const sum = timings.filter((t) => t.phase === phase).reduce((a, t) => a + t.seconds, 0);
			if (sum) lines.push(`  ${phase.padEnd(10)} ${'all sections'.padEnd(20)} ${sum.toFixed(1).padStart(7)} s`);
		}
		lines.push(`  total (nodes, deploy, verify, re-run): ${total.toFixed(1)} s (${(total / 60).toFixed(1)} min)`);
		lines.push(`  console log: ${logFile}`);
		console.log(lines.join('\n'));
		if (KEEP)
			console.log(
				`nodes kept (OSC_KEEP_NODES=1): ssh with scripts/lxc-nodes.sh ssh controller; profile ${profileFile}, OS_CONSOLE_HOME=${home}`,
			);
		await set?.destroy();
	});

	/** One section through the console; on failure, the failing step, its output and the service logs. */
	async function runSection(section: string, phase: Timing['phase'], force: boolean): Promise<RunEvent[]> {
		const args = [
			'run',
			'--profile',
			profileFile,
			'--section',
			section,
			'--yes',
			'--json',
			'--known-hosts',
			knownHosts,
		];
		if (force) args.push('--force');
		const r = await runConsole(args, { home, log: logFile, label: `${phase}: ${section}`, timeoutMs: 30 * 60_000 });
		const events = parseEvents(r.stdout);
		const summary = events.find((e) => e.type === 'summary');
		const ok = r.code === 0 && summary?.ok === true;
		timings.push({ phase, section, seconds: r.seconds, ok });
		console.log(`${phase}: ${section} ${ok ? 'done' : 'FAILED'} in ${r.seconds.toFixed(1)} s`);
		if (!ok) {
			const report = [`${phase}: section ${section} failed (exit ${r.code})`];
			for (const f of summary?.failed ?? []) {
				report.push(`\n=== failing step ${f.step} on ${f.node}: ${f.status}${f.reason ? ` (${f.reason})` : ''}`);
				report.push(...stepOutput(events, f.step, f.node).slice(-150));
			}
			if (!summary?.failed?.length) report.push(r.stdout.slice(-5000));
			report.push(`\n=== console stderr\n${r.stderr.slice(-3000)}`);
			if (section === 'launch-instance') {
				const servers = await sh(
					controller,
					`${openstackCommand('admin', 'server list --all-projects --long -c Name -c Status -c "Task State" -c Host')} 2>&1 || true`,
				).catch((e: Error) => e.message);
				report.push(`\n=== servers (admin)\n${servers}`);
			}
			report.push(`\n=== service logs\n${await serviceLogs(section, controller, [compute])}`);
			// CI shows only part of the output: the whole report stays beside the console log.
			const reportFile = path.join(work, `failure-${phase.replace(/\W+/g, '-')}-${section}.txt`);
			fs.writeFileSync(reportFile, report.join('\n'));
			report.splice(1, 0, `(whole report: ${reportFile})`);
			console.error(report.join('\n'));
			throw new Error(report.slice(0, 3).join('\n'));
		}
		return events;
	}

	it('installs every service section with `os-console run`', async () => {
		for (const section of SERVICE_SECTIONS) await runSection(section, 'first run', false);
		deployed = true;
	});

	/** `os-console launch --profile FILE --spec FILE --yes` (the built CLI), timed. */
	async function launch(specFile: string, label: string, json: boolean, expectedCode = 0): Promise<ConsoleResult> {
		const args = ['launch', '--profile', profileFile, '--spec', specFile, '--yes', '--known-hosts', knownHosts];
		if (json) args.push('--json');
		const r = await runConsole(args, { home, log: logFile, label, timeoutMs: 15 * 60_000 });
		timings.push({ phase: 'launch', section: label, seconds: r.seconds, ok: r.code === expectedCode });
		console.log(`${label}: exit ${r.code} in ${r.seconds.toFixed(1)} s`);
		if (r.code !== expectedCode)
			console.error(`${label}: stdout\n${r.stdout.slice(-4000)}\nstderr\n${r.stderr.slice(-4000)}`);
		return r;
	}

	it('`os-console launch` creates networks, flavor, key pair, rules and a server that goes ACTIVE; twice changes nothing', async ({
		skip,
	}) => {
		if (!deployed) skip();
		// The operator's own key pair, on the operator's machine.
		const keyFile = path.join(work, 'operator_ed25519');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'acceptance-operator', '-f', keyFile]);
		launchSpecFile = writeJson(path.join(work, 'launch.json'), {
			network: OPTION,
			flavor: { name: LAUNCH.flavor, vcpus: 1, ramMb: 64, diskGb: 1 },
			keypair: { name: LAUNCH.keypair, publicKeyFile: `${keyFile}.pub` },
			instance: LAUNCH.instance,
		});

		// A bare cloud: no network, server, flavor or key pair yet.
		const bare = await inventory(controller, OPTION);
		expect(bare.networks).toEqual([]);
		expect(bare.servers).toEqual([]);
		expect(bare.flavors).toEqual([]);
		expect(bare.keypairs).toEqual([]);

		const first = await launch(launchSpecFile, 'launch (first submit)', true);
		expect(first.code).toBe(0);
		expect(`${first.stdout}${first.stderr}`).not.toMatch(/adminPass/i);
		const outcome = JSON.parse(first.stdout) as {
			kind: string;
			server: { id: string; name: string; status: string; addresses: string[] };
			consoleUrl?: string;
			commands: string[];
		};
		expect(outcome.kind).toBe('active');
		expect(outcome.server).toMatchObject({ name: LAUNCH.instance, status: 'ACTIVE' });
		expect(outcome.server.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
		if (OPTION === 'provider')
			expect(outcome.server.addresses).toEqual([expect.stringMatching(/^provider: 10\.199\.0\.(1\d\d|200)$/)]);
		else expect(outcome.server.addresses).toEqual([expect.stringMatching(/^selfservice: 172\.16\.\d+\.\d+$/)]);
		expect(outcome.consoleUrl).toMatch(/^http:\/\/[^/]+:6080\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]{36}$/);
		expect(outcome.commands).toContainEqual(
			expect.stringMatching(new RegExp(`^openstack server create .* ${LAUNCH.instance}$`)),
		);
		launchedId = outcome.server.id;
		// The launch waited for the DHCP port of the instance's network; the DHCP agent makes the other network's
		// (self-service: provider) in its own time, and the inventory below must hold it before it is compared.
		const networksWithDhcp = OPTION === 'provider' ? 1 : 2;
		const deadline = Date.now() + 180_000;
		let dhcpPorts: unknown[] = [];
		while (Date.now() < deadline) {
			dhcpPorts = await openstackJson<unknown[]>(controller, 'admin', 'port list --device-owner network:dhcp');
			if (dhcpPorts.length >= networksWithDhcp) break;
			await new Promise((resolve) => setTimeout(resolve, 2000));
		}
		expect(dhcpPorts).toHaveLength(networksWithDhcp);

		const made = await inventory(controller, OPTION);
		expect(made.networks).toEqual(OPTION === 'provider' ? ['"provider"'] : ['"provider"', '"selfservice"']);
		expect(made.subnets).toEqual(
			OPTION === 'provider'
				? ['"provider" "10.199.0.0/24"']
				: ['"provider" "10.199.0.0/24"', expect.stringMatching(/^"selfservice" "172\.16\./)],
		);
		if (OPTION === 'selfservice') expect(made.routers).toEqual(['"router"']);
		expect(made.flavors).toEqual([`"${LAUNCH.flavor}"`]);
		expect(made.keypairs).toEqual([`"${LAUNCH.keypair}"`]);
		expect(made.servers).toEqual([`"${LAUNCH.instance}" "ACTIVE"`]);
		// One ICMP and one SSH rule into the default group (the group's own rules allow only egress and members).
		const rules = (proto: string) =>
			openstackJson<{ 'Port Range': string | null }[]>(
				controller,
				'demo',
				`security group rule list default --ingress --protocol ${proto}`,
			);
		expect(await rules('icmp')).toHaveLength(1);
		expect((await rules('tcp')).map((r) => r['Port Range'])).toEqual(['22:22']);
		// The key pair holds the operator's public key.
		const pub = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/)[1]!;
		expect(await sh(controller, openstackCommand('demo', `keypair show --public-key ${LAUNCH.keypair}`))).toContain(
			pub,
		);
		// Admin's view: it runs on compute1, and QEMU really runs it there.
		const server = await openstackJson<Record<string, unknown>>(controller, 'admin', `server show ${launchedId}`);
		expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute1');
		expect(
			await sh(compute, `virsh -c qemu:///system domstate ${String(server['OS-EXT-SRV-ATTR:instance_name'])}`),
		).toMatch(/running/);

		if (CAPTURE_DIR) {
			await capture(
				controller,
				'server-show-active',
				openstackCommand('demo', `server show ${LAUNCH.instance} -f json`),
			);
			await capture(
				controller,
				'server-show-active-admin',
				openstackCommand('admin', `server show ${launchedId} -f json`),
			);
			await capture(
				controller,
				'console-url-show',
				openstackCommand('demo', `console url show ${LAUNCH.instance} -f json`),
			);
			await capture(controller, 'network-list-deployed', openstackCommand('demo', 'network list -f json'));
		}

		// Submitted again: every guarded item exists and is left alone, the same server is ACTIVE, the cloud is unchanged.
		const second = await launch(launchSpecFile, 'launch (second submit)', false);
		expect(second.code).toBe(0);
		expect(second.stdout.match(/^controller \| exists, not created: /gm)).toHaveLength(LAUNCH_GUARDED_ITEMS);
		expect(second.stdout).toContain(`ACTIVE: ${LAUNCH.instance} (${launchedId})`);
		expect(second.stdout).toMatch(
			OPTION === 'provider' ? /^ {2}address provider: 10\.199\.0\./m : /^ {2}address selfservice: 172\.16\./m,
		);
		expect(second.stdout).toMatch(/^ {2}console http:\/\/[^/]+:6080\/vnc_auto\.html\?path=/m);
		// Ports by their addresses: the DHCP port's status may still go from DOWN to ACTIVE in the meantime.
		const settled = (inv: Record<string, string[]>) => ({
			...inv,
			ports: inv.ports!.map((p) => p.replace(/ "[A-Z_]+"$/, '')),
		});
		expect(settled(await inventory(controller, OPTION))).toEqual(settled(made));
	});

	it("`os-console launch` reports nova's fault for a flavor no compute node can hold, and exits 1", async ({
		skip,
	}) => {
		if (!deployed || !launchSpecFile) skip();
		const spec = JSON.parse(fs.readFileSync(launchSpecFile, 'utf8')) as Record<string, unknown>;
		// More RAM than compute1 offers (its memory times nova's default ram_allocation_ratio 1.5, plus 1 GiB):
		// placement has no candidate and the scheduler records NoValidHost. It must stay under demo's RAM quota
		// (51200 MB by default), or nova refuses the request before scheduling.
		const memKb = Number((await sh(compute, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo")).trim());
		const ramMb = Math.ceil((memKb / 1024) * 1.5) + 1024;
		expect(ramMb, "a flavor larger than compute1 must fit in demo's RAM quota of 51200 MB").toBeLessThan(51_000);
		const tooBig = writeJson(path.join(work, 'launch-too-big.json'), {
			...spec,
			flavor: { name: 'too.big', vcpus: 1, ramMb, diskGb: 1 },
			instance: 'too-big-instance',
		});
		try {
			const r = await launch(tooBig, 'launch (too big: ERROR)', false, 1);
			expect(r.code).toBe(1);
			expect(r.stderr).toMatch(
				/^ERROR: too-big-instance \([0-9a-f-]{36}\): No valid host was found\. .*\(code 500\)$/m,
			);
			if (CAPTURE_DIR) {
				await capture(
					controller,
					'server-show-error',
					openstackCommand('demo', 'server show too-big-instance -f json'),
				);
			}
			// Submitted again with a flavor that fits, as an operator would after reading the fault: the server that
			// never ran is deleted and made again (not kept as "exists"), and goes ACTIVE.
			const fitting = writeJson(path.join(work, 'launch-too-big-fixed.json'), {
				...spec,
				instance: 'too-big-instance',
			});
			const again = await launch(fitting, 'launch (too big, then a fitting flavor)', false);
			expect(again.code).toBe(0);
			expect(again.stdout).toMatch(
				/^controller \| server too-big-instance \([0-9a-f-]{36}\) is ERROR and never ran; nova's fault, if it recorded one:$/m,
			);
			expect(again.stdout).toMatch(
				/^controller \| removed: {3}server too-big-instance \([0-9a-f-]{36}\), created again below$/m,
			);
			expect(again.stdout).toMatch(/^ACTIVE: too-big-instance( on \S+)? \(/m);
		} finally {
			await sh(controller, `${openstackCommand('demo', 'server delete --wait too-big-instance')} || true`);
			await sh(controller, `${openstackCommand('admin', 'flavor delete too.big')} || true`);
		}
		const servers = await openstackJson<{ Name: string }[]>(controller, 'demo', 'server list');
		expect(servers.map((s) => s.Name)).toEqual([LAUNCH.instance]);
	});

	it("runs the runbook's launch-instance section on top of what `os-console launch` made", async ({ skip }) => {
		if (!deployed) skip();
		const events = await runSection('launch-instance', 'first run', false);
		const states = finalStates(events);
		// The provider network existed already: the section found it and created nothing there.
		expect(stepOutput(events, 'launch-instance/provider-network', 'controller').join('\n')).toMatch(
			/exists, not created: openstack network show provider/,
		);
		expect(states.get('launch-instance/provider-instance@controller')?.status).toBe('succeeded');
	});

	it('passes `os-console verify`: tokens, image, compute services, upgrade check, network agents', async ({ skip }) => {
		if (!deployed) skip();
		const r = await runConsole(['verify', '--profile', profileFile, '--json', '--known-hosts', knownHosts], {
			home,
			log: logFile,
			label: 'verify',
			timeoutMs: 10 * 60_000,
		});
		const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
			ok: boolean;
			results: { check: string; node: string; status: string; detail: string; hint?: string }[];
		};
		// The test network reaches no NTP server (only Debian's mirror): the controller serves its own clock to the
		// nodes (`local stratum 10`) and has no source itself, which verify rightly reports. compute1 must follow it.
		const noUpstreamNtp = (x: { check: string; node: string; detail: string }) =>
			x.check === 'environment.chrony' && x.node === 'controller' && /no time sources/.test(x.detail);
		const failed = doc.results.filter((x) => x.status !== 'pass' && !noUpstreamNtp(x));
		timings.push({ phase: 'verify', section: 'os-console verify', seconds: r.seconds, ok: failed.length === 0 });
		if (failed.length) console.error(JSON.stringify(failed, null, 2));
		expect(failed).toEqual([]);
		expect(doc.results).toContainEqual(
			expect.objectContaining({ check: 'environment.chrony', node: 'compute1', status: 'pass' }),
		);
		const ntp = doc.results.find((x) => x.check === 'environment.chrony' && x.node === 'compute1');
		expect(ntp?.detail).toContain(controller.node.ip);
		const checks = new Set(doc.results.map((x) => x.check));
		for (const c of [
			'keystone.token-admin',
			'keystone.token-demo',
			'glance.images',
			'nova.services',
			'nova.upgrade-check',
			'neutron.agents',
		]) {
			expect(checks, c).toContain(c);
		}

		// The same facts, read directly from the controller.
		const images = await openstackJson<{ Name: string; Status: string }[]>(controller, 'admin', 'image list');
		expect(images).toContainEqual(expect.objectContaining({ Name: 'blank-qcow2-test', Status: 'active' }));
		const computes = await openstackJson<{ Binary: string; Host: string; State: string; Status: string }[]>(
			controller,
			'admin',
			'compute service list --service nova-compute',
		);
		expect(computes).toEqual([expect.objectContaining({ Host: 'compute1', State: 'up', Status: 'enabled' })]);
		const agents = await openstackJson<{ 'Agent Type': string; Host: string; Alive: boolean }[]>(
			controller,
			'admin',
			'network agent list',
		);
		expect(agents.map((a) => `${a['Agent Type']}@${a.Host}`).sort()).toEqual(
			[
				'DHCP agent@controller',
				'Linux bridge agent@compute1',
				'Linux bridge agent@controller',
				...(OPTION === 'selfservice' ? ['L3 agent@controller'] : []),
				'Metadata agent@controller',
			].sort(),
		);
		expect(agents.every((a) => a.Alive === true)).toBe(true);
		await sh(controller, '. /root/demo-openrc && openstack token issue -f value -c id >/dev/null');
		await sh(controller, 'nova-status upgrade check >/dev/null');
	});

	it('launched provider-instance: ACTIVE on compute1, with an address from the provider range', async ({ skip }) => {
		if (!deployed) skip();
		const id = (
			await sh(controller, '. /root/demo-openrc && openstack server show provider-instance -f value -c id')
		).trim();
		const server = await openstackJson<Record<string, unknown>>(controller, 'admin', `server show ${id}`);
		expect(server.status).toBe('ACTIVE');
		expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute1');
		expect(JSON.stringify(server.addresses)).toMatch(/10\.199\.0\.(1\d\d|200)/);
		// QEMU really runs it on compute1.
		const domain = String(server['OS-EXT-SRV-ATTR:instance_name']);
		expect(await sh(compute, `virsh -c qemu:///system domstate ${domain}`)).toMatch(/running/);
	});

	it('runs every section again: all succeeded or already-done, nothing changed, nothing duplicated', async ({
		skip,
	}) => {
		if (!deployed) skip();
		const before = await inventory(controller, OPTION);
		const changes: string[] = [];
		const statuses: string[] = [];
		for (const section of SECTIONS) {
			const events = await runSection(section, 'second run', true);
			for (const [key, state] of finalStates(events)) {
				if (state.status !== 'succeeded' && state.status !== 'already-done') statuses.push(`${key}: ${state.status}`);
			}
			for (const e of events) {
				if (e.type === 'output' && e.stream === 'stdout' && CHANGE.test(e.text ?? '')) {
					changes.push(`${e.step}@${e.node}: ${e.text}`);
				}
			}
		}
		const after = await inventory(controller, OPTION);
		expect(statuses).toEqual([]);
		expect(changes).toEqual([]);
		expect(after).toEqual(before);
		// Nothing was created twice on the first run either.
		expect(after.endpoints).toHaveLength(15);
		const consoleServer = `"${LAUNCH.instance}" "ACTIVE"`;
		expect(after.flavors).toEqual([`"${LAUNCH.flavor}"`, '"m1.nano"']);
		expect(after.keypairs).toEqual(['"mykey"', `"${LAUNCH.keypair}"`]);
		if (OPTION === 'provider') {
			expect(after.networks).toEqual(['"provider"']);
			expect(after.servers).toEqual([consoleServer, '"provider-instance" "ACTIVE"']);
		} else {
			expect(after.networks).toEqual(['"provider"', '"selfservice"']);
			expect(after.servers).toEqual([consoleServer, '"provider-instance" "ACTIVE"', '"selfservice-instance" "ACTIVE"']);
			expect(after.routers).toEqual(['"router"']);
			expect(after.floatingIps).toHaveLength(1);
		}
		expect(after.images).toEqual(['"blank-qcow2-test" "active"']);
	});
});
