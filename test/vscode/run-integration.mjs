#!/usr/bin/env node
// Runs the extension-host mocha suite (out/test/integration/suite/index.js, test-electron's
// run() contract) inside a real VS Code through UNCHANGED @vscode/test-electron runTests():
//  - desktop VS Code, downloaded as usual, when the machine can download it and has a display;
//  - otherwise (VSCODE_TEST_OFFLINE=1, a failed download, or no display) our stand-in
//    executable, which runs the same suite in code-server's Node extension host.
// The workspace holds the bundled sample. Prints "exthost: N passed, M failed" from the
// results file the suite writes ($KHO_EXTHOST_RESULTS); exits non-zero on any failure or if
// no test ran.
import fs from 'node:fs';
import path from 'node:path';
import { runTests, downloadAndUnzipVSCode } from '@vscode/test-electron';
import { ROOT, WORK } from './lib/codeServer.mjs';
import { prepareSampleWorkspace } from './lib/workspace.mjs';

const t0 = Date.now();
const STAND_IN = path.join(import.meta.dirname, 'code-server-as-electron.mjs');
// KHO_INTEGRATION_SUITE: another module with the same run() contract (used to check this runner).
const suite = process.env.KHO_INTEGRATION_SUITE
  ? path.resolve(process.env.KHO_INTEGRATION_SUITE).replace(/\.js$/, '')
  : path.join(ROOT, 'out', 'test', 'integration', 'suite', 'index'); // no .js, as test-electron documents
const extensionMain = path.join(ROOT, 'dist', 'extension.js');

if (!fs.existsSync(suite + '.js')) {
  console.error(`run-integration: missing ${path.relative(ROOT, suite)}.js; build first: npx tsc -b`);
  process.exit(1);
}
if (!fs.existsSync(extensionMain)) {
  console.error(`run-integration: missing ${path.relative(ROOT, extensionMain)}; build first: node esbuild.mjs`);
  if (!process.env.KHO_INTEGRATION_SUITE) process.exit(1);
}

fs.mkdirSync(WORK, { recursive: true });
const ws = prepareSampleWorkspace(path.join(WORK, 'integration-workspace'));
const resultsFile = path.join(WORK, 'integration-results.json');
fs.rmSync(resultsFile, { force: true });
console.log(`run-integration: workspace ${ws.dir} (sample from ${ws.source})`);

async function pickExecutable() {
  if (process.env.VSCODE_TEST_OFFLINE === '1') return { exe: STAND_IN, why: 'VSCODE_TEST_OFFLINE=1' };
  if (
    process.platform === 'linux' &&
    !process.env.DISPLAY &&
    !process.env.WAYLAND_DISPLAY &&
    process.env.VSCODE_TEST_DESKTOP !== '1'
  ) {
    return {
      exe: STAND_IN,
      why: 'no display for desktop VS Code (set VSCODE_TEST_DESKTOP=1 to try anyway, e.g. under xvfb-run)',
    };
  }
  try {
    const exe = await downloadAndUnzipVSCode({
      version: process.env.VSCODE_TEST_VERSION || 'stable',
      cachePath: path.join(ROOT, '.vscode-test'),
      timeout: 30_000,
    });
    return { exe, why: 'desktop VS Code' };
  } catch (e) {
    return { exe: STAND_IN, why: `VS Code download failed (${e?.message ?? e})` };
  }
}

const { exe, why } = await pickExecutable();
console.log(`run-integration: ${exe === STAND_IN ? 'code-server stand-in' : exe} — ${why}`);

let exitCode = 0;
try {
  await runTests({
    vscodeExecutablePath: exe,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: suite,
    launchArgs: [ws.dir, '--disable-extensions'],
    // Reaches the extension host (code-server passes its environment on).
    extensionTestsEnv: { KHO_EXTHOST_RESULTS: resultsFile, KHO_SAMPLE_DIR: ws.dir, KHO_SAMPLE_PAIRING: ws.pairing },
  });
} catch (e) {
  console.error('run-integration: runTests failed:', e?.message ?? e);
  exitCode = 1;
}

const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (!fs.existsSync(resultsFile)) {
  console.error(`run-integration: no results file (${resultsFile}): the suite did not run (${secs} s)`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
const passed = Number(r.passes ?? r.passed ?? 0);
const failed = Number(r.failures ?? r.failed ?? 0);
for (const t of r.titles ?? []) console.log('  ' + t);
console.log(`# integration wall time: ${secs} s`);
console.log(`exthost: ${passed} passed, ${failed} failed`);
if (failed > 0) exitCode = 1;
if (passed + failed === 0) {
  console.error('run-integration: no test ran');
  exitCode = 1;
}
process.exit(exitCode);
