// The JSON of `kho-inspect diff`: one object, addresses as lower-case 0x strings, produced lazily in
// chunks (a million differing blocks never become one string, nor a queue of them).

import { AsciiChunks, chunkText, releaseChunk, type OutChunk } from '../report/asciiOut';
import { CHUNK_CHARS, diagnosticJson } from '../report/contract';
import { BlockMerge } from './blockDiff';
import type { DiffSideName, DumpDiff } from './dumpDiff';

export interface DiffJsonOptions {
  /** Leave out the `onlyLeft` and `onlyRight` block lists. */
  summary?: boolean;
  /** What each side was opened from (shown as `image`). */
  names: { left: string; right: string };
}

function sideJson(d: DumpDiff, side: DiffSideName, name: string): object {
  const { result } = d[side];
  const counts: Record<string, number> = {};
  for (const [o, n] of result.tracker?.blocks.countsByOrder() ?? []) counts[String(o)] = n;
  return {
    image: name,
    compatible: result.fdt?.kho.compatible ?? null,
    counts,
    format: result.image.format,
    pageSize: result.tracker?.pageSize ?? null,
  };
}

/**
 * The blocks of `side` the other side does not hold, as the inside of a JSON array in chunks of
 * about CHUNK_CHARS: the merge is paused at each full chunk, so a span of a million adjacent blocks
 * is cut too. `counted` gets the number of blocks once the list is complete.
 */
function* blockChunks(d: DumpDiff, side: DiffSideName, counted: (n: number) => void): Generator<OutChunk> {
  const [mine, other] = side === 'left' ? [d.leftBlocks, d.rightBlocks] : [d.rightBlocks, d.leftBlocks];
  const shift = mine.pageShift,
    pageSize = 2 ** shift;
  const merge = new BlockMerge(mine, other);
  const out = new AsciiChunks(CHUNK_CHARS);
  let n = 0;
  // The part of the current span not yet written (a span can hold more blocks than a chunk).
  let pfn = 0,
    order = 0,
    left = 0;
  const fill = (): boolean => {
    const step = 2 ** order;
    for (; left > 0 && !out.full; left--, pfn += step) {
      out.text(n++ ? ',\n    {"phys":"0x' : '\n    {"phys":"0x');
      out.pfnHex(pfn, pageSize, shift);
      out.text('","order":');
      out.int(order);
      out.text('}');
    }
    return left === 0;
  };
  const span = (p: number, o: number, k: number): boolean => {
    pfn = p;
    order = o;
    left = k;
    return fill();
  };
  for (let done = false; ;) {
    if (left > 0) fill();
    else if (done) break;
    else done = merge.run(span);
    if (out.full) yield out.take();
  }
  out.text(n ? '\n  ]' : ']');
  yield out.take();
  counted(n);
}

/** The pages of `side` the other side does not hold, as the inside of a one-line JSON array, in chunks. */
function* rangeChunks(d: DumpDiff, side: DiffSideName): Generator<OutChunk> {
  const sub = d.rangesOnly(side),
    shift = sub.pageShift,
    pageSize = 2 ** shift;
  const out = new AsciiChunks(CHUNK_CHARS);
  let n = 0;
  const add = (start: number, end: number): boolean => {
    out.text(n++ ? ',{"start":"0x' : '{"start":"0x');
    out.pfnHex(start, pageSize, shift);
    out.text('","end":"0x');
    out.pfnHex(end, pageSize, shift);
    out.text('"}');
    return !out.full;
  };
  while (!sub.run(add)) yield out.take();
  yield out.take();
}

/**
 * The diff JSON as a lazy sequence of chunks (ends with a newline): the consumer pulls the next
 * chunk only when it can take it, so the block lists are never held whole.
 */
export function* diffJsonChunks(d: DumpDiff, opts: DiffJsonOptions): Generator<OutChunk> {
  yield (
    '{\n  "left": ' +
    JSON.stringify(sideJson(d, 'left', opts.names.left)) +
    ',\n  "right": ' +
    JSON.stringify(sideJson(d, 'right', opts.names.right))
  );
  if (!opts.summary) {
    // The two full walks count the blocks too, which spares the counting merge of blockCounts().
    let onlyLeft = 0,
      onlyRight = 0;
    yield ',\n  "onlyLeft": [';
    yield* blockChunks(d, 'left', (n) => {
      onlyLeft = n;
    });
    yield ',\n  "onlyRight": [';
    yield* blockChunks(d, 'right', (n) => {
      onlyRight = n;
    });
    d.rememberCounts({ onlyLeft, onlyRight });
  }
  yield ',\n  "ranges": {"onlyLeft":[';
  yield* rangeChunks(d, 'left');
  yield '],"onlyRight":[';
  yield* rangeChunks(d, 'right');
  const c = d.clients;
  let buf =
    ']},\n  "clients": ' +
    JSON.stringify({
      onlyLeft: c.onlyLeft,
      onlyRight: c.onlyRight,
      changed: c.changed.map((x) => x.name),
      changes: Object.fromEntries(c.changed.map((x) => [x.name, x.changes])),
    });
  const counts = d.blockCounts();
  buf +=
    ',\n  "summary": ' +
    JSON.stringify({ same: d.same(), onlyLeftBlocks: counts.onlyLeft, onlyRightBlocks: counts.onlyRight });
  const diags = (['left', 'right'] as const).flatMap((side) =>
    d[side].result.diagnostics.map((x) => ({ side, ...diagnosticJson(x) })),
  );
  yield buf + ',\n  "diagnostics": ' + JSON.stringify(diags) + '\n}\n';
}

/** Writes the diff JSON through `write` in pieces; ends with a newline. */
export function writeDiffJson(d: DumpDiff, write: (chunk: string) => void, opts: DiffJsonOptions): void {
  for (const chunk of diffJsonChunks(d, opts)) {
    write(chunkText(chunk));
    releaseChunk(chunk);
  }
}
