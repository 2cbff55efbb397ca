// Every diagnostic code that implements an invariant of docs/kho-format.md §6, with its severity, the invariant, the
// module that emits it, and what the kernel does with such data. The checks README's table is
// rendered from this list (renderChecksTable); a unit test keeps the two identical.

export interface InvariantInfo {
  n: number;
  /** The invariant, in a few words. */
  what: string;
  /** What the kernel itself checks or does (docs/kho-format.md §6 "K" / "—"). */
  kernel: string;
}

export interface CheckInfo {
  code: string;
  /** Usual severity; "warning/info" where it depends on the ABI version or the input. */
  severity: string;
  /** §6 item numbers; empty for checker housekeeping. */
  invariants: number[];
  /** Emitting module, relative to src/engine. */
  module: string;
  /** What was found and what the next kernel would do with it. */
  meaning: string;
}

export const INVARIANTS: readonly InvariantInfo[] = [
  { n: 1, what: 'FDT header valid, totalsize ≤ one page', kernel: 'fdt_check_header in kho_populate; failure disables KHO revival (cold boot)' },
  { n: 2, what: 'root compatible is a known kho-vN', kernel: 'exact match against its own string; mismatch → cold boot' },
  { n: 3, what: 'preserved-memory-map present, 8 bytes, non-zero', kernel: 'kho_populate / kho_mem_retrieve disable revival' },
  { n: 4, what: 'subnode preserved-data (v2+) / fdt (v1) and blob-size (v3+) are 8 bytes', kernel: 'kho_retrieve_subtree fails; debugfs skips the subnode' },
  { n: 5, what: 'subnode names unique', kernel: '-EEXIST at add time; lookup finds only the first' },
  { n: 6, what: 'x86 kho_data: fdt_size = PAGE, scratch_size multiple of 16 (DT /chosen: not checked, no input for it)', kernel: 'partly: the DT reader checks property lengths; x86 takes the values as they are' },
  { n: 7, what: 'root FDT page, blobs and client structures covered by preserved blocks', kernel: 'not checked: unpreserved data is simply not reserved and may be reused' },
  { n: 8, what: 'table entries: aligned, in RAM, outside scratch and preserved memory, not shared, no cycles', kernel: 'not checked: entries are dereferenced in early boot' },
  { n: 9, what: 'table entries only at indices a valid key reaches', kernel: 'not checked (later kernels reject wide keys when adding)' },
  { n: 10, what: 'decoded order ≤ MAX_PAGE_ORDER, marker bit in range', kernel: 'only at restore (order > MAX_PAGE_ORDER rejected in v7.1)' },
  { n: 11, what: 'preserved blocks aligned (by construction) and in RAM', kernel: 'only at restore (pfn_to_online_page); phys_to_page of garbage faults during reserve' },
  { n: 12, what: 'no overlapping preserved blocks', kernel: 'not checked: memblock merges, head-page stamp last writer wins' },
  { n: 13, what: 'no preserved block inside a scratch area', kernel: 'at preserve time only (WARN + -EINVAL in v2/v3)' },
  { n: 14, what: 'kho_preserve_pages blocks do not span NUMA nodes (v7.1+)', kernel: 'at preserve time only' },
  { n: 15, what: 'empty leaves / tables are legal', kernel: 'del_page never frees nodes' },
  { n: 16, what: 'tree depth = KHO_TREE_MAX_DEPTH for the sender\'s PAGE_SHIFT (16 KiB pre-d64b0372: 4)', kernel: 'not checked: a wrong depth decodes wrong orders and panics' },
  { n: 17, what: 'scratch areas non-overlapping, aligned, in RAM; the array segment inside scratch', kernel: 'partly: memblock_mark_kho_scratch failure aborts revival' },
  { n: 18, what: 'kho_vmalloc chain acyclic, entries non-zero and aligned, count × 2^order = total_pages, flags ⊆ {1,2}', kernel: 'at restore: count and flags only' },
  { n: 19, what: 'KHO blocks acyclic, ≤ 10000, 1 ≤ count ≤ capacity', kernel: 'checked by kho_block code' },
  { n: 20, what: 'LUO/memfd compatibles known, counts fit their pages, blob-size ≥ struct', kernel: 'partly: LUO compatible + size, kexec-metadata version/size' },
  { n: 21, what: 'kho-v1 chunk list acyclic, num_elms ≤ capacity, order ≤ MAX_PAGE_ORDER, valid bitmap PAs, aligned phys_start', kernel: 'not checked' },
];

