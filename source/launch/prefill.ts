/**
 * Prefilling the launch form: from the profile (networks as the install guide names them, the profile's
 * provider and self-service ranges, the runbook's test image), then from the cloud (image and network lists
 * read on the controller with `-f json`, as the demo user who launches the instance).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../engine/engine.js';
import { controllerOf, type Profile } from '../profile/schema.js';
import type { Runbook } from '../runbook/model.js';
import { errorLine, parseJsonOutput } from '../verify/parsers.js';
import { expectationsFor } from '../verify/runbook-data.js';
import type { LaunchDraft } from './spec.js';

/** The public key files ssh-keygen makes, in the order they are offered. */
const KEY_CANDIDATES = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'];

export function defaultKeyFile(home = os.homedir()): string {
	for (const candidate of KEY_CANDIDATES) {
		if (fs.existsSync(path.join(home, '.ssh', candidate))) return `~/.ssh/${candidate}`;
	}
	return '~/.ssh/id_ed25519.pub';
}

/** The guide's values, with the profile's networks and the runbook's test image. */
export function draftFromProfile(profile: Profile, runbook: Runbook, options: { keyFile?: string } = {}): LaunchDraft {
	const net = profile.network;
	const option = net.option;
	return {
		network: option,
		'provider.network': 'provider',
		'provider.subnet': 'provider',
		'provider.cidr': net.providerCidr,
		'provider.gateway': net.providerGateway,
		'provider.poolStart': net.providerPoolStart,
		'provider.poolEnd': net.providerPoolEnd,
		'provider.dns': net.providerDns,
		'selfservice.network': 'selfservice',
		'selfservice.subnet': 'selfservice',
		'selfservice.cidr': net.selfserviceCidr,
		'selfservice.gateway': net.selfserviceGateway,
		'selfservice.dns': net.providerDns,
		'selfservice.router': 'router',
		'flavor.name': 'm1.nano',
		'flavor.vcpus': '1',
		'flavor.ramMb': '64',
		'flavor.diskGb': '1',
		'keypair.name': 'mykey',
		'keypair.publicKeyFile': options.keyFile ?? defaultKeyFile(),
		'securityGroup.icmp': 'yes',
		'securityGroup.ssh': 'yes',
		image: expectationsFor(runbook).testImage(profile, runbook),
		instance: option === 'provider' ? 'provider-instance' : 'selfservice-instance',
	};
}

export interface CloudImage {
	id: string;
	name: string;
	status: string;
}

export interface CloudNetwork {
	id: string;
	name: string;
}

export interface CloudLists {
	images: CloudImage[];
	networks: CloudNetwork[];
	/** Why a list could not be read (the form still works with the profile's values). */
	problems: string[];
}

type Row = Record<string, unknown>;

function rows(stdout: string): Row[] | undefined {
	const json = parseJsonOutput(stdout);
	return json.ok && Array.isArray(json.value) ? (json.value as Row[]) : undefined;
}

export function parseImageRows(stdout: string): CloudImage[] | undefined {
	return rows(stdout)?.map((r) => ({
		id: String(r.ID ?? ''),
		name: String(r.Name ?? ''),
		status: String(r.Status ?? ''),
	}));
}

export function parseNetworkRows(stdout: string): CloudNetwork[] | undefined {
	return rows(stdout)?.map((r) => ({ id: String(r.ID ?? ''), name: String(r.Name ?? '') }));
}

/** Read the image and network lists on the controller (as demo, like the launch itself). */
export async function readCloudLists(engine: Engine, signal?: AbortSignal): Promise<CloudLists> {
	const controller = controllerOf(engine.profile).name;
	const problems: string[] = [];
	const read = async <T>(what: string, args: string[], parse: (s: string) => T[] | undefined): Promise<T[]> => {
		try {
			const result = await engine.exec(controller, {
				title: `launch form: ${what}`,
				actions: [{ kind: 'openstack', creds: 'demo', args }],
				timeoutSec: 60,
				signal,
			});
			const parsed = result.ok ? parse(result.stdout) : undefined;
			if (parsed) return parsed;
			problems.push(
				`${what}: ${errorLine(result.stderr, result.stdout) ?? (result.ok ? 'unexpected output' : `${result.outcome.kind}`)}`,
			);
		} catch (error) {
			problems.push(`${what}: ${(error as Error).message}`);
		}
		return [];
	};
	const images = await read('image list', ['image', 'list', '-f', 'json'], parseImageRows);
	const networks = await read('network list', ['network', 'list', '-f', 'json'], parseNetworkRows);
	return { images, networks, problems };
}

/**
 * Apply what the cloud says: when the draft's image is not an active image there, take the runbook's test
 * image or else the first active one. Networks are offered, not chosen: the names in the draft are created
 * when absent. Returns the new draft and what changed, for the form to say.
 */
export function applyCloudLists(draft: LaunchDraft, lists: CloudLists): { draft: LaunchDraft; notes: string[] } {
	const notes: string[] = [];
	const next = { ...draft };
	const active = lists.images.filter((i) => i.status.toLowerCase() === 'active');
	if (active.length && !active.some((i) => i.name === draft.image)) {
		const chosen = active[0]!;
		next.image = chosen.name;
		notes.push(`image ${draft.image} is not active in the cloud: ${chosen.name} chosen`);
	}
	for (const id of ['provider.network', 'selfservice.network'] as const) {
		if (lists.networks.some((n) => n.name === draft[id]))
			notes.push(`network ${draft[id]} exists: it is used as it is`);
	}
	return { draft: next, notes };
}
