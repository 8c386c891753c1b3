/** Reading `server show` and `console url show` (documented JSON shapes; README in the fixtures). */
import { describe, expect, it } from 'vitest';
import { applyCloudLists, parseImageRows, parseNetworkRows } from '../../source/launch/prefill.js';
import { formatAddresses, parseConsoleUrl, parseServerShow } from '../../source/launch/submit.js';
import { fixture } from '../verify/helpers.js';
import { draft } from './helpers.js';

describe('server show', () => {
	it('ACTIVE with addresses per network', () => {
		expect(parseServerShow(fixture('docs-shape/server-show-active.stdout'))).toEqual({
			id: '113c5892-e58e-4093-88c7-e33f502eaaa4',
			name: 'selfservice-instance',
			status: 'ACTIVE',
			addresses: ['selfservice: 172.16.1.8, 203.0.113.104'],
			host: 'compute1',
		});
	});
	it("BUILD, and ERROR with nova's fault message", () => {
		expect(parseServerShow(fixture('docs-shape/server-show-build.stdout'))?.status).toBe('BUILD');
		const error = parseServerShow(fixture('docs-shape/server-show-error.stdout'));
		expect(error).toMatchObject({ status: 'ERROR', addresses: [] });
		expect(error?.fault).toBe('No valid host was found. There are not enough hosts available. (code 500)');
		expect(parseServerShow(fixture('docs-shape/server-show-fault-as-text.stdout'))?.fault).toBe(
			'No valid host was found.',
		);
	});
	it("the Ocata client's addresses as text", () => {
		expect(parseServerShow(fixture('docs-shape/server-show-ocata-active.stdout'))?.addresses).toEqual([
			'provider: 203.0.113.103',
		]);
		expect(formatAddresses('selfservice=172.16.1.8, 203.0.113.104; other=10.0.0.5')).toEqual([
			'selfservice: 172.16.1.8, 203.0.113.104',
			'other: 10.0.0.5',
		]);
	});
	it('console url and unusable output', () => {
		expect(parseConsoleUrl(fixture('docs-shape/console-url-show.stdout'))).toMatch(
			/^http:\/\/controller:6080\/vnc_auto\.html\?path=/,
		);
		expect(parseServerShow("No server with a name or ID of 'x' exists.")).toBeUndefined();
	});
});

describe('prefill from the cloud', () => {
	it('image and network lists (real captured image list; both network list shapes)', () => {
		const images = parseImageRows(fixture('captured/image-list.stdout'));
		expect(images).toEqual([
			{ id: 'a081a74c-a848-40d4-995f-67f01f683134', name: 'blank-qcow2-test', status: 'active' },
		]);
		expect(parseNetworkRows(fixture('docs-shape/network-list.stdout'))?.map((n) => n.name)).toEqual([
			'selfservice',
			'provider',
		]);
		expect(parseNetworkRows(fixture('docs-shape/network-list-ocata.stdout'))?.map((n) => n.name)).toEqual(['provider']);
	});
	it('an image the cloud does not have is replaced by an active one; existing networks are noted', () => {
		const d = draft({ image: 'cirros' });
		const { draft: next, notes } = applyCloudLists(d, {
			images: parseImageRows(fixture('docs-shape/image-list-queued.stdout'))!.concat([
				{ id: '1', name: 'debian', status: 'active' },
			]),
			networks: parseNetworkRows(fixture('docs-shape/network-list.stdout'))!,
			problems: [],
		});
		expect(next.image).toBe('debian');
		expect(notes).toEqual([
			'image cirros is not active in the cloud: debian chosen',
			'network provider exists: it is used as it is',
			'network selfservice exists: it is used as it is',
		]);
	});
});
