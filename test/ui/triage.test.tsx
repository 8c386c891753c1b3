/**
 * Failure triage in the step view: a step that fails with a known error shows the failed action, the exit
 * code and the hint at once; the service log tail is fetched automatically (one exec on the node); t opens
 * the full triage (stderr tail, hints with the matching line, the log tail) and reads the logs afresh.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { registerRunbook } from '../../source/runbook/registry.js';
import { demoRunbook } from '../../source/steps/demo/index.js';
import {
	consoleTestBed,
	openDashboard,
	type Rendered,
	renderApp,
	saveDemoProfile,
	waitUntil,
} from '../helpers/render.js';

const AMQP_ERROR =
	'ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on controller:5672 is unreachable: [Errno 111] ECONNREFUSED';

beforeAll(() => {
	// A runbook whose nova-compute section fails the way a compute node does when RabbitMQ is out of reach.
	registerRunbook({
		...demoRunbook,
		id: 'triage-test',
		title: 'Triage test',
		settings: [],
		sections: [
			{
				id: 'nova-compute',
				title: 'Nova compute',
				guide: 'Nova, compute nodes',
				steps: [
					{
						id: 'start',
						title: 'Start nova-compute',
						on: 'all',
						actions: [
							{
								kind: 'shell',
								describe: 'start the compute service',
								script: `echo "starting nova-compute"\necho '${AMQP_ERROR}' >&2\nexit 1`,
							},
						],
						timeoutSec: 60,
					},
				],
			},
		],
	});
});

const { env, services } = consoleTestBed({
	savedProfile: {
		runbook: 'triage-test',
		settings: {},
		nodes: [{ name: 'controller', host: '127.0.0.2', roles: ['controller', 'compute'], managementIp: '127.0.0.2' }],
	},
});

async function failTheStep(app: Rendered): Promise<void> {
	await app.waitFor('Sections');
	await app.press('return');
	await app.waitFor('1. Start nova-compute');
	await app.press('return');
	await app.waitFor('output ·');
	await app.press('r');
	await app.waitFor('controller: failed');
}

describe('failure triage in the step view', () => {
	it('shows the failed action, exit code and hint at once, and fetches the service logs by itself', async () => {
		const app = renderApp(services, 'lab');
		await failTheStep(app);
		const frame = await app.waitFor('→ RabbitMQ unreachable');
		expect(frame).toContain('controller: failed · exit code 1');
		expect(frame).toContain('failed at 1/1 start the compute service');
		// The log tail is one exec on the node, made without a key press.
		await waitUntil(
			() => services.opened[0]!.runner.runs.some((r) => r.runId.startsWith('adhoc.')),
			'the log tail exec',
		);
		await app.waitFor('1 service log read');
		expect(app.frames.join('\n')).toContain('fetching logs…');
	});

	it('t shows the whole triage: action, exit code, hints with the matching line, stderr and the log tail', async () => {
		const app = renderApp(services, 'lab');
		await failTheStep(app);
		await app.waitFor('1 service log read');
		const execs = () => services.opened[0]!.runner.runs.filter((r) => r.runId.startsWith('adhoc.')).length;
		const before = execs();
		await app.press('t');
		let frame = await app.waitFor('failure triage · controller');
		expect(frame).toContain('failed in action 1/1 start the compute service');
		expect(frame).toMatch(/│ exit code 1 in action 1\/1 start the compute service\s+│/);
		expect(frame).toContain('→ RabbitMQ unreachable');
		expect(frame).toContain('is rabbitmq-server running on the controller');
		expect(frame).toContain('matched: ERROR oslo.messaging');
		expect(frame).toMatch(/stderr, last 1 line\b/);
		expect(frame).toContain(AMQP_ERROR.slice(0, 60));
		// Opening the triage read the logs afresh; the log tail is at the end of the pane.
		await waitUntil(() => execs() > before, 'the logs read again');
		await app.press('end');
		frame = await app.waitFor('service log nova (newest log)');
		expect(frame).toMatch(/service log nova \(newest log\): (no log found|\/var\/log\/nova\/)/);
		// t again: back to the output.
		await app.press('t');
		await app.waitFor('output · controller');
	});

	it('says so when the node did not fail', async () => {
		saveDemoProfile(env, { name: 'ok', settings: { DEMO_ROOT: env.demoRoot } });
		const app = await openDashboard(services, 'ok');
		await app.press('return', 'return');
		await app.waitFor('output ·');
		await app.press('t');
		await app.waitFor('this node did not fail: nothing to triage');
	});
});
