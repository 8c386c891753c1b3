/**
 * Image service (Glance 25, Zed). Debian's glance-api init script runs the eventlet server on :9292.
 * The verification image is made on the controller (CirrOS cannot be downloaded everywhere): by default an
 * empty qcow2 disk made with qemu-img, named for what it is; IMAGE_URL downloads a real one instead.
 */
import type { RunbookSectionInput } from '../../runbook/model.js';
import { dbUrl } from '../shared/database.js';
import { SERVICES } from '../shared/identity.js';
import {
	ADMIN_RC,
	asUser,
	authtoken,
	databaseStep,
	ensureServices,
	STATE_DIR,
	serviceEntitiesStep,
	waitHttp,
} from './lib.js';

export const IMAGE_DIR = `${STATE_DIR}/images`;

export const glance: RunbookSectionInput = {
	id: 'glance',
	title: 'Image service (Glance)',
	guide: 'Glance Zed install guide (Ubuntu variant), adapted to Debian 12 packages',
	steps: [
		databaseStep(
			'database',
			'Glance database',
			'Glance: Prerequisites (database)',
			['glance'],
			'glance',
			'GLANCE_DBPASS',
		),
		serviceEntitiesStep(
			'Glance user, service entity and API endpoints',
			'Glance: Prerequisites (user glance, service image, endpoints :9292)',
			SERVICES.glance,
		),
		{
			id: 'install',
			title: 'Install and configure glance-api',
			guide: 'Glance: Install and configure components (glance-api.conf)',
			on: 'controller',
			actions: [
				{ kind: 'packages', names: ['glance-api', 'qemu-utils'], noRecommends: true, noStart: true },
				{
					kind: 'ini',
					file: '/etc/glance/glance-api.conf',
					set: [
						// Debian: the pre-filled connection is sqlite.
						['database', 'connection', dbUrl('glance', 'GLANCE_DBPASS', 'glance')],
						...authtoken('glance', 'GLANCE_PASS'),
						['paste_deploy', 'flavor', 'keystone'],
						['glance_store', 'stores', 'file,http'],
						['glance_store', 'default_store', 'file'],
						['glance_store', 'filesystem_store_datadir', '/var/lib/glance/images/'],
					],
				},
			],
			timeoutSec: 1200,
		},
		{
			id: 'populate',
			title: 'Populate the Image service database',
			guide: 'Glance: glance-manage db_sync',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'glance-manage db_sync (as user glance)',
					script: asUser('glance', 'glance-manage db_sync'),
				},
			],
			timeoutSec: 600,
		},
		{
			id: 'start',
			title: 'Start glance-api',
			guide: 'Glance: Finalize installation (service glance-api restart)',
			on: 'controller',
			actions: [
				ensureServices(['glance-api']),
				waitHttp('http://{{CONTROLLER_HOST}}:9292', 'glance-api', '/var/log/glance/glance-api.log'),
			],
			timeoutSec: 300,
		},
		{
			id: 'image',
			title: 'Verify operation: upload an image made on the controller',
			guide: 'Glance: Verify operation (image create, image list); CirrOS replaced by an image made here',
			on: 'controller',
			actions: [
				{
					kind: 'shell',
					describe: 'make the image file: IMAGE_URL when set, else an empty 64 MB qcow2 disk (qemu-img)',
					script: String.raw`osc_dir=${IMAGE_DIR}
osc_img="$osc_dir"/{{IMAGE_NAME}}.qcow2
osc_url={{IMAGE_URL}}
mkdir -p "$osc_dir"
if [ -s "$osc_img" ]; then
	echo "unchanged: $osc_img exists"
elif [ -n "$osc_url" ]; then
	curl -fsSL --retry 3 -o "$osc_img.part" "$osc_url"
	mv -f "$osc_img.part" "$osc_img"
	echo "downloaded: $osc_url"
else
	qemu-img create -f qcow2 "$osc_img" 64M
	echo "made: $osc_img, an empty 64 MB qcow2 disk with no operating system in it. Instances boot it to ACTIVE"
	echo "(QEMU runs it) but no guest OS runs, so the guide's ping/ssh into the instance does not apply."
fi
qemu-img info "$osc_img"`,
				},
				{
					kind: 'openstack',
					creds: 'admin',
					describe: 'ensure public image IMAGE_NAME (qcow2, bare)',
					args: [
						'image',
						'create',
						'--file',
						`${IMAGE_DIR}/{{IMAGE_NAME}}.qcow2`,
						'--disk-format',
						'qcow2',
						'--container-format',
						'bare',
						'--public',
						'{{IMAGE_NAME}}',
					],
					unless: ['image', 'show', '{{IMAGE_NAME}}', '-f', 'value', '-c', 'id'],
				},
				{
					kind: 'wait',
					describe: 'the image is active',
					until: `${ADMIN_RC}\n[ "$(openstack image show {{IMAGE_NAME}} -f value -c status)" = active ]`,
					timeoutSec: 120,
				},
			],
			verify: `${ADMIN_RC}\nopenstack image list`,
			timeoutSec: 600,
		},
	],
};
