// Driving the code-server workbench with playwright-core: start a profile with the .vsix
// installed, open a folder, and the few gestures the e2e tests need (explorer, Open With...,
// command palette, the KHO tree, the custom editor's webview).
import fs from 'node:fs';
import path from 'node:path';
import {
  WORK,
  freshProfile,
  installVsix,
  startCodeServer,
  launchChromium,
  workbenchUrl,
} from '../../vscode/lib/codeServer.mjs';

export const ARTIFACTS_ROOT = path.join(WORK, 'e2e-artifacts');
export let ARTIFACTS = ARTIFACTS_ROOT;

/** Screenshots of this test file go to e2e-artifacts/<name>/ (emptied first). */
export function useArtifactDir(name) {
  ARTIFACTS = path.join(ARTIFACTS_ROOT, name);
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/** The profile of the workbench opened last: a failure report quotes its extension log. */
let lastProfile;

/** Things the page reported that a test may want to fail on. */
export class PageLog {
  constructor() {
    this.errors = [];
    this.csp = [];
    this.lines = [];
  }
}

/**
 * Installs `vsix` into a fresh profile, starts code-server, opens `workspace` in headless
 * Chromium and waits until the explorer lists `waitForFile` and the KHO view container exists.
 * `workspaceTrust: true` keeps workspace trust on (pass trust settings too).
 */
export async function openWorkbench({ name, workspace, vsix, waitForFile, settings, workspaceTrust = false }) {
  const profile = freshProfile(name, { workspace, settings });
  lastProfile = profile;
  installVsix(profile, vsix);
  const server = await startCodeServer(profile, { workspaceTrust });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const log = new PageLog();
  page.on('pageerror', (e) => log.errors.push(e.message));
  page.on('console', (m) => {
    const text = m.text();
    // Chromium reports CSP violations of every frame on the console; keep the webviews' ones.
    const url = m.location()?.url ?? '';
    if (/Content Security Policy/i.test(text) && /webview/i.test(url + text)) log.csp.push(`${text} (${url})`);
    if (process.env.KHO_DEBUG) console.log(`[page ${m.type()}] ${text}`);
  });
  await page.goto(workbenchUrl(server.url, profile.workspace));
  try {
    await waitForWorkbench(page, waitForFile);
  } catch (e) {
    e.message += `\n${serverLogReport(profile)}`;
    throw e;
  }
  const close = async () => {
    await browser.close().catch(() => {});
    await server.stop();
  };
  return { page, server, browser, profile, log, close };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs `fn`; on failure saves a screenshot named after the step, then rethrows. */
export async function withFailureShot(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    if (page && !page.isClosed()) {
      const file = await screenshot(page, `FAILED-${name}`).catch(() => undefined);
      if (file) e.message += `\n(screenshot: ${file})`;
      const seen = await whatIsShowing(page).catch((err) => `(could not read the workbench: ${err.message})`);
      e.message += `\n${seen}`;
    }
    throw e;
  }
}

/**
 * What a failure report needs beside the screenshot (which CI does not keep): the notifications,
 * the quick input's state and where focus is, as text.
 */
async function whatIsShowing(page) {
  const notes = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
  const input = page.locator('.quick-input-widget input');
  const quick = (await input.isVisible())
    ? `quick input open, value ${JSON.stringify(await input.inputValue())}, ${(await quickInputFocused(input)) ? 'focused' : 'not focused'}`
    : 'quick input closed';
  const focus = await page.evaluate(() => {
    const a = document.activeElement;
    return a
      ? `${a.tagName.toLowerCase()}${a.className ? '.' + String(a.className).split(/\s+/).join('.') : ''}`
      : 'none';
  });
  return `showing: notifications ${JSON.stringify(notes)}; ${quick}; focus on ${focus}\n${extensionLogTail(lastProfile)}`;
}

/** The text of the extension's "KHO Inspector" log of `profile` (newest session), or null when none was written. */
export function extensionLog(profile = lastProfile) {
  if (!profile) return null;
  const found = logFiles(profile).filter((f) => path.basename(f) === 'KHO Inspector.log');
  const newest = found.map((f) => ({ f, t: fs.statSync(f).mtimeMs })).sort((a, b) => b.t - a.t)[0];
  return newest ? fs.readFileSync(newest.f, 'utf8') : null;
}

/** The last lines of the extension's "KHO Inspector" log of `profile` (newest session). */
function extensionLogTail(profile, lines = 15) {
  if (!profile) return 'extension log: no profile';
  try {
    const text = extensionLog(profile);
    if (text === null) return 'extension log: none written';
    return `extension log (last ${lines} lines):\n` + text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `extension log unreadable: ${e.message}`;
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function explorerRow(page, fileName) {
  return page
    .locator('.explorer-folders-view .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(fileName)}$`) }) });
}

/**
 * Retries left in the harness: each one is printed and appended to WORK/e2e-retries.log, which
 * scripts/test.sh counts into its closing line. A retry marks a race the harness could not rule
 * out by waiting on state; the log says which step and why.
 */
export const RETRY_LOG = path.join(WORK, 'e2e-retries.log');
export function noteRetry(what, why) {
  fs.mkdirSync(path.dirname(RETRY_LOG), { recursive: true });
  fs.appendFileSync(
    RETRY_LOG,
    `${new Date().toISOString()} ${path.basename(process.argv[1] ?? 'e2e')}: ${what}: ${why.split('\n')[0]}\n`,
  );
  console.log(`# KHO-RETRY ${what}: ${why.split('\n')[0]}`);
}

/**
 * Opens `row`'s context menu and runs the item labelled `label` (a string: exact): the item is
 * hovered until the menu shows it focused, then run with Enter.
 */
export async function contextMenuItem(page, row, label) {
  const item = page
    .locator('.monaco-menu .action-item', {
      has: page.locator('.action-label', { hasText: new RegExp(`^${escapeRe(label)}$`) }),
    })
    .first();
  await row.click({ button: 'right' });
  await item.waitFor({ timeout: 15_000 });
  await item.hover();
  await until(
    async () => /\bfocused\b/.test((await item.getAttribute('class')) ?? ''),
    `the menu item "${label}" to take the pointer`,
    5_000,
  );
  // The focused item is run with Enter, not clicked: the menu can still ignore a click it sees as
  // part of the gesture that opened it, and stay open with nothing run.
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 5_000 });
}

/** Shows the Explorer in the side bar (no-op when it is showing). */
export async function showExplorer(page) {
  if (await page.locator('.explorer-folders-view').isVisible()) return;
  await page.locator('.activitybar .action-item .action-label[aria-label^="Explorer"]').first().click();
  await page.locator('.explorer-folders-view').waitFor({ timeout: 15_000 });
}

/** Explorer context menu > "Open with KHO Inspector" (the extension's own entry); waits for the tab. */
export async function openInKhoEditor(page, fileName) {
  await showExplorer(page);
  await contextMenuItem(page, explorerRow(page, fileName), 'Open with KHO Inspector');
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 60_000 });
}

