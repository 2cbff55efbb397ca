// End-to-end editing: a real VS Code (code-server) with the packed .vsix, driven in headless
// Debian Chromium. On a copy of the bundled sample: "KHO: Preserve Range..." from F1 adds one
// free page, the tab turns dirty and the tree's order-0 count grows; Ctrl+Z / Ctrl+Y undo and
// redo it; Ctrl+S saves in place (the CLI then decodes the page from the file on disk and no
// journal is left); "Unpreserve" from the tree's context menu drops it again, left unsaved, and
// "File: Revert File" brings it back; with files.autoSave on, an edit reaches the disk by itself.
// Expected values come from the CLI. Screenshots go to .work/e2e-artifacts/edit/.
//   node --test --test-concurrency=1 test/e2e/edit.e2e.test.mjs
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
  treeRow,
  treeOrderCount,
  waitForOrder0Count,
  webview,
  until,
} from './lib/workbench.mjs';

const IMAGE = 'sample.raw';
const t0 = Date.now();
let wb, page, ws, before0, target;
// Each step needs the previous one's state: without it, fail at once rather than by timeout.
let reached = '';
const need = (step) => assert.equal(reached, step, `an earlier step failed (last reached: "${reached || 'none'}")`);

const activeTab = () => page.locator('.tabs-container .tab.active', { hasText: IMAGE });
const isDirty = async () => /\bdirty\b/.test((await activeTab().getAttribute('class')) ?? '');
const blocksOfOrder = (decoded, order) => decoded.counts[String(order)] ?? 0;
const preservesTarget = (decoded) => decoded.preserved.some((b) => BigInt(b.phys) === target && b.order === 0);
const journals = () => fs.readdirSync(ws.dir).filter((f) => f.endsWith('.kho-journal'));

/**
 * Presses a key in the KHO editor: a click on its tab hands focus to the webview's frame a moment
 * later; once it is there the key goes to the frame, which passes it on to the workbench's
 * keybindings (undo, redo, save act on the active editor).
 */
async function pressInEditor(key) {
  await activeTab().click();
  await until(
    () => page.evaluate(() => document.activeElement?.tagName === 'IFRAME'),
    "keyboard focus in the KHO editor's webview",
    10_000,
  );
  await page.keyboard.press(key);
}

before(async () => {
  useArtifactDir('edit');
  ws = prepareSampleWorkspace(path.join(WORK, 'e2e-edit-workspace'));
  const decoded = decodePairing(ws.pairing);
  before0 = blocksOfOrder(decoded, 0);
  // A free page inside RAM: no preserved range, tracker node page or client blob covers it.
  target = unpreservedAddress(decoded);
  assert.ok(!preservesTarget(decoded));
  wb = await openWorkbench({ name: 'e2e-edit', workspace: ws.dir, vsix: ensureVsix(), waitForFile: IMAGE });
  page = wb.page;
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'final').catch(() => {});
  await wb?.close();
  console.log(`# edit e2e wall time (vsix install + start + tests): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test(
  "open the copy of the sample in the KHO editor; the tree shows the CLI's order-0 count",
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'open', async () => {
      await openInKhoEditor(page, IMAGE);
      await activeTab().waitFor({ timeout: 30_000 });
      await webview(page).getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
      await showKhoContainer(page);
      await treeRow(page, 'Preserved by order').waitFor({ timeout: 30_000 });
      await waitForOrder0Count(page, before0, 'after opening');
      assert.equal(await isDirty(), false, 'a freshly opened dump is dirty');
      const status = await webview(page).locator('#kho-status').innerText();
      assert.doesNotMatch(
        status,
        /read-only/,
        `a writable dump in a trusted workspace says it is read-only: ${status}`,
      );
      await screenshot(page, 'opened');
      reached = 'open';
    }),
);

test('"KHO: Preserve Range..." from F1 adds the page: dirty tab, order-0 count + 1', { timeout: 60_000 }, () =>
  withFailureShot(page, 'preserve', async () => {
    need('open');
    console.log(`# preserving ${hex(target)} (order 0 had ${before0} blocks)`);
    await commandWithInput(page, 'KHO: Preserve Range...', hex(target));
    await waitForOrder0Count(page, before0 + 1, 'after Preserve Range');
    await until(isDirty, 'the dirty marker on the tab', 15_000, 100);
    await screenshot(page, 'preserved-dirty');
    reached = 'preserve';
  }),
);

