// Opening a dump: image + KHO FDT (file, address or scan) -> decoded tracker and diagnostics.
// The one entry point the CLI, the worker and the extension use. Never throws on bad input.

import { runChecks } from './checks';
import { decodeClients, type ClientDecode } from './clients';
import { diag, hasErrors, internalError, type Diagnostic } from './diagnostics';
import { PhysReadError, type ImageFormat, type NumaRange, type PhysMemory, type PhysRange } from './image/physMemory';
import { walkChunks } from './kho/chunks';
import { parseKhoFdt } from './kho/fdtModel';
import { radixGeometry, type PageSize } from './kho/geometry';
import type { KhoFdt } from './kho/khoFdt';
import { readFdtAt, scanForKhoFdts } from './kho/locateFdt';
import { walkRadix } from './kho/radix';
import { resolveScratch, type ScratchArray, type ScratchInfo } from './kho/scratch';
import { walkSetupData, type SetupDataHandoff } from './kho/setupData';
import type { TrackerResult } from './kho/tracker';
import { CancelledError, type LongRunning } from './util/cancel';
import { hex, humanSize } from './util/hex';

export interface DecodeOptions extends LongRunning {
  /** Page size of the kernel that wrote the tracker; default 4096. */
  pageSize?: PageSize;
  /** Use the 16 KiB pre-fix tree depth (docs/kho-format.md §1.1). */
  preFix16k?: boolean;
  /** The KHO FDT from a separate file (debugfs out/fdt or in/fdt). */
  fdtBytes?: Uint8Array;
  /** The KHO FDT at this physical address in the image. */
  fdtAddress?: bigint;
  /** Without fdtBytes/fdtAddress the image is scanned for a `kho-v*` FDT (or the setup_data FDT is used). */
  /** MAX_PAGE_ORDER of the sending kernel (default by page size: 10, 11, 13). */
  maxPageOrder?: number;
  /** x86: address of the setup_data list head (boot_params.hdr.setup_data) or of the SETUP_KEXEC_KHO record. */
  setupDataAddress?: bigint;
  /** A scratch array (struct kho_scratch[]) in the image: address and length in bytes. */
  scratchArray?: ScratchArray;
  /** Scratch areas known from elsewhere, e.g. debugfs scratch_phys/scratch_len (kho/scratch.ts parseScratchDebugfs). */
  scratch?: PhysRange[];
  /** Where `scratch` came from (default 'given'). */
  scratchSource?: 'debugfs' | 'given';
  /** NUMA layout of the sending machine; without it invariant 14 is not checked. */
  numa?: NumaRange[];
}

export interface FdtInfo {
  source: 'file' | 'image';
  /** Physical address in the image (null for a file). */
  address: bigint | null;
  kho: KhoFdt;
  /** The raw FDT blob (at most one page). */
  bytes: Uint8Array;
  /** Every page-aligned `kho-v*` FDT candidate found by a scan (empty when not scanned). */
  candidates: bigint[];
}

export interface DecodeResult {
  image: { format: ImageFormat; ranges: PhysRange[] };
  fdt: FdtInfo | null;
  tracker: TrackerResult | null;
  /** Everything found, FDT + tracker + checks, in that order. */
  diagnostics: Diagnostic[];
  /** Set when nothing could be decoded (CLI exit 2): a one-line reason. */
  fatal: string | null;
  /** Scratch areas, when given or found through the hand-off. */
  scratch?: ScratchInfo;
  /** The x86 setup_data hand-off, when its address was given. */
  handoff?: Omit<SetupDataHandoff, 'diagnostics'>;
  /** Client data behind each FDT subnode (docs/kho-format.md §4), in FDT order. */
  clients?: ClientDecode[];
}

function imageInfo(memory: PhysMemory): DecodeResult['image'] {
  return { format: memory.format, ranges: memory.ranges.map((r) => ({ start: r.start, end: r.end })) };
}

/** Decodes the tracker a KHO FDT points at. */
export function decodeTracker(memory: PhysMemory, kho: KhoFdt, opts: DecodeOptions): TrackerResult | null {
  if (kho.preservedMemoryMap === null) return null;
  const pageSize = opts.pageSize ?? 4096;
  if (kho.version === 1) {
    return walkChunks(memory, kho.preservedMemoryMap, pageSize, { token: opts.token, maxPageOrder: opts.maxPageOrder });
  }
  const g = radixGeometry(pageSize, { preFix16k: opts.preFix16k });
  return walkRadix(memory, kho.preservedMemoryMap, g, {
    token: opts.token,
    onProgress: opts.onProgress,
    maxPageOrder: opts.maxPageOrder,
  });
}

