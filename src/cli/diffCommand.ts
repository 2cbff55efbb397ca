// kho-inspect diff LEFT RIGHT: decode both sides (images or *.kho.json pairings) and print what
// one preserved that the other did not, as one JSON object (engine/diff/diffJson.ts).

import fs from 'node:fs';
import path from 'node:path';
import { DumpDiff, type DiffSide } from '../engine/diff/dumpDiff';
import { diffJsonChunks } from '../engine/diff/diffJson';
import type { Diagnostic } from '../engine/diagnostics';
import { isPageSize } from '../engine/kho/geometry';
import { decodeDump } from '../engine/decode';
import { parseAddress } from '../engine/util/hex';
import { parseKhoJson } from '../node/pairingFile';
import type { ImageArgs } from './args';
import type { CliDeps } from './editCommand';

export interface DiffRequest {
  command: 'diff';
  left: string;
  right: string;
  summary: boolean;
}

const EXIT = { same: 0, differ: 1, undecodable: 2 } as const;

/** A side that cannot be opened or decoded: exit 2 with this reason. */
class SideError extends Error {}

/** The image arguments of one side: an image as given, or what its pairing file names. */
function sideArgs(file: string, label: string): ImageArgs {
  const plain: ImageArgs = { image: file, base: 0n, format: 'auto', pageSize: 4096, preFix16k: false };
  if (!/\.kho\.json$/i.test(file)) return plain;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SideError(`${label} ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const p = parseKhoJson(text, path.dirname(path.resolve(file)), { base: '0x0', pageSize: 4096 });
  if (typeof p === 'string') throw new SideError(`${label} ${file}: ${p}`);
  if (p.image === null)
    throw new SideError(
      `${label} ${file}: names no "image"; a diff needs the preserved-memory tracker, which is in the image`,
    );
  const address = (v: string | null | undefined) => (v ? parseAddress(v) : undefined);
  return {
    image: p.image,
    fdtFile: p.fdt ?? undefined,
    fdtAddress: address(p.fdtAddress),
    base: address(p.base) ?? 0n,
    format: p.format === 'raw' || p.format === 'elf' ? p.format : 'auto',
    pageSize: isPageSize(p.pageSize) ? p.pageSize : 4096,
    preFix16k: !!p.preFix16k,
    scratchDebugfs: p.scratchPhys && p.scratchLen ? { phys: p.scratchPhys, len: p.scratchLen } : undefined,
    setupData: address(p.setupData),
    numa: p.numa?.map((r) => ({ node: r.node, start: parseAddress(r.start)!, end: parseAddress(r.end)! })),
  };
}

async function decodeSide(file: string, label: string, deps: CliDeps): Promise<DiffSide> {
  const a = sideArgs(file, label);
  const { memory, diagnostics } = deps.openMemory(a);
  const found: Diagnostic[] = [];
  const result = await decodeDump(memory, deps.decodeOptions(a, found));
  result.diagnostics.unshift(...diagnostics, ...found);
  if (result.fatal) throw new SideError(`${label} ${file}: ${result.fatal}`);
  return { result, memory };
}

export async function runDiffCommand(req: DiffRequest, deps: CliDeps): Promise<number> {
  let left: DiffSide, right: DiffSide;
  try {
    left = await decodeSide(req.left, 'LEFT', deps);
    right = await decodeSide(req.right, 'RIGHT', deps);
  } catch (e) {
    if (!(e instanceof SideError)) throw e;
    deps.err(`kho-inspect: ${e.message}\n`);
    return EXIT.undecodable;
  }
  if (process.stderr.isTTY) deps.err('\r\x1b[K');
  const d = new DumpDiff(left, right);
  await deps.outChunks(diffJsonChunks(d, { summary: req.summary, names: { left: req.left, right: req.right } }));
  return d.same() ? EXIT.same : EXIT.differ;
}
