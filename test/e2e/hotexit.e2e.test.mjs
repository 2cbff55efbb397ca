// End-to-end hot exit: a real VS Code (code-server) with the packed .vsix, driven in headless
// Debian Chromium. An unsaved edit ("KHO: Preserve Range..." on a copy of the sample) survives a
// reload of the window: VS Code backs the custom document up (backupCustomDocument), and the
// reopened editor replays the backup, dirty, with the edit in the tree, while the file on disk
// never had it. "File: Revert File" then drops it. When VS Code does not hand the backup over (the
// tab comes back without it, or no tab comes back after a crash), opening the dump offers the
// backup (Restore / Discard); a backup over an image that changed since is refused and kept until
// discarded. Screenshots go to .work/e2e-artifacts/hotexit/.
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
  openWorkbench,
  useArtifactDir,
  screenshot,
  withFailureShot,
  openInKhoEditor,
  runCommand,
  commandWithInput,
  showKhoContainer,
  waitForOrder0Count,
  webview,
  until,
  editorStateHas,
  crashAndReopen,
  answerNotification,
  notification,
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
const onDiskHasTarget = () =>
  decodePairing(ws.pairing).preserved.some((b) => BigInt(b.phys) === target && b.order === 0);

/** Extension host processes the server launched so far (a reload starts a new one). */
function extensionHostsLaunched() {
  const logs = path.join(wb.profile.userData, 'logs');
  return fs
    .readdirSync(logs)
    .map((d) => path.join(logs, d, 'remoteagent.log'))
    .filter((f) => fs.existsSync(f))
    .reduce((n, f) => n + (fs.readFileSync(f, 'utf8').match(/Launched Extension Host Process/g) ?? []).length, 0);
}

/** VS Code's own records of the custom editors' backups (User/Backups/<workspace>/vscode-custom-editor/*). */
function workbenchBackupRecords() {
  const root = path.join(wb.profile.userData, 'User', 'Backups');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((w) => path.join(root, w, 'vscode-custom-editor'))
    .filter((d) => fs.existsSync(d))
    .flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)));
}

/**
 * Waits until VS Code has backed the dirty editor up after `since` (ms): it does so a moment
 * after each change; a reload before that loses the change (on the web there is no last backup
 * at unload).
 */
async function backedUpSince(since) {
  await until(
    () =>
      workbenchBackupRecords().some((f) => {
        try {
          return fs.statSync(f).mtimeMs >= since;
        } catch {
          return false;
        }
      }),
    'VS Code to back the dirty editor up',
    30_000,
    100,
  );
}

/** The extension's own index of backups (backups.json in its workspace storage): document path -> entry. */
function indexedBackups() {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name === 'backups.json') found.push(f);
    }
  };
  walk(path.join(wb.profile.userData, 'User'));
  return Object.assign(
    {},
    ...found.map((f) => {
      try {
        return JSON.parse(fs.readFileSync(f, 'utf8'))['khoInspector.backups'] ?? {};
      } catch {
        return {};
      }
    }),
  );
}
const imagePath = () => path.join(ws.dir, IMAGE);
const indexedForImage = () => Object.values(indexedBackups()).find((e) => e.image === imagePath());

/** An unsaved Preserve Range of `target`, backed up by VS Code and listed in the extension's index. */
async function unsavedEdit() {
  const since = Date.now() - 1_000;
  await commandWithInput(page, 'KHO: Preserve Range...', hex(target));
  await waitForOrder0Count(page, before0 + 1, 'after Preserve Range', 60_000);
  await until(isDirty, 'the dirty marker on the tab', 15_000, 100);
  await backedUpSince(since);
  await until(() => indexedForImage(), 'the extension to index the backup', 15_000, 100);
}

/** A crash with VS Code's backup records deleted and no tab restored: only the extension's index is left. */
async function crashForgettingEverything() {
  for (const f of workbenchBackupRecords()) fs.rmSync(f, { force: true });
  page = await crashAndReopen(wb, { forgetEditors: true, waitForFile: IMAGE });
  page.on('dialog', (d) => d.accept().catch(() => {}));
  assert.equal(
    await page.locator('.tabs-container .tab', { hasText: IMAGE }).count(),
    0,
    'a tab of the dump came back',
  );
}

const RESTORED = /restored 1 unsaved edit of sample\.raw from .* from a backup/;

/** Reloads the page and waits for the restored KHO editor and the KHO view. */
async function reloadWindow() {
  // The tabs come back from the workbench's stored editor state: wait until it lists the dump.
  await until(() => editorStateHas(page, IMAGE), `the workbench to store its editor state with ${IMAGE}`, 30_000, 250);
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
  }),
);

