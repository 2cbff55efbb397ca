// Hex helpers. Every address and 64-bit value leaves the engine as a lower-case `0x…` string.

export const U64_MASK = (1n << 64n) - 1n;

/** Lower-case hex with a 0x prefix: 0x0, 0x1000, 0xffffffffffffffff. */
export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
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
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (Number.isInteger(v) ? v.toString() : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}
