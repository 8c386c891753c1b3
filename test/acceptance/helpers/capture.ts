/**
 * Capturing real command output from the deployed cloud as test fixtures (OSC_ACC_CAPTURE=DIR): each command
 * runs on the controller as the console's check or launch runs it (credentials from the openrc file the
 * runbook wrote, `-f json`), and lands as NAME.stdout, NAME.stderr, NAME.code in DIR. Bearer values are
 * redacted (keystone tokens, the noVNC console token), and a capture holding one of the openrc passwords
 * is refused rather than written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sshExec } from '../lxc/nodes.js';
import type { Remote } from './cloud.js';

/** The directory captures go to, or undefined when capturing is off. */
export const CAPTURE_DIR = process.env.OSC_ACC_CAPTURE ? path.resolve(process.env.OSC_ACC_CAPTURE) : undefined;

/** Keystone fernet tokens and the console proxy's token: usable by whoever reads them until they expire. */
export function redactBearer(text: string): string {
	return text
		.replace(/gAAAAA[A-Za-z0-9_-]{20,}/g, (t) => `gAAAAA-REDACTED-${'x'.repeat(Math.max(0, t.length - 16))}`)
		.replace(/(token(?:%3D|=))[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '$1REDACTED');
}

let passwords: string[] | undefined;

/** The passwords in the controller's openrc files: no capture may contain one. */
async function openrcPasswords(controller: Remote): Promise<string[]> {
	if (passwords) return passwords;
	const r = await sshExec(
		controller.node,
		controller.knownHosts,
		"sed -n 's/^export OS_PASSWORD=//p' /root/admin-openrc /root/demo-openrc",
	);
	passwords = r.stdout
		.split('\n')
		.map((l) => l.trim().replace(/^['"]|['"]$/g, ''))
		.filter((p) => p.length >= 6);
	if (passwords.length !== 2) throw new Error(`capture: expected the admin and demo passwords in the openrc files`);
	return passwords;
}

/** Run `command` on the controller and write its redacted output as DIR/NAME.{stdout,stderr,code}. */
export async function capture(
	controller: Remote,
	name: string,
	command: string,
	dir = CAPTURE_DIR,
): Promise<{ stdout: string; stderr: string; code: number }> {
	if (!dir) throw new Error('capture: OSC_ACC_CAPTURE is not set');
	const secrets = await openrcPasswords(controller);
	const r = await sshExec(controller.node, controller.knownHosts, command, 180_000);
	const stdout = redactBearer(r.stdout);
	const stderr = redactBearer(r.stderr);
	for (const secret of secrets) {
		if (stdout.includes(secret) || stderr.includes(secret)) {
			throw new Error(`capture ${name}: the output contains an openrc password; not written`);
		}
	}
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, `${name}.stdout`), stdout);
	fs.writeFileSync(path.join(dir, `${name}.stderr`), stderr);
	fs.writeFileSync(path.join(dir, `${name}.code`), `${r.code}\n`);
	console.log(`captured ${name} (exit ${r.code}, ${stdout.length} bytes) into ${dir}`);
	return { stdout, stderr, code: r.code ?? -1 };
}

/** `openstack ARGS` as admin or demo, the way the console's openstack actions call it. */
export function openstackCommand(creds: 'admin' | 'demo', args: string): string {
	return `. /root/${creds}-openrc && openstack ${args}`;
}
