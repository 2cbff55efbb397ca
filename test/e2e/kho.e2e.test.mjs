// End-to-end: a real VS Code (code-server) with the packed .vsix, driven in headless Debian
// Chromium with playwright-core. Opens the bundled sample with "Open With...", reads the
// webview, checks the memory map is drawn, walks the KHO tree and runs "KHO: Go to Physical
// Address..." from the command palette. Screenshots go to .work/e2e-artifacts/.
//   node --test --test-concurrency=1 test/e2e/kho.e2e.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WORK } from '../vscode/lib/codeServer.mjs';
import { prepareSampleWorkspace } from '../vscode/lib/workspace.mjs';
import { ensureVsix } from '../vscode/lib/vsix.mjs';
import { decodePairing, largestBlock, unpreservedAddress, hex } from './lib/expected.mjs';
import {
  openInKhoEditor,
  openPalette,
  quickInputFocused,
  waitForOrder0Count,
  openWorkbench,
  useArtifactDir,
  screenshot,
  withFailureShot,
  openWithChoices,
  runCommand,
  answerInputBox,
  showKhoContainer,
  sidebarRows,
  treeRow,
  expandRow,
  childRows,
  childRowTexts,
  rowText,
  webview,
  canvasInk,
  hexNumbers,
  until,
} from './lib/workbench.mjs';

const TOP_LEVEL = ['FDT', 'Preserved by order', 'Preserved ranges', 'Tracker nodes', 'Problems'];
const CSP_PROBE = 'https://csp-probe.invalid/probe.png';
const t0 = Date.now();
const mark = (what) => {
  if (process.env.KHO_DEBUG) console.log(`# [${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);
};
let wb, page, ws, decoded;
// The later tests need the editor the first one opens: without it they fail at once, not by timeout.
let editorOpen = false;
const needEditor = () => assert.ok(editorOpen, 'the KHO editor did not open (see the first test)');

before(async () => {
  useArtifactDir('kho');
  ws = prepareSampleWorkspace(path.join(WORK, 'e2e-workspace'));
  decoded = decodePairing(ws.pairing);
  const vsix = ensureVsix();
  wb = await openWorkbench({ name: 'e2e', workspace: ws.dir, vsix, waitForFile: 'sample.raw' });
  page = wb.page;
  mark('workbench ready');
});

after(async () => {
  if (page && !page.isClosed()) await screenshot(page, 'final').catch(() => {});
  await wb?.close();
  console.log(`# e2e wall time (vsix install + start + tests): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('"Open With..." > KHO Inspector on sample.raw shows the summary in the webview', { timeout: 180_000 }, () =>
  withFailureShot(page, 'open-with', async () => {
    mark('open with');
    const offered = await openWithChoices(page, 'sample.raw');
    assert.ok(
      offered.some((t) => t.startsWith('KHO Inspector')),
      `"Open With..." offers: ${offered.join(' | ')}`,
    );
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'KHO Inspector' }).first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'sample.raw' }).waitFor({ timeout: 30_000 });
    mark('tab active');
    const view = webview(page);
    await view.getByText('KHO Inspector').first().waitFor({ timeout: 120_000 });
    mark('webview title');
    await view.getByText(decoded.fdt.compatible).first().waitFor({ timeout: 60_000 });
    mark('webview ABI');
    const text = await view.locator('body').innerText();
    assert.match(text, /KHO Inspector/);
    assert.match(
      text,
      new RegExp(`\\b${decoded.fdt.compatible}\\b`),
      `ABI ${decoded.fdt.compatible} not in the summary:\n${text}`,
    );

    // From now on, record CSP violations inside the webview document. A probe (a remote image,
    // which a strict CSP must refuse) proves the listener is live.
    await view.locator('body').evaluate((body, probe) => {
      window.__khoCsp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__khoCsp.push({
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          source: e.sourceFile,
          line: e.lineNumber,
        });
      });
      const img = document.createElement('img');
      img.src = probe;
      img.style.display = 'none';
      body.append(img);
    }, CSP_PROBE);
    const probed = await until(
      () => view.locator('body').evaluate(() => window.__khoCsp.length > 0 && window.__khoCsp),
      'the CSP probe to be refused (is the webview CSP missing or allowing remote images?)',
      10_000,
    );
    mark('csp probe');
    assert.ok(
      probed.some((v) => v.blocked.startsWith('https://csp-probe.invalid')),
      JSON.stringify(probed),
    );
    await view.locator('body').evaluate(() => {
      window.__khoCsp = window.__khoCsp.filter((v) => !v.blocked.includes('csp-probe.invalid'));
    });
    await screenshot(page, 'custom-editor');
    editorOpen = true;
  }),
);

