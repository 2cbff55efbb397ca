// Which diagnostic codes implement which invariant of docs/kho-format.md §6, and the module that emits each.
// A code's severity and meaning are declared once, in diagnosticCodes.ts. The checks README's tables are
// rendered from both (renderChecksTable, `npm run docs:codes`); a unit test keeps them identical.

import { codeInfo, isDiagnosticCode, renderCodesTable, type DiagnosticCode } from '../diagnosticCodes';

export interface InvariantInfo {
  n: number;
  /** The invariant, in a few words. */
  what: string;
  /** What the kernel itself checks or does (docs/kho-format.md §6 "K" / "—"). */
  kernel: string;
}

export interface CheckInfo {
  code: DiagnosticCode;
  /** §6 item numbers; empty for checker housekeeping. */
  invariants: number[];
  /** Emitting module, relative to src/engine. */
  module: string;
}

export const INVARIANTS: readonly InvariantInfo[] = [
  {
    n: 1,
    what: 'FDT header valid, totalsize ≤ one page',
    kernel: 'fdt_check_header in kho_populate; failure disables KHO revival (cold boot)',
  },
  {
    n: 2,
    what: 'root compatible is a known kho-vN',
    kernel: 'exact match against its own string; mismatch → cold boot',
  },
  {
    n: 3,
    what: 'preserved-memory-map present, 8 bytes, non-zero',
    kernel: 'kho_populate / kho_mem_retrieve disable revival',
  },
  {
    n: 4,
    what: 'subnode preserved-data (v2+) / fdt (v1) and blob-size (v3+) are 8 bytes',
    kernel: 'kho_retrieve_subtree fails; debugfs skips the subnode',
  },
  { n: 5, what: 'subnode names unique', kernel: '-EEXIST at add time; lookup finds only the first' },
  {
    n: 6,
    what: 'x86 kho_data: fdt_size = PAGE, scratch_size multiple of 16 (DT /chosen: not checked, no input for it)',
    kernel: 'partly: the DT reader checks property lengths; x86 takes the values as they are',
  },
  {
    n: 7,
    what: 'root FDT page, blobs and client structures covered by preserved blocks',
    kernel: 'not checked: unpreserved data is simply not reserved and may be reused',
  },
  {
    n: 8,
    what: 'table entries: aligned, in RAM, outside scratch and preserved memory, not shared, no cycles',
    kernel: 'not checked: entries are dereferenced in early boot',
  },
  {
    n: 9,
    what: 'table entries only at indices a valid key reaches',
    kernel: 'not checked (later kernels reject wide keys when adding)',
  },
  {
    n: 10,
    what: 'decoded order ≤ MAX_PAGE_ORDER, marker bit in range',
    kernel: 'only at restore (order > MAX_PAGE_ORDER rejected in v7.1)',
  },
  {
    n: 11,
    what: 'preserved blocks aligned (by construction) and in RAM',
    kernel: 'only at restore (pfn_to_online_page); phys_to_page of garbage faults during reserve',
  },
  {
    n: 12,
    what: 'no overlapping preserved blocks',
    kernel: 'not checked: memblock merges, head-page stamp last writer wins',
  },
  {
    n: 13,
    what: 'no preserved block inside a scratch area',
    kernel: 'at preserve time only (WARN + -EINVAL in v2/v3)',
  },
  { n: 14, what: 'kho_preserve_pages blocks do not span NUMA nodes (v7.1+)', kernel: 'at preserve time only' },
  { n: 15, what: 'empty leaves / tables are legal', kernel: 'del_page never frees nodes' },
  {
    n: 16,
    what: "tree depth = KHO_TREE_MAX_DEPTH for the sender's PAGE_SHIFT (16 KiB pre-d64b0372: 4)",
    kernel: 'not checked: a wrong depth decodes wrong orders and panics',
  },
  {
    n: 17,
    what: 'scratch areas non-overlapping, aligned, in RAM; the array segment inside scratch',
    kernel: 'partly: memblock_mark_kho_scratch failure aborts revival',
  },
  {
    n: 18,
    what: 'kho_vmalloc chain acyclic, entries non-zero and aligned, count × 2^order = total_pages, flags ⊆ {1,2}',
    kernel: 'at restore: count and flags only',
  },
  { n: 19, what: 'KHO blocks acyclic, ≤ 10000, 1 ≤ count ≤ capacity', kernel: 'checked by kho_block code' },
  {
    n: 20,
    what: 'LUO/memfd compatibles known, counts fit their pages, blob-size ≥ struct',
    kernel: 'partly: LUO compatible + size, kexec-metadata version/size',
  },
  {
    n: 21,
    what: 'kho-v1 chunk list acyclic, num_elms ≤ capacity, order ≤ MAX_PAGE_ORDER, valid bitmap PAs, aligned phys_start',
    kernel: 'not checked',
  },
];