test('Ctrl+Z undoes the edit and Ctrl+Y redoes it', { timeout: 60_000 }, () =>
  withFailureShot(page, 'undo-redo', async () => {
    need('preserve');
    await pressInEditor('Control+z');
    await waitForOrder0Count(page, before0, 'after Ctrl+Z');
    await until(async () => !(await isDirty()), 'the dirty marker to go after undoing the only edit', 15_000, 100);
    await screenshot(page, 'undone');
    await pressInEditor('Control+y');
    await waitForOrder0Count(page, before0 + 1, 'after Ctrl+Y');
    await until(isDirty, 'the dirty marker after redo', 15_000, 100);
    await screenshot(page, 'redone');
    reached = 'redo';
  }),
);

test('Ctrl+S saves in place: the CLI decodes the page from disk, no journal is left', { timeout: 60_000 }, () =>
  withFailureShot(page, 'save', async () => {
    need('redo');
    await pressInEditor('Control+s');
    await until(async () => !(await isDirty()), 'the dirty marker to go after Ctrl+S', 30_000, 100);
    const onDisk = await until(
      () => {
        const d = decodePairing(ws.pairing);
        return preservesTarget(d) && d;
      },
      `the CLI to decode ${hex(target)} (order 0) from the saved ${IMAGE}`,
      15_000,
      250,
    );
    assert.equal(blocksOfOrder(onDisk, 0), before0 + 1, 'order-0 blocks on disk after the save');
    assert.deepEqual(
      onDisk.diagnostics.filter((d) => d.severity === 'error'),
      [],
      'the saved dump decodes with errors',
    );
    assert.deepEqual(journals(), [], 'a journal was left beside the image');
    await waitForOrder0Count(page, before0 + 1, 'after the save');
    await screenshot(page, 'saved');
    reached = 'save';
  }),
);

