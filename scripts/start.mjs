#!/usr/bin/env node
// `npm start`: builds what is missing, then opens the bundled sample dump in a real VS Code.
//   1. npm ci when node_modules is missing or older than package-lock.json; `node esbuild.mjs`;
//      the sample (samples/) via `npx tsc -b` + `node out/scripts/makeSample.js samples` if missing.
//   2. Desktop VS Code with the extension under development (--extensionDevelopmentPath):
//      `code` from PATH, else a copy downloaded by @vscode/test-electron (.vscode-test/).
//   3. Otherwise (no display, no download): code-server from npm (scripts/install-code-server.sh)
//      on 127.0.0.1 with the extension installed from a .vsix and samples/ opened; prints the
//      address and stays up until Ctrl-C.
// Options: --port N (code-server port, default: a free one), --code-server / --desktop (force a way).
// Env: KHO_PORT, KHO_START_MODE=code-server|desktop, CI=true or KHO_START_SMOKE=1 (smoke test:
// start code-server, check the page and the installed extension, print the URL, exit 0).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
process.chdir(ROOT);
const args = process.argv.slice(2);
const argValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const smoke = process.env.KHO_START_SMOKE === '1' || process.env.CI === 'true';
const mode = args.includes('--code-server')
  ? 'code-server'
  : args.includes('--desktop')
    ? 'desktop'
    : process.env.KHO_START_MODE || (smoke ? 'code-server' : 'auto');
const port = Number(argValue('--port') ?? process.env.KHO_PORT ?? 0);
const SAMPLES = path.join(ROOT, 'samples');
const PAIRING = path.join(SAMPLES, 'sample.kho.json');
// A tiny helper extension that opens PAIRING in our editor and shows the KHO view once the
// window is up (the workbench's own "open this file" runs before extensions register).
const LAUNCHER = path.join(ROOT, 'test', 'vscode', 'launcher');

const T0 = Date.now();
const say = (s) =>
  console.log(`start: ${s}` + (process.env.KHO_DEBUG ? ` [${((Date.now() - T0) / 1000).toFixed(1)} s]` : ''));
