// makedumpfile's "flattened" stream (what `makedumpfile -F` and QEMU `dump-guest-memory -z` write
// to a pipe): a 4096-byte header {char signature[16] = "makedumpfile"; i64 type = 1; i64 version = 1}
// then records {i64 offset; i64 size; size bytes} (big-endian) that each say "these bytes belong at
// this offset of the seekable file", ended by a record whose offset is -1. `makedumpfile -R`
// replays them into the seekable file; here one pass indexes them and FlattenedByteSource reads
// the seekable file's bytes straight from the stream. Later records win where they overlap, as
// with the replay; offsets no record covers read as zeros.

import { Diagnostic, diag, type DiagnosticCode } from '../diagnostics';
import { ByteSource } from '../io/byteSource';
import { hex } from '../util/hex';

export const MDF_SIGNATURE = 'makedumpfile';
/** The stream header block; the first record starts here. */
export const MDF_HEADER_SIZE = 4096;
export const MDF_TYPE_FLAT_HEADER = 1n;
export const MDF_VERSION_FLAT_HEADER = 1n;
export const MDF_END_FLAG = -1n;
export const MDF_RECORD_HEADER = 16;

export interface FlattenedSegment {
  /** Offset in the seekable file. */
  target: number;
  /** Offset in the stream. */
  source: number;
  length: number;
}

/** The seekable file a flattened stream describes, read on demand from the stream. */
export class FlattenedByteSource implements ByteSource {
  private readonly targets: Float64Array;
  private readonly sources: Float64Array;
  private readonly lengths: Float64Array;

  constructor(
    private readonly stream: ByteSource,
    segments: readonly FlattenedSegment[],
    readonly size: number,
    readonly recordCount: number,
  ) {
    this.targets = Float64Array.from(segments, (s) => s.target);
    this.sources = Float64Array.from(segments, (s) => s.source);
    this.lengths = Float64Array.from(segments, (s) => s.length);
  }

  get segmentCount(): number {
    return this.targets.length;
  }

  /** Where `offset` of the seekable file lives in the stream (undefined for a hole). */
  streamOffset(offset: number): number | undefined {
    const k = this.segmentAt(offset);
    return k < this.targets.length && this.targets[k] <= offset
      ? this.sources[k] + (offset - this.targets[k])
      : undefined;
  }

  readInto(offset: number, dest: Uint8Array): number {
    if (offset >= this.size || dest.length === 0) return 0;
    const n = Math.min(dest.length, this.size - offset);
    dest.fill(0, 0, n);
    for (let k = this.segmentAt(offset); k < this.targets.length; k++) {
      const t = this.targets[k];
      if (t >= offset + n) break;
      const from = Math.max(offset, t);
      const to = Math.min(offset + n, t + this.lengths[k]);
      const part = dest.subarray(from - offset, to - offset);
      const src = this.sources[k] + (from - t);
      let got = 0;
      while (got < part.length) {
        const r = this.stream.readInto(src + got, part.subarray(got));
        if (r <= 0) break;
        got += r;
      }
      if (got < part.length) return from - offset + got; // the stream shrank under us
    }
    return n;
  }

  close(): void {
    this.stream.close?.();
  }

