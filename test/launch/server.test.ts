/**
 * Reading `server show`, `console url show`, `image list` and `network list` as the launch runs them (as demo,
 * `-f json`): real output captured from the acceptance test's finished debian12-zed cloud (captured/), and
 * the shapes no Zed cloud prints (the Ocata client's text, a fault as text) from docs-shape/. README in the
 * fixtures.
 */
import { describe, expect, it } from 'vitest';
import { applyCloudLists, parseImageRows, parseNetworkRows } from '../../source/launch/prefill.js';
import { formatAddresses, parseConsoleUrl, parseServerShow } from '../../source/launch/submit.js';
import { fixture } from '../verify/helpers.js';
import { draft } from './helpers.js';

describe('server show', () => {
	it('ACTIVE, as demo sees it: addresses per network, no host (admin-only)', () => {
		expect(parseServerShow(fixture('captured/server-show-active.stdout'))).toEqual({
			id: '7b5889f2-53ab-4779-93a7-27ca903d3ba1',
			name: 'console-instance',
			status: 'ACTIVE',
			addresses: ['provider: 10.199.0.157'],
		});
	});
	it('ACTIVE, as admin sees it: with the compute host', () => {
		expect(parseServerShow(fixture('captured/server-show-active-admin.stdout'))).toMatchObject({
			id: '7b5889f2-53ab-4779-93a7-27ca903d3ba1',
			status: 'ACTIVE',
			host: 'compute1',
		});
	});
	it("BUILD, and ERROR with nova's real fault (a flavor larger than the compute node)", () => {
		expect(parseServerShow(fixture('captured/server-show-build.stdout'))).toMatchObject({
			name: 'building-instance',
			status: 'BUILD',
			taskState: 'spawning',
		});
		const error = parseServerShow(fixture('captured/server-show-error.stdout'));
		expect(error).toEqual({
			id: '00311853-7f35-4ebb-a5c0-a3bfcf59f2e8',
			name: 'too-big-instance',
			status: 'ERROR',
			addresses: [],
			fault: 'No valid host was found. (code 500)',
		});
		// Not printed by a known client: a fault given as text.
		expect(parseServerShow(fixture('docs-shape/server-show-fault-as-text.stdout'))?.fault).toBe(
			'No valid host was found.',
		);
	});
	it("the Ocata client's addresses as text (docs shape)", () => {
		expect(parseServerShow(fixture('docs-shape/server-show-ocata-active.stdout'))?.addresses).toEqual([
			'provider: 203.0.113.103',
		]);
		expect(formatAddresses('selfservice=172.16.1.8, 203.0.113.104; other=10.0.0.5')).toEqual([
			'selfservice: 172.16.1.8, 203.0.113.104',
			'other: 10.0.0.5',
		]);
		// The Zed client's dict of lists, with the self-service network's fixed and floating address.
		expect(formatAddresses({ selfservice: ['172.16.1.8', '10.199.0.104'] })).toEqual([
			'selfservice: 172.16.1.8, 10.199.0.104',
		]);
	});
	it('console url (its token redacted in the capture) and unusable output', () => {
		expect(parseConsoleUrl(fixture('captured/console-url-show.stdout'))).toBe(
			'http://controller:6080/vnc_auto.html?path=%3Ftoken%3DREDACTED',
		);
		expect(parseServerShow("No server with a name or ID of 'x' exists.")).toBeUndefined();
	});
});

describe('prefill from the cloud', () => {
	it('image and network lists (real captures; the Ocata network list shape from docs)', () => {
		const images = parseImageRows(fixture('captured/image-list.stdout'));
		expect(images).toEqual([
			{ id: 'a081a74c-a848-40d4-995f-67f01f683134', name: 'blank-qcow2-test', status: 'active' },
		]);
		expect(parseNetworkRows(fixture('captured/network-list-deployed.stdout'))).toEqual([
			{ id: '0ff65b7f-8bfb-47e9-9e7b-9d9d8c0e6bf6', name: 'provider' },
		]);
		expect(parseNetworkRows(fixture('docs-shape/network-list-ocata.stdout'))?.map((n) => n.name)).toEqual(['provider']);
	});
	it('an image the cloud does not have is replaced by an active one; existing networks are noted', () => {
		const d = draft({ image: 'cirros' });
		const queued = parseImageRows(fixture('captured/image-list-queued.stdout'))!;
		expect(queued.map((i) => `${i.name} ${i.status}`).sort()).toEqual([
			'blank-qcow2-test active',
			'queued-image queued',
		]);
		const { draft: next, notes } = applyCloudLists(d, {
			images: queued,
			networks: parseNetworkRows(fixture('captured/network-list-deployed.stdout'))!,
			problems: [],
		});
		expect(next.image).toBe('blank-qcow2-test');
		expect(notes).toEqual([
			'image cirros is not active in the cloud: blank-qcow2-test chosen',
			'network provider exists: it is used as it is',
		]);
	});
});
