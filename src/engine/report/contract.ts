// The CLI's JSON contract: one object, addresses as lower-case 0x strings, streamed so
// a million preserved blocks never become one giant string in memory.

import type { Diagnostic } from '../diagnostics';
import { handoffJson, scratchJson } from '../checks/output';
import type { DecodeResult } from '../session';
import { hex } from '../util/hex';

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

/** Writes the contract JSON through `write` in pieces; ends with a newline. */
export function writeContractJson(r: DecodeResult, write: (chunk: string) => void, opts: ContractOptions = {}): void {
  const t = r.tracker;
  write('{\n  "image": ' + JSON.stringify({
    format: r.image.format,
    ranges: r.image.ranges.map((x) => ({ start: hex(x.start), end: hex(x.end) })),
  }));
  write(',\n  "fdt": ' + JSON.stringify(fdtJson(r)));
  // Only when the hand-off inputs were given (an optional field: readers of the contract ignore what they do not know).
  const scratch = scratchJson(r), handoff = handoffJson(r);
  if (scratch) write(',\n  "scratch": ' + JSON.stringify(scratch));
  if (handoff) write(',\n  "handoff": ' + JSON.stringify(handoff));
  if (t) {
    const tracker: Record<string, unknown> = { kind: t.kind, pageSize: t.pageSize };
    if (!opts.summary) {
      const nodePages: Record<string, string[]> = {};
      const keys = [...t.nodePages.keys()].sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(b) - Number(a) : a.localeCompare(b)));
      for (const k of keys) nodePages[k] = t.nodePages.get(k)!.map((p) => hex(p));
      tracker.nodePages = nodePages;
    }
    write(',\n  "tracker": ' + JSON.stringify(tracker));
  } else write(',\n  "tracker": null');
  if (!opts.summary) {
    write(',\n  "preserved": [');
    let first = true, buf = '';
    for (const b of t ? t.blocks.sorted() : []) {
      buf += (first ? '\n    ' : ',\n    ') + '{"phys":"0x' + b.phys.toString(16) + '","order":' + b.order + '}';
      first = false;
      if (buf.length > 1 << 16) { write(buf); buf = ''; }
    }
    write(buf + (first ? ']' : '\n  ]'));
  }
  write(',\n  "ranges": [');
  let first = true, buf = '';
  for (const x of t ? t.blocks.ranges() : []) {
    buf += (first ? '\n    ' : ',\n    ') + '{"start":"' + hex(x.start) + '","end":"' + hex(x.end) + '"}';
    first = false;
    if (buf.length > 1 << 16) { write(buf); buf = ''; }
  }
  write(buf + (first ? ']' : '\n  ]'));
  const counts: Record<string, number> = {};
  if (t) for (const [o, n] of t.blocks.countsByOrder()) counts[String(o)] = n;
  write(',\n  "counts": ' + JSON.stringify(counts));
  write(',\n  "diagnostics": ' + JSON.stringify(r.diagnostics.map(diagnosticJson), null, 0));
  write('\n}\n');
}
