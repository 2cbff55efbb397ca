// Fixed-width field readers at any offset (no alignment assumed: FDT property data is only 4-byte
// aligned) and hex renderings of byte strings. Little-endian is CPU-native on every KHO architecture;
// big-endian is the FDT container. Callers check bounds.

/** Little-endian u16. */
export function readU16LE(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

/** Little-endian u32. */
export function readU32LE(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

/** Little-endian u64 as bigint, assembled from two u32 halves. */
export function readU64LE(b: Uint8Array, off: number): bigint {
  return (BigInt(readU32LE(b, off + 4)) << 32n) | BigInt(readU32LE(b, off));
}

/** Big-endian u32. */
export function readU32BE(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Big-endian u64 as bigint. */
export function readU64BE(b: Uint8Array, off: number): bigint {
  return (BigInt(readU32BE(b, off)) << 32n) | BigInt(readU32BE(b, off + 4));
}

/** Lower-case hex pairs of bytes joined by `separator`: "0a 1b" (default) or "0a1b" with ''. */
export function hexBytes(b: Uint8Array, separator = ' '): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(separator);
}

/** Printable ASCII rendering of bytes (others as "."). */
export function asciiBytes(b: Uint8Array): string {
  return Array.from(b, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
}

/** True when both hold the same bytes; compares 32 bits at a time where both views allow it. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words),
      wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let k = 0; k < words; k++) if (wa[k] !== wb[k]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
