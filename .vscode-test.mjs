// @vscode/test-cli config (`npx vscode-test`): the documented path for machines with the
// internet, which download desktop VS Code as usual. Offline (VSCODE_TEST_OFFLINE=1) the
// "installation" is our stand-in, which runs the same tests in code-server's extension host.
// The workspace is a fresh copy of the bundled sample (see test/vscode/lib/workspace.mjs).
import path from 'node:path';
import { defineConfig } from '@vscode/test-cli';
import { WORK } from './test/vscode/lib/codeServer.mjs';
import { prepareSampleWorkspace } from './test/vscode/lib/workspace.mjs';

const here = import.meta.dirname;
const offline = process.env.VSCODE_TEST_OFFLINE === '1';
const ws = prepareSampleWorkspace(path.join(WORK, 'cli-workspace'));

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/suite/**/*.test.js',
  extensionDevelopmentPath: here,
  workspaceFolder: ws.dir,
  launchArgs: ['--disable-extensions'],
  env: { KHO_SAMPLE_DIR: ws.dir, KHO_SAMPLE_PAIRING: ws.pairing },
  mocha: { ui: 'tdd', timeout: 60_000 },
  ...(offline
    ? { useInstallation: { fromPath: path.join(here, 'test', 'vscode', 'code-server-as-electron.mjs') } }
    : {}),
});
