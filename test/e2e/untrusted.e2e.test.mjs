// End-to-end, Restricted Mode: a real VS Code (code-server) with workspace trust on and the
// sample's folder not trusted. The KHO editor still opens and shows the dump, but read-only:
// "KHO: Preserve Range..." is refused with the reason, the tab never turns dirty, the tree keeps
// its count and the file on disk is unchanged. Screenshots go to .work/e2e-artifacts/untrusted/.
//   node --test --test-concurrency=1 test/e2e/untrusted.e2e.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WORK } from '../vscode/lib/codeServer.mjs';
import { prepareSampleWorkspace } from '../vscode/lib/workspace.mjs';
import { ensureVsix } from '../vscode/lib/vsix.mjs';
import { decodePairing } from './lib/expected.mjs';
import {
  openWorkbench,
  useArtifactDir,
  screenshot,
  withFailureShot,
  openInKhoEditor,
  noteRetry,
  runCommand,
  showKhoContainer,
  treeOrderCount,
  waitForOrder0Count,
  webview,
  until,
} from './lib/workbench.mjs';

const IMAGE = 'sample.raw';
const t0 = Date.now();
let wb, page, ws, decoded, imageHash;
let opened = false;

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const activeTab = () => page.locator('.tabs-container .tab.active', { hasText: IMAGE });
const isDirty = async () => /\bdirty\b/.test((await activeTab().getAttribute('class')) ?? '');

before(async () => {
  useArtifactDir('untrusted');
  ws = prepareSampleWorkspace(path.join(WORK, 'e2e-untrusted-workspace'));
  decoded = decodePairing(ws.pairing);
  imageHash = sha256(path.join(ws.dir, IMAGE));
  wb = await openWorkbench({
    name: 'e2e-untrusted',
    workspace: ws.dir,
    vsix: ensureVsix(),
    waitForFile: IMAGE,
    workspaceTrust: true,
    // Trust on, no start-up prompt: a folder nobody trusted opens in Restricted Mode.
    settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
  });
  page = wb.page;
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'final').catch(() => {});
  await wb?.close();
  console.log(`# untrusted e2e wall time (vsix install + start + tests): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('in Restricted Mode the KHO editor opens the dump and shows what is preserved', { timeout: 180_000 }, () =>
  withFailureShot(page, 'open', async () => {
    // The workbench says it is restricted (status bar entry or banner), so this really is untrusted.
    await page
      .locator('.part.statusbar, .monaco-workbench .part.banner')
      .getByText(/Restricted Mode/i)
      .first()
      .waitFor({ timeout: 30_000 });
    await openInKhoEditor(page, IMAGE);
    await activeTab().waitFor({ timeout: 30_000 });
    await webview(page).getByText(decoded.fdt.compatible).first().waitFor({ timeout: 120_000 });
    // The editor says it is read-only, and why, next to the decode time.
    const status = await webview(page).locator('#kho-status').innerText();
    assert.match(status, /read-only: .*not trusted/, `the status line does not say read-only: ${status}`);
    await showKhoContainer(page);
    await waitForOrder0Count(page, decoded.counts['0'], 'after opening');
    await screenshot(page, 'opened');
    opened = true;
  }),
);

test(
  '"KHO: Preserve Range..." is refused as read-only; nothing changes in the editor or on disk',
  { timeout: 90_000 },
  () =>
    withFailureShot(page, 'refused', async () => {
      assert.ok(opened, 'the KHO editor did not open (see the first test)');
      // A read-only dump is refused before any input is asked for. (A palette click that a
      // re-render swallowed would show nothing: run the command once more then.)
      const input = page.locator('.quick-input-widget input');
      const refusal = page
        .locator('.notifications-toasts .notification-list-item')
        .filter({ hasText: /read-only/i })
        .first();
      for (let attempt = 1; ; attempt++) {
        await runCommand(page, 'KHO: Preserve Range...');
        try {
          await until(() => refusal.isVisible(), 'the refusal of "KHO: Preserve Range..."', 10_000, 100);
          break;
        } catch (e) {
          if (attempt === 2) throw e;
          noteRetry('"KHO: Preserve Range..." in Restricted Mode', `no refusal shown: ${e.message}`);
        }
      }
      assert.equal(
        (await input.isVisible()) && !(await input.inputValue()).startsWith('>'),
        false,
        'the command asked for a range before refusing',
      );
      await refusal.waitFor({ timeout: 15_000 });
      const text = await refusal.innerText();
      assert.match(text, /not trusted/i, `the refusal does not give the reason: ${text}`);
      await screenshot(page, 'refused');
      assert.equal(await isDirty(), false, 'the tab turned dirty in Restricted Mode');
      assert.equal(await treeOrderCount(page, 0), decoded.counts['0'], 'the tree changed in Restricted Mode');
      assert.equal(sha256(path.join(ws.dir, IMAGE)), imageHash, 'the image on disk changed in Restricted Mode');
    }),
);