/**
 * Explorer context menu > "Open With..." on `fileName`: the labels the editor picker lists, once
 * it has listed any (it fills its list a moment after it shows). The picker is left open.
 */
export async function openWithChoices(page, fileName) {
  await showExplorer(page);
  await contextMenuItem(page, explorerRow(page, fileName), 'Open With...');
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  await until(async () => (await rows.count()) > 0, `the "Open With..." picker of ${fileName} to list editors`, 30_000);
  return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Waits for the workbench, the explorer row of `fileName` and our activity-bar icon. */
async function waitForWorkbench(page, fileName) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  if (fileName) await explorerRow(page, fileName).waitFor({ timeout: 60_000 });
  // The explorer can list files before the extension host has registered the extensions'
  // contributions ("Open With..." would not offer our editor yet): wait for our activity-bar icon.
  await page
    .locator('.activitybar .action-item .action-label[aria-label^="KHO"]')
    .first()
    .waitFor({ timeout: 120_000 });
}

/** Every *.log file under `profile`'s log folder (throws when there is none). */
function logFiles(profile) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.log')) files.push(f);
    }
  };
  walk(path.join(profile.userData, 'logs'));
  return files;
}

/**
 * What the server's logs of `profile` say about our extension: whether the extension host was
 * created with it, and its error lines. For failure messages; never throws.
 */
