import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
		exclude: ['test/acceptance/**', 'node_modules/**'],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: 'forks',
		globalSetup: ['test/setup/temp-root.ts'],
		// Tests never read the operator's ~/.ssh/config; those that test it pass their own file.
		env: { OS_CONSOLE_SSH_CONFIG: 'none' },
	},
});