function run(cmd, cmdArgs, what) {
  say(what);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    console.error(`start: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
const npx = (...a) => ['npx', ['--no-install', ...a]];

// 1. Dependencies, build, sample.
const lock = path.join(ROOT, 'package-lock.json');
const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
if (!fs.existsSync(installed) || fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs) {
  run('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci (node_modules missing or stale)');
}
run(process.execPath, ['esbuild.mjs'], 'bundling (node esbuild.mjs)');
if (!fs.existsSync(PAIRING)) {
  run(...npx('tsc', '-b'), 'type check and compile scripts (npx tsc -b)');
  run(process.execPath, ['out/scripts/makeSample.js', 'samples'], 'generating the bundled sample (samples/)');
}

// 2. Desktop VS Code.
const hasDisplay = process.platform !== 'linux' || !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

function launchDesktop(exe, extra) {
  // As root, VS Code wants --no-sandbox and its own --user-data-dir.
  const root =
    process.getuid?.() !== 0
      ? []
      : [
          '--no-sandbox',
          ...(extra.some((x) => x.startsWith('--user-data-dir'))
            ? []
            : [`--user-data-dir=${path.join(ROOT, '.vscode-test', 'user-data')}`]),
        ];
  const a = [
    ...root,
    ...extra,
    `--extensionDevelopmentPath=${ROOT}`,
    `--extensionDevelopmentPath=${LAUNCHER}`,
    '--new-window',
    SAMPLES,
  ];
  say(`opening the sample in VS Code: ${exe} ${a.join(' ')}`);
  const child = spawn(exe, a, { stdio: 'inherit', cwd: ROOT, env: { ...process.env, KHO_START_OPEN: PAIRING } });
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function tryDesktop() {
  if (!hasDisplay) {
    say('no display (DISPLAY/WAYLAND_DISPLAY unset): desktop VS Code cannot show a window');
    return false;
  }
  const code = spawnSync('code', ['--version'], { encoding: 'utf8' });
  if (code.status === 0 && /^\d+\.\d+/.test(code.stdout)) {
    launchDesktop('code', []);
    return true;
  }
  try {
    const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
    const exe = await downloadAndUnzipVSCode({ cachePath: path.join(ROOT, '.vscode-test'), timeout: 30_000 });
    // A separate profile so the downloaded copy leaves the user's VS Code settings alone.
    launchDesktop(exe, [
      `--user-data-dir=${path.join(ROOT, '.vscode-test', 'user-data')}`,
      `--extensions-dir=${path.join(ROOT, '.vscode-test', 'extensions')}`,
      '--skip-welcome',
      '--skip-release-notes',
    ]);
    return true;
  } catch (e) {
    say(`desktop VS Code download failed (${e?.message ?? e})`);
    return false;
  }
}

// 3. code-server.
async function startCodeServerWithSample() {
  run('bash', ['scripts/install-code-server.sh'], 'code-server (scripts/install-code-server.sh)');
  const { freshProfile, installVsix, startCodeServer, workbenchUrl } =
    await import('../test/vscode/lib/codeServer.mjs');
  const { ensureVsix } = await import('../test/vscode/lib/vsix.mjs');
  say('packing the extension (.work/kho-inspector.vsix)');
  const vsix = ensureVsix();
  const launcherVsix = path.join(ROOT, '.work', 'kho-start-launcher.vsix');
  const packed = spawnSync(
    'npx',
    [
      '--no-install',
      'vsce',
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '-o',
      launcherVsix,
    ],
    { cwd: LAUNCHER, encoding: 'utf8' },
  );
  if (packed.status !== 0) throw new Error(`packing ${LAUNCHER} failed: ${packed.stdout}${packed.stderr}`);
  const profile = freshProfile('start', { workspace: SAMPLES });
  installVsix(profile, vsix);
  installVsix(profile, launcherVsix);
  // code-server passes its environment on to the extension host, where the launcher reads it.
  const server = await startCodeServer(profile, { port, exitOnSignal: false, env: { KHO_START_OPEN: PAIRING } });
  return { server, profile, folderUrl: workbenchUrl(server.url, SAMPLES) };
}

async function smokeCheck({ profile, folderUrl }) {
  const res = await fetch(folderUrl);
  const html = await res.text();
  if (res.status !== 200 || !html.includes('vscode-workbench-web-configuration')) {
    throw new Error(`GET ${folderUrl} -> ${res.status}, no workbench page`);
  }
  const { codeServerBin, chromiumPath, launchChromium } = await import('../test/vscode/lib/codeServer.mjs');
  const list = spawnSync(
    codeServerBin(),
    ['--user-data-dir', profile.userData, '--extensions-dir', profile.extensions, '--list-extensions'],
    { env: profile.env, encoding: 'utf8' },
  );
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const id = `${pkg.publisher}.${pkg.name}`;
  if (!list.stdout.split('\n').includes(id))
    throw new Error(`extension ${id} is not installed in code-server: ${list.stdout}${list.stderr}`);
  say(`smoke check: the workbench page responds (${res.status}) and ${id} is installed`);
  try {
    chromiumPath();
  } catch (e) {
    say(`smoke check: no browser check (${e.message})`);
    return;
  }
  // What a user sees at that address: the sample in our editor (webview) and the KHO tree.
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(folderUrl);
    const view = page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
    await view.getByText('KHO Inspector').first().waitFor({ timeout: 90_000 });
    await view.locator('canvas#memory-map').waitFor({ timeout: 30_000 });
    await page
      .locator('.part.sidebar .monaco-list-row', { hasText: 'Preserved by order' })
      .first()
      .waitFor({ timeout: 30_000 });
    const shot = path.join(ROOT, '.work', 'e2e-artifacts', 'start.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot });
    say(`smoke check: the browser shows the sample in KHO Inspector with the KHO tree (${path.relative(ROOT, shot)})`);
  } finally {
    await browser.close();
  }
}

if (mode !== 'code-server' && (await tryDesktop())) {
  // VS Code owns the terminal until its window closes.
} else if (mode === 'desktop') {
  console.error('start: desktop VS Code was requested but could not be started');
  process.exit(1);
} else {
  const cs = await startCodeServerWithSample();
  console.log('');
  console.log('KHO Inspector with the bundled sample, in VS Code (code-server), at:');
  console.log(`  ${cs.folderUrl}`);
  console.log('  (sample.kho.json opens in the KHO Inspector editor, with the KHO view beside it)');
  console.log('');
  if (smoke) {
    try {
      await smokeCheck(cs);
    } catch (e) {
      console.error(`start: smoke check FAILED: ${e.message}`);
      await cs.server.stop();
      process.exit(1);
    }
    await cs.server.stop();
    process.exit(0);
  }
  say('serving on 127.0.0.1 only; press Ctrl-C to stop');
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping code-server');
    await cs.server.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  cs.server.child.once('exit', (code) => {
    if (!stopping) {
      console.error(`start: code-server exited (${code}); log ${cs.server.logFile}`);
      process.exit(1);
    }
  });
}