test('the memory map canvas is drawn', { timeout: 60_000 }, () =>
  withFailureShot(page, 'memory-map', async () => {
    needEditor();
    const view = webview(page);
    await view.locator('canvas#memory-map').waitFor({ timeout: 30_000 });
    const ink = await until(
      async () => {
        const r = await canvasInk(page);
        return r.inked > 0 && r.colours >= 2 && r;
      },
      '<canvas id="memory-map"> to show at least two colours',
      30_000,
    );
    assert.ok(ink.width > 0 && ink.height > 0);
    console.log(`# memory map ${ink.width}x${ink.height}: ${ink.inked} inked pixels, ${ink.colours}+ colours`);
    await screenshot(page, 'memory-map');
  }),
);

test('the KHO view container shows the tree; groups expand', { timeout: 60_000 }, () =>
  withFailureShot(page, 'tree', async () => {
    needEditor();
    await showKhoContainer(page);
    for (const label of TOP_LEVEL) await treeRow(page, label).waitFor({ timeout: 30_000 });

    const byOrder = treeRow(page, 'Preserved by order');
    await expandRow(byOrder);
    const orders = Object.keys(decoded.counts);
    const groups = await until(
      async () => {
        const c = await childRows(byOrder);
        return c.length >= orders.length && c;
      },
      `${orders.length} order groups under "Preserved by order"`,
      15_000,
    );
    assert.equal(groups.length, orders.length, `order groups: ${JSON.stringify(groups)}`);
    // One group per order, labelled with the order, showing the engine's block count.
    const numbers = (t) => [...t.replace(/(\d),(?=\d{3})/g, '$1').matchAll(/\d+/g)].map((m) => Number(m[0]));
    for (const o of orders) {
      const g = groups.find((x) => numbers(x.label).includes(Number(o)));
      assert.ok(g, `no group labelled with order ${o}: ${JSON.stringify(groups)}`);
      assert.ok(
        numbers(g.description + ' ' + g.label).includes(decoded.counts[o]),
        `group "${g.text}" does not show the ${decoded.counts[o]} blocks of order ${o}`,
      );
    }

    const fdt = treeRow(page, 'FDT');
    await expandRow(fdt);
    const fdtChildren = await until(
      async () => {
        const c = await childRowTexts(fdt);
        return c.length > 0 && c;
      },
      'FDT children',
      15_000,
    );
    const names = decoded.fdt.subnodes.map((s) => s.name);
    const allText = async () => (await sidebarRows(page).allInnerTexts()).join('\n');
    if (!names.every((n) => fdtChildren.some((c) => c.includes(n)))) {
      // Subnodes may sit one level down (e.g. under "subnodes"): open FDT's collapsed children.
      for (const row of await sidebarRows(page)
        .filter({ has: page.locator('[aria-expanded="false"]') })
        .all()) {
        if ((await row.getAttribute('aria-level')) === '2') await expandRow(row).catch(() => {});
      }
    }
    const text = await allText();
    for (const n of names) assert.ok(text.includes(n), `FDT subnode ${n} not shown:\n${text}`);
    await screenshot(page, 'tree');
  }),
);

test('"KHO: Go to Physical Address..." from the command palette reveals the block', { timeout: 60_000 }, () =>
  withFailureShot(page, 'go-to-address', async () => {
    needEditor();
    const block = largestBlock(decoded);
    const target = block.order > 0 ? block.phys + block.size / 2n : block.phys;
    // Ranges coalesce neighbours: the answer may name the block or the range holding it.
    const range = decoded.ranges
      .map((r) => [BigInt(r.start), BigInt(r.end)])
      .find(([s, e]) => target >= s && target < e);
    assert.ok(range, `the CLI puts ${hex(target)} in no range`);
    const accepted = new Set([block.phys, range[0]]);
    await runCommand(page, 'KHO: Go to Physical Address...');
    await answerInputBox(page, hex(target));
    const answer = await until(
      async () => {
        for (const row of await page.locator('.part.sidebar .monaco-list-row.selected').all()) {
          const t = await rowText(row);
          if (hexNumbers(t).some((n) => accepted.has(n))) return `tree selection: ${t}`;
        }
        for (const toast of await page
          .locator('.notifications-toasts .notification-list-item, .part.statusbar .statusbar-item')
          .all()) {
          const t = await toast.innerText();
          if (!/not preserved/i.test(t) && hexNumbers(t).some((n) => accepted.has(n) || n === target))
            return `message: ${t}`;
        }
        return false;
      },
      `the tree to select ${hex(block.phys)} (order ${block.order}) or a message about it`,
      30_000,
    );
    console.log(`# go to ${hex(target)} -> ${answer.replace(/\s+/g, ' ')}`);
    await screenshot(page, 'go-to-address');
  }),
);

