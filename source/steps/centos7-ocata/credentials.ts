/**
 * The client environments of the guide's admin-openrc and demo-openrc: admin on the keystone admin endpoint
 * (35357), demo on the public one (5000). The runbook's openstack actions use them, and the keystone section
 * writes them to the openrc files, so both always agree.
 */
export const ADMIN_CREDENTIALS: Record<string, string> = {
	OS_PROJECT_DOMAIN_NAME: 'Default',
	OS_USER_DOMAIN_NAME: 'Default',
	OS_PROJECT_NAME: 'admin',
	OS_USERNAME: 'admin',
	OS_PASSWORD: '{{ADMIN_PASS}}',
	OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:35357/v3',
	OS_IDENTITY_API_VERSION: '3',
	OS_IMAGE_API_VERSION: '2',
};

export const DEMO_CREDENTIALS: Record<string, string> = {
	OS_PROJECT_DOMAIN_NAME: 'Default',
	OS_USER_DOMAIN_NAME: 'Default',
	OS_PROJECT_NAME: 'demo',
	OS_USERNAME: 'demo',
	OS_PASSWORD: '{{DEMO_PASS}}',
	OS_AUTH_URL: 'http://{{CONTROLLER_HOST}}:5000/v3',
	OS_IDENTITY_API_VERSION: '3',
	OS_IMAGE_API_VERSION: '2',
};