test(
  'after a reload of the window the editor comes back dirty with the edit (hot exit backup)',
  { timeout: 180_000 },
  () =>
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
    }),
);

test('"File: Revert File" drops the restored edit: clean tab, the CLI\'s count', { timeout: 60_000 }, () =>
  withFailureShot(page, 'revert', async () => {
    need('reload');
    await runCommand(page, 'File: Revert File');
    await waitForOrder0Count(page, before0, 'after Revert File', 60_000);
    await until(async () => !(await isDirty()), 'the dirty marker to go after Revert File', 15_000, 100);
    assert.equal(onDiskHasTarget(), false);
    reached = 'revert';
  }),
);

test(
  "when VS Code restores the tab without its backup, the edit comes back from the extension's index",
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'fallback', async () => {
      need('revert');
      await unsavedEdit();
      // Delete VS Code's backup record: after the reload VS Code reopens the tab from its editor
      // state with no backup id (what a CI run saw happen by itself under load).
      for (const f of workbenchBackupRecords()) fs.rmSync(f, { force: true });
      await reloadWindow();
      await waitForOrder0Count(page, before0 + 1, 'after the restore', 60_000);
      await until(isDirty, 'the dirty marker after Restore', 15_000, 100);
      assert.equal(onDiskHasTarget(), false, 'the restore saved the edit to the file');
      await screenshot(page, 'fallback-restored');
      await runCommand(page, 'File: Revert File');
      await waitForOrder0Count(page, before0, 'after Revert File', 60_000);
      await until(async () => !(await isDirty()), 'the dirty marker to go after Revert File', 15_000, 100);
      reached = 'fallback';
    }),
);

test(
  'after a crash that restores no tab, opening the dump again restores the backup and offers to discard it',
  { timeout: 240_000 },
  () =>
    withFailureShot(page, 'crash', async () => {
      need('fallback');
      await unsavedEdit();
      await crashForgettingEverything();
      assert.ok(indexedForImage(), "the crash lost the extension's index entry");
      await openInKhoEditor(page, IMAGE);
      await webview(page).getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
      await showKhoContainer(page);
      await notification(page, RESTORED).waitFor({ timeout: 60_000 });
      await waitForOrder0Count(page, before0 + 1, 'the restored backup', 60_000);
      await until(isDirty, 'the dirty marker after the restore', 15_000, 100);
      assert.equal(onDiskHasTarget(), false, 'the restore saved the edit to the file');
      await screenshot(page, 'crash-restored');
      await answerNotification(page, RESTORED, 'Discard Edits');
      await waitForOrder0Count(page, before0, 'after Discard Edits', 60_000);
      await until(async () => !(await isDirty()), 'the dirty marker to go after Discard Edits', 15_000, 100);
      // Nothing is offered any more: the clean tab has no indexed backup left.
      await until(() => !indexedForImage(), 'the index to drop the discarded backup', 15_000, 100);
      reached = 'crash';
    }),
);

test('a backup over an image changed on disk since is refused, kept until "Discard Backup"', { timeout: 240_000 }, () =>
  withFailureShot(page, 'image-changed', async () => {
    need('crash');
    await unsavedEdit();
    await crashForgettingEverything();
    const entry = indexedForImage();
    assert.ok(entry, "the crash lost the extension's index entry");
    const later = new Date(Date.now() + 120_000);
    fs.utimesSync(imagePath(), later, later);
    const refused = /changed on disk since; they are not restored/;
    for (let opening = 1; opening <= 2; opening++) {
      await openInKhoEditor(page, IMAGE);
      await webview(page).getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
      await showKhoContainer(page);
      await notification(page, refused).waitFor({ timeout: 60_000 });
      await waitForOrder0Count(page, before0, 'the refused backup', 60_000);
      assert.equal(await isDirty(), false, 'a refused backup made the tab dirty');
      if (opening === 1) {
        // Dismissed: still indexed, and offered again on the next opening.
        const toast = notification(page, refused);
        await toast.hover();
        await toast.locator('.codicon-notifications-clear').first().click();
        await toast.waitFor({ state: 'hidden', timeout: 15_000 });
        assert.ok(indexedForImage(), 'a refused backup was dropped without the user discarding it');
        await runCommand(page, 'View: Close Editor');
        await page.locator('.tabs-container .tab', { hasText: IMAGE }).waitFor({ state: 'detached', timeout: 15_000 });
      }
    }
    await screenshot(page, 'image-changed');
    await answerNotification(page, refused, 'Discard Backup');
    await until(() => !indexedForImage(), 'the index to drop the discarded backup', 15_000, 100);
    assert.equal(
      fs.existsSync(decodeURIComponent(new URL(entry.backup).pathname)),
      false,
      'the discarded backup file is still there',
    );
  }),
);
