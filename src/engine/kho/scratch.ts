// Scratch areas (docs/kho-format.md §2.5): the array of `struct kho_scratch { u64 addr; u64 size; }` (16 bytes per
// entry, CPU-native little-endian) from which the next kernel makes all its early allocations. Read
// from memory (an address and length), from debugfs text (`scratch_phys` / `scratch_len`, renamed
// `bootmem_phys` / `bootmem_len` in v7.4) or from the x86 setup_data hand-off (kho/setupData.ts).
// Decoding only: what the areas mean for the preserved state is checked in checks/scratch.ts.

import { diag, type Diagnostic } from '../diagnostics';
import type { PhysMemory, PhysRange } from '../image/physMemory';
import { readU64LE } from '../util/bytes';
import { hex, parseAddress, U64_MASK } from '../util/hex';

export const KHO_SCRATCH_ENTRY_SIZE = 16;
/** Cold boot makes nodes-with-memory + 2 entries (MAX_NUMNODES is at most 1024); more is garbage. */
export const MAX_SCRATCH_AREAS = 4096;

/** Where the scratch areas came from. */
export type ScratchSource = 'address' | 'debugfs' | 'setup_data' | 'given';

export interface ScratchArray {
  address: bigint;
  /** Bytes (scratch_len / kho_data.scratch_size); entries = length / 16. */
  length: bigint;
}

export interface ScratchInfo {
  source: ScratchSource;
  /** Array order (entry 0 = lowmem, 1 = global, then one per NUMA node); end = addr + size, unclamped. */
  areas: PhysRange[];
  /** The array itself, when read from memory (address or setup_data source); else null. */
  array: ScratchArray | null;
}

/**
 * Reads `length` bytes of scratch array at `address` (count = length / 16). Never throws: an array
 * outside the dump, a length that is not a whole number of entries or an absurd count become
 * diagnostics (the areas decoded so far are still returned).
 */
export function decodeScratchArray(
  mem: PhysMemory,
  address: bigint,
  length: bigint,
  opts: { maxAreas?: number; what?: string } = {},
): { areas: PhysRange[]; diagnostics: Diagnostic[] } {
  const what = opts.what ?? 'scratch array';
  const maxAreas = opts.maxAreas ?? MAX_SCRATCH_AREAS;
  const diagnostics: Diagnostic[] = [];
  const areas: PhysRange[] = [];
  const size = BigInt(KHO_SCRATCH_ENTRY_SIZE);
  if (length % size !== 0n) {
    diagnostics.push(
      diag(
        'warning',
        'scratch-len-not-multiple',
        address,
        `${what} at ${hex(address)}: length ${hex(length)} is not a multiple of 16 (sizeof(struct kho_scratch)); the next kernel takes length / 16 = ${length / size} entries and ignores the ${length % size} trailing byte(s)`,
      ),
    );
  }
  let count = length / size;
  if (count === 0n) {
    diagnostics.push(
      diag(
        'error',
        'scratch-array-empty',
        address,
        `${what} at ${hex(address)} has no entries (length ${hex(length)}); the next kernel would have no scratch memory for its early allocations while it restores KHO state`,
      ),
    );
    return { areas, diagnostics };
  }
  if (count > BigInt(maxAreas)) {
    diagnostics.push(
      diag(
        'error',
        'scratch-array-too-long',
        address,
        `${what} at ${hex(address)}: length ${hex(length)} means ${count} entries; a kernel makes one per NUMA node plus 2 (expected at most ${maxAreas}); only the first ${maxAreas} are read — the length is probably not a scratch array length`,
      ),
    );
    count = BigInt(maxAreas);
  }
  const bytes = Number(count * size);
  if (address + BigInt(bytes) > U64_MASK + 1n || !mem.contains(address, bytes)) {
    diagnostics.push(
      diag(
        'error',
        'scratch-array-outside-dump',
        address,
        `${what} [${hex(address)}, ${hex(address + BigInt(bytes))}) is not (entirely) in the dump (expected ${count} entries of struct kho_scratch in RAM); the next kernel maps it unchecked in early boot`,
      ),
    );
    // Read the entries that are there, so a truncated dump still shows something.
    for (let i = 0n; i < count && mem.contains(address + i * size, KHO_SCRATCH_ENTRY_SIZE); i++) {
      const e = mem.read(address + i * size, KHO_SCRATCH_ENTRY_SIZE);
      areas.push({ start: readU64LE(e, 0), end: readU64LE(e, 0) + readU64LE(e, 8) });
    }
    return { areas, diagnostics };
  }
  const raw = mem.read(address, bytes);
  for (let i = 0; i < Number(count); i++) {
    const addr = readU64LE(raw, i * 16),
      len = readU64LE(raw, i * 16 + 8);
    areas.push({ start: addr, end: addr + len });
  }
  return { areas, diagnostics };
}

