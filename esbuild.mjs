// One build script for every bundle: CLI, extension host, decode worker, webview.
// Type checking is separate (tsc -b); esbuild only bundles. `--production` (run by vscode:prepublish,
// so by every `vsce package`) minifies and writes no source maps: that is the build that ships.
import * as esbuild from 'esbuild';
import fs from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const entries = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20' },
  {
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    entryPoints: ['src/node/decodeWorker.ts'],
    outfile: 'dist/decodeWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    entryPoints: ['src/node/qmp/qmpWorker.ts'],
    outfile: 'dist/qmpWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    entryPoints: ['media/src/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    entryPoints: ['media/src/compare.ts'],
    outfile: 'dist/compare.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];
const missing = entries.map((e) => e.entryPoints[0]).filter((p) => !fs.existsSync(p));
if (missing.length > 0) {
  console.error(
    `esbuild.mjs: entry point missing: ${missing.join(', ')} (expected every bundle's source; nothing was built)`,
  );
  process.exit(1);
}
await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
