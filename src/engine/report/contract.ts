// The CLI's JSON contract: one object, addresses as lower-case 0x strings, streamed so
// a million preserved blocks never become one giant string in memory.

import type { Diagnostic } from '../diagnostics';
import type { DecodeResult } from '../decode';
import { handoffJson, scratchJson } from './checkReport';
import { hex } from '../util/hex';
import { AsciiChunks, chunkText, releaseChunk, type OutChunk } from './asciiOut';

export const CONTRACT_VERSION = 1;

export interface ContractOptions {
  /** Leave out `preserved` and `tracker.nodePages` (very large trees). */
  summary?: boolean;
}

export function diagnosticJson(d: Diagnostic): object {
  return {
    severity: d.severity,
    code: d.code,
    address: d.address === null ? null : hex(d.address),
    message: d.message,
  };
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
  for (const chunk of contractJsonChunks(r, opts)) {
    write(chunkText(chunk));
    releaseChunk(chunk);
  }
}

/**
 * The contract JSON as a lazy sequence of chunks of about CHUNK_CHARS characters (the long lists as
 * ASCII bytes, the rest as text): the consumer
 * pulls the next chunk only when it can take it, so nothing but one chunk is ever held.
 */
export function* contractJsonChunks(r: DecodeResult, opts: ContractOptions = {}): Generator<OutChunk> {
  const t = r.tracker;
  yield (
    '{\n  "image": ' +
    JSON.stringify({
      format: r.image.format,
      ranges: r.image.ranges.map((x) => ({ start: hex(x.start), end: hex(x.end) })),
    }) +
    ',\n  "fdt": ' +
    JSON.stringify(fdtJson(r))
  );
  // Only when the hand-off inputs were given (an optional field: readers of the contract ignore what they do not know).
  const scratch = scratchJson(r),
    handoff = handoffJson(r);
  if (scratch) yield ',\n  "scratch": ' + JSON.stringify(scratch);
  if (handoff) yield ',\n  "handoff": ' + JSON.stringify(handoff);
  if (t) {
    let buf = ',\n  "tracker": {"kind":' + JSON.stringify(t.kind) + ',"pageSize":' + JSON.stringify(t.pageSize);
    if (!opts.summary) {
      // Keys in the order JSON.stringify gives an object built in this order (integer keys ascend).
      const order = [...t.nodePages.keys()].sort((a, b) =>
        /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(b) - Number(a) : a.localeCompare(b),
      );
      const keys = Object.keys(Object.fromEntries(order.map((k) => [k, 0])));
      buf += ',"nodePages":{';
      keys.forEach((k, ki) => {
        buf += (ki ? ',' : '') + JSON.stringify(k) + ':[';
        t.nodePages.get(k)!.forEach((p, i) => {
          buf += (i ? ',"0x' : '"0x') + p.toString(16) + '"';
        });
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
    if (buf.length >= CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  yield buf + ']\n}\n';
}

function* preservedChunks(r: DecodeResult): Generator<OutChunk> {
  const t = r.tracker;
  const out = new AsciiChunks(CHUNK_CHARS);
  out.text(',\n  "preserved": [');
  let first = true;
  if (t) {
    const shift = t.blocks.pageShift,
      pageSize = 2 ** shift;
    const cursor = t.blocks.sortedCursor();
    const add = (pfn: number, order: number): boolean => {
      out.text(first ? '\n    {"phys":"0x' : ',\n    {"phys":"0x');
      out.pfnHex(pfn, pageSize, shift);
      out.text('","order":');
      out.int(order);
      out.text('}');
      first = false;
      return !out.full;
    };
    while (!cursor.done) {
      cursor.run(add);
      if (out.full) yield out.take();
    }
  }
  out.text(first ? ']' : '\n  ]');
  yield out.take();
}

function* rangeChunks(r: DecodeResult): Generator<OutChunk> {
  const table = r.tracker?.blocks.rangeTable();
  const out = new AsciiChunks(CHUNK_CHARS);
  out.text(',\n  "ranges": [');
  const n = table ? table.length : 0;
  if (table) {
    const shift = table.pageShift,
      pageSize = 2 ** shift;
    for (let i = 0; i < n; i++) {
      out.text(i ? ',\n    {"start":"0x' : '\n    {"start":"0x');
      out.pfnHex(table.startPfn(i), pageSize, shift);
      out.text('","end":"0x');
      out.pfnHex(table.endPfn(i), pageSize, shift);
      out.text('"}');
      if (out.full) yield out.take();
    }
  }
  out.text(n ? '\n  ]' : ']');
  yield out.take();
}
