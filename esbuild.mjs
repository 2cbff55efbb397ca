// One build script for every bundle: CLI, extension host, decode worker, webview.
// Type checking is separate (tsc -b); esbuild only bundles.
import * as esbuild from 'esbuild';
import fs from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const entries = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20' },
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { entryPoints: ['src/node/decodeWorker.ts'], outfile: 'dist/decodeWorker.js', platform: 'node', format: 'cjs', target: 'node20' },
  { entryPoints: ['media/src/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { entryPoints: ['media/src/compare.ts'], outfile: 'dist/compare.js', platform: 'browser', format: 'iife', target: 'es2022' },
];
await Promise.all(entries
  .filter((e) => fs.existsSync(e.entryPoints[0]))
  .map((e) => esbuild.build({ ...common, ...e })));