test('"KHO: Go to Physical Address..." says when an address is not preserved', { timeout: 60_000 }, () =>
  withFailureShot(page, 'go-to-unpreserved', async () => {
    needEditor();
    const addr = unpreservedAddress(decoded);
    await runCommand(page, 'KHO: Go to Physical Address...');
    await answerInputBox(page, hex(addr));
    const msg = page
      .locator(
        '.notifications-toasts .notification-list-item, .quick-input-widget:visible .quick-input-message, .part.statusbar',
      )
      .filter({ hasText: /not preserved/i })
      .first();
    await msg.waitFor({ timeout: 30_000 });
    console.log(`# go to ${hex(addr)} -> ${(await msg.innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
    await page
      .locator('.notification-toast.notification-fade-in-done')
      .first()
      .waitFor({ timeout: 5_000 })
      .catch(() => {});
    await screenshot(page, 'go-to-unpreserved');
    await page.keyboard.press('Escape');
  }),
);

test('the webview raised no Content Security Policy violation', { timeout: 30_000 }, () =>
  withFailureShot(page, 'csp', async () => {
    needEditor();
    const inFrame = await webview(page)
      .locator('body')
      .evaluate(() => window.__khoCsp ?? null);
    assert.ok(Array.isArray(inFrame), 'the CSP listener is gone (the webview was reloaded?)');
    assert.deepEqual(inFrame, [], `securitypolicyviolation events: ${JSON.stringify(inFrame)}`);
    const onConsole = wb.log.csp.filter((m) => !m.includes('csp-probe.invalid'));
    assert.deepEqual(onConsole, [], 'CSP violations on the console');
  }),
);

test(
  "typing in the command palette survives a decode, a re-pairing and an edit's re-render behind it",
  { timeout: 180_000 },
  () =>
    withFailureShot(page, 'palette-under-work', async () => {
      needEditor();
      // A *.kho.json open in the editor re-pairs and decodes again when its text changes on disk.
      const name = path.basename(ws.pairing);
      await openInKhoEditor(page, name);
      const view = webview(page);
      const fromFile = view.getByText(/file sample\.dtb/).first();
      const fromImage = view.getByText(/in the image at 0x/).first();
      await fromFile.waitFor({ timeout: 120_000 });
      await showKhoContainer(page);
      await waitForOrder0Count(page, decoded.counts['0'], 'the *.kho.json opened', 60_000);
      const original = fs.readFileSync(ws.pairing, 'utf8');
      const total = Object.values(decoded.counts).reduce((a, b) => a + b, 0);
      const stillTyping = async (typed, what) => {
        assert.ok(await quickInputFocused(input), `the palette lost focus or closed during ${what}`);
        assert.equal(await input.inputValue(), '>' + typed, `the palette's text changed during ${what}`);
      };
      const input = await openPalette(page);
      let typed = 'KHO';
      await page.keyboard.type(typed, { delay: 20 });
      // Re-pairing: find the FDT in the image instead; the decode and re-render run while typing.
      fs.writeFileSync(ws.pairing, JSON.stringify({ ...JSON.parse(original), fdt: null }));
      await page.keyboard.type(': Go', { delay: 40 });
      typed += ': Go';
      await fromImage.waitFor({ timeout: 60_000 });
      await stillTyping(typed, 're-pairing and decoding from the image');
      fs.writeFileSync(ws.pairing, original);
      await page.keyboard.type(' to', { delay: 40 });
      typed += ' to';
      await fromFile.waitFor({ timeout: 60_000 });
      await stillTyping(typed, 'decoding again with the FDT file');
      await page.keyboard.press('Escape');
      // An edit: the palette opens right after the input box is answered, while the worker applies
      // the edit and the tree, the map and the tab's dirty marker follow.
      const free = unpreservedAddress(decoded);
      await runCommand(page, 'KHO: Preserve Range...');
      await answerInputBox(page, hex(free));
      const again = await openPalette(page);
      const whenOpened = await totalBlocks(page);
      await page.keyboard.type('KHO: Refr', { delay: 40 });
      // Read the tree without touching it (a click would take focus from the palette).
      await until(
        async () => (await totalBlocks(page)) === total + 1,
        `"Preserved by order" to show ${total + 1} blocks`,
        60_000,
        100,
      );
      assert.ok(await quickInputFocused(again), 'the palette lost focus or closed while the edit was shown');
      assert.equal(await again.inputValue(), '>KHO: Refr');
      console.log(
        `# the palette opened with ${whenOpened} blocks in the tree (${total} before the edit, ${total + 1} after)`,
      );
      await page.keyboard.press('Escape');
      await runCommand(page, 'File: Revert File');
      await waitForOrder0Count(page, decoded.counts['0'], 'after Revert File', 60_000);
      await screenshot(page, 'palette-under-work');
    }),
);

/** The block total that the "Preserved by order" row shows, read without expanding anything. */
async function totalBlocks(p) {
  const m = /([\d,]+)\s+blocks?\b/.exec(await rowText(treeRow(p, 'Preserved by order')).catch(() => ''));
  return m ? Number(m[1].replace(/,/g, '')) : undefined;
}