export function serverLogReport(profile) {
  if (!profile) return 'no profile to read logs from';
  try {
    const files = logFiles(profile);
    const lines = files.flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((l) => `${path.basename(f)}: ${l}`),
    );
    const created = lines.filter((l) => /Creating extension host with the following global extensions/.test(l));
    const withUs = created.some((l) => /kho-inspector\.kho-inspector/.test(l));
    const errors = lines
      .filter((l) => /\[error\]|kho-inspector/i.test(l) && !/Creating extension host/.test(l))
      .slice(-12);
    return (
      `server logs: ${created.length} extension host(s) created, ${withUs ? 'with' : 'WITHOUT'} kho-inspector; ` +
      `${errors.length ? 'lines about it or errors:\n' + errors.join('\n') : 'no error lines'}`
    );
  } catch (e) {
    return `server logs unreadable: ${e.message}`;
  }
}

/**
 * Whether keyboard focus is on an element of the workbench's own document: not inside a webview's
 * frame, and not nowhere (the body), which a webview editor's delayed focus would take over.
 */
export function focusInWorkbench(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return !!a && a !== document.body && a.tagName !== 'IFRAME' && !a.closest('.webview, .webview-container');
  });
}

/**
 * Moves keyboard focus to the workbench (out of any webview) so F1 reaches VS Code. The focus goes
 * to a side-bar list (or the activity bar) without a click: a click selects rows, and a click on a
 * title focuses nothing. Focus must land on an element: VS Code focuses a webview editor's frame a
 * moment after asking (after a quick input closes, for one) unless another element has focus by
 * then, and a palette opened in between would lose its focus and close.
 */
export async function focusWorkbench(page) {
  const target = page
    .locator('.part.sidebar .monaco-list[tabindex]:visible, .part.activitybar [tabindex]:visible')
    .first();
  await target.focus();
  await until(() => focusInWorkbench(page), 'keyboard focus on an element of the workbench, not in a webview', 5_000);
}

/** The palette's (or an input box's) text field, when it is visible and has keyboard focus. */
export async function quickInputFocused(input) {
  return (await input.isVisible()) && input.evaluate((el) => el === document.activeElement);
}

/** Opens the command palette with F1 from the workbench; resolves with its focused input. */
export async function openPalette(page) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    try {
      await until(
        async () => (await quickInputFocused(input)) && (await input.inputValue()).startsWith('>'),
        'the command palette, focused',
        5_000,
      );
      return input;
    } catch (e) {
      if (attempt === 2) throw e;
      noteRetry('opening the command palette', e.message);
      await page.keyboard.press('Escape');
    }
  }
}

/** Runs a command from the palette (F1) by its title. */
export async function runCommand(page, title) {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  for (let attempt = 1; ; attempt++) {
    const input = await openPalette(page);
    try {
      await input.fill('>' + title, { timeout: 5_000 });
      await row.waitFor({ timeout: 15_000 });
      // Click the row itself: Enter runs whichever row is focused, which on a slow machine can
      // still be a recently used command while the filter catches up.
      await row.click({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt === 2) throw e;
      noteRetry(
        `running "${title}" from the palette`,
        `${(await input.isVisible()) ? 'palette open' : 'palette closed'}: ${e.message}`,
      );
      await page.keyboard.press('Escape');
    }
  }
}

/** Runs a palette command and answers the input box it opens. */
export async function commandWithInput(page, title, answer) {
  await runCommand(page, title);
  await answerInputBox(page, answer);
}

/**
 * Answers the input box (showInputBox) a command opened. The palette's widget is reused for it:
 * while the palette closes its text is briefly empty, so the box counts as open only once it
 * shows its prompt line (the palette has none). Returns once the box has closed.
 */
export async function answerInputBox(page, text) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  const prompt = widget.locator('.quick-input-message');
  await until(
    async () =>
      (await quickInputFocused(input)) && !(await input.inputValue()).startsWith('>') && (await prompt.isVisible()),
    'the input box, focused, with its prompt',
    15_000,
  );
  await input.fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Opens the "KHO" view container from the activity bar (no-op when it is showing). */
export async function showKhoContainer(page) {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /KHO/i });
  if (await title.isVisible()) return;
  const item = page.locator('.activitybar .action-item .action-label[aria-label^="KHO"]').first();
  await item.waitFor({ timeout: 30_000 });
  await item.click();
  await title.waitFor({ timeout: 15_000 });
}

