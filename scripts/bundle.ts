/**
 * Bundles the kbench command (src/cli/main.ts) into dist/cli/main.js, with a chunk per
 * lazily loaded part (a command's work, the sim, the local cluster) beside it, and the sim
 * scheduler's thread (dist/cli/scheduler-worker.js) and the sim etcd client's
 * (dist/cli/etcd-worker.js).
 *
 * Why: Node's ESM loader resolves, reads and links each of the ~300 modules a run loads one
 * by one; from a bundle a 400-pod density run costs about 0.5 CPU-s less and validate half
 * (npm run bench:harness). tsc still writes every module to dist/ (the `kbench/sim`
 * export, type checking); the bundle replaces only the command's entry point. The chunks
 * sit in dist/cli, as deep as src/cli, so paths built from import.meta.url (components/,
 * the report's chart libraries, the sim's entry point) resolve as from the modules.
 *
 * Only the pure-JavaScript packages of a run's path are bundled (with what they import);
 * the others stay in node_modules: better-sqlite3 is native, chart.js is read as a file
 * into the report.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const BUNDLED = new Set(['undici', 'yaml', 'yargs', 'hdr-histogram-js', 'csv-stringify', 'csv-parse', 'p-limit', 'ajv']);

const root = path.resolve(new URL('..', import.meta.url).pathname);
const out = path.join(root, 'dist/cli');
for (const f of readdirSync(out)) if (/^chunk-.*\.js(\.map)?$/.test(f)) rmSync(path.join(out, f));

const packageName = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

const onlyListedPackages: Plugin = {
  name: 'only-listed-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      // What a bundled package imports is bundled with it (resolved from where it sits).
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return BUNDLED.has(packageName(args.path)) ? undefined : { external: true };
    });
  },
};

await build({
  // The sim's threads have entries of their own (started from beside the module that starts them).
  entryPoints: {
    main: path.join(root, 'src/cli/main.ts'),
    'scheduler-worker': path.join(root, 'src/sim/scheduler/scheduler-worker.ts'),
    'etcd-worker': path.join(root, 'src/sim/storage/etcd-worker.ts'),
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  plugins: [onlyListedPackages],
  // CommonJS packages (undici, yaml) call require() for Node's own modules.
  banner: { js: "import { createRequire as kbenchCreateRequire } from 'node:module';\nconst require = kbenchCreateRequire(import.meta.url);" },
  sourcemap: true,
  // Source text stays in the heap for lazy compilation: minified, the chunks hold 2.7 MB
  // instead of 4.0 MB.
  // Names are kept, so an unexpected error's stack still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  allowOverwrite: true,
  logLevel: 'warning',
});

// The package's bin: executable, so `npx kbench` runs it even where npm does not link it
// (npm exec reuses the link it made for a folder of the same path, without setting the mode again).
chmodSync(path.join(out, 'main.js'), 0o755);
