import { defineConfig } from 'vitest/config';

// Acceptance tests: real machines (LXC system containers made by test/acceptance/lxc), run as root, one file at a time.
export default defineConfig({
	test: {
		include: ['test/acceptance/**/*.test.ts'],
		testTimeout: 40 * 60_000,
		hookTimeout: 40 * 60_000,
		teardownTimeout: 10 * 60_000,
		pool: 'forks',
		poolOptions: { forks: { singleFork: true } },
		fileParallelism: false,
		maxConcurrency: 1,
		reporters: ['verbose'],
	},
});