test(
  '"Unpreserve" from the tree\'s context menu drops the block (unsaved: the file keeps it)',
  { timeout: 90_000 },
  () =>
    withFailureShot(page, 'unpreserve', async () => {
      need('save');
      // Go to the page: the tree reveals and selects its block row (whatever bucket it is in).
      await commandWithInput(page, 'KHO: Go to Physical Address...', hex(target));
      const row = page
        .locator('.part.sidebar .monaco-list-row.selected')
        .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${hex(target)}\\s*$`) }) })
        .first();
      await row.waitFor({ timeout: 30_000 });
      await row.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-label', { hasText: /^(KHO: )?Unpreserve$/ }).first();
      await item.waitFor({ timeout: 15_000 });
      await screenshot(page, 'context-menu');
      await item.click();
      await waitForOrder0Count(page, before0, 'after Unpreserve');
      await until(isDirty, 'the dirty marker after Unpreserve', 15_000, 100);
      await screenshot(page, 'unpreserved');
      // Leave the edit unsaved (the browser closes without saving): the file keeps the saved page.
      assert.ok(preservesTarget(decodePairing(ws.pairing)), 'the unsaved Unpreserve reached the file on disk');
      assert.deepEqual(journals(), [], 'a journal was left beside the image');
      reached = 'unpreserve';
    }),
);

test(
  '"File: Revert File" discards the unsaved Unpreserve: clean tab, the tree shows the saved block again',
  { timeout: 60_000 },
  () =>
    withFailureShot(page, 'revert', async () => {
      need('unpreserve');
      await runCommand(page, 'File: Revert File');
      await waitForOrder0Count(page, before0 + 1, 'after Revert File');
      await until(async () => !(await isDirty()), 'the dirty marker to go after Revert File', 15_000, 100);
      assert.ok(preservesTarget(decodePairing(ws.pairing)), 'Revert File changed the file on disk');
      assert.deepEqual(journals(), [], 'a journal was left beside the image');
      await screenshot(page, 'reverted');
      reached = 'revert';
    }),
);

test(
  'with files.autoSave "afterDelay" (the web default) an edit reaches the disk through the journal by itself',
  { timeout: 90_000 },
  () =>
    withFailureShot(page, 'autosave', async () => {
      need('revert');
      const second = unpreservedAddress(decodePairing(ws.pairing), [target]);
      // The profile has files.autoSave "off"; the menu's toggle sets it to "afterDelay" (1 s).
      await runCommand(page, 'File: Toggle Auto Save');
      const settingsFile = path.join(wb.profile.userData, 'User', 'settings.json');
      // On the web "afterDelay" is the default, so VS Code writes it by dropping the key.
      await until(
        () => !/"files\.autoSave":\s*"off"/.test(fs.readFileSync(settingsFile, 'utf8')),
        'the toggle to turn files.autoSave on',
        15_000,
        100,
      );
      await commandWithInput(page, 'KHO: Preserve Range...', hex(second));
      await waitForOrder0Count(page, before0 + 2, 'after Preserve Range with auto save');
      const onDisk = await until(
        () => {
          const d = decodePairing(ws.pairing);
          return d.preserved.some((b) => BigInt(b.phys) === second) && d;
        },
        `auto save to write ${hex(second)} to ${IMAGE}`,
        30_000,
        250,
      );
      assert.equal(blocksOfOrder(onDisk, 0), before0 + 2, 'order-0 blocks on disk after the auto save');
      await until(async () => !(await isDirty()), 'the dirty marker to go after the auto save', 15_000, 100);
      assert.deepEqual(journals(), [], 'a journal was left beside the image');
      await screenshot(page, 'autosaved');
      reached = 'autosave';
    }),
);

test(
  'the map\'s context menu: right-click a preserved block > "Unpreserve" drops it; Shift+F10 on the freed page offers "Preserve Range..." with that page; Delete unpreserves it again',
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'map-menu', async () => {
      assert.ok(reached, 'the dump did not open in the KHO editor');
      const { mapCellPoint, zoomMapToPages, menuItem, menuLabels, mapCanvas, goToAddressInMap } =
        await import('./lib/mapMenu.mjs');
      const decoded = decodePairing(ws.pairing);
      const pageSize = decoded.tracker.pageSize;
      // An order-0 block that is not a client blob's page (the map draws those as blobs).
      const blobs = (decoded.fdt?.subnodes ?? [])
        .filter((c) => c.preservedData)
        .map((c) => [
          BigInt(c.preservedData),
          BigInt(c.preservedData) + BigInt(c.blobSize ?? pageSize) + BigInt(pageSize),
        ]);
      const block = decoded.preserved
        .map((b) => ({ phys: BigInt(b.phys), order: b.order }))
        .find((b) => b.order === 0 && !blobs.some(([s, e]) => b.phys >= s && b.phys < e));
      assert.ok(block, 'the sample has an order-0 block outside the client blobs');
      await showKhoContainer(page);
      const count0 = await until(() => treeOrderCount(page, 0), 'the tree\'s "Order 0" row');
      // Page-sized cells, then Go to Address puts the block on screen (highlighted, under the keyboard cursor).
      await zoomMapToPages(page, pageSize);
      await goToAddressInMap(page, block.phys);
      const at = await mapCellPoint(page, block.phys);
      await page.mouse.click(at.x, at.y, { button: 'right' });
      const labels = await menuLabels(page);
      assert.ok(
        labels.includes('Unpreserve') && !labels.includes('Preserve Range...'),
        `menu on a preserved cell: ${labels.join(' | ')}`,
      );
      await screenshot(page, 'map-menu-preserved');
      await menuItem(page, 'Unpreserve').click();
      await until(
        async () => (await treeOrderCount(page, 0)) === count0 - 1,
        `the tree's "Order 0" row to drop to ${count0 - 1} after Unpreserve from the map`,
        30_000,
        200,
      );
      // The keyboard: the right-click put the cursor on the cell; Shift+F10 opens the menu there.
      await mapCanvas(page).focus();
      await page.keyboard.press('Shift+F10');
      const freed = await menuLabels(page);
      assert.ok(
        freed.includes('Preserve Range...') && !freed.includes('Unpreserve'),
        `menu on the freed cell: ${freed.join(' | ')}`,
      );
      await screenshot(page, 'map-menu-free');
      await menuItem(page, 'Preserve Range...').click();
      const input = page.locator('.quick-input-widget input');
      const range = `${hex(block.phys)}-${hex(block.phys + BigInt(pageSize))}`;
      await until(
        async () => (await input.isVisible()) && (await input.inputValue()) === range,
        `the input box to offer ${range}`,
        15_000,
      );
      await page.keyboard.press('Enter');
      await until(
        async () => (await treeOrderCount(page, 0)) === count0,
        `the tree's "Order 0" row back at ${count0} after Preserve Range from the map`,
        30_000,
        200,
      );
      // Delete on the cursor cell unpreserves it without the menu.
      await mapCanvas(page).focus();
      await page.keyboard.press('Delete');
      await until(
        async () => (await treeOrderCount(page, 0)) === count0 - 1,
        `the tree's "Order 0" row to drop to ${count0 - 1} after Delete on the map`,
        30_000,
        200,
      );
      await screenshot(page, 'map-menu-done');
    }),
);