const READER = 'fdt/reader.ts',
  MODEL = 'kho/fdtModel.ts',
  RADIX = 'kho/radix.ts',
  CHUNKS = 'kho/chunks.ts';
const SETUP = 'kho/setupData.ts',
  SCRATCH = 'kho/scratch.ts';
const C_HANDOFF = 'checks/handoff.ts',
  C_TRACKER = 'checks/tracker.ts',
  C_DEPTH = 'checks/depth.ts';
const C_SCRATCH = 'checks/scratchAreas.ts',
  C_CLIENTS = 'checks/clients.ts';

function fdt(code: DiagnosticCode): CheckInfo {
  return { code, invariants: [1], module: READER };
}
function c(code: DiagnosticCode, invariants: number[], module: string): CheckInfo {
  return { code, invariants, module };
}

export const CHECKS: readonly CheckInfo[] = [
  fdt('fdt-bad-magic'),
  fdt('fdt-bad-version'),
  fdt('fdt-newer-version'),
  fdt('fdt-bad-header'),
  fdt('fdt-truncated'),
  fdt('fdt-bad-block'),
  fdt('fdt-misaligned'),
  fdt('fdt-overlap'),
  fdt('fdt-bad-rsvmap'),
  fdt('fdt-bad-token'),
  fdt('fdt-unbalanced'),
  fdt('fdt-no-root'),
  fdt('fdt-bad-name'),
  fdt('fdt-bad-prop-len'),
  fdt('fdt-bad-string-offset'),
  fdt('fdt-prop-after-node'),
  fdt('fdt-duplicate-node'),
  fdt('fdt-duplicate-prop'),
  fdt('fdt-too-deep'),
  fdt('fdt-data-after-end'),
  c('kho-fdt-too-large', [1], MODEL),
  c('kho-fdt-no-compatible', [2], MODEL),
  c('kho-fdt-bad-compatible', [2], MODEL),
  c('kho-fdt-not-kho', [2], MODEL),
  c('kho-fdt-unknown-version', [2], MODEL),
  c('kho-fdt-compatible-extra', [2], MODEL),
  c('kho-fdt-no-memory-map', [3], MODEL),
  c('kho-fdt-bad-memory-map', [3], MODEL),
  c('kho-fdt-memory-map-zero', [3], MODEL),
  c('radix-root-misaligned', [3, 8], RADIX),
  c('radix-root-outside-dump', [3, 8], RADIX),
  c('kho-fdt-subnode-no-data', [4], MODEL),
  c('kho-fdt-bad-subnode-prop', [4], MODEL),
  c('kho-fdt-subnode-no-blob-size', [4], MODEL),
  c('kho-fdt-subnode-data-zero', [4], MODEL),
  c('kho-fdt-subnode-blob-size-zero', [4], MODEL),
  c('kho-fdt-unexpected-blob-size', [4], MODEL),
  c('kho-fdt-duplicate-subnode', [5], MODEL),
  c('setup-data-outside-dump', [6], SETUP),
  c('setup-data-cycle', [6], SETUP),
  c('setup-data-too-long', [6], SETUP),
  c('setup-data-no-kho', [6], SETUP),
  c('setup-data-duplicate-kho', [6], SETUP),
  c('setup-data-kho-bad-len', [6], SETUP),
  c('handoff-fdt-zero', [6], C_HANDOFF),
  c('handoff-fdt-misaligned', [6], C_HANDOFF),
  c('handoff-fdt-size', [6], C_HANDOFF),
  c('handoff-scratch-zero', [6], C_HANDOFF),
  c('handoff-fdt-mismatch', [6], C_HANDOFF),
  c('scratch-len-not-multiple', [6], SCRATCH),
  c('fdt-page-not-preserved', [7], C_HANDOFF),
  c('fdt-page-not-checked', [7], C_HANDOFF),
  c('blob-not-preserved', [7], C_HANDOFF),
  c('client-page-not-preserved', [7], C_CLIENTS),
  c('radix-entry-misaligned', [8], RADIX),
  c('radix-entry-outside-dump', [8], RADIX),
  c('radix-shared-node', [8], RADIX),
  c('radix-cycle', [8], RADIX),
  c('node-in-preserved', [8], C_TRACKER),
  c('node-in-scratch', [8], C_SCRATCH),
  c('radix-unreachable-index', [9], RADIX),
  c('radix-order-too-large', [10], RADIX),
  c('radix-impossible-key', [10], RADIX),
  c('preserved-not-in-dump', [11], C_TRACKER),
  c('blocks-overlap', [12], C_TRACKER),
  c('preserved-in-scratch', [13], C_SCRATCH),
  c('scratch-not-checked', [13, 17], C_SCRATCH),
  c('block-spans-numa-nodes', [14], C_TRACKER),
  c('numa-not-checkable', [14], C_TRACKER),
  c('radix-empty-leaf', [15], RADIX),
  c('radix-empty-table', [15], RADIX),
  c('chunks-empty-bitmap', [15], CHUNKS),
  c('radix-prefix16k-mode', [16], RADIX),
  c('radix-prefix-16k-tree', [16], C_DEPTH),
  c('radix-not-prefix-16k', [16], C_DEPTH),
  c('radix-page-size-mismatch', [16], C_DEPTH),
  c('scratch-area-overflow', [17], C_SCRATCH),
  c('scratch-area-empty', [17], C_SCRATCH),
  c('scratch-misaligned', [17], C_SCRATCH),
  c('scratch-outside-dump', [17], C_SCRATCH),
  c('scratch-overlap', [17], C_SCRATCH),
  c('scratch-array-not-in-scratch', [17], C_SCRATCH),
  c('scratch-array-empty', [17], SCRATCH),
  c('scratch-array-too-long', [17], SCRATCH),
  c('scratch-array-outside-dump', [17], SCRATCH),
  c('scratch-debugfs-bad-line', [17], SCRATCH),
  c('scratch-debugfs-count-mismatch', [17], SCRATCH),
  c('vmalloc-cycle', [18], 'clients/vmalloc.ts'),
  c('vmalloc-misaligned', [18], 'clients/vmalloc.ts'),
  c('vmalloc-count-mismatch', [18], 'clients/vmalloc.ts'),
  c('vmalloc-bad-flags', [18], 'clients/vmalloc.ts'),
  c('vmalloc-bad-order', [18], 'clients/vmalloc.ts'),
  c('vmalloc-too-long', [18], 'clients/vmalloc.ts'),
  c('kho-block-cycle', [19], 'clients/blocks.ts'),
  c('kho-block-too-many', [19], 'clients/blocks.ts'),
  c('kho-block-bad-count', [19], 'clients/blocks.ts'),
  c('kho-block-misaligned', [19], 'clients/blocks.ts'),
  c('luo-bad-compatible', [20], 'clients/luo.ts'),
  c('luo-unknown-version', [20], 'clients/luo.ts'),
  c('luo-missing-node', [20], 'clients/luo.ts'),
  c('luo-bad-property', [20], 'clients/luo.ts'),
  c('client-blob-too-small', [20], 'clients/luo.ts'),
  c('luo-count-too-big', [20], 'clients/luoSessions.ts'),
  c('luo-count-mismatch', [20], 'clients/luoSessions.ts'),
  c('luo-null-pointer', [20], 'clients/luoSessions.ts'),
  c('luo-flb-count-too-big', [20], 'clients/luoSessions.ts'),
  c('luo-flb-bad-pgcnt', [20], 'clients/luoSessions.ts'),
  c('luo-bad-file-compatible', [20], 'clients/luoSessions.ts'),
  c('luo-unknown-file-handler', [20], 'clients/luoSessions.ts'),
  c('luo-bad-session-name', [20], 'clients/luoSessions.ts'),
  c('luo-bad-flb-name', [20], 'clients/luoSessions.ts'),
  c('memfd-no-data', [20], 'clients/memfd.ts'),
  c('memfd-folios-overflow', [20], 'clients/memfd.ts'),
  c('memfd-folio-zero', [20], 'clients/memfd.ts'),
  c('memfd-bad-flags', [20], 'clients/memfd.ts'),
  c('memfd-bad-folio-flags', [20], 'clients/memfd.ts'),
  c('memfd-duplicate-index', [20], 'clients/memfd.ts'),
  c('kexec-metadata-bad-version', [20], 'clients/kexecMetadata.ts'),
  c('kexec-metadata-truncated', [20], 'clients/kexecMetadata.ts'),
  c('kexec-metadata-bad-release', [20], 'clients/kexecMetadata.ts'),
  c('client-format-mismatch', [20], 'clients/registry.ts'),
  c('chunks-cycle', [21], CHUNKS),
  c('chunks-too-many-elements', [21], CHUNKS),
  c('chunks-impossible-order', [21], CHUNKS),
  c('chunks-order-too-large', [21], CHUNKS),
  c('chunks-chunk-misaligned', [21], CHUNKS),
  c('chunks-chunk-outside-dump', [21], CHUNKS),
  c('chunks-bitmap-null', [21], CHUNKS),
  c('chunks-bitmap-misaligned', [21], CHUNKS),
  c('chunks-bitmap-outside-dump', [21], CHUNKS),
  c('chunks-phys-start-misaligned', [21], CHUNKS),
  c('chunks-shared-bitmap', [21], CHUNKS),
  c('chunks-block-overflow', [21], CHUNKS),
  c('check-suppressed', [], 'checks/findings.ts'),
];

