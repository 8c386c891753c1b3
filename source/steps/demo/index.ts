/**
 * `demo`: a small runbook that only touches files under DEMO_ROOT on each node. The tests and the
 * benchmarks use it against the loopback sshd; it exercises every action kind that can run without
 * OpenStack, a check, a verify, a secret, per-role steps and a step that fails on demand.
 */
import type { RunbookInput } from '../../runbook/model.js';
import { dbUrl } from '../shared/database.js';

export const demoRunbook: RunbookInput = {
	id: 'demo',
	title: 'Demo (files under /tmp only)',
	description: 'A harmless runbook for trying the console: every step writes under DEMO_ROOT on the node.',
	os: { id: 'debian', version: '', packageManager: 'apt', python: 'python3' },
	sqlAuth: 'socket',
	credentials: {
		admin: { OS_USERNAME: 'admin', OS_PASSWORD: '{{ADMIN_PASS}}', OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3' },
		demo: { OS_USERNAME: 'demo', OS_PASSWORD: '{{DEMO_PASS}}', OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3' },
	},
	settings: [
		{
			name: 'DEMO_ROOT',
			default: '/tmp/os-console-demo',
			describe: 'directory the demo writes under',
			pattern: '^/[A-Za-z0-9._/-]+$',
		},
		{ name: 'DEMO_LINES', default: '5', describe: 'lines the "count" step prints', pattern: '^[0-9]+$' },
		{ name: 'DEMO_DELAY', default: '0', describe: 'seconds between those lines', pattern: '^[0-9.]+$' },
	],
	sections: [
		{
			id: 'environment',
			title: 'Environment',
			guide: 'Environment: host networking',
			steps: [
				{
					id: 'hosts',
					title: 'Write the hosts file',
					on: 'all',
					actions: [
						{ kind: 'shell', describe: 'create the node directory', script: 'mkdir -p {{DEMO_ROOT}}/{{NODE_NAME}}' },
						{
							kind: 'file',
							path: '{{DEMO_ROOT}}/{{NODE_NAME}}/hosts',
							content: '127.0.0.1 localhost\n{{HOSTS_ENTRIES}}\n',
							mode: '0644',
						},
					],
					verify: 'grep -q "{{CONTROLLER_HOST}}" {{DEMO_ROOT}}/{{NODE_NAME}}/hosts',
					timeoutSec: 60,
				},
				{
					id: 'config',
					title: 'Configure the demo service',
					on: 'controller',
					actions: [
						{
							kind: 'shell',
							describe: 'create an empty config file',
							script: 'mkdir -p {{DEMO_ROOT}}/{{NODE_NAME}}\ntouch {{DEMO_ROOT}}/{{NODE_NAME}}/demo.conf',
						},
						{
							kind: 'ini',
							file: '{{DEMO_ROOT}}/{{NODE_NAME}}/demo.conf',
							set: [
								['database', 'connection', dbUrl('demo', 'KEYSTONE_DBPASS', 'demo')],
								['DEFAULT', 'my_ip', '{{NODE_IP}}'],
								['vnc', 'server_listen', '$my_ip'],
							],
						},
					],
					timeoutSec: 60,
				},
			],
		},
		{
			id: 'services',
			title: 'Services',
			guide: 'Services: run something that takes a while',
			steps: [
				{
					id: 'count',
					title: 'Count slowly',
					on: 'all',
					actions: [
						{
							kind: 'shell',
							describe: 'print numbered lines',
							script:
								'i=1\nwhile [ "$i" -le {{DEMO_LINES}} ]; do echo "line $i of {{DEMO_LINES}} on {{NODE_NAME}}"; i=$((i + 1)); sleep {{DEMO_DELAY}}; done',
						},
					],
					timeoutSec: 300,
				},
				{
					id: 'flaky',
					title: 'Fail while a flag file exists',
					on: 'all',
					actions: [
						{
							kind: 'shell',
							describe: 'fail when DEMO_ROOT/NODE/fail exists',
							script:
								'if [ -e {{DEMO_ROOT}}/{{NODE_NAME}}/fail ]; then echo "flag file present: failing" >&2; exit 3; fi\necho ok',
						},
					],
					timeoutSec: 60,
				},
				{
					id: 'compute-only',
					title: 'Mark compute nodes',
					on: 'compute',
					check: 'test -f {{DEMO_ROOT}}/{{NODE_NAME}}/compute-marked',
					actions: [
						{
							kind: 'shell',
							describe: 'mark this compute node',
							script: 'mkdir -p {{DEMO_ROOT}}/{{NODE_NAME}}\ntouch {{DEMO_ROOT}}/{{NODE_NAME}}/compute-marked',
						},
					],
					timeoutSec: 60,
				},
			],
		},
		{
			id: 'finish',
			title: 'Finish',
			guide: 'Verify operation',
			steps: [
				{
					id: 'secret-file',
					title: 'Write an openrc-like file',
					on: 'controller',
					actions: [
						{
							kind: 'file',
							path: '{{DEMO_ROOT}}/{{NODE_NAME}}/admin-openrc',
							content: 'export OS_USERNAME=admin\nexport OS_PASSWORD={{ADMIN_PASS}}\n',
							mode: '0600',
						},
						{
							kind: 'shell',
							describe: 'show it, as services echo their config (the console masks the secret)',
							script: 'cat {{DEMO_ROOT}}/{{NODE_NAME}}/admin-openrc',
						},
					],
					verify: 'test -s {{DEMO_ROOT}}/{{NODE_NAME}}/admin-openrc',
					timeoutSec: 60,
				},
			],
		},
	],
};
