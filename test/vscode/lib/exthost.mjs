// Runs an extension's test module INSIDE code-server's real Node extension host, with the
// @vscode/test-electron contract: the module at extensionTestsPath exports run(): Promise<void>.
// The workbench is opened with
//   ?payload=[["extensionDevelopmentPath",URI],["extensionTestsPath",URI]]
// and reports the outcome through window.codeAutomationExit(code); extension-host console
// output arrives through window.codeAutomationLog(type, args).
import path from 'node:path';
import util from 'node:util';
import {
  freshProfile,
  startCodeServer,
  launchChromium,
  workbenchUrl,
  remoteAuthorityOf,
  codeServerHasFlag,
} from './codeServer.mjs';

/**
 * @param {{extensionDevelopmentPath: string|string[], extensionTestsPath: string,
 *          workspace?: string, env?: Record<string,string>, timeoutMs?: number, log?: (s: string) => void}} o
 * @returns {Promise<number>} exit code reported by the extension host (0 = all tests passed)
 */
// Workbench chatter that says nothing about the tests (shown with KHO_DEBUG=1).
const NOISE =
  /Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin|Updating additional builtin|\[Service Worker\]|ChatSessionStore/;

export async function runExtensionHostTests(o) {
  const log =
    o.log ??
    ((s) => {
      if (process.env.KHO_DEBUG || !NOISE.test(s)) console.log(s);
    });
  const profile = freshProfile('exthost', { workspace: o.workspace });
  // Newer VS Code (1.139) honours the development payload in a built product only with
  // --enable-smoke-test-driver, which newer code-server passes through with --vscode-option.
  const extraArgs = codeServerHasFlag('vscode-option') ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
  const server = await startCodeServer(profile, { extraArgs, env: o.env ?? {} });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    let resolveDone;
    const done = new Promise((resolve) => {
      resolveDone = resolve;
    });
    // The bindings must exist before the workbench loads.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      log(`[exthost ${type}] ` + util.format(...(Array.isArray(args) ? args : [args])));
    });
    await page.exposeFunction('codeAutomationExit', (code) => resolveDone(code));
    if (process.env.KHO_DEBUG) page.on('console', (m) => log(`[page ${m.type()}] ${m.text()}`));
    const authority = await remoteAuthorityOf(server.url);
    const remote = (p) => `vscode-remote://${authority}${path.resolve(p)}`;
    await page.goto(
      workbenchUrl(server.url, profile.workspace, [
        ...[o.extensionDevelopmentPath].flat().map((p) => ['extensionDevelopmentPath', remote(p)]),
        ['extensionTestsPath', remote(o.extensionTestsPath)],
        ['skipWelcome', 'true'],
      ]),
    );
    const timeoutMs = o.timeoutMs ?? Number(process.env.KHO_EXTHOST_TIMEOUT_MS || 300_000);
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const res = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (res === 'timeout') {
      const shot = path.join(profile.dir, 'timeout.png');
      await page.screenshot({ path: shot }).catch(() => {});
      log(
        `extension-host tests did not finish in ${timeoutMs / 1000} s; code-server log: ${server.logFile}, screenshot: ${shot}`,
      );
      return 1;
    }
    return typeof res === 'number' ? res : 1;
  } finally {
    await browser?.close();
    await server.stop();
  }
}