/** Rows of the tree(s) in the side bar. */
export function sidebarRows(page) {
  return page.locator('.part.sidebar .monaco-list-row');
}

/** The first side-bar tree row whose label (not description) is `label` (string: exact; or a RegExp). */
export function treeRow(page, label) {
  const re = label instanceof RegExp ? label : new RegExp(`^\\s*${escapeRe(label)}\\s*$`);
  return sidebarRows(page)
    .filter({ has: page.locator('.label-name', { hasText: re }) })
    .first();
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws `what`). */
export async function until(fn, what, timeoutMs = 30_000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
    } catch (e) {
      last = e;
    }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''),
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The block count the KHO tree's "Order N" row shows (expanding "Preserved by order" when needed). */
export async function treeOrderCount(page, order) {
  const group = treeRow(page, 'Preserved by order');
  if ((await group.getAttribute('aria-expanded')) === 'false') await expandRow(group);
  const m = /([\d,]+)\s+blocks?\b/.exec(await rowText(treeRow(page, `Order ${order}`)));
  return m ? Number(m[1].replace(/,/g, '')) : undefined;
}

/** Waits until the "Order 0" row shows `expected` blocks; the error names the last count seen. */
export async function waitForOrder0Count(page, expected, what, timeoutMs = 30_000) {
  let seen;
  try {
    await until(
      async () => (seen = await treeOrderCount(page, 0).catch(() => undefined)) === expected,
      '',
      timeoutMs,
      200,
    );
  } catch {
    throw new Error(
      `${what}: the tree's "Order 0" row did not show ${expected} blocks in ${timeoutMs / 1000} s (last seen: ${seen})`,
    );
  }
}

/** Expands a collapsed tree row (no-op when already expanded). */
export async function expandRow(row) {
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
  await until(async () => (await row.getAttribute('aria-expanded')) === 'true', 'the row to expand', 15_000);
}

/**
 * Times a tree expansion inside the page, as a user sees it: from the mousedown on `row`'s twistie
 * to the DOM change that shows its first child (the row after it, one level deeper), free of the
 * test's polling. Call before expanding; `result()` gives the milliseconds, or undefined when the
 * page saw no such pair (the caller then reports its own measurement).
 */
export async function armExpandTiming(row) {
  await row.evaluate((el) => {
    const index = Number(el.dataset.index);
    const level = Number(el.getAttribute('aria-level'));
    const rows = el.parentElement;
    const t = (window.__khoExpandTiming = { start: undefined, end: undefined });
    const shown = () => {
      const next = rows.querySelector(`.monaco-list-row[data-index="${index + 1}"]`);
      return !!next && Number(next.getAttribute('aria-level')) === level + 1;
    };
    document.addEventListener('mousedown', (e) => (t.start ??= e.timeStamp), { capture: true, once: true });
    const watch = new MutationObserver(() => {
      if (t.start === undefined || !shown()) return;
      t.end = performance.now();
      watch.disconnect();
    });
    watch.observe(rows, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['aria-level', 'data-index'],
    });
  });
  return { result: () => inPageMs(row.page(), '__khoExpandTiming') };
}

