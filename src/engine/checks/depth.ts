// Tree depth (docs/kho-format.md §6 item 16): a radix tree has exactly KHO_TREE_MAX_DEPTH levels for the sender's
// PAGE_SHIFT. Nodes carry no header, so a wrong depth or page size shows only as a decode full of
// impossible entries. When the decode has structural errors, the tree is decoded again the other
// plausible ways (the pre-d64b0372 16 KiB depth; other page sizes) and a clean alternative is
// reported with the option that selects it.

import { PAGE_SIZES, radixGeometry, type PageSize } from '../kho/geometry';
import { walkRadix } from '../kho/radix';
import type { TrackerResult } from '../kho/tracker';
import { hex } from '../util/hex';
import type { CheckContext } from './context';
import type { Findings } from './findings';
import { coveringRange } from './ranges';

/** Walker findings that mean "these bytes are not a tree of this shape". */
const STRUCTURAL = new Set([
  'radix-impossible-key',
  'radix-unreachable-index',
  'radix-entry-misaligned',
  'radix-entry-outside-dump',
  'radix-cycle',
  'radix-shared-node',
  'radix-order-too-large',
  'radix-read-failed',
]);

interface Reading {
  pageSize: PageSize;
  preFix16k: boolean;
  tracker: TrackerResult;
  /** Structural findings plus pages the FDT says must be preserved but the decode misses. */
  problems: number;
  firstProblem: string;
}

/** First bytes that must be preserved whatever the geometry: the FDT page and each blob. */
function anchors(ctx: CheckContext): bigint[] {
  const out: bigint[] = [];
  if (ctx.fdtAddress !== null) out.push(ctx.fdtAddress);
  for (const s of ctx.kho.subnodes) if (s.preservedData !== null && s.preservedData !== 0n) out.push(s.preservedData);
  return out;
}

function read(ctx: CheckContext, t: TrackerResult, pageSize: PageSize, preFix16k: boolean): Reading {
  const structural = t.diagnostics.filter((d) => STRUCTURAL.has(d.code));
  const ranges = t === ctx.tracker ? ctx.preserved : t.blocks.rangeTable();
  const missing = anchors(ctx).filter((a) => coveringRange(ranges, a, a + 1n) < 0);
  const firstProblem =
    structural[0]?.message ??
    (missing.length ? `${hex(missing[0])} (the FDT page or a client blob) is not preserved` : '');
  return { pageSize, preFix16k, tracker: t, problems: structural.length + missing.length, firstProblem };
}

function label(pageSize: number, preFix16k: boolean): string {
  const g = radixGeometry(pageSize as PageSize, { preFix16k });
  return `${pageSize >> 10} KiB pages, depth ${g.depth}${preFix16k ? ' (pre-d64b0372)' : ''}`;
}

function clean(r: Reading): boolean {
  return r.problems === 0 && r.tracker.blocks.count > 0;
}

export function checkTreeDepth(ctx: CheckContext, f: Findings): void {
  const t = ctx.tracker;
  const root = ctx.kho.preservedMemoryMap;
  if (t.kind !== 'radix' || root === null || root === 0n) return;
  const preFix = !!ctx.preFix16k && ctx.pageSize === 16384;
  const primary = read(ctx, t, ctx.pageSize, preFix);
  const decode = (pageSize: PageSize, preFix16k: boolean): Reading =>
    read(
      ctx,
      walkRadix(ctx.memory, root, radixGeometry(pageSize, { preFix16k }), {
        token: ctx.token,
        maxDiagnostics: 64,
        maxPageOrder: ctx.maxPageOrder,
      }),
      pageSize,
      preFix16k,
    );

  if (ctx.pageSize === 16384) {
    // The one depth that changed between kernels: always compare when in pre-fix mode, else on errors.
    if (preFix || primary.problems > 0) {
      const other = decode(16384, !preFix);
      if (!preFix && primary.problems > 0 && clean(other)) {
        f.add(
          'error',
          'radix-prefix-16k-tree',
          root,
          `the tree does not decode at the fixed 16 KiB depth 5 (${primary.problems} problem(s), first: ${primary.firstProblem}) but decodes cleanly at depth 4 into ${other.tracker.blocks.count} block(s): a 16 KiB kernel from before d64b0372 ("kho: fix KHO_TREE_MAX_DEPTH for non-4KB page sizes") wrote it. A pre-fix next kernel drops the order-0 marker bit and restores order-0 blocks at wrong orders (panic in kho_preserved_memory_reserve); a fixed kernel misreads the whole tree. Decode with --pre-fix-16k to see what it holds`,
        );
        return;
      }
      if (preFix && primary.problems === 0 && other.problems > 0) {
        const order0 = t.blocks.countsByOrder().get(0) ?? 0;
        f.add(
          order0 > 0 ? 'error' : 'warning',
          'radix-prefix-16k-tree',
          root,
          `the tree has the pre-d64b0372 16 KiB depth 4 (it decodes cleanly only that way)${order0 > 0 ? `; its ${order0} order-0 block(s) are stored without their order marker, so a pre-fix next kernel restores them at wrong orders and panics in kho_preserved_memory_reserve` : ''}; a fixed (depth 5) kernel misreads the whole tree`,
        );
        return;
      }
      if (preFix && primary.problems > 0 && clean(other)) {
        f.add(
          'warning',
          'radix-not-prefix-16k',
          root,
          `--pre-fix-16k decodes this tree with ${primary.problems} problem(s) (first: ${primary.firstProblem}), but the fixed depth 5 decodes it cleanly into ${other.tracker.blocks.count} block(s): it was written by a kernel with d64b0372; decode without --pre-fix-16k`,
        );
        return;
      }
    }
  }

  // A wrong --page-size: only worth decoding again when the decode misses the pages the FDT
  // says are preserved (a wrong geometry cannot find them), not for a tree with one bad entry.
  const missesAnchors = anchors(ctx).some((a) => coveringRange(ctx.preserved, a, a + 1n) < 0);
  if (primary.problems === 0 || !missesAnchors) return;
  for (const ps of PAGE_SIZES) {
    for (const pf of ps === 16384 ? [false, true] : [false]) {
      if (ps === ctx.pageSize) continue;
      const other = decode(ps, pf);
      if (!clean(other)) continue;
      f.add(
        'error',
        'radix-page-size-mismatch',
        root,
        `the tree does not decode as ${label(ctx.pageSize, preFix)} (${primary.problems} problem(s), first: ${primary.firstProblem}) but decodes cleanly as ${label(ps, pf)} into ${other.tracker.blocks.count} block(s), with the FDT page and blobs preserved: the sending kernel's page size is ${ps} (KHO_TREE_MAX_DEPTH depends on PAGE_SHIFT); decode with --page-size ${ps}${pf ? ' --pre-fix-16k' : ''}`,
      );
      return;
    }
  }
}
