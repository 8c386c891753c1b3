#!/usr/bin/env node
/**
 * Bundles the console for start-up speed (issue #8, benchmark 1): `node scripts/bundle.mjs` writes dist/cli.cjs
 * (source/cli.tsx and what it imports, one CommonJS file) and dist/cli.js (source/launcher.ts: runs dist/cli.cjs
 * through a V8 code cache), over the file tsc emitted. `npm run build` runs tsc first (type check, and the
 * per-module files under dist/ that scripts and tests import), then this.
 *
 * Why: Node 20 has no module compile cache, and the console's first frame needs ink, react, yoga, zod and a
 * runbook: ~600 files under node_modules (es-toolkit/compat alone is 416) that Node found, read, compiled and
 * linked one by one. In one file, each command's modules are still initialised only when that command runs
 * (esbuild turns the dynamic imports of commands/index.ts into lazy initialisers); the code cache then spares
 * the compiling, which ES modules cannot (see source/launcher.ts).
 *
 * What is not bundled, and why:
 * - ssh2: CommonJS with optional native bindings (.node files). It stays in node_modules, and it is loaded when
 *   its first export is used (a connection is opened or a key is parsed), not at start-up: see LAZY_SSH2.
 * - react-devtools-core: ink imports it only when DEV=true (a development aid, not a dependency).
 *
 * Exported for bench/run.js, which bundles the benchmark entry (the console plus its runbooks) the same way.
 */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * ssh2 as a module whose exports are fetched from the real package on first use. ssh2 takes ~80 ms to load
 * (CommonJS, ~60 files) and nothing before the first connection needs it. node-session.ts uses it as
 * `ssh2.Client` and `ssh2.utils`, always after start-up.
 */
const LAZY_SSH2 = `const load = () => require('ssh2');
export default new Proxy({}, { get: (_, name) => load()[name], has: (_, name) => name in load() });
`;

/** Replace `from` in a dependency's source; a dependency update that moved it fails the build here, not at run time. */
function patch(source, from, to, file) {
	if (!source.includes(from))
		throw new Error(`bundle: ${file} no longer contains ${JSON.stringify(from)}: review this patch`);
	return source.replace(from, to);
}

/** An onLoad hook that applies `edits` ([from, to] pairs, each through patch()) to the files `filter` matches. */
function patchFiles(b, filter, edits) {
	b.onLoad({ filter }, async (args) => {
		let source = await readFile(args.path, 'utf8');
		for (const [from, to] of edits) source = patch(source, from, to, args.path);
		return { contents: source, loader: 'js', resolveDir: path.dirname(args.path) };
	});
}

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
		// string-width (ink's, wrap-ansi's and the console's own) answers text of narrow, standalone characters from
		// its length and loads the package on first need: see source/ui/narrow-text.ts. Each wrapper takes the
		// string-width its importer would get, and the strip-ansi that string-width uses (ink measures styled text).
		b.onResolve({ filter: /^string-width$/ }, (args) =>
			args.pluginData?.real ? undefined : { path: args.resolveDir, namespace: 'osc-width' },
		);
		b.onLoad({ filter: /.*/, namespace: 'osc-width' }, async (args) => {
			const real = await b.resolve('string-width', {
				kind: 'import-statement',
				resolveDir: args.path,
				pluginData: { real: true },
			});
			const stripAnsi = await b.resolve('strip-ansi', {
				kind: 'import-statement',
				resolveDir: path.dirname(real.path),
			});
			if (real.errors.length || stripAnsi.errors.length)
				throw new Error(`bundle: cannot resolve string-width from ${args.path}`);
			return {
				contents: `import { withNarrowTextPath } from ${JSON.stringify(path.join(root, 'source', 'ui', 'narrow-text.ts'))};
import stripAnsi from ${JSON.stringify(stripAnsi.path)};
export default withNarrowTextPath(() => require(${JSON.stringify(real.path)}).default, stripAnsi);
`,
				loader: 'js',
				resolveDir: args.path,
			};
		});
		// Intl.Segmenter loads ICU's break data on first use (~8 ms) and is slow per character: ink's output tokenizer
		// segments every line of every frame, slice-ansi makes one at load. The tokenizer gets graphemeSegments
		// and so does slice-ansi (cli-truncate's): source/ui/narrow-text.ts, narrow text, the console's usual, is one
		// grapheme per code point; both create their segmenter when first needed.
		const NARROW_TEXT_MODULE = JSON.stringify(path.join(root, 'source', 'ui', 'narrow-text.ts'));
		/** `name`, an Intl.Segmenter made at load (`made`), as graphemeSegments with one made on first need. */
		const lazySegmenter = (name, made) => [
			`const ${name} = ${made};`,
			`import { graphemeSegments } from ${NARROW_TEXT_MODULE};
let graphemeSegmenter;
const ${name} = { segment: (text) => graphemeSegments(text, () => (graphemeSegmenter ??= ${made})) };`,
		];
		patchFiles(b, /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/, [
			lazySegmenter('segmenter', 'new Intl.Segmenter(undefined, { granularity: "grapheme" })'),
		]);
		patchFiles(b, /[\\/]slice-ansi[\\/]tokenize-ansi\.js$/, [
			lazySegmenter('GRAPHEME_SEGMENTER', "new Intl.Segmenter(undefined, {granularity: 'grapheme'})"),
		]);
		// The bundle is CommonJS (the launcher's code cache needs a classic script), which has no top-level await.
		// Two dependencies use it: yoga-layout (ink's layout engine) awaits its WebAssembly, and ink awaits
		// react-devtools-core and its package.json when DEV=true. yoga's Emscripten loader takes an instantiateWasm
		// hook: given the bytes it instantiates synchronously, so the module is ready when the import returns
		// (the wasm inlined as base64 moves from the loader's data: URL, which it would fetch(), to that hook).
		b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
			let source = await readFile(args.path, 'utf8');
			const dataUrl = /H="data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/.exec(source);
			if (!dataUrl)
				throw new Error(`bundle: ${args.path} no longer inlines its wasm as H="data:...": review this patch`);
			source = patch(source, dataUrl[0], 'H=""', args.path);
			source = patch(source, 'var _scriptDir = import.meta.url;', 'var _scriptDir = undefined;', args.path);
			return { contents: `${source}\nexport const WASM_BASE64 = ${JSON.stringify(dataUrl[1])};\n`, loader: 'js' };
		});
		patchFiles(b, /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/, [
			[
				"import loadYoga from '../binaries/yoga-wasm-base64-esm.js';",
				"import loadYoga, { WASM_BASE64 } from '../binaries/yoga-wasm-base64-esm.js';",
			],
			[
				'const Yoga = wrapAssembly(await loadYoga());',
				`const yogaModule = {
	instantiateWasm(imports, receiveInstance) {
		receiveInstance(new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64')), imports));
		return {};
	},
};
loadYoga(yogaModule);
if (typeof yogaModule.Node !== 'function') throw new Error('yoga-layout did not initialise synchronously');
const Yoga = wrapAssembly(yogaModule);`,
			],
		]);
		// DEV=true (React devtools) is a development aid of ink's own; the bundled console says it is not there.
		patchFiles(b, /[\\/]ink[\\/]build[\\/]reconciler\.js$/, [
			[
				"await import('./devtools.js');",
				"throw Object.assign(new Error('react-devtools-core is not bundled'), { code: 'ERR_MODULE_NOT_FOUND' });",
			],
			['? await loadPackageJson()', "? { name: 'ink', version: undefined }"],
		]);
	},
};

