// ASCII output built as bytes: the long lists of a report (a million addresses) are written digit
// by digit into a byte buffer instead of as strings concatenated, flattened and then encoded again
// by the stream; that string traffic, not the decode, was most of a large report's time.

/** A piece of report output: text, or ASCII bytes (stdout and file writers take both as they are). */
export type OutChunk = string | Uint8Array;

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const TWO_32 = 4294967296;

/**
 * Buffers of chunks a writer is done with (releaseChunk), for later chunks: dead chunk buffers are
 * memory outside the JS heap that the collector frees late, so a 90 MB report would otherwise raise
 * the peak RSS by tens of MiB.
 */
const spare: ArrayBufferLike[] = [];
const owned = new WeakSet<ArrayBufferLike>();
/** Chunks handed out and not yet released: a second release of one is ignored. */
const outstanding = new WeakSet<Uint8Array>();
const MAX_SPARE = 8;

function chunkBuffer(bytes: number): Uint8Array {
  const i = spare.findIndex((b) => b.byteLength === bytes);
  if (i >= 0) return new Uint8Array(spare.splice(i, 1)[0]);
  const b = new Uint8Array(bytes);
  owned.add(b.buffer);
  return b;
}

/**
 * Says that nothing holds `chunk` any more (it was written out, or copied): its buffer may carry a
 * later chunk. Strings, chunks that did not come from AsciiChunks and chunks already released are
 * ignored.
 */
export function releaseChunk(chunk: OutChunk): void {
  if (typeof chunk === 'string' || !outstanding.has(chunk)) return;
  outstanding.delete(chunk);
  if (owned.has(chunk.buffer) && spare.length < MAX_SPARE) spare.push(chunk.buffer);
}

/**
 * Fills byte chunks of about `size` bytes. A chunk handed out by take() is not touched again until
 * its writer passes it to releaseChunk, so a stream may hold it as long as it likes.
 */
export class AsciiChunks {
  private buf: Uint8Array;
  private n = 0;

  constructor(private readonly size: number) {
    // Room for one more item after `size` (an item is far below 512 bytes; longer text goes through text()).
    this.buf = chunkBuffer(size + 512);
  }

  get length(): number {
    return this.n;
  }
  get full(): boolean {
    return this.n >= this.size;
  }

  /** ASCII text (JSON punctuation, keys): one byte per character. */
  text(s: string): void {
    if (this.n + s.length > this.buf.length) this.grow(s.length);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** A number in decimal, as String(v) writes it. */
  int(v: number): void {
    if (v >= 0 && v < 10 && (v | 0) === v) {
      this.buf[this.n++] = 48 + v;
      return;
    }
    this.text(String(v));
  }

  /** Lower-case hex digits (no prefix) of the byte address of page `pfn`, as Number/BigInt#toString(16) give them. */
  pfnHex(pfn: number, pageSize: number, pageShift: number): void {
    const a = pfn * pageSize;
    if (a > Number.MAX_SAFE_INTEGER) {
      this.text((BigInt(pfn) << BigInt(pageShift)).toString(16));
      return;
    }
    const hi = Math.floor(a / TWO_32),
      lo = a >>> 0;
    if (hi > 0) {
      this.hex32(hi, 1);
      this.hex32(lo, 8);
    } else this.hex32(lo, 1);
  }

  /** The bytes so far as one chunk (a fresh buffer takes their place). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.n);
    outstanding.add(out);
    this.buf = chunkBuffer(this.size + 512);
    this.n = 0;
    return out;
  }

  /** Hex digits of an unsigned 32-bit value, at least `minDigits` of them (leading zeros dropped above that). */
  private hex32(v: number, minDigits: number): void {
    let d = 8;
    while (d > minDigits && v >>> ((d - 1) * 4) === 0) d--;
    const b = this.buf;
    let n = this.n;
    for (let k = d - 1; k >= 0; k--) b[n++] = HEX[(v >>> (k * 4)) & 15];
    this.n = n;
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra + 512));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}

/** A chunk as text (ASCII bytes map one to one), for writers that take strings. */
export function chunkText(c: OutChunk): string {
  if (typeof c === 'string') return c;
  let s = '';
  for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192));
  return s;
}