/**
 * Times, inside the page, from the next Enter keydown to the DOM change that selects a side-bar
 * tree row whose text contains `text` (Go to Physical Address), free of the test's polling.
 */
export async function armSelectionTiming(page, text) {
  await page.evaluate((wanted) => {
    const sidebar = document.querySelector('.part.sidebar');
    const t = (window.__khoSelectTiming = { start: undefined, end: undefined });
    const selected = () =>
      [...sidebar.querySelectorAll('.monaco-list-row.selected')].some((r) => r.textContent.includes(wanted));
    document.addEventListener('keydown', (e) => e.key === 'Enter' && (t.start ??= e.timeStamp), { capture: true });
    const watch = new MutationObserver(() => {
      if (t.start === undefined || !selected()) return;
      t.end = performance.now();
      watch.disconnect();
    });
    watch.observe(sidebar, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['class'],
    });
  }, text);
  return { result: () => inPageMs(page, '__khoSelectTiming') };
}

async function inPageMs(page, name) {
  const t = await page.evaluate((n) => window[n], name).catch(() => undefined);
  return t && t.start !== undefined && t.end !== undefined ? Math.round(t.end - t.start) : undefined;
}

/** A tree row's label and description, space-separated (innerText runs them together). */
export function rowText(row) {
  return row.evaluate((el) => {
    const parts = [...el.querySelectorAll('.label-name, .label-description')]
      .map((e) => e.textContent.trim())
      .filter(Boolean);
    return parts.length ? parts.join(' ') : el.innerText.replace(/\s+/g, ' ').trim();
  });
}

/**
 * The rows directly below `row` in the tree (next aria-level), read from the DOM, as
 * { label, description, text } (text = both, space-separated).
 */
export async function childRows(row) {
  return row.evaluate((el) => {
    const level = Number(el.getAttribute('aria-level'));
    const rows = [...el.parentElement.querySelectorAll('.monaco-list-row')].sort(
      (a, b) => Number(a.dataset.index) - Number(b.dataset.index),
    );
    const out = [];
    for (const r of rows.slice(rows.indexOf(el) + 1)) {
      const l = Number(r.getAttribute('aria-level'));
      if (l <= level) break;
      if (l !== level + 1) continue;
      const label = r.querySelector('.label-name')?.textContent.trim() ?? r.innerText.trim();
      const description = r.querySelector('.label-description')?.textContent.trim() ?? '';
      out.push({ label, description, text: description ? `${label} ${description}` : label });
    }
    return out;
  });
}

/** The same, texts only. */
export async function childRowTexts(row) {
  return (await childRows(row)).map((r) => r.text);
}

/** The active custom editor's webview content (two nested iframes). */
export function webview(page) {
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}

/**
 * Counts the pixels of `<canvas id=...>` in the webview that differ from its first pixel and
 * the distinct colours seen (sampled), through a 2D copy (works whatever context drew it).
 */
export async function canvasInk(page, id = 'memory-map') {
  return webview(page)
    .locator(`canvas#${id}`)
    .evaluate((c) => {
      if (!c.width || !c.height) return { width: c.width, height: c.height, inked: 0, colours: 0 };
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d');
      ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const first = d.slice(0, 4).join(',');
      let inked = 0;
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4) {
        const px = `${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`;
        if (px !== first) inked++;
        if (colours.size < 64) colours.add(px);
      }
      return { width: c.width, height: c.height, inked, colours: colours.size };
    });
}

/**
 * True once the map shows a preserved block: some canvas pixel has the colour of an "order N"
 * swatch of the webview's legend. Returns null when the webview has no such legend.
 */