/**
 * Bundle `entry` (a path under the repository) to `outfile` (the launcher, source/launcher.ts) and beside it
 * `<name>.cjs` (the console) with its source map.
 * @param {{ entry: string; outfile: string }} options
 */
export async function bundle({ entry, outfile }) {
	const out = path.resolve(root, outfile);
	const bundleFile = `${path.basename(out, '.js')}.cjs`;
	// The ESM build before this one split the console into chunks/: gone, or they would ship unused.
	rmSync(path.join(path.dirname(out), 'chunks'), { recursive: true, force: true });
	// The shipped runbooks validated now (tsc's dist/ of this same source), embedded so a start skips zod on them;
	// a runbook that does not survive JSON unchanged would be embedded wrong, so that fails the build.
	const registry = await import(pathToFileURL(path.join(root, 'dist', 'runbook', 'registry.js')).href);
	const runbooks = registry.validateShippedRunbooks();
	const runbooksJson = JSON.stringify(runbooks);
	if (!isDeepStrictEqual(JSON.parse(runbooksJson), runbooks)) {
		throw new Error('bundle: the validated runbooks do not survive JSON (a function, undefined or class in them?)');
	}
	await build({
		entryPoints: [path.resolve(root, entry)],
		outfile: path.join(path.dirname(out), bundleFile),
		bundle: true,
		format: 'cjs',
		platform: 'node',
		target: 'node20',
		external: ['react-devtools-core'],
		plugins: [startupPlugin],
		// import() of Node's modules as require(): the launcher's vm.Script has no dynamic import callback (Node 20).
		supported: { 'dynamic-import': false },
		// React's production build (cli.tsx sets NODE_ENV too, for the unbundled modules).
		// import.meta.url: the bundle's own URL (CommonJS has no import.meta; source/util/package-root.ts copes).
		define: {
			'process.env.NODE_ENV': '"production"',
			'import.meta.url': '__oscBundleUrl',
			__OSC_VALIDATED_RUNBOOKS__: JSON.stringify(runbooksJson),
		},
		banner: { js: "var __oscBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
		sourcemap: 'linked',
		legalComments: 'linked',
		logLevel: 'warning',
		// cli.tsx sets NODE_ENV at run time for the unbundled modules; in the bundle it is a constant already.
		logOverride: { 'assign-to-define': 'silent' },
	});
	const hash = createHash('sha256')
		.update(readFileSync(path.join(path.dirname(out), bundleFile)))
		.digest('hex')
		.slice(0, 24);
	await build({
		entryPoints: [path.resolve(root, 'source/launcher.ts')],
		outfile: out,
		bundle: true,
		format: 'esm',
		platform: 'node',
		target: 'node20',
		define: { __OSC_BUNDLE__: JSON.stringify({ file: `./${bundleFile}`, hash }) },
		logLevel: 'warning',
	});
	chmodSync(out, 0o755);
	// tsc's map of source/cli.tsx, which this file no longer is.
	rmSync(`${out}.map`, { force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	await bundle({ entry: 'source/cli.tsx', outfile: 'dist/cli.js' });
}
