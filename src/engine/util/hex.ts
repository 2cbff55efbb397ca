// Hex helpers. Every address and 64-bit value leaves the engine as a lower-case `0x…` string.

export const U64_MASK = (1n << 64n) - 1n;

/** Lower-case hex with a 0x prefix: 0x0, 0x1000, 0xffffffffffffffff. */
export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lower-case hex digits (no prefix) of a non-negative integer below 2^53, as Number#toString(16)
 * gives them, by table: V8's radix conversion of numbers above 2^31 is several times slower, and
 * the reports convert millions of addresses.
 */
export function hexDigits(v: number): string {
  const hi = Math.floor(v / 4294967296),
    lo = v >>> 0;
  let s = BYTE_HEX[lo >>> 24] + BYTE_HEX[(lo >>> 16) & 255] + BYTE_HEX[(lo >>> 8) & 255] + BYTE_HEX[lo & 255];
  if (hi > 0) s = BYTE_HEX[(hi >>> 16) & 255] + BYTE_HEX[(hi >>> 8) & 255] + BYTE_HEX[hi & 255] + s;
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i ? s.slice(i) : s;
}

/** Parses decimal or 0x-prefixed hex (underscores allowed, e.g. 0x1_0000_0000); undefined on junk or negative. */
export function parseAddress(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, '').toLowerCase();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/.test(t)) return undefined;
  const v = BigInt(t);
  return v <= U64_MASK ? v : undefined;
}

/** Human size: 4 KiB, 2 MiB, 1.5 GiB. */
export function humanSize(bytes: bigint | number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return (Number.isInteger(v) ? v.toString() : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}