/** File names used in messages: the pre-v7.4 names, or the v7.4 boot memory names. */
export interface DebugfsNames {
  phys: string;
  len: string;
}

export const SCRATCH_DEBUGFS_NAMES: DebugfsNames = { phys: 'scratch_phys', len: 'scratch_len' };
export const BOOTMEM_DEBUGFS_NAMES: DebugfsNames = { phys: 'bootmem_phys', len: 'bootmem_len' };

function parseLines(text: string, file: string, diagnostics: Diagnostic[]): bigint[] {
  const out: bigint[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const v = parseAddress(line);
    if (v === undefined) {
      diagnostics.push(
        diag(
          'error',
          'scratch-debugfs-bad-line',
          null,
          `${file} line ${i + 1}: ${JSON.stringify(line.slice(0, 40))} is not a number (expected one "0x%llx" value per line); line skipped, so the entries after it pair up wrongly`,
        ),
      );
      continue;
    }
    out.push(v);
  }
  return out;
}

/**
 * Pairs the debugfs `scratch_phys` and `scratch_len` files (one `0x%llx` per line, in array order)
 * into areas. Decimal values are accepted too. Never throws.
 */
export function parseScratchDebugfs(
  physText: string,
  lenText: string,
  names: DebugfsNames = SCRATCH_DEBUGFS_NAMES,
): { areas: PhysRange[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const phys = parseLines(physText, names.phys, diagnostics);
  const lens = parseLines(lenText, names.len, diagnostics);
  if (phys.length !== lens.length) {
    diagnostics.push(
      diag(
        'error',
        'scratch-debugfs-count-mismatch',
        null,
        `${names.phys} has ${phys.length} value(s) but ${names.len} has ${lens.length}; expected one length per address (the kernel prints both from the same array); only the first ${Math.min(phys.length, lens.length)} are paired`,
      ),
    );
  }
  const n = Math.min(phys.length, lens.length);
  const areas: PhysRange[] = [];
  for (let i = 0; i < n; i++) areas.push({ start: phys[i], end: phys[i] + lens[i] });
  if (n === 0) {
    diagnostics.push(
      diag(
        'error',
        'scratch-array-empty',
        null,
        `${names.phys} / ${names.len} list no scratch areas; a KHO kernel always has at least the lowmem and global areas`,
      ),
    );
  }
  return { areas, diagnostics };
}

/** Guesses the file names a debugfs path pair uses (v7.4 renamed scratch_* to bootmem_*). */
export function debugfsNamesFor(physPath: string): DebugfsNames {
  return /bootmem_phys$/.test(physPath) ? BOOTMEM_DEBUGFS_NAMES : SCRATCH_DEBUGFS_NAMES;
}

/** The scratch inputs decodeDump accepts (see DecodeOptions). */
export interface ScratchOptions {
  scratchArray?: ScratchArray;
  scratch?: PhysRange[];
  scratchSource?: 'debugfs' | 'given';
}

/**
 * The scratch areas of a decode, from the first source available: the setup_data hand-off's array,
 * an array address given by the user, or areas given directly (debugfs). Null when none.
 */
export function resolveScratch(
  mem: PhysMemory,
  opts: ScratchOptions,
  handoff: { kho: { scratchAddress: bigint; scratchSize: bigint } | null } | null,
): { info: ScratchInfo | null; diagnostics: Diagnostic[] } {
  const fromMemory = (source: ScratchSource, array: ScratchArray, what: string) => {
    const r = decodeScratchArray(mem, array.address, array.length, { what });
    return { info: { source, areas: r.areas, array }, diagnostics: r.diagnostics };
  };
  if (handoff?.kho && handoff.kho.scratchAddress !== 0n) {
    return fromMemory(
      'setup_data',
      { address: handoff.kho.scratchAddress, length: handoff.kho.scratchSize },
      'scratch array (kho_data.scratch_addr)',
    );
  }
  if (opts.scratchArray) return fromMemory('address', opts.scratchArray, 'scratch array');
  if (opts.scratch) {
    return {
      info: {
        source: opts.scratchSource ?? 'given',
        areas: opts.scratch.map((r) => ({ start: r.start, end: r.end })),
        array: null,
      },
      diagnostics: [],
    };
  }
  return { info: null, diagnostics: [] };
}
