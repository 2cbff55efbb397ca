// The JSON of `kho-inspect diff`: one object, addresses as lower-case 0x strings, block lists
// streamed in pieces (a million differing blocks never become one string).

import { diagnosticJson } from '../report/contract';
import { hex } from '../util/hex';
import type { DiffSideName, DumpDiff } from './dumpDiff';

export interface DiffJsonOptions {
  /** Leave out the `onlyLeft` and `onlyRight` block lists. */
  summary?: boolean;
  /** What each side was opened from (shown as `image`). */
  names: { left: string; right: string };
}

const FLUSH = 1 << 16;

function sideJson(d: DumpDiff, side: DiffSideName, name: string): object {
  const { result } = d[side];
  const counts: Record<string, number> = {};
  for (const [o, n] of result.tracker?.blocks.countsByOrder() ?? []) counts[String(o)] = n;
  return {
    image: name, compatible: result.fdt?.kho.compatible ?? null, counts,
    format: result.image.format, pageSize: result.tracker?.pageSize ?? null,
  };
}

function writeBlocks(d: DumpDiff, side: DiffSideName, write: (s: string) => void): number {
  const shift = BigInt((side === 'left' ? d.leftBlocks : d.rightBlocks).pageShift);
  let buf = '', n = 0;
  d.forEachOnly(side, (pfn, order) => {
    buf += (n++ ? ',\n    ' : '\n    ') + '{"phys":"' + hex(BigInt(pfn) << shift) + '","order":' + order + '}';
    if (buf.length > FLUSH) { write(buf); buf = ''; }
  });
  write(buf + (n ? '\n  ]' : ']'));
  return n;
}

const rangesJson = (rs: readonly { start: bigint; end: bigint }[]) => rs.map((r) => ({ start: hex(r.start), end: hex(r.end) }));

/** Writes the diff JSON through `write`; ends with a newline. */
export function writeDiffJson(d: DumpDiff, write: (chunk: string) => void, opts: DiffJsonOptions): void {
  write('{\n  "left": ' + JSON.stringify(sideJson(d, 'left', opts.names.left)));
  write(',\n  "right": ' + JSON.stringify(sideJson(d, 'right', opts.names.right)));
  if (!opts.summary) {
    write(',\n  "onlyLeft": [');
    const onlyLeft = writeBlocks(d, 'left', write);
    write(',\n  "onlyRight": [');
    const onlyRight = writeBlocks(d, 'right', write);
    d.rememberCounts({ onlyLeft, onlyRight });
  }
  write(',\n  "ranges": ' + JSON.stringify({ onlyLeft: rangesJson(d.ranges.onlyLeft), onlyRight: rangesJson(d.ranges.onlyRight) }));
  const c = d.clients;
  write(',\n  "clients": ' + JSON.stringify({
    onlyLeft: c.onlyLeft, onlyRight: c.onlyRight, changed: c.changed.map((x) => x.name),
    changes: Object.fromEntries(c.changed.map((x) => [x.name, x.changes])),
  }));
  const counts = d.blockCounts();
  write(',\n  "summary": ' + JSON.stringify({ same: d.same(), onlyLeftBlocks: counts.onlyLeft, onlyRightBlocks: counts.onlyRight }));
  const diags = (['left', 'right'] as const).flatMap((side) => d[side].result.diagnostics.map((x) => ({ side, ...diagnosticJson(x) })));
  write(',\n  "diagnostics": ' + JSON.stringify(diags));
  write('\n}\n');
}