async function locateFdt(
  memory: PhysMemory,
  opts: DecodeOptions,
  diagnostics: Diagnostic[],
): Promise<FdtInfo | string> {
  if (opts.fdtBytes) {
    return {
      source: 'file',
      address: null,
      kho: parseKhoFdt(opts.fdtBytes, null, { pageSize: opts.pageSize }),
      bytes: opts.fdtBytes,
      candidates: [],
    };
  }
  if (opts.fdtAddress !== undefined) {
    const a = opts.fdtAddress;
    if (!memory.contains(a, 40)) return `no KHO FDT at ${hex(a)}: that address is not in the dump`;
    const bytes = readFdtAt(memory, a);
    if (!bytes) return `no FDT header (magic 0xd00dfeed with a sane totalsize) at ${hex(a)}`;
    return {
      source: 'image',
      address: a,
      kho: parseKhoFdt(bytes, a, { pageSize: opts.pageSize }),
      bytes,
      candidates: [],
    };
  }
  const scan = await scanForKhoFdts(memory, opts);
  const candidates = scan.candidates;
  if (candidates.length === 0) {
    // Say what was skipped: a file system that wrongly reports holes would otherwise hide the FDT silently.
    const holes =
      scan.bytesSkipped > 0
        ? `; read the image's ${humanSize(scan.bytesRead)} of data, skipped ${humanSize(scan.bytesSkipped)} of holes`
        : '';
    return `no KHO FDT given and none found in the image (looked for page-aligned FDTs whose root compatible starts with "kho-v"${holes}); pass --fdt FILE or --fdt-address ADDR`;
  }
  // Prefer the candidate whose memory map decodes without errors (a dump may hold stale copies).
  let best: { info: FdtInfo; score: number } | undefined;
  for (const a of candidates) {
    const bytes = readFdtAt(memory, a)!;
    const kho = parseKhoFdt(bytes, a, { pageSize: opts.pageSize });
    let score = hasErrors(kho.diagnostics) ? 2 : 0;
    if (kho.preservedMemoryMap === null || kho.preservedMemoryMap === 0n) score += 4;
    else {
      try {
        const t = decodeTracker(memory, kho, { ...opts, onProgress: undefined });
        if (!t || hasErrors(t.diagnostics)) score += 1;
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        score += 3;
      }
    }
    if (!best || score < best.score) best = { info: { source: 'image', address: a, kho, bytes, candidates }, score };
  }
  if (candidates.length > 1) {
    diagnostics.push(
      diag(
        'info',
        'fdt-candidates',
        best!.info.address,
        `found ${candidates.length} KHO FDT candidates (${candidates.map((c) => hex(c)).join(', ')}); using ${hex(best!.info.address!)}, whose memory map decodes best`,
      ),
    );
  }
  return best!.info;
}

/**
 * Decodes a dump. Never throws for bad input: problems become diagnostics, and `fatal` says why
 * nothing could be decoded. Throws only CancelledError (the caller asked for it).
 */
export async function decodeDump(memory: PhysMemory, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const diagnostics: Diagnostic[] = [];
  const result: DecodeResult = { image: imageInfo(memory), fdt: null, tracker: null, diagnostics, fatal: null };
  try {
    // The hand-off comes first: it may name the FDT.
    let fdtOpts = opts;
    if (opts.setupDataAddress !== undefined) {
      const { diagnostics: found, ...handoff } = walkSetupData(memory, opts.setupDataAddress);
      result.handoff = handoff;
      diagnostics.push(...found);
      const named = handoff.kho?.fdtAddress;
      if (!opts.fdtBytes && opts.fdtAddress === undefined && named !== undefined && named !== 0n)
        fdtOpts = { ...opts, fdtAddress: named };
    }
    const scratch = resolveScratch(memory, opts, result.handoff ?? null);
    if (scratch.info) result.scratch = scratch.info;
    diagnostics.push(...scratch.diagnostics);
    const located = await locateFdt(memory, fdtOpts, diagnostics);
    if (typeof located === 'string') {
      result.fatal = located;
      return result;
    }
    result.fdt = located;
    diagnostics.push(...located.kho.diagnostics);
    if (located.kho.version === null) {
      result.fatal = `the FDT is not a KHO FDT: root compatible is ${JSON.stringify(located.kho.compatible)}, expected "kho-vN"`;
      return result;
    }
    if (located.kho.preservedMemoryMap === null) {
      result.fatal = 'the KHO FDT has no usable preserved-memory-map property';
      return result;
    }
    const tracker = decodeTracker(memory, located.kho, opts);
    result.tracker = tracker;
    if (tracker) {
      // A zero map is already reported by the FDT model; the walker's "root is 0" would say it twice.
      const mapZero = located.kho.preservedMemoryMap === 0n;
      diagnostics.push(
        ...tracker.diagnostics.filter(
          (d) => !(mapZero && (d.code === 'radix-root-zero' || d.code === 'chunks-not-finalized')),
        ),
      );
      const pageSize = opts.pageSize ?? 4096;
      result.clients = decodeClients(memory, located.kho, { pageSize });
      diagnostics.push(
        ...runChecks({
          memory,
          kho: located.kho,
          fdtAddress: located.address,
          tracker,
          pageSize,
          preFix16k: opts.preFix16k,
          maxPageOrder: opts.maxPageOrder,
          scratch: result.scratch,
          handoff: result.handoff,
          clients: result.clients,
          numa: opts.numa,
          token: opts.token,
        }),
      );
    }
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    // Last line of defence: an engine bug must not take the host down; report it with the address if any.
    const at = e instanceof PhysReadError ? e.phys : null;
    diagnostics.push(internalError('internal-error', at, e));
    if (!result.tracker) result.fatal = `decoding failed: ${(e as Error).message}`;
  }
  return result;
}
