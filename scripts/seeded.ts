// A deterministic PRNG for generated samples (mulberry32), shaped like kho/generators.ts's RandomLike.
export function seeded(seed: number): { int(n: number): number } {
  let s = seed >>> 0;
  return {
    int(n: number): number {
      let t = (s = (s + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    },
  };
}