const byCode = new Map(CHECKS.map((x) => [x.code, x]));

export function checkInfo(code: string): CheckInfo | undefined {
  return isDiagnosticCode(code) ? byCode.get(code) : undefined;
}

const severities = (code: DiagnosticCode): string => codeInfo(code).severity.join('/');

/** The README tables: invariants with their codes, then one row per code. */
export function renderChecksTable(): string {
  const lines: string[] = [];
  lines.push('| # | invariant | kernel | codes |', '|---|---|---|---|');
  for (const inv of INVARIANTS) {
    const codes = CHECKS.filter((x) => x.invariants.includes(inv.n))
      .map((x) => '`' + x.code + '`')
      .join(', ');
    lines.push(`| ${inv.n} | ${inv.what} | ${inv.kernel} | ${codes} |`);
  }
  lines.push('', '| code | severity | invariant | module | found / what the kernel does |', '|---|---|---|---|---|');
  for (const x of CHECKS) {
    lines.push(
      `| \`${x.code}\` | ${severities(x.code)} | ${x.invariants.join(', ') || '—'} | ${x.module} | ${codeInfo(x.code).meaning} |`,
    );
  }
  return lines.join('\n');
}

/** The generated sections of src/engine/checks/README.md, each between `<!-- name -->` and `<!-- /name -->`. */
const README_SECTIONS: readonly (readonly [string, () => string])[] = [
  ['checks-table', renderChecksTable],
  ['codes-table', renderCodesTable],
];

/**
 * `readme` with its generated sections rendered afresh from the registries; the text outside the markers
 * is kept. Throws when a section's markers are missing (the script must not silently drop a table).
 */
export function renderChecksReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of README_SECTIONS) {
    const open = `<!-- ${name} -->\n`,
      close = `\n<!-- /${name} -->`;
    const start = out.indexOf(open),
      end = out.indexOf(close, start);
    if (start < 0 || end < 0) throw new Error(`README has no ${open.trim()} ... ${close.trim()} markers`);
    out = out.slice(0, start + open.length) + render() + out.slice(end);
  }
  return out;
}
