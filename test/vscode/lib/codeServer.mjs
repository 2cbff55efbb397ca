// Throwaway code-server (a real VS Code: server + web workbench) on 127.0.0.1 and a headless
// Debian Chromium driven by playwright-core. Nothing is downloaded at run time.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const WORK = process.env.KHO_WORK_DIR ? path.resolve(process.env.KHO_WORK_DIR) : path.join(ROOT, '.work');

/** code-server launcher: $CODE_SERVER_BIN, else the copy installed by scripts/install-code-server.sh. */
export function codeServerBin() {
  const bin = process.env.CODE_SERVER_BIN || path.join(ROOT, '.tools', 'code-server', 'bin', 'code-server');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `code-server not found at ${bin}: run "bash scripts/install-code-server.sh" or set CODE_SERVER_BIN`,
    );
  }
  return bin;
}

export function chromiumPath() {
  const p = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(p)) {
    throw new Error(`Chromium not found at ${p}: run "bash scripts/install-system-deps.sh" or set CHROMIUM_PATH`);
  }
  return p;
}

/** Settings that keep a test workbench quiet and deterministic (no trust prompt, welcome, telemetry, gallery). */
export const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  // VS Code for the web (code-server) defaults files.autoSave to afterDelay, desktop VS Code to off:
  // tests get the desktop default, so an edit stays unsaved until a test saves it.
  'files.autoSave': 'off',
};

/**
 * A fresh profile for one run under WORK/<name>: user data, extensions and XDG dirs, a private
 * TMPDIR (removed by stop()). `workspace` is the folder to open (used in place).
 */
export function freshProfile(name, { workspace, settings = {} } = {}) {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  const p = {
    dir,
    userData: path.join(dir, 'user-data'),
    extensions: path.join(dir, 'extensions'),
    workspace: workspace ? path.resolve(workspace) : undefined,
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
      XDG_DATA_HOME: path.join(dir, 'xdg-data'),
      XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
      // VS Code leaves vscode-ipc-*.sock files in os.tmpdir(); a short private dir (unix socket
      // paths must stay under 108 bytes) that stop() removes.
      TMPDIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kho-cs-')),
      // An empty gallery disables the marketplace (code-server defaults to open-vsx, unreachable offline).
      EXTENSIONS_GALLERY: '{}',
    },
  };
  fs.mkdirSync(path.join(p.userData, 'User'), { recursive: true });
  fs.mkdirSync(p.extensions, { recursive: true });
  fs.writeFileSync(
    path.join(p.userData, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2),
  );
  return p;
}

const CS_FLAGS = [
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
  '--disable-proxy',
  '--ignore-last-opened',
];

export function installVsix(profile, vsix) {
  const r = spawnSync(
    codeServerBin(),
    [
      '--user-data-dir',
      profile.userData,
      '--extensions-dir',
      profile.extensions,
      '--install-extension',
      vsix,
      '--force',
    ],
    { env: profile.env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`--install-extension ${vsix} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Starts code-server on `host:port` (default 127.0.0.1 and a free port); resolves once it
 * listens with { url, child, stop(), logFile }. The process group is killed when this
 * process exits, so an aborted run never leaves a server behind. `port` 0 picks a free one.
 * `workspaceTrust: true` keeps VS Code's workspace trust on (for Restricted Mode tests).
 */
export function startCodeServer(
  profile,
  { extraArgs = [], env = {}, port = 0, timeoutMs = 60_000, exitOnSignal = true, workspaceTrust = false } = {},
) {
  const flags = workspaceTrust ? CS_FLAGS.filter((f) => f !== '--disable-workspace-trust') : CS_FLAGS;
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    ...flags,
    '--user-data-dir',
    profile.userData,
    '--extensions-dir',
    profile.extensions,
    ...extraArgs,
  ];
  const logFile = path.join(profile.dir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(codeServerBin(), args, {
    env: { ...profile.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.once('exit', killGroup);
  // Tests just end on Ctrl-C (the 'exit' hook kills the server); a caller with its own
  // shutdown passes exitOnSignal: false.
  const onSignal = () => process.exit(130);
  if (exitOnSignal) for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, onSignal);
  let out = '';
  return new Promise((resolve, reject) => {
    let started = false;
    const stop = () =>
      new Promise((res) => {
        const done = () => {
          process.removeListener('exit', killGroup);
          for (const sig of ['SIGINT', 'SIGTERM']) process.removeListener(sig, onSignal);
          fs.rmSync(profile.env.TMPDIR, { recursive: true, force: true });
          res();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        setTimeout(killGroup, 5000).unref();
      });
    const fail = (e) => {
      clearTimeout(timer);
      stop().then(() => reject(e));
    };
    const timer = setTimeout(
      () => fail(new Error(`code-server did not start in ${timeoutMs / 1000} s:\n${out}`)),
      timeoutMs,
    );
    const onData = (d) => {
      fs.writeSync(log, d);
      if (started) return;
      out += d.toString();
      const m = out.match(/HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/);
      if (m) {
        started = true;
        out = '';
        clearTimeout(timer);
        resolve({ url: m[1], child, stop, logFile });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!started) fail(new Error(`code-server exited early (${code}):\n${out}`));
    });
  });
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  // Keep Chromium's crash-report folder (~/.config/chromium) out of HOME.
  const cfg = path.join(WORK, 'chromium-config');
  fs.mkdirSync(cfg, { recursive: true });
  return chromium.launch({
    env: { ...process.env, XDG_CONFIG_HOME: cfg, XDG_CACHE_HOME: path.join(WORK, 'chromium-cache') },
    executablePath: chromiumPath(),
    headless: true,
    chromiumSandbox: false, // adds --no-sandbox (CI runs as root)
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** URL that opens `folder` in the workbench; `payload` is VS Code's ?payload= list of [key, value] pairs. */
export function workbenchUrl(base, folder, payload) {
  const q = [];
  if (folder) q.push('folder=' + encodeURI(folder).replace(/[?#&+]/g, encodeURIComponent)); // slashes stay readable
  if (payload) q.push('payload=' + encodeURIComponent(JSON.stringify(payload)));
  return `${new URL(base).origin}/${q.length ? '?' + q.join('&') : ''}`;
}

/**
 * The remote authority the workbench uses in vscode-remote:// URIs: "127.0.0.1:PORT" on
 * code-server 4.100, the literal "remote" on newer ones. Read from the served configuration.
 */
export async function remoteAuthorityOf(base) {
  const html = await (await fetch(base + '/')).text();
  const m = html.match(/id="vscode-workbench-web-configuration" data-settings="([^"]*)"/);
  if (!m) return new URL(base).host;
  const json = m[1]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(json).remoteAuthority || new URL(base).host;
}

let helpText;
/** True if this code-server's CLI knows `--flag` (e.g. --vscode-option appeared after 4.100). */
export function codeServerHasFlag(flag) {
  helpText ??=
    spawnSync(codeServerBin(), ['--help'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        XDG_CONFIG_HOME: path.join(WORK, '.xdg-help'),
        XDG_DATA_HOME: path.join(WORK, '.xdg-help'),
      },
    }).stdout || '';
  return helpText.includes(`--${flag} `);
}
