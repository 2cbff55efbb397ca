// What the sample should show, from the project's CLI (the engine's stable JSON contract), so
// the UI checks follow whatever sample is bundled.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../vscode/lib/codeServer.mjs';

/** Decodes the dump a *.kho.json pairing names; returns the CLI's JSON object. */
export function decodePairing(pairingFile, { summary = false } = {}) {
  const dir = path.dirname(pairingFile);
  const p = JSON.parse(fs.readFileSync(pairingFile, 'utf8'));
  const cli = path.join(ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`missing ${cli}: run "node esbuild.mjs"`);
  const args = [cli, 'decode', path.resolve(dir, p.image)];
  if (p.fdt) args.push('--fdt', path.resolve(dir, p.fdt));
  if (p.base) args.push('--base', String(p.base));
  if (p.pageSize) args.push('--page-size', String(p.pageSize));
  if (p.format && p.format !== 'auto') args.push('--format', p.format);
  if (summary) args.push('--summary');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`kho-inspect decode failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The preserved block with the highest order (ties: lowest address), with its size. */
export function largestBlock(decoded) {
  const pageSize = BigInt(decoded.tracker.pageSize);
  let best;
  for (const b of decoded.preserved) if (!best || b.order > best.order) best = b;
  if (!best) throw new Error('the sample preserves nothing');
  return { phys: BigInt(best.phys), order: best.order, size: pageSize << BigInt(best.order) };
}

/**
 * A page-aligned address inside the dump's RAM that no preserved range covers and that is not a
 * tracker node page or a client blob either (so the answer is plainly "not preserved").
 */
/** The first free page in RAM (not preserved, no tracker node, no client blob), skipping `skip` (addresses). */
export function unpreservedAddress(decoded, skip = []) {
  const pageSize = BigInt(decoded.tracker.pageSize);
  const ranges = decoded.ranges.map((r) => [BigInt(r.start), BigInt(r.end)]);
  for (const pages of Object.values(decoded.tracker.nodePages ?? {})) {
    for (const a of pages) ranges.push([BigInt(a), BigInt(a) + pageSize]);
  }
  for (const s of decoded.fdt?.subnodes ?? []) {
    const start = BigInt(s.preservedData);
    ranges.push([start, start + BigInt(s.blobSize ?? pageSize)]);
  }
  for (const ram of decoded.image.ranges) {
    for (let a = BigInt(ram.start) + pageSize * 16n; a < BigInt(ram.end); a += pageSize) {
      if (!ranges.some(([s, e]) => a >= s && a < e) && !skip.includes(a)) return a;
    }
  }
  throw new Error('every page of the sample is preserved');
}

export const hex = (n) => '0x' + n.toString(16);
