// Sizes, offsets and constants of the client structures (docs/kho-format.md §4), shared by the decoders and the
// builders (the field readers are util/bytes.ts). All multi-byte fields are CPU-native = little-endian
// on every KHO architecture; the structures are packed unless noted.

import { utf8Decode } from '../fdt/utf8';

/**
 * A fixed-size char array: the text before the first NUL, and whether a NUL was found within the
 * field (the kernel reads these with strcmp/strscpy, so a missing NUL runs into the next field).
 */
export function readCString(b: Uint8Array, off: number, len: number): { text: string; terminated: boolean } {
  let end = off;
  const stop = Math.min(off + len, b.length);
  while (end < stop && b[end] !== 0) end++;
  return { text: utf8Decode(b, off, end), terminated: end < stop };
}

// ---- struct kho_vmalloc (§4.1) -------------------------------------------------------------
/** u64 first, u32 total_pages, u16 flags, u16 order (natural alignment, 16 bytes). */
export const KHO_VMALLOC_SIZE = 16;
export const KHO_VMALLOC_ALLOC = 0x1;
export const KHO_VMALLOC_HUGE_VMAP = 0x2;
export const KHO_VMALLOC_KNOWN_FLAGS = KHO_VMALLOC_ALLOC | KHO_VMALLOC_HUGE_VMAP;
/** A chunk is one page: u64 next, then (PAGE - 8) / 8 piece addresses. */
export function vmallocChunkCapacity(pageSize: number): number {
  return (pageSize - 8) / 8;
}

// ---- KHO serialization blocks (§4.7) ---------------------------------------------------------
/** struct kho_block_header_ser: u64 next, u64 count. */
export const KHO_BLOCK_HEADER_SIZE = 16;
export const KHO_MAX_BLOCKS = 10000;
export function khoBlockCapacity(pageSize: number, entrySize: number): number {
  return Math.floor((pageSize - KHO_BLOCK_HEADER_SIZE) / entrySize);
}

// ---- memblock (§4.2) -------------------------------------------------------------------------
export const MEMBLOCK_COMPATIBLE = 'memblock-v1';
export const RESERVE_MEM_COMPATIBLE = 'reserve-mem-v1';

// ---- LUO (§4.3) ------------------------------------------------------------------------------
export const LUO_SUBNODE = 'LUO';
export const LUO_FDT_COMPAT_PREFIX = 'luo-v';
export const LUO_PROP_LIVEUPDATE_NUM = 'liveupdate-number';
export const LUO_PROP_ABI_HEADER = 'luo-abi-header';
export const LUO_SESSION_NODE = 'luo-session';
export const LUO_SESSION_V1 = 'luo-session-v1';
export const LUO_SESSION_V2 = 'luo-session-v2';
export const LUO_PROP_SESSION_HEADER = 'luo-session-header';
export const LUO_FLB_NODE = 'luo-flb';
export const LUO_FLB_V1 = 'luo-flb-v1';
export const LUO_PROP_FLB_HEADER = 'luo-flb-header';
/** Newest "luo-vN" we know of (luo-v1 FDT ... luo-v5 packed). */
export const LUO_LATEST_KNOWN_VERSION = 5;
/** LIVEUPDATE_SESSION_NAME_LENGTH. */
export const LUO_SESSION_NAME_LEN = 64;
/** struct luo_session_header_ser: u64 count. */
export const LUO_SESSION_HEADER_SIZE = 8;
/** struct luo_session_ser: char name[64]; u64 files; u64 count. */
export const LUO_SESSION_SER_SIZE = 80;
/** char compatible[48] of struct luo_file_ser and struct luo_flb_ser. */
export const LUO_COMPAT_LEN = 48;
/** struct luo_file_ser: char compatible[48]; u64 data; u64 token. */
export const LUO_FILE_SER_SIZE = 64;
/** struct luo_flb_header_ser: u64 pgcnt; u64 count. */
export const LUO_FLB_HEADER_SIZE = 16;
/** struct luo_flb_ser: char name[48]; u64 data; u64 count. */
export const LUO_FLB_SER_SIZE = 64;
/** Longest packed luo_ser compatible we accept ("luo-v3-" + a block ABI string, padded to 8). */
export const LUO_SER_MAX_COMPAT = 64;
/** luo_ser after its compatible: u64 liveupdate_num, u64 sessions_pa, u64 flbs_pa. */
export const LUO_SER_TAIL_SIZE = 24;

/** ALIGN(n, 8). */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

// ---- memfd (§4.4) ----------------------------------------------------------------------------
export const MEMFD_V1 = 'memfd-v1';
export const MEMFD_V2 = 'memfd-v2';
/** memfd-v1: u64 pos, u64 size, u64 nr_folios, struct kho_vmalloc folios. */
export const MEMFD_SER_V1_SIZE = 40;
/** memfd-v2: u64 pos, u64 size, u32 seals, u32 flags, u64 nr_folios, struct kho_vmalloc folios. */
export const MEMFD_SER_V2_SIZE = 48;
/** struct memfd_luo_folio_ser: u64 (pfn:52 low | flags:12 high), u64 index. */
export const MEMFD_FOLIO_SER_SIZE = 16;
export const MEMFD_FOLIO_PFN_BITS = 52n;
export const MEMFD_FOLIO_DIRTY = 0x1;
export const MEMFD_FOLIO_UPTODATE = 0x2;
export const MEMFD_FOLIO_KNOWN_FLAGS = MEMFD_FOLIO_DIRTY | MEMFD_FOLIO_UPTODATE;
/** F_SEAL_* bits (include/uapi/linux/fcntl.h). */
export const MEMFD_SEALS: [number, string][] = [
  [0x1, 'SEAL'],
  [0x2, 'SHRINK'],
  [0x4, 'GROW'],
  [0x8, 'WRITE'],
  [0x10, 'FUTURE_WRITE'],
  [0x20, 'EXEC'],
];

// ---- lib/test_kho.c (§4.5) -------------------------------------------------------------------
export const TEST_KHO_SUBNODE = 'kho_test';
export const TEST_KHO_COMPATIBLE = 'kho-test-v1';
export const TEST_KHO_MAGIC = 0x4b484f21; // "KHO!"

// ---- kexec-metadata (§4.6) -------------------------------------------------------------------
export const KEXEC_METADATA_SUBNODE = 'kexec-metadata';
/** u32 version, char previous_release[65], u32 kexec_count (packed). */
export const KEXEC_METADATA_SIZE = 73;
export const KEXEC_METADATA_VERSION = 1;
export const KEXEC_METADATA_RELEASE_LEN = 65;

// ---- memblock (§4.2) -------------------------------------------------------------------------
export const MEMBLOCK_SUBNODE = 'memblock';
