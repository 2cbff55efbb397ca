// The CLI's JSON contract: one object, addresses as lower-case 0x strings, streamed so
// a million preserved blocks never become one giant string in memory.

import type { Diagnostic } from '../diagnostics';
import type { DecodeResult } from '../decode';
import { handoffJson, scratchJson } from './checkReport';
import { hex, hexDigits } from '../util/hex';

export const CONTRACT_VERSION = 1;

export interface ContractOptions {
  /** Leave out `preserved` and `tracker.nodePages` (very large trees). */
  summary?: boolean;
}

export function diagnosticJson(d: Diagnostic): object {
  return { severity: d.severity, code: d.code, address: d.address === null ? null : hex(d.address), message: d.message };
}

function fdtJson(r: DecodeResult): object | null {
  const f = r.fdt;
  if (!f) return null;
  return {
    source: f.source,
    address: f.address === null ? null : hex(f.address),
    compatible: f.kho.compatible,
    version: f.kho.version,
    preservedMemoryMap: f.kho.preservedMemoryMap === null ? null : hex(f.kho.preservedMemoryMap),
    subnodes: f.kho.subnodes.map((s) => ({
      name: s.name,
      preservedData: s.preservedData === null ? null : hex(s.preservedData),
      blobSize: s.blobSize === null ? null : hex(s.blobSize),
    })),
    candidates: f.candidates.map((c) => hex(c)),
  };
}

/** Chunks are cut once they pass this many characters: bounded memory whatever the block count. */
export const CHUNK_CHARS = 1 << 16;

/** Writes the contract JSON through `write` in pieces; ends with a newline. */
export function writeContractJson(r: DecodeResult, write: (chunk: string) => void, opts: ContractOptions = {}): void {
  for (const chunk of contractJsonChunks(r, opts)) write(chunk);
}

/**
 * The contract JSON as a lazy sequence of chunks of about CHUNK_CHARS characters: the consumer
 * pulls the next chunk only when it can take it, so nothing but one chunk is ever held.
 */
export function* contractJsonChunks(r: DecodeResult, opts: ContractOptions = {}): Generator<string> {
  const t = r.tracker;
  yield '{\n  "image": ' + JSON.stringify({
    format: r.image.format,
    ranges: r.image.ranges.map((x) => ({ start: hex(x.start), end: hex(x.end) })),
  }) + ',\n  "fdt": ' + JSON.stringify(fdtJson(r));
  // Only when the hand-off inputs were given (an optional field: readers of the contract ignore what they do not know).
  const scratch = scratchJson(r), handoff = handoffJson(r);
  if (scratch) yield ',\n  "scratch": ' + JSON.stringify(scratch);
  if (handoff) yield ',\n  "handoff": ' + JSON.stringify(handoff);
  if (t) {
    let buf = ',\n  "tracker": {"kind":' + JSON.stringify(t.kind) + ',"pageSize":' + JSON.stringify(t.pageSize);
    if (!opts.summary) {
      // Keys in the order JSON.stringify gives an object built in this order (integer keys ascend).
      const order = [...t.nodePages.keys()].sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(b) - Number(a) : a.localeCompare(b)));
      const keys = Object.keys(Object.fromEntries(order.map((k) => [k, 0])));
      buf += ',"nodePages":{';
      keys.forEach((k, ki) => {
        buf += (ki ? ',' : '') + JSON.stringify(k) + ':[';
        t.nodePages.get(k)!.forEach((p, i) => { buf += (i ? ',"0x' : '"0x') + p.toString(16) + '"'; });
        buf += ']';
      });
      buf += '}';
    }
    yield buf + '}';
  } else yield ',\n  "tracker": null';
  if (!opts.summary) yield* preservedChunks(r);
  yield* rangeChunks(r);
  const counts: Record<string, number> = {};
  if (t) for (const [o, n] of t.blocks.countsByOrder()) counts[String(o)] = n;
  let buf = ',\n  "counts": ' + JSON.stringify(counts) + ',\n  "diagnostics": [';
  for (let i = 0; i < r.diagnostics.length; i++) {
    buf += (i ? ',' : '') + JSON.stringify(diagnosticJson(r.diagnostics[i]));
    if (buf.length >= CHUNK_CHARS) { yield buf; buf = ''; }
  }
  yield buf + ']\n}\n';
}

function* preservedChunks(r: DecodeResult): Generator<string> {
  const t = r.tracker;
  let buf = ',\n  "preserved": [', first = true;
  if (t) {
    const pageSize = 2 ** t.blocks.pageShift, shift = BigInt(t.blocks.pageShift);
    const cursor = t.blocks.sortedCursor();
    const add = (pfn: number, order: number): boolean => {
      const a = pfn * pageSize;
      const phys = a <= Number.MAX_SAFE_INTEGER ? hexDigits(a) : (BigInt(pfn) << shift).toString(16);
      buf += (first ? '\n    {"phys":"0x' : ',\n    {"phys":"0x') + phys + '","order":' + order + '}';
      first = false;
      return buf.length < CHUNK_CHARS;
    };
    while (!cursor.done) {
      cursor.run(add);
      if (buf.length >= CHUNK_CHARS) { yield buf; buf = ''; }
    }
  }
  yield buf + (first ? ']' : '\n  ]');
}

function* rangeChunks(r: DecodeResult): Generator<string> {
  const table = r.tracker?.blocks.rangeTable();
  let buf = ',\n  "ranges": [';
  const n = table ? table.length : 0;
  for (let i = 0; i < n; i++) {
    buf += (i ? ',\n    {"start":"' : '\n    {"start":"') + table!.hexOf(table!.startPfn(i)) + '","end":"' + table!.hexOf(table!.endPfn(i)) + '"}';
    if (buf.length >= CHUNK_CHARS) { yield buf; buf = ''; }
  }
  yield buf + (n ? '\n  ]' : ']');
}