export async function mapShowsPreserved(page, id = 'memory-map') {
  return webview(page)
    .locator(`canvas#${id}`)
    .evaluate((c) => {
      const swatches = [...document.querySelectorAll('[id*="legend"] .swatch, .legend .swatch')].filter((s) =>
        /order\s*\d/i.test(s.parentElement?.textContent ?? ''),
      );
      const wanted = new Set(
        swatches
          .map((s) => getComputedStyle(s).backgroundColor)
          .map((bg) =>
            bg
              .match(/\d+(\.\d+)?/g)
              ?.slice(0, 3)
              .map(Number)
              .join(','),
          )
          .filter(Boolean),
      );
      if (wanted.size === 0) return null;
      if (!c.width || !c.height) return false;
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d');
      ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4)
        if (d[i + 3] === 255 && wanted.has(`${d[i]},${d[i + 1]},${d[i + 2]}`)) return true;
      return false;
    });
}

/** Parses every 0x... number in `text` (underscores and leading zeros allowed) to bigint. */
export function hexNumbers(text) {
  return [...text.matchAll(/0x[0-9a-f_']+/gi)].map((m) => BigInt(m[0].replace(/[_']/g, '')));
}

/**
 * Whether the workbench has stored its editor state (the open tabs) with `fileName` in it: VS Code
 * for the Web keeps it in the page's IndexedDB (workspace database, key
 * memento/workbench.parts.editor) and writes it every few seconds, and again on unload. A reload
 * restores the tabs from what is stored there.
 */
export function editorStateHas(page, fileName) {
  return page.evaluate(async (name) => {
    const dbs = (await indexedDB.databases()).filter(
      (d) => d.name?.startsWith('vscode-web-state-db-') && !d.name.endsWith('-global'),
    );
    for (const { name: dbName } of dbs) {
      const value = await new Promise((resolve) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => resolve(undefined);
        open.onsuccess = () => {
          const db = open.result;
          try {
            const get = db
              .transaction('ItemTable', 'readonly')
              .objectStore('ItemTable')
              .get('memento/workbench.parts.editor');
            get.onsuccess = () => {
              db.close();
              resolve(get.result);
            };
            get.onerror = () => {
              db.close();
              resolve(undefined);
            };
          } catch {
            db.close();
            resolve(undefined);
          }
        };
      });
      const text = typeof value === 'string' ? value : value ? new TextDecoder().decode(value) : '';
      if (text.includes(name)) return true;
    }
    return false;
  }, fileName);
}

/**
 * A crash of the browser side: the page closes without its unload handlers (nothing is flushed
 * or backed up then), and a new page opens the same folder. `forgetEditors` also deletes the
 * workbench's stored state first, so that no tab comes back. Returns the new page.
 */
export async function crashAndReopen(wb, { forgetEditors = false, waitForFile } = {}) {
  await wb.page.close({ runBeforeUnload: false });
  const page = await wb.browser.newPage({ viewport: { width: 1500, height: 950 } });
  if (forgetEditors) {
    // Same origin as the workbench (its IndexedDB), without starting a workbench.
    await page.goto(new URL('/healthz', wb.server.url).toString());
    await page.evaluate(async () => {
      const dbs = (await indexedDB.databases()).filter(
        (d) => d.name?.startsWith('vscode-web-state-db-') && !d.name.endsWith('-global'),
      );
      await Promise.all(
        dbs.map(
          (d) =>
            new Promise((resolve) => {
              const del = indexedDB.deleteDatabase(d.name);
              del.onsuccess = del.onerror = del.onblocked = () => resolve();
            }),
        ),
      );
    });
  }
  await page.goto(workbenchUrl(wb.server.url, wb.profile.workspace));
  await waitForWorkbench(page, waitForFile);
  wb.page = page;
  return page;
}

/** The notification toast whose text matches `re` (visible). */
export function notification(page, re) {
  return page.locator('.notifications-toasts .notification-list-item').filter({ hasText: re }).first();
}

/** Clicks the button `label` of the notification matching `re`, once it shows. */
export async function answerNotification(page, re, label) {
  const toast = notification(page, re);
  await toast.waitFor({ timeout: 60_000 });
  await toast
    .locator('.monaco-button', { hasText: new RegExp(`^${escapeRe(label)}$`) })
    .first()
    .click();
  await toast.waitFor({ state: 'hidden', timeout: 15_000 });
}
