#!/usr/bin/env node
// Stand-in for a VS Code desktop executable, for @vscode/test-electron's runTests() and
// @vscode/test-cli's useInstallation.fromPath:
//   runTests({ vscodeExecutablePath: '<this file>', extensionDevelopmentPath, extensionTestsPath, launchArgs: [workspace] })
// They spawn it with Electron-style flags; we keep the ones that matter (--extensionDevelopmentPath,
// --extensionTestsPath, the first positional path = folder to open) and run the tests in
// code-server's real Node extension host instead. Exit status = the tests' result.
import { runExtensionHostTests } from './lib/exthost.mjs';

const dev = [];
let tests;
let workspace;
for (const a of process.argv.slice(2)) {
  const m = a.match(/^--([^=]+)(?:=(.*))?$/);
  if (!m) {
    workspace ??= a;
    continue;
  }
  if (m[1] === 'extensionDevelopmentPath') dev.push(m[2]);
  else if (m[1] === 'extensionTestsPath') tests = m[2];
  // Everything else (--no-sandbox, --user-data-dir=..., --disable-extensions, ...) is ignored:
  // code-server gets a fresh throwaway profile with no other extensions.
}
if (!tests || dev.length === 0) {
  console.error('code-server-as-electron: need --extensionDevelopmentPath and --extensionTestsPath');
  process.exit(2);
}
const code = await runExtensionHostTests({ extensionDevelopmentPath: dev, extensionTestsPath: tests, workspace });
process.exit(code);
