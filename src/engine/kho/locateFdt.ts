// Finding the KHO FDT inside an image (docs/kho-format.md §5.2): page-aligned FDT headers whose root
// compatible starts with "kho-v". A huge image takes long to scan, so this skips the file's holes, is
// async, reports progress and honours cancellation.

import { intersectRanges, type PhysMemory, type PhysRange } from '../image/physMemory';
import { CancelledError, type LongRunning } from '../util/cancel';

const FDT_MAGIC = 0xd00dfeed;
const SCAN_STEP = 4096; // KHO FDTs are page-aligned; 4 KiB steps cover every page size.
const CHUNK = 1 << 20;
/** Largest FDT we read from memory: the KHO root FDT is one page; be generous for 64 KiB pages. */
export const MAX_FDT_BYTES = 1 << 20;

function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Reads the FDT blob at `phys` (header totalsize bytes, bounded); undefined if no FDT header there. */
export function readFdtAt(mem: PhysMemory, phys: bigint): Uint8Array | undefined {
  if (!mem.contains(phys, 40)) return undefined;
  const h = mem.read(phys, 40);
  if (be32(h, 0) !== FDT_MAGIC) return undefined;
  const total = be32(h, 4);
  if (total < 40 || total > MAX_FDT_BYTES) return undefined;
  // A truncated dump may end inside the blob: read what is there and let the parser explain.
  let len = total;
  while (len > 40 && !mem.contains(phys, len)) len = Math.max(40, len >> 1);
  return mem.read(phys, len);
}

/** Root `compatible` of a blob, cheaply: the first property of the root node named compatible. */
export function rootCompatible(blob: Uint8Array): string | undefined {
  if (blob.length < 40) return undefined;
  const offStruct = be32(blob, 8),
    offStrings = be32(blob, 12);
  let p = offStruct;
  const end = Math.min(blob.length, offStruct + be32(blob, 36));
  if (p + 8 > end || be32(blob, p) !== 1) return undefined; // FDT_BEGIN_NODE
  p += 4;
  while (p < end && blob[p] !== 0) p++;
  p = (p + 4) & ~3;
  for (let guard = 0; p + 12 <= end && guard < 64; guard++) {
    const tok = be32(blob, p);
    if (tok === 4) {
      p += 4;
      continue;
    } // NOP
    if (tok !== 3) return undefined; // not a property: no compatible on the root
    const len = be32(blob, p + 4),
      nameOff = be32(blob, p + 8);
    const val = p + 12;
    if (val + len > end) return undefined;
    let n = offStrings + nameOff,
      name = '';
    while (n < blob.length && blob[n] !== 0 && name.length < 64) name += String.fromCharCode(blob[n++]);
    if (name === 'compatible') {
      let s = '';
      for (let i = val; i < val + len && blob[i] !== 0; i++) s += String.fromCharCode(blob[i]);
      return s;
    }
    p = (val + len + 3) & ~3;
  }
  return undefined;
}

/** What a scan for KHO FDTs found and what it read. */
export interface FdtScan {
  /** Every page-aligned physical address holding an FDT whose root compatible starts with "kho-v". */
  candidates: bigint[];
  /** Bytes of the dump read while looking. */
  bytesRead: number;
  /** Bytes not read because the dump's file holds holes there (they read as zeros, so hold no FDT). */
  bytesSkipped: number;
}

function alignUp(a: bigint): bigint {
  return (a + BigInt(SCAN_STEP - 1)) & ~BigInt(SCAN_STEP - 1);
}

function spanBytes(rs: readonly PhysRange[]): number {
  let n = 0;
  for (const r of rs) n += Number(r.end - r.start);
  return n;
}

/**
 * Looks at each page-aligned page of the dump for a `kho-v*` FDT. Only the data the dump's file holds
 * is read: holes the file system reports (PhysMemory.dataRanges) read as zeros and cannot hold the
 * FDT magic. Progress counts the bytes read against the bytes to read.
 */
export async function scanForKhoFdts(mem: PhysMemory, opts: LongRunning = {}): Promise<FdtScan> {
  if (opts.token?.isCancellationRequested) throw new CancelledError();
  const data = await mem.dataRanges?.(opts);
  const scan = data ? intersectRanges(mem.ranges, data) : mem.ranges;
  let total = 0;
  for (const r of scan) {
    const a = alignUp(r.start);
    if (a < r.end) total += Number(r.end - a);
  }
  const found: bigint[] = [];
  let done = 0;
  for (const r of scan) {
    let a = alignUp(r.start);
    while (a < r.end) {
      if (opts.token?.isCancellationRequested) throw new CancelledError();
      const len = Number(r.end - a < BigInt(CHUNK) ? r.end - a : BigInt(CHUNK));
      const buf = mem.read(a, len);
      for (let o = 0; o + 4 <= len; o += SCAN_STEP) {
        if (buf[o] !== 0xd0 || buf[o + 1] !== 0x0d || buf[o + 2] !== 0xfe || buf[o + 3] !== 0xed) continue;
        const blob = readFdtAt(mem, a + BigInt(o));
        if (blob && rootCompatible(blob)?.startsWith('kho-v')) found.push(a + BigInt(o));
      }
      a += BigInt(len);
      done += len;
      opts.onProgress?.({ stage: 'Scanning the image for the KHO FDT', done, total });
      if (opts.yieldNow) await opts.yieldNow();
    }
  }
  return { candidates: found, bytesRead: done, bytesSkipped: spanBytes(mem.ranges) - spanBytes(scan) };
}
