// Packs the extension (repository root) into a .vsix with @vscode/vsce, as users install it: vsce runs
// `vscode:prepublish` (the production bundle: minified, no source maps) and packs what .vscodeignore allows.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, WORK } from './codeServer.mjs';

export const DEFAULT_VSIX = path.join(WORK, 'kho-inspector.vsix');

function newestMtime(p) {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of fs.readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, e)));
  return m;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Returns a .vsix of the current tree: $KHO_VSIX if set, else WORK/kho-inspector.vsix, rebuilt
 * (vsce package --no-dependencies, whose prepublish step is the production build) when missing or
 * older than dist/, media/, the sources or package.json.
 */
export function ensureVsix({ force = false } = {}) {
  if (process.env.KHO_VSIX) return path.resolve(process.env.KHO_VSIX);
  const inputs = [
    'package.json',
    'dist',
    'media',
    'src/extension',
    'src/engine',
    'src/node',
    'src/protocol',
    '.vscodeignore',
  ];
  const fresh =
    fs.existsSync(DEFAULT_VSIX) &&
    fs.statSync(DEFAULT_VSIX).mtimeMs >= Math.max(...inputs.map((p) => newestMtime(path.join(ROOT, p))));
  if (fresh && !force) return DEFAULT_VSIX;
  fs.mkdirSync(path.dirname(DEFAULT_VSIX), { recursive: true });
  // The README's screenshots are relative images (docs/screenshots): kept as they are, not rewritten to a repository URL.
  run('npx', [
    '--no-install',
    'vsce',
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '-o',
    DEFAULT_VSIX,
  ]);
  return DEFAULT_VSIX;
}
