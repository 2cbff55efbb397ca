// fast-check parameters for the kho tests: KHO_SEED reproduces a run; fast-check prints the seed
// and the shrunk counterexample of any failure.

import type { Parameters } from 'fast-check';

export function fcParams<T>(numRuns: number): Parameters<T> {
  const e = process.env.KHO_SEED;
  return e ? { numRuns, seed: Number(e) | 0 } : { numRuns };
}
