// End-to-end hot exit: a real VS Code (code-server) with the packed .vsix, driven in headless
// Debian Chromium. An unsaved edit ("KHO: Preserve Range..." on a copy of the sample) survives a
// reload of the window: VS Code backs the custom document up (backupCustomDocument), and the
// reopened editor replays the backup, dirty, with the edit in the tree, while the file on disk
// never had it. "File: Revert File" then drops it. Screenshots go to .work/e2e-artifacts/hotexit/.
//   node --test --test-concurrency=1 test/e2e/hotexit.e2e.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WORK } from '../vscode/lib/codeServer.mjs';
import { prepareSampleWorkspace } from '../vscode/lib/workspace.mjs';
import { ensureVsix } from '../vscode/lib/vsix.mjs';
import { decodePairing, unpreservedAddress, hex } from './lib/expected.mjs';
import {
  openWorkbench, useArtifactDir, screenshot, withFailureShot, openInKhoEditor, runCommand, commandWithInput,
  showKhoContainer, waitForOrder0Count, webview, until,
} from './lib/workbench.mjs';

const IMAGE = 'sample.raw';
const t0 = Date.now();
let wb, page, ws, before0, target;
/** When the last edit was made (ms): a backup must be newer than this. */
let editedAt = 0;
let reached = '';
const need = (step) => assert.equal(reached, step, `an earlier step failed (last reached: "${reached || 'none'}")`);

const activeTab = () => page.locator('.tabs-container .tab.active', { hasText: IMAGE });
const isDirty = async () => /\bdirty\b/.test((await activeTab().getAttribute('class')) ?? '');
const onDiskHasTarget = () => decodePairing(ws.pairing).preserved.some((b) => BigInt(b.phys) === target && b.order === 0);

/** Extension host processes the server launched so far (a reload starts a new one). */
function extensionHostsLaunched() {
  const logs = path.join(wb.profile.userData, 'logs');
  return fs.readdirSync(logs).map((d) => path.join(logs, d, 'remoteagent.log')).filter((f) => fs.existsSync(f))
    .reduce((n, f) => n + (fs.readFileSync(f, 'utf8').match(/Launched Extension Host Process/g) ?? []).length, 0);
}

/** VS Code's own records of the custom editors' backups (User/Backups/<workspace>/vscode-custom-editor/*). */
function workbenchBackupRecords() {
  const root = path.join(wb.profile.userData, 'User', 'Backups');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).map((w) => path.join(root, w, 'vscode-custom-editor')).filter((d) => fs.existsSync(d))
    .flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)));
}

/**
 * Waits until VS Code has backed the dirty editor up after `since` (ms): it does so a moment
 * after each change; a reload before that loses the change (on the web there is no last backup
 * at unload).
 */
async function backedUpSince(since) {
  await until(() => workbenchBackupRecords().some((f) => { try { return fs.statSync(f).mtimeMs >= since; } catch { return false; } }),
    'VS Code to back the dirty editor up', 30_000, 100);
}

/** Reloads the page and waits for the restored KHO editor and the KHO view. */
async function reloadWindow() {
  await page.reload();
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The sidebar comes back as it was (the KHO view), so wait for the editor, not the explorer.
  await activeTab().waitFor({ timeout: 60_000 });
  await webview(page).getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
  await showKhoContainer(page);
}



before(async () => {
  useArtifactDir('hotexit');
  ws = prepareSampleWorkspace(path.join(WORK, 'e2e-hotexit-workspace'));
  const decoded = decodePairing(ws.pairing);
  before0 = decoded.counts['0'];
  target = unpreservedAddress(decoded);
  wb = await openWorkbench({ name: 'e2e-hotexit', workspace: ws.dir, vsix: ensureVsix(), waitForFile: IMAGE });
  page = wb.page;
  // A dirty workbench asks before unloading; accept, as a user confirming the reload would.
  page.on('dialog', (d) => d.accept().catch(() => {}));
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'final').catch(() => {});
  await wb?.close();
  console.log(`# hot exit e2e wall time (vsix install + start + tests): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('an unsaved Preserve Range makes the tab dirty; the file on disk does not have it', { timeout: 180_000 }, () =>
  withFailureShot(page, 'edit', async () => {
    await openInKhoEditor(page, IMAGE);
    await activeTab().waitFor({ timeout: 30_000 });
    await webview(page).getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
    await showKhoContainer(page);
    await waitForOrder0Count(page, before0, 'after opening', 60_000);
    editedAt = Date.now() - 1_000;
    await commandWithInput(page, 'KHO: Preserve Range...', hex(target));
    await waitForOrder0Count(page, before0 + 1, 'after Preserve Range', 60_000);
    await until(isDirty, 'the dirty marker on the tab', 15_000, 100);
    assert.equal(onDiskHasTarget(), false, 'the unsaved edit reached the file');
    reached = 'edit';
  }));

test('after a reload of the window the editor comes back dirty with the edit (hot exit backup)', { timeout: 180_000 }, () =>
  withFailureShot(page, 'reload', async () => {
    need('edit');
    await backedUpSince(editedAt);
    const hostsBefore = extensionHostsLaunched();
    await reloadWindow();
    await waitForOrder0Count(page, before0 + 1, 'after the reload', 60_000);
    await until(isDirty, 'the dirty marker after the reload', 15_000, 100);
    assert.equal(onDiskHasTarget(), false, 'the reload saved the edit to the file');
    // A new extension host (and worker) decoded the file again: the edit came from the backup.
    assert.ok(extensionHostsLaunched() > hostsBefore, 'the reload did not start a new extension host');
    await screenshot(page, 'restored');
    reached = 'reload';
  }));

test('"File: Revert File" drops the restored edit: clean tab, the CLI\'s count', { timeout: 60_000 }, () =>
  withFailureShot(page, 'revert', async () => {
    need('reload');
    await runCommand(page, 'File: Revert File');
    await waitForOrder0Count(page, before0, 'after Revert File', 60_000);
    await until(async () => !(await isDirty()), 'the dirty marker to go after Revert File', 15_000, 100);
    assert.equal(onDiskHasTarget(), false);
    reached = 'revert';
  }));

test('when VS Code restores the tab without its backup, the editor finds the backup itself', { timeout: 180_000 }, () =>
  withFailureShot(page, 'fallback', async () => {
    need('revert');
    const since = Date.now() - 1_000;
    await commandWithInput(page, 'KHO: Preserve Range...', hex(target));
    await waitForOrder0Count(page, before0 + 1, 'after Preserve Range', 60_000);
    await until(isDirty, 'the dirty marker on the tab', 15_000, 100);
    // Wait for VS Code's backup record, then delete it: after the reload VS Code reopens the tab
    // from its editor state with no backup id (what a CI run saw happen by itself under load).
    await backedUpSince(since);
    for (const f of workbenchBackupRecords()) fs.rmSync(f, { force: true });
    await reloadWindow();
    await waitForOrder0Count(page, before0 + 1, 'after the reload without VS Code\'s backup record', 60_000);
    await until(isDirty, 'the dirty marker after the reload', 15_000, 100);
    assert.equal(onDiskHasTarget(), false, 'the reload saved the edit to the file');
    await screenshot(page, 'fallback-restored');
    await runCommand(page, 'File: Revert File');
    await waitForOrder0Count(page, before0, 'after Revert File', 60_000);
    await until(async () => !(await isDirty()), 'the dirty marker to go after Revert File', 15_000, 100);
  }));
