// Every diagnostic code KHO Inspector reports, declared once: its severities, the tree item a problem is
// revealed by, and what it means. `DiagnosticCode` is derived from this table, and every constructor of a
// `Diagnostic` takes only that type, so a code that is not declared here does not compile. Codes are part
// of the CLI's JSON contract: never rename or remove one. The checker's invariants map (checks/registry.ts)
// and the code tables of src/engine/checks/README.md (`npm run docs:codes`) are built from it.

import type { Severity } from './diagnostics';

/** The kind of tree item whose address a problem is revealed by first (the others are tried after it). */
export type RevealKind = 'block' | 'nodePage' | 'client' | 'scratch' | 'range' | 'fdt';

export interface DiagnosticCodeInfo {
  /** The severities the code is reported with (several where it depends on the ABI version or the input). */
  readonly severity: readonly Severity[];
  readonly reveal: RevealKind;
  /** What was found and, for the checker's codes, what the next kernel does with it: one line. */
  readonly meaning: string;
}

/** Grouped by the module that emits each code (relative to src/engine unless it says src/); one line each. */
// prettier-ignore
export const DIAGNOSTIC_CODES = {
  // image/open.ts
  'image-bad-base': { severity: ['error'], reveal: 'block', meaning: 'the raw image base address is negative' },
  'image-base-ignored': { severity: ['warning'], reveal: 'block', meaning: 'a base address given for a format that maps memory itself; ignored' },
  'image-empty': { severity: ['error'], reveal: 'block', meaning: 'the image file is empty' },
  'image-io': { severity: ['error'], reveal: 'block', meaning: 'the image could not be read' },
  'image-raw': { severity: ['info'], reveal: 'block', meaning: 'no ELF or kdump signature: read as a raw image at the base address' },
  // image/elf.ts
  'elf-bad-class': { severity: ['error'], reveal: 'block', meaning: 'EI_CLASS is neither ELFCLASS32 nor ELFCLASS64: not read' },
  'elf-bad-data': { severity: ['error'], reveal: 'block', meaning: 'EI_DATA is neither little- nor big-endian: not read' },
  'elf-bad-magic': { severity: ['error'], reveal: 'block', meaning: 'no ELF magic at offset 0: not an ELF file' },
  'elf-bad-phentsize': { severity: ['error'], reveal: 'block', meaning: 'e_phentsize too small for a program header: no program headers read' },
  'elf-bad-version': { severity: ['warning'], reveal: 'block', meaning: 'EI_VERSION is not EV_CURRENT; read anyway' },
  'elf-bad-xnum': { severity: ['error'], reveal: 'block', meaning: 'e_phnum is PN_XNUM but section header 0 is not in the file' },
  'elf-filesz-gt-memsz': { severity: ['warning'], reveal: 'block', meaning: 'a segment with p_memsz 0 and file bytes: ignored' },
  'elf-header-size': { severity: ['info'], reveal: 'block', meaning: 'e_ehsize is not the ELF header size; ignored' },
  'elf-no-load': { severity: ['warning'], reveal: 'block', meaning: 'no PT_LOAD segment: the dump holds no memory' },
  'elf-no-phdrs': { severity: ['warning'], reveal: 'block', meaning: 'e_phnum is 0: no program headers' },
  'elf-not-core': { severity: ['error'], reveal: 'block', meaning: 'e_type is not ET_CORE: not a memory dump (segments mapped anyway)' },
  'elf-note-bad': { severity: ['error'], reveal: 'block', meaning: 'a note does not fit in its segment; later notes not read' },
  'elf-note-truncated': { severity: ['error'], reveal: 'block', meaning: 'a PT_NOTE segment runs past the end of the file' },
  'elf-odd-phentsize': { severity: ['warning'], reveal: 'block', meaning: 'e_phentsize larger than expected; used as the stride' },
  'elf-phdrs-truncated': { severity: ['error'], reveal: 'block', meaning: 'the program header table runs past the end of the file' },
  'elf-segment-overlap': { severity: ['error'], reveal: 'block', meaning: 'two PT_LOAD segments map the same physical memory; one is read' },
  'elf-segment-truncated': { severity: ['error'], reveal: 'block', meaning: 'a PT_LOAD segment\'s file bytes run past the end of the file (truncated dump)' },
  'elf-segment-wraps': { severity: ['error'], reveal: 'block', meaning: 'a segment passes the top of the 64-bit address space; truncated at 2^64' },
  'elf-too-many-notes': { severity: ['error'], reveal: 'block', meaning: 'more notes than the reader accepts; stopped' },
  'elf-too-many-phdrs': { severity: ['error'], reveal: 'block', meaning: 'more program headers than the reader accepts; the first are read' },
  'elf-too-short': { severity: ['error'], reveal: 'block', meaning: 'file too short for an ELF identification' },
  'elf-zero-fill': { severity: ['info'], reveal: 'block', meaning: 'p_filesz < p_memsz: the rest of the segment reads as zeros' },
  // image/kdump.ts
  'kdump-bad-block-size': { severity: ['error'], reveal: 'block', meaning: 'block_size is not a power of two page size: not read' },
  'kdump-bad-signature': { severity: ['error'], reveal: 'block', meaning: 'no KDUMP / DISKDUMP signature at offset 0' },
  'kdump-bad-subheader-size': { severity: ['error'], reveal: 'block', meaning: 'sub_hdr_size impossible for the file size' },
  'kdump-big-endian': { severity: ['info'], reveal: 'block', meaning: 'the kdump header is big-endian (dump of a big-endian machine)' },
  'kdump-bitmap-truncated': { severity: ['error', 'warning'], reveal: 'block', meaning: 'a page bitmap runs past the end of the file; later pages are not in the dump' },
  'kdump-codec-unsupported': { severity: ['warning'], reveal: 'block', meaning: 'pages compressed with a codec this tool cannot read' },
  'kdump-descriptors-truncated': { severity: ['error'], reveal: 'block', meaning: 'the page descriptor table runs past the end of the file' },
  'kdump-diskdump': { severity: ['info'], reveal: 'block', meaning: 'old DISKDUMP signature: its architecture sub-header is not decoded' },
  'kdump-dumped-not-ram': { severity: ['warning'], reveal: 'block', meaning: 'pages marked dumped but not RAM in the bitmaps' },
  'kdump-header-version': { severity: ['warning'], reveal: 'block', meaning: 'header_version out of range; read as the newest known' },
  'kdump-incomplete': { severity: ['warning'], reveal: 'block', meaning: 'the dump is marked incomplete: some pages may be missing' },
  'kdump-max-mapnr': { severity: ['warning'], reveal: 'block', meaning: 'max_mapnr_64 below max_mapnr; max_mapnr_64 used' },
  'kdump-no-bitmap': { severity: ['error'], reveal: 'block', meaning: 'bitmap_blocks is 0: the dump has no page bitmaps' },
  'kdump-note-bad': { severity: ['warning'], reveal: 'block', meaning: 'a malformed or excess ELF note in the kdump sub-header; later notes not read' },
  'kdump-notes-outside': { severity: ['warning'], reveal: 'block', meaning: 'the sub-header\'s ELF notes are not inside the file' },
  'kdump-odd-bitmap-blocks': { severity: ['warning'], reveal: 'block', meaning: 'bitmap_blocks is odd; one block dropped' },
  'kdump-page-bad-flags': { severity: ['error'], reveal: 'block', meaning: 'page descriptors naming several compression methods' },
  'kdump-page-bad-size': { severity: ['error'], reveal: 'block', meaning: 'page descriptors with an impossible size' },
  'kdump-page-data-truncated': { severity: ['error'], reveal: 'block', meaning: 'page descriptors pointing past the end of the file (truncated dump)' },
  'kdump-page-lost': { severity: ['error'], reveal: 'block', meaning: 'page descriptors with a data offset of 0 or below: those pages cannot be read' },
  'kdump-split': { severity: ['info'], reveal: 'block', meaning: 'the file is one part of a split dump' },
  'kdump-subheader-truncated': { severity: ['error'], reveal: 'block', meaning: 'the kdump sub-header lies past the end of the file' },
  'kdump-summary': { severity: ['info'], reveal: 'block', meaning: 'page size, pages dumped and storage of a kdump-compressed dump' },
  'kdump-truncated': { severity: ['error'], reveal: 'block', meaning: 'file too short for the kdump header' },
  'kdump-vmcoreinfo-outside': { severity: ['warning'], reveal: 'block', meaning: 'the VMCOREINFO named by the sub-header is not in the file or too large' },
  // image/flattened.ts
  'flattened-bad-record': { severity: ['error'], reveal: 'block', meaning: 'a makedumpfile flattened record header is impossible; later records not read' },
  'flattened-bad-signature': { severity: ['error'], reveal: 'block', meaning: 'no makedumpfile flattened signature at offset 0' },
  'flattened-empty': { severity: ['error'], reveal: 'block', meaning: 'the flattened stream holds no data records' },
  'flattened-header': { severity: ['warning'], reveal: 'block', meaning: 'unexpected flattened header type or version; read anyway' },
  'flattened-no-end': { severity: ['warning'], reveal: 'block', meaning: 'the flattened stream has no end record: it may be cut short' },
  'flattened-overlap': { severity: ['info'], reveal: 'block', meaning: 'flattened records overlap earlier ones; the later data wins (as makedumpfile -R)' },
  'flattened-truncated': { severity: ['error'], reveal: 'block', meaning: 'file too short for the flattened header' },
  // fdt/reader.ts
  'fdt-bad-block': { severity: ['error'], reveal: 'fdt', meaning: 'a block lies outside totalsize' },
  'fdt-bad-header': { severity: ['error'], reveal: 'fdt', meaning: 'header fields inconsistent: fdt_check_header fails' },
  'fdt-bad-magic': { severity: ['error'], reveal: 'fdt', meaning: 'no 0xd00dfeed magic: kho_populate rejects the FDT, cold boot' },
  'fdt-bad-name': { severity: ['error', 'warning'], reveal: 'fdt', meaning: 'node name malformed' },
  'fdt-bad-prop-len': { severity: ['error'], reveal: 'fdt', meaning: 'property length runs past the structure block' },
  'fdt-bad-rsvmap': { severity: ['error', 'warning'], reveal: 'fdt', meaning: 'malformed memory reservation map' },
  'fdt-bad-string-offset': { severity: ['error'], reveal: 'fdt', meaning: 'property name offset outside the strings block' },
  'fdt-bad-token': { severity: ['error'], reveal: 'fdt', meaning: 'unknown structure token: libfdt lookups fail' },
  'fdt-bad-version': { severity: ['error', 'warning'], reveal: 'fdt', meaning: 'unsupported version / last_comp_version: fdt_check_header fails' },
  'fdt-data-after-end': { severity: ['warning'], reveal: 'fdt', meaning: 'bytes after FDT_END' },
  'fdt-duplicate-node': { severity: ['warning'], reveal: 'fdt', meaning: 'two nodes with one name' },
  'fdt-duplicate-prop': { severity: ['warning'], reveal: 'fdt', meaning: 'two properties with one name' },
  'fdt-internal': { severity: ['error'], reveal: 'fdt', meaning: 'the FDT reader failed (engine bug)' },
  'fdt-misaligned': { severity: ['error'], reveal: 'fdt', meaning: 'block offsets not aligned' },
  'fdt-newer-version': { severity: ['info'], reveal: 'fdt', meaning: 'newer version read as 17' },
  'fdt-no-root': { severity: ['error'], reveal: 'fdt', meaning: 'no root node' },
  'fdt-overlap': { severity: ['error'], reveal: 'fdt', meaning: 'blocks overlap' },
  'fdt-prop-after-node': { severity: ['warning'], reveal: 'fdt', meaning: 'property after a child node' },
  'fdt-too-deep': { severity: ['error'], reveal: 'fdt', meaning: 'nesting too deep' },
  'fdt-truncated': { severity: ['error'], reveal: 'fdt', meaning: 'blob shorter than its header says' },
  'fdt-unbalanced': { severity: ['error'], reveal: 'fdt', meaning: 'BEGIN_NODE/END_NODE unbalanced' },
  'fdt-suppressed': { severity: ['info'], reveal: 'fdt', meaning: 'further FDT diagnostics of one code left out (50 per code are listed)' },
  // kho/fdtModel.ts
  'kho-fdt-bad-compatible': { severity: ['error'], reveal: 'fdt', meaning: 'compatible is not a string list: cold boot' },
  'kho-fdt-bad-memory-map': { severity: ['error'], reveal: 'fdt', meaning: 'preserved-memory-map not 8 bytes: revival disabled' },
  'kho-fdt-bad-subnode-prop': { severity: ['error', 'warning'], reveal: 'fdt', meaning: 'preserved-data / fdt / blob-size not 8 bytes: subnode rejected' },
  'kho-fdt-compatible-extra': { severity: ['info'], reveal: 'fdt', meaning: 'text after kho-vN (composite compatible RFC) or further strings' },
  'kho-fdt-duplicate-subnode': { severity: ['error'], reveal: 'fdt', meaning: 'duplicate subnode name: only the first is found' },
  'kho-fdt-extra-property': { severity: ['info'], reveal: 'fdt', meaning: 'an unexpected property on the KHO FDT root' },
  'kho-fdt-memory-map-zero': { severity: ['error', 'warning'], reveal: 'fdt', meaning: 'preserved-memory-map is 0: revival disabled (kho-v1: not finalized)' },
  'kho-fdt-nested-subnode': { severity: ['info'], reveal: 'fdt', meaning: 'a subnode with child nodes: KHO uses one level of subnodes' },
  'kho-fdt-no-compatible': { severity: ['error'], reveal: 'fdt', meaning: 'root has no compatible: cold boot' },
  'kho-fdt-no-memory-map': { severity: ['error'], reveal: 'fdt', meaning: 'no preserved-memory-map: revival disabled' },
  'kho-fdt-not-kho': { severity: ['error'], reveal: 'fdt', meaning: 'compatible is not kho-vN: cold boot' },
  'kho-fdt-subnode-blob-size-zero': { severity: ['warning'], reveal: 'fdt', meaning: 'blob-size 0' },
  'kho-fdt-subnode-data-zero': { severity: ['warning'], reveal: 'fdt', meaning: 'blob address 0' },
  'kho-fdt-subnode-no-blob-size': { severity: ['error'], reveal: 'fdt', meaning: 'kho-v3+ subnode without blob-size: "broken KHO subnode", rejected' },
  'kho-fdt-subnode-no-data': { severity: ['error'], reveal: 'fdt', meaning: 'subnode without blob address: kho_retrieve_subtree fails' },
  'kho-fdt-too-large': { severity: ['warning'], reveal: 'fdt', meaning: 'totalsize above one page: only one page is handed over' },
  'kho-fdt-unexpected-blob-size': { severity: ['info'], reveal: 'fdt', meaning: 'blob-size in a version that does not define it' },
  'kho-fdt-unknown-version': { severity: ['warning'], reveal: 'fdt', meaning: 'kho-vN this tool does not know: a kernel of another version boots cold' },
  // session.ts
  'fdt-candidates': { severity: ['info'], reveal: 'fdt', meaning: 'several KHO FDTs found in memory; the one whose memory map decodes best is used' },
  'internal-error': { severity: ['error'], reveal: 'block', meaning: 'decoding stopped on an engine bug; the stack goes to the log' },
  // kho/setupData.ts
  'setup-data-cycle': { severity: ['error'], reveal: 'scratch', meaning: 'the setup_data list loops: early boot parsing never ends' },
  'setup-data-duplicate-kho': { severity: ['warning'], reveal: 'scratch', meaning: 'two SETUP_KEXEC_KHO records: which one wins is uncertain' },
  'setup-data-kho-bad-len': { severity: ['error', 'warning'], reveal: 'scratch', meaning: 'record len ≠ 32 (sizeof kho_data)' },
  'setup-data-no-kho': { severity: ['warning'], reveal: 'scratch', meaning: 'no SETUP_KEXEC_KHO record: the next kernel gets no KHO hand-off' },
  'setup-data-outside-dump': { severity: ['error'], reveal: 'scratch', meaning: 'a setup_data record or its kho_data is not in the dump: mapped unchecked in early boot' },
  'setup-data-too-long': { severity: ['warning'], reveal: 'scratch', meaning: 'list longer than any real one: probably corrupt' },
  // kho/scratch.ts
  'scratch-array-empty': { severity: ['error'], reveal: 'scratch', meaning: 'no scratch areas: no memory for early allocations' },
  'scratch-array-outside-dump': { severity: ['error'], reveal: 'scratch', meaning: 'the array is not in the dump: mapped unchecked in early boot' },
  'scratch-array-too-long': { severity: ['error'], reveal: 'scratch', meaning: 'absurd entry count: not a scratch array length' },
  'scratch-debugfs-bad-line': { severity: ['error'], reveal: 'scratch', meaning: 'a scratch_phys/scratch_len line is not a number' },
  'scratch-debugfs-count-mismatch': { severity: ['error'], reveal: 'scratch', meaning: 'scratch_phys and scratch_len list different counts' },
  'scratch-len-not-multiple': { severity: ['warning'], reveal: 'scratch', meaning: 'scratch length not a multiple of 16: trailing bytes ignored' },
  // kho/radix.ts
  'radix-cycle': { severity: ['error'], reveal: 'nodePage', meaning: 'entry points at an ancestor: the page is re-read as another level' },
  'radix-empty-leaf': { severity: ['info'], reveal: 'nodePage', meaning: 'empty leaf (legal)' },
  'radix-empty-table': { severity: ['info'], reveal: 'nodePage', meaning: 'empty table (legal)' },
  'radix-entry-misaligned': { severity: ['error'], reveal: 'nodePage', meaning: 'table entry not page-aligned: read across a page boundary' },
  'radix-entry-outside-dump': { severity: ['error'], reveal: 'nodePage', meaning: 'table entry outside the dump / RAM: faults in early boot' },
  'radix-impossible-key': { severity: ['error'], reveal: 'nodePage', meaning: 'key with no valid order marker: the kernel reserves garbage' },
  'radix-order-too-large': { severity: ['warning'], reveal: 'nodePage', meaning: 'order above MAX_PAGE_ORDER: restore rejects it, reserve may fault' },
  'radix-prefix16k-mode': { severity: ['info'], reveal: 'nodePage', meaning: 'decoding with the pre-d64b0372 16 KiB depth' },
  'radix-read-failed': { severity: ['error'], reveal: 'nodePage', meaning: 'a tracker table page could not be read from the dump' },
  'radix-root-misaligned': { severity: ['error'], reveal: 'nodePage', meaning: 'root not page-aligned: the kernel reads a table across pages' },
  'radix-root-outside-dump': { severity: ['error'], reveal: 'nodePage', meaning: 'root outside the dump / RAM: faults in early boot' },
  'radix-root-zero': { severity: ['error'], reveal: 'nodePage', meaning: 'preserved-memory-map is 0: there is no tracker' },
  'radix-shared-node': { severity: ['error'], reveal: 'nodePage', meaning: 'two parents share a node: walked twice, possibly at another level' },
  'radix-too-many-diagnostics': { severity: ['warning'], reveal: 'nodePage', meaning: 'the radix walk hit its diagnostic limit; the rest are counted in this line' },
  'radix-unreachable-index': { severity: ['error'], reveal: 'nodePage', meaning: 'entry at an index no valid key reaches: decodes to impossible orders' },
  // kho/chunks.ts
  'chunks-bitmap-misaligned': { severity: ['error'], reveal: 'nodePage', meaning: 'bitmap not page-aligned' },
  'chunks-bitmap-null': { severity: ['error'], reveal: 'nodePage', meaning: 'bitmap address 0: dereferenced' },
  'chunks-bitmap-outside-dump': { severity: ['error'], reveal: 'nodePage', meaning: 'bitmap outside the dump / RAM' },
  'chunks-block-overflow': { severity: ['error'], reveal: 'nodePage', meaning: 'block would end past 2^64' },
  'chunks-chunk-misaligned': { severity: ['error'], reveal: 'nodePage', meaning: 'chunk address not page-aligned' },
  'chunks-chunk-outside-dump': { severity: ['error'], reveal: 'nodePage', meaning: 'chunk outside the dump / RAM' },
  'chunks-cycle': { severity: ['error'], reveal: 'nodePage', meaning: 'chunk chain loops: deserializing never ends' },
  'chunks-empty-bitmap': { severity: ['info'], reveal: 'nodePage', meaning: 'empty kho-v1 bitmap (legal)' },
  'chunks-impossible-order': { severity: ['error'], reveal: 'nodePage', meaning: 'order beyond the address space' },
  'chunks-not-finalized': { severity: ['warning'], reveal: 'nodePage', meaning: 'preserved-memory-map is 0 on kho-v1: the tracker was never serialized, nothing is preserved' },
  'chunks-order-too-large': { severity: ['warning'], reveal: 'nodePage', meaning: 'order above MAX_PAGE_ORDER: restore rejects' },
  'chunks-phys-start-misaligned': { severity: ['error'], reveal: 'nodePage', meaning: 'phys_start not aligned to PRESERVE_BITS << (order + PS)' },
  'chunks-read-failed': { severity: ['error'], reveal: 'nodePage', meaning: 'a kho-v1 chunk or bitmap page could not be read from the dump' },
  'chunks-shared-bitmap': { severity: ['warning'], reveal: 'nodePage', meaning: 'a bitmap referenced twice' },
  'chunks-too-many-diagnostics': { severity: ['warning'], reveal: 'nodePage', meaning: 'the kho-v1 walk hit its diagnostic limit; the rest are counted in this line' },
  'chunks-too-many-elements': { severity: ['error'], reveal: 'nodePage', meaning: 'num_elms above (PAGE-16)/16: reads past the chunk' },
  // checks/handoff.ts
  'blob-not-preserved': { severity: ['error'], reveal: 'client', meaning: 'a client blob range is not preserved: read via phys_to_virt, may be reused' },
  'fdt-page-not-checked': { severity: ['info'], reveal: 'fdt', meaning: 'the FDT came from a file: its page in memory is unknown, not checked' },
  'fdt-page-not-preserved': { severity: ['error'], reveal: 'fdt', meaning: 'the root FDT page is not preserved: may be overwritten before it is read' },
  'handoff-fdt-misaligned': { severity: ['warning'], reveal: 'scratch', meaning: 'fdt_addr not page-aligned: not the start of the FDT page' },
  'handoff-fdt-mismatch': { severity: ['warning'], reveal: 'scratch', meaning: 'the hand-off names another FDT than the one decoded' },
  'handoff-fdt-size': { severity: ['warning'], reveal: 'scratch', meaning: 'fdt_size ≠ PAGE_SIZE: not what setup_kho writes; only fdt_size bytes are mapped' },
  'handoff-fdt-zero': { severity: ['error'], reveal: 'scratch', meaning: 'kho_data.fdt_addr = 0: kho_populate fails, cold boot' },
  'handoff-scratch-zero': { severity: ['error'], reveal: 'scratch', meaning: 'scratch_addr = 0: the array is read from address 0' },
  // checks/tracker.ts
  'block-spans-numa-nodes': { severity: ['warning', 'info'], reveal: 'block', meaning: 'block spans two NUMA nodes (warning for kho-v3+, info before v7.1)' },
  'blocks-overlap': { severity: ['warning'], reveal: 'block', meaning: 'overlapping blocks: memblock merges them, head-page stamp last writer wins' },
  'node-in-preserved': { severity: ['error'], reveal: 'nodePage', meaning: 'tracker page inside preserved memory: owner and tracker share it' },
  'numa-not-checkable': { severity: ['info'], reveal: 'block', meaning: 'no NUMA layout given: 14 not checkable' },
  'preserved-not-in-dump': { severity: ['warning'], reveal: 'block', meaning: 'preserved memory outside the dump: outside RAM (reserve faults) or filtered' },
  // checks/depth.ts
  'radix-not-prefix-16k': { severity: ['warning'], reveal: 'nodePage', meaning: '--pre-fix-16k given but the tree has the fixed depth' },
  'radix-page-size-mismatch': { severity: ['error'], reveal: 'nodePage', meaning: 'the tree decodes only with another page size: offers --page-size' },
  'radix-prefix-16k-tree': { severity: ['error', 'warning'], reveal: 'nodePage', meaning: '4-level 16 KiB tree (pre-d64b0372): order-0 keys restore at wrong orders (panic); offers --pre-fix-16k' },
  // checks/scratchAreas.ts
  'node-in-scratch': { severity: ['error'], reveal: 'nodePage', meaning: 'tracker page inside scratch: overwritten by early allocations before the walk' },
  'preserved-in-scratch': { severity: ['error'], reveal: 'block', meaning: 'preserved memory inside scratch: overwritten by early allocations' },
  'scratch-area-empty': { severity: ['info'], reveal: 'scratch', meaning: 'area of size 0: nothing added' },
  'scratch-area-overflow': { severity: ['error'], reveal: 'scratch', meaning: 'addr + size past 2^64: corrupt array' },
  'scratch-array-not-in-scratch': { severity: ['warning', 'info'], reveal: 'scratch', meaning: 'the array segment lies outside every scratch area' },
  'scratch-misaligned': { severity: ['warning'], reveal: 'scratch', meaning: 'area not pageblock-aligned: CMA marking handles the edge wrongly' },
  'scratch-not-checked': { severity: ['info'], reveal: 'scratch', meaning: 'no scratch areas given: 13 and 17 not checked' },
  'scratch-outside-dump': { severity: ['warning'], reveal: 'scratch', meaning: 'area not in the dump: not RAM (early allocations fault) or filtered' },
  'scratch-overlap': { severity: ['warning'], reveal: 'scratch', meaning: 'two areas overlap: not what a kernel writes' },
  // checks/clients.ts
  'client-page-not-preserved': { severity: ['error'], reveal: 'client', meaning: 'a client structure page (vmalloc chunk/piece, LUO/memfd data...) is not preserved: restore fails or reads reused memory' },
  // checks/findings.ts
  'check-suppressed': { severity: ['warning', 'info'], reveal: 'block', meaning: 'further findings of one code left out (20 per code are listed)' },
  // clients/registry.ts
  'client-blob-not-in-dump': { severity: ['warning'], reveal: 'client', meaning: 'a subnode\'s blob is not in the dump (outside RAM or filtered)' },
  'client-fdt-exceeds-blob': { severity: ['warning'], reveal: 'client', meaning: 'a client FDT\'s totalsize is larger than its blob-size: the tail is not necessarily preserved' },
  'client-fdt-too-large': { severity: ['warning'], reveal: 'client', meaning: 'a client FDT is larger than the tool reads for one blob' },
  'client-format-mismatch': { severity: ['warning'], reveal: 'client', meaning: 'a well-known subnode holds another format: its owner rejects it' },
  'client-internal-error': { severity: ['error'], reveal: 'client', meaning: 'a client decoder failed (engine bug); the stack goes to the log' },
  'client-unknown-compatible': { severity: ['info'], reveal: 'client', meaning: 'a client FDT with a compatible this tool does not decode: shown as DTS only' },
  'client-unknown-format': { severity: ['info'], reveal: 'client', meaning: 'a blob that is neither an FDT nor a known packed structure: shown raw' },
  // clients/context.ts
  'client-list-truncated': { severity: ['info'], reveal: 'client', meaning: 'a client list is longer than the tool lists; only the first entries are read' },
  'client-pages-truncated': { severity: ['info'], reveal: 'client', meaning: 'more occupied client ranges than the tool lists; the coverage check sees only the listed ones' },
  'client-pointer-outside-dump': { severity: ['warning'], reveal: 'client', meaning: 'a client structure points at memory that is not in the dump' },
  'client-suppressed': { severity: ['info'], reveal: 'client', meaning: 'further diagnostics of one code in one client left out (the per-code limit is listed)' },
  'client-work-limit': { severity: ['warning'], reveal: 'client', meaning: 'a client\'s structures reference more entries than the tool reads for one client' },
  // clients/memblock.ts
  'memblock-bad-region': { severity: ['error', 'warning'], reveal: 'block', meaning: 'a reserve_mem region with the wrong compatible or a malformed start/size' },
  'memblock-overlap': { severity: ['warning'], reveal: 'block', meaning: 'two reserve_mem regions overlap' },
  // clients/vmalloc.ts
  'vmalloc-bad-flags': { severity: ['error'], reveal: 'client', meaning: 'flags outside {1, 2}: restore rejects' },
  'vmalloc-bad-order': { severity: ['error'], reveal: 'client', meaning: 'order larger than any mapping' },
  'vmalloc-count-mismatch': { severity: ['error'], reveal: 'client', meaning: 'entries × 2^order ≠ total_pages, or zero entry before the end: restore fails' },
  'vmalloc-cycle': { severity: ['error'], reveal: 'client', meaning: 'chunk chain loops' },
  'vmalloc-misaligned': { severity: ['error'], reveal: 'client', meaning: 'chunk or piece not aligned to PAGE << order' },
  'vmalloc-too-long': { severity: ['warning'], reveal: 'client', meaning: 'chain longer than the decode limit' },
  // clients/blocks.ts
  'kho-block-bad-count': { severity: ['error'], reveal: 'client', meaning: 'count 0 or above capacity: rejected' },
  'kho-block-cycle': { severity: ['error'], reveal: 'client', meaning: 'block chain loops: rejected' },
  'kho-block-misaligned': { severity: ['error'], reveal: 'client', meaning: 'block not page-aligned' },
  'kho-block-too-many': { severity: ['error'], reveal: 'client', meaning: 'more than 10000 blocks: rejected' },
  // clients/luo.ts
  'client-blob-too-small': { severity: ['error'], reveal: 'client', meaning: 'blob-size below the struct size: LUO refuses the state' },
  'luo-bad-compatible': { severity: ['error'], reveal: 'client', meaning: 'unknown LUO compatible: LUO refuses the state' },
  'luo-bad-property': { severity: ['error'], reveal: 'client', meaning: 'LUO FDT property not a u64' },
  'luo-missing-node': { severity: ['error'], reveal: 'client', meaning: 'LUO FDT without its sessions node: nothing restored' },
  'luo-session-v1': { severity: ['info'], reveal: 'client', meaning: 'the v6.19 patch-series LUO session form: its records are not decoded' },
  'luo-unknown-version': { severity: ['error', 'warning'], reveal: 'client', meaning: 'LUO version this tool does not know' },
  // clients/luoSessions.ts
  'luo-bad-file-compatible': { severity: ['error'], reveal: 'client', meaning: 'file handler compatible not a string' },
  'luo-bad-flb-name': { severity: ['error'], reveal: 'client', meaning: 'FLB name not a string' },
  'luo-bad-session-name': { severity: ['warning'], reveal: 'client', meaning: 'session name not a string' },
  'luo-count-mismatch': { severity: ['warning'], reveal: 'client', meaning: 'count disagrees with the entries found' },
  'luo-count-too-big': { severity: ['error'], reveal: 'client', meaning: 'count does not fit the referenced pages' },
  'luo-flb-bad-pgcnt': { severity: ['error'], reveal: 'client', meaning: 'FLB pgcnt 0' },
  'luo-flb-count-too-big': { severity: ['error'], reveal: 'client', meaning: 'FLB count does not fit its pages' },
  'luo-null-pointer': { severity: ['error'], reveal: 'client', meaning: 'non-zero count with a 0 array address: dereferenced' },
  'luo-unknown-file-handler': { severity: ['info'], reveal: 'client', meaning: 'file handler this tool does not decode' },
  // clients/memfd.ts
  'memfd-bad-flags': { severity: ['warning'], reveal: 'client', meaning: 'unknown memfd flags' },
  'memfd-bad-folio-flags': { severity: ['warning'], reveal: 'client', meaning: 'unknown folio flags' },
  'memfd-duplicate-index': { severity: ['warning'], reveal: 'client', meaning: 'two folios at one file index' },
  'memfd-folio-zero': { severity: ['error'], reveal: 'client', meaning: 'folio pfn 0: page 0 restored as file data' },
  'memfd-folios-overflow': { severity: ['error'], reveal: 'client', meaning: 'folio count does not fit its pages' },
  'memfd-no-data': { severity: ['error'], reveal: 'client', meaning: 'memfd file with data = 0: dereferenced' },
  // clients/kexecMetadata.ts
  'kexec-metadata-bad-release': { severity: ['warning'], reveal: 'client', meaning: 'release string not terminated' },
  'kexec-metadata-bad-version': { severity: ['warning'], reveal: 'client', meaning: 'kexec-metadata version unknown: ignored by the kernel' },
  'kexec-metadata-extra': { severity: ['info'], reveal: 'client', meaning: 'kexec-metadata blob larger than the version 1 struct (a newer sender?)' },
  'kexec-metadata-truncated': { severity: ['warning'], reveal: 'client', meaning: 'kexec-metadata smaller than its struct' },
  // clients/testKho.ts
  'test-kho-bad-magic': { severity: ['error'], reveal: 'block', meaning: 'test_kho magic is not "KHO!": the next kernel\'s test module fails the restore' },
  'test-kho-csum-mismatch': { severity: ['warning'], reveal: 'block', meaning: 'test_kho checksum does not match the folios in the dump' },
  'test-kho-folio-misaligned': { severity: ['error'], reveal: 'block', meaning: 'a test_kho folio entry with an impossible order' },
  'test-kho-folios-overflow': { severity: ['error'], reveal: 'block', meaning: 'test_kho nr_folios does not fit its folios_info array' },
  'test-kho-missing-property': { severity: ['error'], reveal: 'block', meaning: 'test_kho FDT without its data node or a property' },
  // edit/editableDump.ts
  'edit-scratch-unknown': { severity: ['info'], reveal: 'block', meaning: 'scratch areas unknown: edits that need new tracker pages must name a node region' },
  // src/node/qmp/liveReport.ts
  'qmp-attached': { severity: ['info'], reveal: 'block', meaning: 'the QEMU guest read over QMP, its state and memory layout' },
  'qmp-read': { severity: ['info'], reveal: 'block', meaning: 'what reading the live guest cost (pmemsave calls, bytes)' },
  'qmp-running': { severity: ['warning'], reveal: 'block', meaning: 'the guest kept running while read: the view may be torn' },
  // src/node/worker/compareSession.ts
  'compare-missing-in-receiver': { severity: ['error'], reveal: 'block', meaning: 'a range preserved by the sender (left) is missing in the receiver (right)' },
  // src/cli/main.ts
  'input-unreadable': { severity: ['error'], reveal: 'block', meaning: 'an input file could not be opened or read; nothing decoded' },
  // src/extension/diagnostics.ts
  'decode-fatal': { severity: ['error'], reveal: 'block', meaning: 'the dump could not be decoded at all; the message says why' },
  'open-failed': { severity: ['error'], reveal: 'block', meaning: 'the dump could not be opened (extension)' },
} as const satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** The severities code `C` is declared with: `diag()` and the caps' `add` accept only these for it. */
export type SeverityOf<C extends DiagnosticCode> = (typeof DIAGNOSTIC_CODES)[C]['severity'][number];

/** The codes declared with severity `S`. */
export type CodeWithSeverity<S extends Severity> = {
  [C in DiagnosticCode]: S extends SeverityOf<C> ? C : never;
}[DiagnosticCode];

export function codeInfo(code: DiagnosticCode): DiagnosticCodeInfo {
  return DIAGNOSTIC_CODES[code];
}

/** For codes arriving as text (a report read back, a protocol message). */
export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.prototype.hasOwnProperty.call(DIAGNOSTIC_CODES, code);
}

const REVEAL_WORDS: Record<RevealKind, string> = {
  block: 'preserved block',
  nodePage: 'tracker page',
  client: 'client item',
  scratch: 'scratch area',
  range: 'preserved range',
  fdt: 'FDT node',
};

/** The README table of every code, alphabetically: severities, the tree item a problem reveals first, meaning. */
export function renderCodesTable(): string {
  const lines = ['| code | severity | reveals first | meaning |', '|---|---|---|---|'];
  for (const code of (Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[]).sort()) {
    const x = codeInfo(code);
    lines.push(`| \`${code}\` | ${x.severity.join('/')} | ${REVEAL_WORDS[x.reveal]} | ${x.meaning} |`);
  }
  return lines.join('\n');
}
