// Seeded PRNG for fuzz loops and random fixtures: every failure prints the seed that reproduces it.

export class Prng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32: uniform in [0, 2^32). */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  /** bigint in [0, n). */
  big(n: bigint): bigint {
    let v = 0n;
    for (let i = 0; i < 3; i++) v = (v << 32n) | BigInt(this.u32());
    return v % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bool(p = 0.5): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

/** Seed from KHO_SEED (to reproduce) or the clock; logged by the caller on failure. */
export function seedFromEnv(): number {
  const e = process.env.KHO_SEED;
  return e ? Number(e) >>> 0 : (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
}
