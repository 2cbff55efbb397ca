// Field offsets of the kdump-compressed (diskdump) on-disk structures, shared by the reader and the
// test writer. The file is written in the dumped machine's byte order and C layout: 64-bit targets
// use 8-byte longs and an 8-byte-aligned struct timeval; 32-bit targets 4-byte longs, and their
// sub-header comes packed (i386, QEMU) or with 64-bit members 8-byte aligned (AArch32 makedumpfile).

export const KDUMP_SIGNATURE = 'KDUMP   ';
export const DISKDUMP_SIGNATURE = 'DISKDUMP';
/** The header occupies block 0; the sub-header starts at block 1. */
export const KDUMP_HEADER_BLOCKS = 1;
/** struct page_desc: i64 offset, u32 size, u32 flags, u64 page_flags (same in every layout). */
export const PAGE_DESC_SIZE = 24;
export const UTSNAME_FIELD = 65;
export const UTSNAME_FIELDS = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'] as const;
export type UtsnameField = (typeof UTSNAME_FIELDS)[number];

/** Offsets in struct disk_dump_header after signature (0) and header_version (8) and utsname (12). */
export interface HeaderOffsets {
  tvSec: number;
  tvUsec: number;
  timeWord: 4 | 8;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  totalRamBlocks: number;
  deviceBlocks: number;
  writtenBlocks: number;
  currentCpu: number;
  nrCpus: number;
  /** Start of tasks[nr_cpus] (pointers of the word size). */
  tasks: number;
}

/** Offsets in struct kdump_sub_header; `long` fields are `word` bytes wide, the *_64 and offset_* fields 8. */
export interface SubHeaderOffsets {
  word: 4 | 8;
  physBase: number;
  dumpLevel: number;
  split: number;
  startPfn: number;
  endPfn: number;
  offsetVmcoreinfo: number;
  sizeVmcoreinfo: number;
  offsetNote: number;
  sizeNote: number;
  offsetEraseinfo: number;
  sizeEraseinfo: number;
  startPfn64: number;
  endPfn64: number;
  maxMapnr64: number;
  size: number;
}

const UTS_END = 12 + 6 * UTSNAME_FIELD; // 402

export const HEADER_64: HeaderOffsets = {
  tvSec: 408,
  tvUsec: 416,
  timeWord: 8,
  status: 424,
  blockSize: 428,
  subHdrSize: 432,
  bitmapBlocks: 436,
  maxMapnr: 440,
  totalRamBlocks: 444,
  deviceBlocks: 448,
  writtenBlocks: 452,
  currentCpu: 456,
  nrCpus: 460,
  tasks: 464,
};
export const HEADER_32: HeaderOffsets = {
  tvSec: 404,
  tvUsec: 408,
  timeWord: 4,
  status: 412,
  blockSize: 416,
  subHdrSize: 420,
  bitmapBlocks: 424,
  maxMapnr: 428,
  totalRamBlocks: 432,
  deviceBlocks: 436,
  writtenBlocks: 440,
  currentCpu: 444,
  nrCpus: 448,
  tasks: 452,
};
// Both headers end their utsname at 402; the padding differs only by the timeval alignment.
void UTS_END;

export const SUB_64: SubHeaderOffsets = {
  word: 8,
  physBase: 0,
  dumpLevel: 8,
  split: 12,
  startPfn: 16,
  endPfn: 24,
  offsetVmcoreinfo: 32,
  sizeVmcoreinfo: 40,
  offsetNote: 48,
  sizeNote: 56,
  offsetEraseinfo: 64,
  sizeEraseinfo: 72,
  startPfn64: 80,
  endPfn64: 88,
  maxMapnr64: 96,
  size: 104,
};
export const SUB_32_PACKED: SubHeaderOffsets = {
  word: 4,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offsetVmcoreinfo: 20,
  sizeVmcoreinfo: 28,
  offsetNote: 32,
  sizeNote: 40,
  offsetEraseinfo: 44,
  sizeEraseinfo: 52,
  startPfn64: 56,
  endPfn64: 64,
  maxMapnr64: 72,
  size: 80,
};
export const SUB_32_PADDED: SubHeaderOffsets = {
  word: 4,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offsetVmcoreinfo: 24,
  sizeVmcoreinfo: 32,
  offsetNote: 40,
  sizeNote: 48,
  offsetEraseinfo: 56,
  sizeEraseinfo: 64,
  startPfn64: 72,
  endPfn64: 80,
  maxMapnr64: 88,
  size: 96,
};

export type KdumpLayoutName = '64-bit' | '32-bit' | '32-bit-padded';

export function headerOffsets(wordSize: 4 | 8): HeaderOffsets {
  return wordSize === 8 ? HEADER_64 : HEADER_32;
}

export function subHeaderOffsets(layout: KdumpLayoutName): SubHeaderOffsets {
  return layout === '64-bit' ? SUB_64 : layout === '32-bit' ? SUB_32_PACKED : SUB_32_PADDED;
}

/** utsname.machine values of 32-bit kernels (anything else is taken as 64-bit). */
export function isMachine32(machine: string): boolean {
  const m = machine.toLowerCase();
  if (/^i[3-6]86$/.test(m) || m === 'x86' || m === 'i386') return true;
  if (m.startsWith('arm') && !m.startsWith('arm64')) return true;
  if (
    m === 'mips' ||
    m === 'mipsel' ||
    m === 'ppc' ||
    m === 'powerpc' ||
    m === 's390' ||
    m === 'sh' ||
    m.startsWith('sh4')
  )
    return true;
  return m === 'riscv32' || m === 'sparc' || m === 'm68k' || m === 'microblaze' || m === 'xtensa';
}
