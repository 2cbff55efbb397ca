// The checker (docs/kho-format.md §6): runs every check group on a decoded dump and returns their findings in a
// stable order — hand-off and FDT, tracker, scratch, client structures. Which module covers which
// invariant is listed in registry.ts (CHECKS) and README.md.

import type { Diagnostic } from '../diagnostics';
import { checkClientPages } from './clients';
import type { CheckContext, CheckInput } from './context';
import { checkTreeDepth } from './depth';
import { Findings } from './findings';
import { checkFdtCoverage, checkX86Handoff } from './handoff';
import { checkScratchAreas, checkScratchOverlaps } from './scratchAreas';
import { checkBlockOverlap, checkNodesOutsidePreserved, checkNuma, checkPreservedInDump } from './tracker';

export type { CheckInput } from './context';
export { CHECKS, checkInfo, renderChecksTable, type CheckInfo } from './registry';

/** Runs every check. Never throws for bad data (only CancelledError from the depth re-decode). */
export function runChecks(input: CheckInput): Diagnostic[] {
  const ctx: CheckContext = { ...input, preserved: input.tracker.blocks.rangeTable(), page: BigInt(input.pageSize) };
  const f = new Findings();
  // The depth finding first: a wrong geometry explains the coverage errors that follow it.
  checkTreeDepth(ctx, f);
  checkX86Handoff(ctx, f);
  checkFdtCoverage(ctx, f);
  checkNodesOutsidePreserved(ctx, f);
  checkPreservedInDump(ctx, f);
  checkBlockOverlap(ctx, f);
  checkNuma(ctx, f);
  checkScratchAreas(ctx, f);
  checkScratchOverlaps(ctx, f);
  for (const c of ctx.clients ?? []) f.pass(c.diagnostics);
  checkClientPages(ctx, f);
  return f.list();
}
