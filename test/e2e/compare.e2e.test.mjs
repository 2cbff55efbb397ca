// End-to-end KHO compare: a real VS Code (code-server) with the packed .vsix, driven in headless
// Chromium. The sample (the sender's state) against a copy from which the CLI's `edit` removed the
// largest block (the receiver's): Explorer "Select for KHO Compare", then "Compare KHO State with
// Selected" opens the compare editor (map with the only-in-LEFT colour, legend), the KHO Compare
// view shows the counts the CLI's `diff` gives, and Problems has the missing range.
// Screenshots go to .work/e2e-artifacts/compare/.
//   node --test --test-concurrency=1 test/e2e/compare.e2e.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, WORK } from '../vscode/lib/codeServer.mjs';
import { prepareSampleWorkspace } from '../vscode/lib/workspace.mjs';
import { ensureVsix } from '../vscode/lib/vsix.mjs';
import { decodePairing, largestBlock, hex } from './lib/expected.mjs';
import {
  openWorkbench,
  useArtifactDir,
  screenshot,
  withFailureShot,
  explorerRow,
  contextMenuItem,
  showKhoContainer,
  treeRow,
  rowText,
  webview,
  until,
  runCommand,
  answerInputBox,
} from './lib/workbench.mjs';

const LEFT = 'sample.kho.json',
  RIGHT = 'after.kho.json';
const t0 = Date.now();
let wb, page, ws, removed, expected;
let reached = '';
const need = (step) => assert.equal(reached, step, `an earlier step failed (last reached: "${reached || 'none'}")`);

function cli(args) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return { code: r.status, json: r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/** Explorer context menu on `fileName` > the item `label`. */
async function explorerMenu(fileName, label) {
  await contextMenuItem(page, explorerRow(page, fileName), label);
}

/** Whether the compare map shows a pixel of the legend swatch whose label starts with `legendText`. */
function mapShowsSwatch(legendText) {
  return webview(page)
    .locator('canvas#memory-map')
    .evaluate((c, want) => {
      const sw = [...document.querySelectorAll('#map-legend .legend-item')]
        .find((i) => (i.textContent ?? '').startsWith(want))
        ?.querySelector('.swatch');
      const rgb = sw ? getComputedStyle(sw).backgroundColor.match(/\d+/g)?.slice(0, 3).join(',') : undefined;
      if (!rgb || !c.width || !c.height) return false;
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d');
      ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4)
        if (d[i + 3] === 255 && `${d[i]},${d[i + 1]},${d[i + 2]}` === rgb) return true;
      return false;
    }, legendText);
}

before(async () => {
  useArtifactDir('compare');
  ws = prepareSampleWorkspace(path.join(WORK, 'e2e-compare-workspace'));
  const p = JSON.parse(fs.readFileSync(ws.pairing, 'utf8'));
  removed = largestBlock(decodePairing(ws.pairing));
  // The receiver's state: the sample without its largest block, written by the project's CLI.
  const edit = cli([
    'edit',
    path.join(ws.dir, p.image),
    '--fdt',
    path.join(ws.dir, p.fdt),
    '--remove',
    `${hex(removed.phys)}:${removed.order}`,
    '-o',
    path.join(ws.dir, 'after.raw'),
    '--fdt-out',
    path.join(ws.dir, 'after.dtb'),
  ]);
  assert.equal(edit.code, 0, edit.stderr);
  fs.writeFileSync(path.join(ws.dir, RIGHT), JSON.stringify({ ...p, image: 'after.raw', fdt: 'after.dtb' }));
  const diff = cli(['diff', ws.pairing, path.join(ws.dir, RIGHT), '--summary']);
  assert.equal(diff.code, 1, diff.stderr);
  expected = diff.json;
  wb = await openWorkbench({ name: 'e2e-compare', workspace: ws.dir, vsix: ensureVsix(), waitForFile: RIGHT });
  page = wb.page;
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'final').catch(() => {});
  await wb?.close();
  console.log(`# compare e2e wall time (vsix install + start + tests): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test(
  'Explorer: Select for KHO Compare, then Compare KHO State with Selected opens the compare editor with its map',
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'open', async () => {
      await explorerMenu(LEFT, 'Select for KHO Compare');
      // The status bar says so once the context key that offers the second item is set.
      await page
        .locator('.part.statusbar')
        .getByText(`KHO: ${LEFT} selected as LEFT`)
        .first()
        .waitFor({ timeout: 30_000 });
      await explorerMenu(RIGHT, 'Compare KHO State with Selected');
      const tab = page.locator('.tabs-container .tab', { hasText: 'KHO Compare:' });
      await tab.waitFor({ timeout: 120_000 }).catch(async (e) => {
        const toasts = await page
          .locator('.notifications-toasts')
          .allInnerTexts()
          .catch(() => []);
        throw new Error(`${e.message}\nnotifications: ${toasts.join(' | ')}`);
      });
      assert.match(
        await tab.innerText(),
        new RegExp(`KHO Compare: ${LEFT.replace(/\./g, '\\.')} ↔ ${RIGHT.replace(/\./g, '\\.')}`),
      );
      await webview(page).getByText(`only in LEFT (${LEFT})`).waitFor({ timeout: 60_000 });
      await webview(page).getByText('preserved on both sides').first().waitFor();
      await until(() => mapShowsSwatch('only in LEFT'), 'the map to show pages only in LEFT', 30_000, 250);
      assert.equal(await mapShowsSwatch('only in RIGHT'), false, 'nothing is only in RIGHT');
      assert.ok(await mapShowsSwatch('preserved on both sides'), 'the common pages are drawn');
      await screenshot(page, 'compare-editor');
      reached = 'open';
    }),
);

test(
  'the KHO Compare view has the counts the CLI diff gives; Go to Physical Address names the side',
  { timeout: 120_000 },
  () =>
    withFailureShot(page, 'view', async () => {
      need('open');
      await showKhoContainer(page);
      const onlyLeft = treeRow(page, 'Only in LEFT');
      await onlyLeft.waitFor({ timeout: 30_000 });
      const n = expected.summary.onlyLeftBlocks;
      assert.match(await rowText(onlyLeft), new RegExp(`^Only in LEFT ${n} blocks? · `));
      assert.match(await rowText(treeRow(page, 'Only in RIGHT')), /^Only in RIGHT 0 blocks · 0 B of pages/);
      await runCommand(page, 'KHO: Go to Physical Address in Comparison...');
      await answerInputBox(page, hex(removed.phys));
      await page
        .locator('.notifications-toasts', {
          hasText: `${hex(removed.phys)} is preserved only in LEFT (missing in RIGHT)`,
        })
        .waitFor({ timeout: 30_000 });
      await webview(page)
        .getByText(`${hex(removed.phys)} is preserved only in LEFT`)
        .waitFor({ timeout: 30_000 });
      reached = 'view';
    }),
);

test(
  'Problems: the pages the sender preserved and the receiver misses, at the first page of the range',
  { timeout: 60_000 },
  () =>
    withFailureShot(page, 'problems', async () => {
      need('view');
      await runCommand(page, 'Focus on Problems View');
      const first = expected.ranges.onlyLeft[0].start;
      await page
        .locator('.markers-panel .monaco-list-row', {
          hasText: `${first}: preserved by the sender (LEFT) but missing in the receiver (RIGHT)`,
        })
        .first()
        .waitFor({ timeout: 30_000 });
      await screenshot(page, 'problems');
    }),
);