  /** First segment that ends after offset. */
  private segmentAt(offset: number): number {
    let lo = 0,
      hi = this.targets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.targets[mid] + this.lengths[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface FlattenedHeader {
  signature: string;
  type: bigint;
  version: bigint;
}

export interface FlattenedIndexResult {
  source: FlattenedByteSource | null;
  header: FlattenedHeader | null;
  diagnostics: Diagnostic[];
  error: string | null;
}

interface Rec {
  target: number;
  source: number;
  length: number;
  seq: number;
}

/** Indexes a flattened stream in one pass over its record headers. Never throws for bad content. */
export function indexFlattened(stream: ByteSource): FlattenedIndexResult {
  const diagnostics: Diagnostic[] = [];
  const fail = (code: DiagnosticCode, message: string): FlattenedIndexResult => {
    diagnostics.push(diag('error', code, null, message));
    return { source: null, header: null, diagnostics, error: message };
  };
  const size = stream.size;
  const head = new Uint8Array(32);
  const got = size > 0 ? readFull(stream, 0, head) : 0;
  let sig = '';
  for (let i = 0; i < 16 && i < got && head[i] !== 0; i++) sig += String.fromCharCode(head[i]);
  if (sig !== MDF_SIGNATURE) {
    return fail(
      'flattened-bad-signature',
      `no makedumpfile flattened signature at offset 0x0: found ${JSON.stringify(sig)}, expected "makedumpfile"`,
    );
  }
  if (got < 32)
    return fail(
      'flattened-truncated',
      `file is ${size} bytes, too short for the flattened header (32 bytes at offset 0x0)`,
    );
  const dv = new DataView(head.buffer);
  const header: FlattenedHeader = {
    signature: sig,
    type: dv.getBigInt64(16, false),
    version: dv.getBigInt64(24, false),
  };
  if (header.type !== MDF_TYPE_FLAT_HEADER) {
    diagnostics.push(
      diag(
        'warning',
        'flattened-header',
        null,
        `flattened header type at offset 0x10 is ${header.type}, expected 1; reading the records anyway`,
      ),
    );
  }
  if (header.version !== MDF_VERSION_FLAT_HEADER) {
    diagnostics.push(
      diag(
        'warning',
        'flattened-header',
        null,
        `flattened header version at offset 0x18 is ${header.version}, expected 1; reading the records anyway`,
      ),
    );
  }

  const recs: Rec[] = [];
  const rh = new Uint8Array(MDF_RECORD_HEADER);
  const rdv = new DataView(rh.buffer);
  let pos = MDF_HEADER_SIZE;
  let ended = false;
  while (pos < size) {
    const n = readFull(stream, pos, rh);
    if (n < MDF_RECORD_HEADER) {
      diagnostics.push(
        diag(
          'error',
          'flattened-truncated',
          null,
          `the stream ends inside a record header at offset ${hex(pos)} (${n} of ${MDF_RECORD_HEADER} bytes): the dump was cut short`,
        ),
      );
      break;
    }
    const target = rdv.getBigInt64(0, false),
      length = rdv.getBigInt64(8, false);
    if (target === MDF_END_FLAG) {
      ended = true;
      break;
    }
    if (target < 0n || length < 0n || target + length > BigInt(Number.MAX_SAFE_INTEGER)) {
      diagnostics.push(
        diag(
          'error',
          'flattened-bad-record',
          null,
          `record header at offset ${hex(pos)} has offset ${target} and size ${length}; records from here on are not read`,
        ),
      );
      break;
    }
    const data = pos + MDF_RECORD_HEADER;
    const avail = size - data;
    if (length > BigInt(avail)) {
      diagnostics.push(
        diag(
          'error',
          'flattened-truncated',
          null,
          `record at offset ${hex(pos)} (${hex(length)} bytes for file offset ${hex(target)}) is cut short by the end of the stream at ${hex(size)}; ` +
            `file offsets from ${hex(target + BigInt(avail))} on that it carries are missing`,
        ),
      );
      if (avail > 0) recs.push({ target: Number(target), source: data, length: avail, seq: recs.length });
      pos = size;
      break;
    }
    if (length > 0n) recs.push({ target: Number(target), source: data, length: Number(length), seq: recs.length });
    pos = data + Number(length);
  }
  if (!ended && pos >= size && !diagnostics.some((d) => d.code === 'flattened-truncated')) {
    diagnostics.push(
      diag(
        'warning',
        'flattened-no-end',
        null,
        `the stream ends at offset ${hex(size)} without the end-of-stream record (offset -1): it may be cut short`,
      ),
    );
  }
  if (recs.length === 0)
    return fail(
      'flattened-empty',
      `the flattened stream holds no data records after its header at offset ${hex(MDF_HEADER_SIZE)}`,
    );

  const { segments, overwritten } = resolve(recs);
  if (overwritten > 0) {
    diagnostics.push(
      diag(
        'info',
        'flattened-overlap',
        null,
        `${overwritten} records of the flattened stream overlap earlier ones; the later data wins, as with makedumpfile -R`,
      ),
    );
  }
  const last = segments[segments.length - 1];
  return {
    source: new FlattenedByteSource(stream, segments, last.target + last.length, recs.length),
    header,
    diagnostics,
    error: null,
  };
}

function readFull(src: ByteSource, offset: number, dest: Uint8Array): number {
  let got = 0;
  while (got < dest.length) {
    const n = src.readInto(offset + got, dest.subarray(got));
    if (n <= 0) break;
    got += n;
  }
  return got;
}

/** Sorted, disjoint segments where each byte comes from the last record that wrote it. */
function resolve(recs: Rec[]): { segments: FlattenedSegment[]; overwritten: number } {
  recs.sort((a, b) => a.target - b.target || a.seq - b.seq);
  let overlapping = false;
  for (let i = 1; i < recs.length && !overlapping; i++)
    overlapping = recs[i].target < recs[i - 1].target + recs[i - 1].length;
  if (!overlapping)
    return {
      segments: coalesce(recs.map(({ target, source, length }) => ({ target, source, length }))),
      overwritten: 0,
    };

  // Sweep over record boundaries with a max-heap (by seq) of the records covering the current point.
  const points = [...new Set(recs.flatMap((r) => [r.target, r.target + r.length]))].sort((a, b) => a - b);
  const heap: Rec[] = [];
  const push = (r: Rec) => {
    heap.push(r);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (heap[p].seq >= heap[i].seq) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0],
      end = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = end;
      for (let i = 0; ;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].seq > heap[m].seq) m = l;
        if (r < heap.length && heap[r].seq > heap[m].seq) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  const out: FlattenedSegment[] = [];
  let next = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const p0 = points[k],
      p1 = points[k + 1];
    while (next < recs.length && recs[next].target <= p0) push(recs[next++]);
    while (heap.length > 0 && heap[0].target + heap[0].length <= p0) pop();
    if (heap.length === 0) continue;
    const w = heap[0];
    out.push({ target: p0, source: w.source + (p0 - w.target), length: p1 - p0 });
  }
  // Records that overlap the one before them in file order (a count for the diagnostic).
  let overwritten = 0;
  for (let i = 1; i < recs.length; i++) if (recs[i].target < recs[i - 1].target + recs[i - 1].length) overwritten++;
  return { segments: coalesce(out), overwritten };
}

/** Merges segments that continue each other in both the file and the stream. */
function coalesce(s: FlattenedSegment[]): FlattenedSegment[] {
  const out: FlattenedSegment[] = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last && last.target + last.length === x.target && last.source + last.length === x.source)
      last.length += x.length;
    else out.push({ ...x });
  }
  return out;
}
