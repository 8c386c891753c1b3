#!/usr/bin/env node
/**
 * Bundles the console for start-up speed (issue #8, benchmark 1): `node scripts/bundle.mjs` writes dist/cli.js
 * and its chunks (dist/chunks/) from source/cli.tsx with esbuild, over the file tsc emitted. `npm run build`
 * runs tsc first (type check, and the per-module files under dist/ that scripts and tests import), then this.
 *
 * Why: Node 20 has no module compile cache, and the console's first frame needs ink, react, yoga, zod and a
 * runbook: ~600 files under node_modules (es-toolkit/compat alone is 416) that Node found, read, compiled and
 * linked one by one. One file per lazily loaded command (code splitting) keeps `os-console run` from loading
 * the TUI and the TUI from loading the headless commands, as the dynamic imports in commands/index.ts intend.
 *
 * What is not bundled, and why:
 * - ssh2: CommonJS with optional native bindings (.node files). It stays in node_modules, and it is loaded when
 *   its first export is used (a connection is opened or a key is parsed), not at start-up: see LAZY_SSH2.
 * - react-devtools-core: ink imports it only when DEV=true (a development aid, not a dependency).
 *
 * Exported for bench/run.js, which bundles the benchmark entry (the console plus its runbooks) the same way.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * ssh2 as a module whose exports are fetched from the real package on first use. ssh2 takes ~80 ms to load
 * (CommonJS, ~60 files) and nothing before the first connection needs it. node-session.ts uses it as
 * `ssh2.Client` and `ssh2.utils`, always after start-up.
 */
const LAZY_SSH2 = `import { createRequire } from 'node:module';
const load = () => createRequire(import.meta.url)('ssh2');
export default new Proxy({}, { get: (_, name) => load()[name], has: (_, name) => name in load() });
`;

/** @type {import('esbuild').Plugin} */
const startupPlugin = {
	name: 'os-console-startup',
	setup(b) {
		b.onResolve({ filter: /^ssh2$/ }, (args) =>
			args.importer.endsWith('lazy-ssh2') ? { path: 'ssh2', external: true } : { path: 'lazy-ssh2', namespace: 'osc' },
		);
		b.onLoad({ filter: /^lazy-ssh2$/, namespace: 'osc' }, () => ({
			contents: LAZY_SSH2,
			loader: 'js',
			resolveDir: root,
		}));
		// yoga-layout (ink's layout engine) loads its WebAssembly from a data: URL with fetch() when fetch exists.
		// In Node that first loads undici (~80 ms); without fetch it decodes the same bytes itself.
		b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/].*\.js$/ }, async (args) => {
			const { readFile } = await import('node:fs/promises');
			const source = await readFile(args.path, 'utf8');
			return { contents: `const fetch = undefined;\n${source}`, loader: 'js' };
		});
	},
};

/**
 * Bundle `entry` (a path under the repository) to `outfile`; its lazily imported parts go to `chunks/` beside it.
 * @param {{ entry: string; outfile: string }} options
 */
export async function bundle({ entry, outfile }) {
	// Chunk names carry a content hash: the previous build's chunks would pile up beside the new ones.
	rmSync(path.join(path.dirname(path.resolve(root, outfile)), 'chunks'), { recursive: true, force: true });
	await build({
		entryPoints: { [path.basename(outfile, '.js')]: path.resolve(root, entry) },
		outdir: path.dirname(path.resolve(root, outfile)),
		chunkNames: 'chunks/[name]-[hash]',
		bundle: true,
		splitting: true,
		format: 'esm',
		platform: 'node',
		target: 'node20',
		external: ['react-devtools-core'],
		plugins: [startupPlugin],
		// React's production build (cli.tsx sets NODE_ENV too, for the unbundled modules).
		define: { 'process.env.NODE_ENV': '"production"' },
		// CommonJS parts of the bundle (react, and what ink pulls in) call require() for Node's own modules.
		banner: {
			js: "import { createRequire as __oscCreateRequire } from 'node:module';\nconst require = __oscCreateRequire(import.meta.url);",
		},
		sourcemap: 'linked',
		legalComments: 'linked',
		logLevel: 'warning',
		// cli.tsx sets NODE_ENV at run time for the unbundled modules; in the bundle it is a constant already.
		logOverride: { 'assign-to-define': 'silent' },
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	await bundle({ entry: 'source/cli.tsx', outfile: 'dist/cli.js' });
}