const READER = 'fdt/reader.ts', MODEL = 'kho/fdtModel.ts', RADIX = 'kho/radix.ts', CHUNKS = 'kho/chunks.ts';
const SETUP = 'kho/setupData.ts', SCRATCH = 'kho/scratch.ts';
const C_HANDOFF = 'checks/handoff.ts', C_TRACKER = 'checks/tracker.ts', C_DEPTH = 'checks/depth.ts';
const C_SCRATCH = 'checks/scratchAreas.ts', C_CLIENTS = 'checks/clients.ts';

function fdt(code: string, severity: string, meaning: string): CheckInfo {
  return { code, severity, invariants: [1], module: READER, meaning };
}
function c(code: string, severity: string, invariants: number[], module: string, meaning: string): CheckInfo {
  return { code, severity, invariants, module, meaning };
}

export const CHECKS: readonly CheckInfo[] = [
  fdt('fdt-bad-magic', 'error', 'no 0xd00dfeed magic: kho_populate rejects the FDT, cold boot'),
  fdt('fdt-bad-version', 'error/warning', 'unsupported version / last_comp_version: fdt_check_header fails'),
  fdt('fdt-newer-version', 'info', 'newer version read as 17'),
  fdt('fdt-bad-header', 'error', 'header fields inconsistent: fdt_check_header fails'),
  fdt('fdt-truncated', 'error', 'blob shorter than its header says'),
  fdt('fdt-bad-block', 'error', 'a block lies outside totalsize'),
  fdt('fdt-misaligned', 'error', 'block offsets not aligned'),
  fdt('fdt-overlap', 'error', 'blocks overlap'),
  fdt('fdt-bad-rsvmap', 'error/warning', 'malformed memory reservation map'),
  fdt('fdt-bad-token', 'error', 'unknown structure token: libfdt lookups fail'),
  fdt('fdt-unbalanced', 'error', 'BEGIN_NODE/END_NODE unbalanced'),
  fdt('fdt-no-root', 'error', 'no root node'),
  fdt('fdt-bad-name', 'error/warning', 'node name malformed'),
  fdt('fdt-bad-prop-len', 'error', 'property length runs past the structure block'),
  fdt('fdt-bad-string-offset', 'error', 'property name offset outside the strings block'),
  fdt('fdt-prop-after-node', 'warning', 'property after a child node'),
  fdt('fdt-duplicate-node', 'warning', 'two nodes with one name'),
  fdt('fdt-duplicate-prop', 'warning', 'two properties with one name'),
  fdt('fdt-too-deep', 'error', 'nesting too deep'),
  fdt('fdt-data-after-end', 'warning', 'bytes after FDT_END'),
  c('kho-fdt-too-large', 'warning', [1], MODEL, 'totalsize above one page: only one page is handed over'),
  c('kho-fdt-no-compatible', 'error', [2], MODEL, 'root has no compatible: cold boot'),
  c('kho-fdt-bad-compatible', 'error', [2], MODEL, 'compatible is not a string list: cold boot'),
  c('kho-fdt-not-kho', 'error', [2], MODEL, 'compatible is not kho-vN: cold boot'),
  c('kho-fdt-unknown-version', 'warning', [2], MODEL, 'kho-vN this tool does not know: a kernel of another version boots cold'),
  c('kho-fdt-compatible-extra', 'info', [2], MODEL, 'text after kho-vN (composite compatible RFC) or further strings'),
  c('kho-fdt-no-memory-map', 'error', [3], MODEL, 'no preserved-memory-map: revival disabled'),
  c('kho-fdt-bad-memory-map', 'error', [3], MODEL, 'preserved-memory-map not 8 bytes: revival disabled'),
  c('kho-fdt-memory-map-zero', 'error/warning', [3], MODEL, 'preserved-memory-map is 0: revival disabled (kho-v1: not finalized)'),
  c('radix-root-misaligned', 'error', [3, 8], RADIX, 'root not page-aligned: the kernel reads a table across pages'),
  c('radix-root-outside-dump', 'error', [3, 8], RADIX, 'root outside the dump / RAM: faults in early boot'),
  c('kho-fdt-subnode-no-data', 'error', [4], MODEL, 'subnode without blob address: kho_retrieve_subtree fails'),
  c('kho-fdt-bad-subnode-prop', 'error', [4], MODEL, 'preserved-data / fdt / blob-size not 8 bytes: subnode rejected'),
  c('kho-fdt-subnode-no-blob-size', 'error', [4], MODEL, 'kho-v3+ subnode without blob-size: "broken KHO subnode", rejected'),
  c('kho-fdt-subnode-data-zero', 'warning', [4], MODEL, 'blob address 0'),
  c('kho-fdt-subnode-blob-size-zero', 'warning', [4], MODEL, 'blob-size 0'),
  c('kho-fdt-unexpected-blob-size', 'info', [4], MODEL, 'blob-size in a version that does not define it'),
  c('kho-fdt-duplicate-subnode', 'error', [5], MODEL, 'duplicate subnode name: only the first is found'),
  c('setup-data-outside-dump', 'error', [6], SETUP, 'a setup_data record or its kho_data is not in the dump: mapped unchecked in early boot'),
  c('setup-data-cycle', 'error', [6], SETUP, 'the setup_data list loops: early boot parsing never ends'),
  c('setup-data-too-long', 'warning', [6], SETUP, 'list longer than any real one: probably corrupt'),
  c('setup-data-no-kho', 'warning', [6], SETUP, 'no SETUP_KEXEC_KHO record: the next kernel gets no KHO hand-off'),
  c('setup-data-duplicate-kho', 'warning', [6], SETUP, 'two SETUP_KEXEC_KHO records: which one wins is uncertain'),
  c('setup-data-kho-bad-len', 'error/warning', [6], SETUP, 'record len ≠ 32 (sizeof kho_data)'),
  c('handoff-fdt-zero', 'error', [6], C_HANDOFF, 'kho_data.fdt_addr = 0: kho_populate fails, cold boot'),
  c('handoff-fdt-misaligned', 'warning', [6], C_HANDOFF, 'fdt_addr not page-aligned: not the start of the FDT page'),
  c('handoff-fdt-size', 'warning', [6], C_HANDOFF, 'fdt_size ≠ PAGE_SIZE: not what setup_kho writes; only fdt_size bytes are mapped'),
  c('handoff-scratch-zero', 'error', [6], C_HANDOFF, 'scratch_addr = 0: the array is read from address 0'),
  c('handoff-fdt-mismatch', 'warning', [6], C_HANDOFF, 'the hand-off names another FDT than the one decoded'),
  c('scratch-len-not-multiple', 'warning', [6], SCRATCH, 'scratch length not a multiple of 16: trailing bytes ignored'),
  c('fdt-page-not-preserved', 'error', [7], C_HANDOFF, 'the root FDT page is not preserved: may be overwritten before it is read'),
  c('fdt-page-not-checked', 'info', [7], C_HANDOFF, 'the FDT came from a file: its page in memory is unknown, not checked'),
  c('blob-not-preserved', 'error', [7], C_HANDOFF, 'a client blob range is not preserved: read via phys_to_virt, may be reused'),
  c('client-page-not-preserved', 'error', [7], C_CLIENTS, 'a client structure page (vmalloc chunk/piece, LUO/memfd data...) is not preserved: restore fails or reads reused memory'),
  c('radix-entry-misaligned', 'error', [8], RADIX, 'table entry not page-aligned: read across a page boundary'),
  c('radix-entry-outside-dump', 'error', [8], RADIX, 'table entry outside the dump / RAM: faults in early boot'),
  c('radix-shared-node', 'error', [8], RADIX, 'two parents share a node: walked twice, possibly at another level'),
  c('radix-cycle', 'error', [8], RADIX, 'entry points at an ancestor: the page is re-read as another level'),
  c('node-in-preserved', 'error', [8], C_TRACKER, 'tracker page inside preserved memory: owner and tracker share it'),
  c('node-in-scratch', 'error', [8], C_SCRATCH, 'tracker page inside scratch: overwritten by early allocations before the walk'),
  c('radix-unreachable-index', 'error', [9], RADIX, 'entry at an index no valid key reaches: decodes to impossible orders'),
  c('radix-order-too-large', 'warning', [10], RADIX, 'order above MAX_PAGE_ORDER: restore rejects it, reserve may fault'),
  c('radix-impossible-key', 'error', [10], RADIX, 'key with no valid order marker: the kernel reserves garbage'),
  c('preserved-not-in-dump', 'warning', [11], C_TRACKER, 'preserved memory outside the dump: outside RAM (reserve faults) or filtered'),
  c('blocks-overlap', 'warning', [12], C_TRACKER, 'overlapping blocks: memblock merges them, head-page stamp last writer wins'),
  c('preserved-in-scratch', 'error', [13], C_SCRATCH, 'preserved memory inside scratch: overwritten by early allocations'),
  c('scratch-not-checked', 'info', [13, 17], C_SCRATCH, 'no scratch areas given: 13 and 17 not checked'),
  c('block-spans-numa-nodes', 'warning/info', [14], C_TRACKER, 'block spans two NUMA nodes (warning for kho-v3+, info before v7.1)'),
  c('numa-not-checkable', 'info', [14], C_TRACKER, 'no NUMA layout given: 14 not checkable'),
  c('radix-empty-leaf', 'info', [15], RADIX, 'empty leaf (legal)'),
  c('radix-empty-table', 'info', [15], RADIX, 'empty table (legal)'),
  c('chunks-empty-bitmap', 'info', [15], CHUNKS, 'empty kho-v1 bitmap (legal)'),
  c('radix-prefix16k-mode', 'info', [16], RADIX, 'decoding with the pre-d64b0372 16 KiB depth'),
  c('radix-prefix-16k-tree', 'error/warning', [16], C_DEPTH, '4-level 16 KiB tree (pre-d64b0372): order-0 keys restore at wrong orders (panic); offers --pre-fix-16k'),
  c('radix-not-prefix-16k', 'warning', [16], C_DEPTH, '--pre-fix-16k given but the tree has the fixed depth'),
  c('radix-page-size-mismatch', 'error', [16], C_DEPTH, 'the tree decodes only with another page size: offers --page-size'),
  c('scratch-area-overflow', 'error', [17], C_SCRATCH, 'addr + size past 2^64: corrupt array'),
  c('scratch-area-empty', 'info', [17], C_SCRATCH, 'area of size 0: nothing added'),
  c('scratch-misaligned', 'warning', [17], C_SCRATCH, 'area not pageblock-aligned: CMA marking handles the edge wrongly'),
  c('scratch-outside-dump', 'warning', [17], C_SCRATCH, 'area not in the dump: not RAM (early allocations fault) or filtered'),
  c('scratch-overlap', 'warning', [17], C_SCRATCH, 'two areas overlap: not what a kernel writes'),
  c('scratch-array-not-in-scratch', 'warning/info', [17], C_SCRATCH, 'the array segment lies outside every scratch area'),
  c('scratch-array-empty', 'error', [17], SCRATCH, 'no scratch areas: no memory for early allocations'),
  c('scratch-array-too-long', 'error', [17], SCRATCH, 'absurd entry count: not a scratch array length'),
  c('scratch-array-outside-dump', 'error', [17], SCRATCH, 'the array is not in the dump: mapped unchecked in early boot'),
  c('scratch-debugfs-bad-line', 'error', [17], SCRATCH, 'a scratch_phys/scratch_len line is not a number'),
  c('scratch-debugfs-count-mismatch', 'error', [17], SCRATCH, 'scratch_phys and scratch_len list different counts'),
  c('vmalloc-cycle', 'error', [18], 'clients/vmalloc.ts', 'chunk chain loops'),
  c('vmalloc-misaligned', 'error', [18], 'clients/vmalloc.ts', 'chunk or piece not aligned to PAGE << order'),
  c('vmalloc-count-mismatch', 'error', [18], 'clients/vmalloc.ts', 'entries × 2^order ≠ total_pages, or zero entry before the end: restore fails'),
  c('vmalloc-bad-flags', 'error', [18], 'clients/vmalloc.ts', 'flags outside {1, 2}: restore rejects'),
  c('vmalloc-bad-order', 'error', [18], 'clients/vmalloc.ts', 'order larger than any mapping'),
  c('vmalloc-too-long', 'warning', [18], 'clients/vmalloc.ts', 'chain longer than the decode limit'),
  c('kho-block-cycle', 'error', [19], 'clients/blocks.ts', 'block chain loops: rejected'),
  c('kho-block-too-many', 'error', [19], 'clients/blocks.ts', 'more than 10000 blocks: rejected'),
  c('kho-block-bad-count', 'error', [19], 'clients/blocks.ts', 'count 0 or above capacity: rejected'),
  c('kho-block-misaligned', 'error', [19], 'clients/blocks.ts', 'block not page-aligned'),
  c('luo-bad-compatible', 'error', [20], 'clients/luo.ts', 'unknown LUO compatible: LUO refuses the state'),
  c('luo-unknown-version', 'error/warning', [20], 'clients/luo.ts', 'LUO version this tool does not know'),
  c('luo-missing-node', 'error', [20], 'clients/luo.ts', 'LUO FDT without its sessions node: nothing restored'),
  c('luo-bad-property', 'error', [20], 'clients/luo.ts', 'LUO FDT property not a u64'),
  c('client-blob-too-small', 'error', [20], 'clients/luo.ts', 'blob-size below the struct size: LUO refuses the state'),
  c('luo-count-too-big', 'error', [20], 'clients/luoSessions.ts', 'count does not fit the referenced pages'),
  c('luo-count-mismatch', 'warning', [20], 'clients/luoSessions.ts', 'count disagrees with the entries found'),
  c('luo-null-pointer', 'error', [20], 'clients/luoSessions.ts', 'non-zero count with a 0 array address: dereferenced'),
  c('luo-flb-count-too-big', 'error', [20], 'clients/luoSessions.ts', 'FLB count does not fit its pages'),
  c('luo-flb-bad-pgcnt', 'error', [20], 'clients/luoSessions.ts', 'FLB pgcnt 0'),
  c('luo-bad-file-compatible', 'error', [20], 'clients/luoSessions.ts', 'file handler compatible not a string'),
  c('luo-unknown-file-handler', 'info', [20], 'clients/luoSessions.ts', 'file handler this tool does not decode'),
  c('luo-bad-session-name', 'warning', [20], 'clients/luoSessions.ts', 'session name not a string'),
  c('luo-bad-flb-name', 'error', [20], 'clients/luoSessions.ts', 'FLB name not a string'),
  c('memfd-no-data', 'error', [20], 'clients/memfd.ts', 'memfd file with data = 0: dereferenced'),
  c('memfd-folios-overflow', 'error', [20], 'clients/memfd.ts', 'folio count does not fit its pages'),
  c('memfd-folio-zero', 'error', [20], 'clients/memfd.ts', 'folio pfn 0: page 0 restored as file data'),
  c('memfd-bad-flags', 'warning', [20], 'clients/memfd.ts', 'unknown memfd flags'),
  c('memfd-bad-folio-flags', 'warning', [20], 'clients/memfd.ts', 'unknown folio flags'),
  c('memfd-duplicate-index', 'warning', [20], 'clients/memfd.ts', 'two folios at one file index'),
  c('kexec-metadata-bad-version', 'warning', [20], 'clients/kexecMetadata.ts', 'kexec-metadata version unknown: ignored by the kernel'),
  c('kexec-metadata-truncated', 'warning', [20], 'clients/kexecMetadata.ts', 'kexec-metadata smaller than its struct'),
  c('kexec-metadata-bad-release', 'warning', [20], 'clients/kexecMetadata.ts', 'release string not terminated'),
  c('client-format-mismatch', 'warning', [20], 'clients/registry.ts', 'a well-known subnode holds another format: its owner rejects it'),
  c('chunks-cycle', 'error', [21], CHUNKS, 'chunk chain loops: deserializing never ends'),
  c('chunks-too-many-elements', 'error', [21], CHUNKS, 'num_elms above (PAGE-16)/16: reads past the chunk'),
  c('chunks-impossible-order', 'error', [21], CHUNKS, 'order beyond the address space'),
  c('chunks-order-too-large', 'warning', [21], CHUNKS, 'order above MAX_PAGE_ORDER: restore rejects'),
  c('chunks-chunk-misaligned', 'error', [21], CHUNKS, 'chunk address not page-aligned'),
  c('chunks-chunk-outside-dump', 'error', [21], CHUNKS, 'chunk outside the dump / RAM'),
  c('chunks-bitmap-null', 'error', [21], CHUNKS, 'bitmap address 0: dereferenced'),
  c('chunks-bitmap-misaligned', 'error', [21], CHUNKS, 'bitmap not page-aligned'),
  c('chunks-bitmap-outside-dump', 'error', [21], CHUNKS, 'bitmap outside the dump / RAM'),
  c('chunks-phys-start-misaligned', 'error', [21], CHUNKS, 'phys_start not aligned to PRESERVE_BITS << (order + PS)'),
  c('chunks-shared-bitmap', 'warning', [21], CHUNKS, 'a bitmap referenced twice'),
  c('chunks-block-overflow', 'error', [21], CHUNKS, 'block would end past 2^64'),
  c('check-suppressed', 'warning/info', [], 'checks/findings.ts', 'further findings of one code left out (20 per code are listed)'),
];

const byCode = new Map(CHECKS.map((x) => [x.code, x]));

export function checkInfo(code: string): CheckInfo | undefined {
  return byCode.get(code);
}

/** The README tables: invariants with their codes, then one row per code. */
export function renderChecksTable(): string {
  const lines: string[] = [];
  lines.push('| # | invariant | kernel | codes |', '|---|---|---|---|');
  for (const inv of INVARIANTS) {
    const codes = CHECKS.filter((x) => x.invariants.includes(inv.n)).map((x) => '`' + x.code + '`').join(', ');
    lines.push(`| ${inv.n} | ${inv.what} | ${inv.kernel} | ${codes} |`);
  }
  lines.push('', '| code | severity | invariant | module | found / what the kernel does |', '|---|---|---|---|---|');
  for (const x of CHECKS) {
    lines.push(`| \`${x.code}\` | ${x.severity} | ${x.invariants.join(', ') || '—'} | ${x.module} | ${x.meaning} |`);
  }
  return lines.join('\n');
}
