// What one decode worker holds: the opened image, the decode result and its indexes, and the
// answers to the paged queries of protocol/worker.ts.

import * as path from 'path';
import { codeInfo, type DiagnosticCode, type RevealKind } from '../../engine/diagnosticCodes';
import type { Diagnostic } from '../../engine/diagnostics';
import { openImage } from '../../engine/image/open';
import type { PhysMemory } from '../../engine/image/physMemory';
import { isPageSize } from '../../engine/kho/geometry';
import { debugfsNamesFor, parseScratchDebugfs } from '../../engine/kho/scratch';
import { decodeDump, type DecodeResult } from '../../engine/decode';
import type { CancellationToken, ProgressSink } from '../../engine/util/cancel';
import { hex, parseAddress } from '../../engine/util/hex';
import type {
  BlockDto,
  DiagnosticDto,
  LiveGuestDto,
  LookupDto,
  MapExtentsDto,
  MapTilesDto,
  MapTilesRequest,
  NodePageDto,
  Page,
  RangeDto,
  RevealTargetDto,
  SummaryDto,
  TreeNodeDto,
} from '../../protocol/model';
import { MAX_MAP_CELLS } from '../../protocol/model';
import type { OpenParams } from '../../protocol/worker';
import { FileByteSource } from '../fileByteSource';
import { stampChange, stampOf, type FileStamp } from '../fileStamp';
import { InputError, readDebugfsText, readFdtFile } from '../inputFile';
import { DumpIndex } from './dumpIndex';
import { DumpTree } from './dumpTree';
import { EmptyMemory } from './emptyMemory';
import { detachedMemory } from '../qmp/detachedMemory';
import { liveDiagnostics, liveStateLabel } from '../qmp/liveReport';
import { QmpMemory } from '../qmp/qmpMemory';
import { hexUnavailable } from './storage';
import { makeSummary, type SummarySource } from './summary';

/** debugfs scratch files are a line per area; anything this large is not one. */

/** The tree items a problem's address is looked up in: the code's own reveal kind first (diagnosticCodes.ts). */
const TARGET_KINDS: readonly RevealKind[] = ['block', 'nodePage', 'client', 'scratch', 'range', 'fdt'];
function targetOrder(code: DiagnosticCode): RevealKind[] {
  const first = codeInfo(code).reveal;
  return [first, ...TARGET_KINDS.filter((t) => t !== first)];
}

export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionError';
  }
}

interface Opened extends SummarySource {
  summary: SummaryDto;
  /** Closes the files behind `memory` when it is not the image's own (an edited overlay). */
  release?: () => void;
  /** The image and FDT files as read (or as last saved): other programs' writes differ from these. */
  stamps: DiskStamps;
}

export interface DiskStamps {
  image: FileStamp | null;
  fdt: FileStamp | null;
}

function page<T>(all: { length: number }, start: number, count: number, item: (i: number) => T): Page<T> {
  const s = Math.max(0, Math.min(start | 0, all.length));
  const e = Math.min(all.length, s + Math.max(0, Math.min(count | 0, 10000)));
  const items: T[] = [];
  for (let i = s; i < e; i++) items.push(item(i));
  return { items, total: all.length, start: s };
}

function diagDto(d: Diagnostic): DiagnosticDto {
  return {
    severity: d.severity,
    code: d.code,
    address: d.address === null ? null : hex(d.address),
    message: d.message,
  };
}

function address(text: string, what: string): bigint {
  const v = parseAddress(text);
  if (v === undefined) throw new SessionError(`${what}: "${text}" is not an address (use 0x… hex or decimal)`);
  return v;
}

/** A named input file, its problem as a SessionError (one line naming the path). */
function input<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof InputError ? new SessionError(e.message) : e;
  }
}

export class WorkerSession {
  private opened: Opened | null = null;

  async open(
    params: OpenParams,
    token: CancellationToken,
    onProgress: ProgressSink,
    yieldNow: () => Promise<void>,
  ): Promise<SummaryDto> {
    this.close();
    const t0 = Date.now();
    const pageSize = isPageSize(params.pageSize) ? params.pageSize : 4096;
    const base = address(params.base, 'base address');
    const fdtAddress = params.fdtAddress === null ? undefined : address(params.fdtAddress, 'FDT address');
    if (params.imagePath === null && params.fdtPath === null && !params.qmp)
      throw new SessionError('nothing to open: neither an image nor an FDT');
    // Stamped before reading: a write during the read then shows as a change since.
    const stamps: DiskStamps = {
      image: params.imagePath === null ? null : stampOf(params.imagePath),
      fdt: params.fdtPath === null ? null : stampOf(params.fdtPath),
    };
    const fdtBytes = params.fdtPath === null ? undefined : input(() => readFdtFile(params.fdtPath!));
    const setupDataAddress = params.setupData ? address(params.setupData, 'setup_data address') : undefined;
    const numa = params.numa?.map((r) => ({
      node: r.node,
      start: address(r.start, `NUMA node ${r.node} start`),
      end: address(r.end, `NUMA node ${r.node} end`),
    }));
    const openDiagnostics: Diagnostic[] = [];
    let scratch: { start: bigint; end: bigint }[] | undefined;
    if (params.scratchPhysPath || params.scratchLenPath) {
      if (!params.scratchPhysPath || !params.scratchLenPath)
        throw new SessionError('scratch areas need both debugfs files, scratch_phys and scratch_len');
      const parsed = parseScratchDebugfs(
        input(() => readDebugfsText(params.scratchPhysPath!, 'scratch_phys')),
        input(() => readDebugfsText(params.scratchLenPath!, 'scratch_len')),
        debugfsNamesFor(params.scratchPhysPath),
      );
      openDiagnostics.push(...parsed.diagnostics);
      scratch = parsed.areas;
    }

    let memory: PhysMemory;
    if (params.imagePath !== null) {
      const src = FileByteSource.open(params.imagePath);
      // No block cache, as in the CLI: the walk reads each tracker page once into its own window.
      const r = openImage(src, { format: params.format, base, cache: false });
      openDiagnostics.push(...r.diagnostics);
      if (!r.memory) {
        src.close();
        throw new SessionError(`${path.basename(params.imagePath)}: ${r.error ?? 'cannot open the image'}`);
      }
      const m = r.memory;
      memory = m;
      // The image's own close() closes its source where it has one; make sure the file goes.
      const close = m.close?.bind(m);
      (memory as { close?: () => void }).close = () => {
        close?.();
        src.close();
      };
    } else if (params.qmp) {
      try {
        memory = QmpMemory.attach(params.qmp, { pause: params.pause });
      } catch (e) {
        throw new SessionError(`cannot attach to QEMU: ${(e as Error).message}`);
      }
    } else {
      memory = new EmptyMemory();
    }

    try {
      onProgress({
        stage: params.fdtPath === null && fdtAddress === undefined ? 'Looking for the KHO FDT' : 'Decoding',
        done: 0,
      });
      const result = await decodeDump(memory, {
        pageSize,
        preFix16k: params.preFix16k,
        fdtBytes,
        fdtAddress,
        token,
        onProgress,
        yieldNow,
        setupDataAddress,
        scratch,
        scratchSource: scratch ? 'debugfs' : undefined,
        numa,
      });
      let live: LiveGuestDto | undefined;
      if (memory instanceof QmpMemory) {
        // Read once, then let go: the guest runs again if it was paused, and the monitor is free for others.
        const q = memory;
        if (q.failure) throw new SessionError(`reading the QEMU guest failed: ${q.failure}`);
        openDiagnostics.push(
          ...liveDiagnostics(q, {
            scanned: fdtBytes === undefined && fdtAddress === undefined && setupDataAddress === undefined,
          }),
        );
        live = { address: q.address, state: liveStateLabel(q), cost: q.describeCost() };
        memory = detachedMemory(q);
        q.close();
      }
      onProgress({ stage: 'Indexing', done: 0 });
      // Engine bugs caught during the decode: the tree shows the message, the host's log the stack.
      for (const d of result.diagnostics)
        if (d.stack)
          console.error(`KHO decode worker: ${d.code} in ${params.imagePath ?? params.fdtPath}:\n${d.stack}`);
      const diagnostics = [...openDiagnostics, ...result.diagnostics];
      return this.show({ params, memory, result, diagnostics, stamps, live }, t0);
    } catch (e) {
      memory.close?.();
      throw e;
    }
  }

  close(): void {
    const o = this.opened;
    if (o) {
      if (o.release) o.release();
      else o.memory.close?.();
    }
    this.opened = null;
  }

  /** The open dump, for the editing layer (worker/editing.ts). */
  get current(): { params: OpenParams; memory: PhysMemory; result: DecodeResult; stamps: DiskStamps } | null {
    return this.opened;
  }

  /** After a save: the files as it left them. */
  savedAs(stamps: Partial<DiskStamps>): void {
    const o = this.o;
    o.stamps = {
      image: stamps.image !== undefined ? stamps.image : o.stamps.image,
      fdt: stamps.fdt !== undefined ? stamps.fdt : o.stamps.fdt,
    };
  }

  /** How the files on disk differ from the ones read (another program wrote them), or null. */
  diskChange(): string | null {
    const o = this.opened;
    if (!o) return null;
    const { imagePath, fdtPath } = o.params;
    const image = imagePath === null ? null : stampChange(o.stamps.image, stampOf(imagePath));
    if (image) return `${path.basename(imagePath!)}: ${image}`;
    const fdt = fdtPath === null ? null : stampChange(o.stamps.fdt, stampOf(fdtPath));
    return fdt ? `${path.basename(fdtPath!)}: ${fdt}` : null;
  }

  /**
   * Shows another decode of the open dump (after an edit): reads and the tree follow `memory`;
   * `release` replaces closing the memory (the editing layer owns the file behind it).
   */
  showEdited(memory: PhysMemory, result: DecodeResult, release: () => void): SummaryDto {
    const o = this.o;
    return this.show(
      { params: o.params, memory, result, diagnostics: [...result.diagnostics], release, stamps: o.stamps },
      Date.now(),
    );
  }

  /** Indexes a decode for the tree and makes it the open dump (decoded since `t0`); returns its summary. */
  private show(d: Omit<Opened, 'index' | 'tree' | 'summary'>, t0: number): SummaryDto {
    const pageSize = isPageSize(d.params.pageSize) ? d.params.pageSize : 4096;
    const index = new DumpIndex(d.result, pageSize);
    const tree = new DumpTree(d.result, index, d.diagnostics, d.params.fdtPath);
    const opened: Opened = { ...d, index, tree, summary: null as unknown as SummaryDto };
    opened.summary = makeSummary(opened, Date.now() - t0);
    this.opened = opened;
    return opened.summary;
  }

  private get o(): Opened {
    if (!this.opened) throw new SessionError('no dump is open in this worker');
    return this.opened;
  }

  summary(): SummaryDto {
    return this.o.summary;
  }

  children(nodeId: string | null, start: number, count: number, max: number): Page<TreeNodeDto> {
    const all = this.o.tree.children(nodeId, Math.max(2, max | 0));
    return page(all, start, count, (i) => this.withStorage(all[i]));
  }

  node(nodeId: string, max: number): TreeNodeDto | null {
    const n = this.o.tree.node(nodeId, Math.max(2, max | 0));
    return n && this.withStorage(n);
  }

  /** Marks items whose bytes the Hex Editor cannot show (compressed kdump pages, outside the dump). */
  private withStorage(n: TreeNodeDto): TreeNodeDto {
    const o = this.o;
    if (n.address === undefined || n.kind === 'bucket' || n.kind === 'section' || o.params.imagePath === null) return n;
    const why = hexUnavailable(o.memory, BigInt(n.address));
    return why === null
      ? n
      : { ...n, hexUnavailable: why, tooltip: `${n.tooltip ?? n.label}\nHex Editor: not available, ${why}` };
  }

  dts(nodeId: string): { name: string; text: string } | null {
    return this.o.tree.dts(nodeId);
  }

  /** What a problem item points at: the item holding its address, by the code's preference. */
  revealTarget(nodeId: string, max: number): RevealTargetDto | null {
    const { tree, index: idx } = this.o;
    max = Math.max(2, max | 0);
    const d = tree.problemAt(nodeId);
    if (!d) return null;
    const a = d.address;
    const page = BigInt(idx.pageSize);
    if (a === null) return { path: [], what: `${d.code} names no address`, span: null };
    const span = (s: bigint, e: bigint): RangeDto => ({ start: hex(s), end: hex(e > s ? e : s + 1n) });
    const f = this.o.result.fdt;
    for (const kind of targetOrder(d.code)) {
      switch (kind) {
        case 'block': {
          const b = idx.findBlock(a);
          if (b < 0) break;
          const path = tree.pathTo(tree.orderGroupId(idx.order[b]), idx.indexInOrder(idx.order[b], idx.phys[b]), max);
          if (path.length)
            return {
              path,
              what: `preserved block ${hex(idx.phys[b])} (order ${idx.order[b]})`,
              span: span(idx.phys[b], idx.blockEnd(b)),
            };
          break;
        }
        case 'nodePage': {
          const n = idx.findNodePage(a);
          if (n < 0) break;
          const np = idx.nodePage(n);
          const pages = idx.pagesOfLevel(np.level);
          const phys = BigInt(np.phys);
          const path = tree.pathTo(tree.levelGroupId(np.level), pages.indexOf(phys), max);
          if (path.length)
            return { path, what: `tracker node page ${np.phys} (level ${np.level})`, span: span(phys, phys + page) };
          break;
        }
        case 'client': {
          const hit = tree.clients.find(a);
          if (!hit) break;
          const path = tree.clientPath(hit, max);
          if (path.length) return { path, what: hit.what, span: span(hit.span.start, hit.span.end) };
          break;
        }
        case 'scratch': {
          const i = idx.findScratch(a);
          if (i >= 0) {
            const r = idx.scratch[i];
            return {
              path: tree.scratchPath(i, max),
              what: `scratch area ${i} [${hex(r.start)}, ${hex(r.end)})`,
              span: span(r.start, r.end),
            };
          }
          break;
        }
        case 'range': {
          const r = idx.findRange(a);
          if (r >= 0)
            return {
              path: tree.pathTo('ranges', r, max),
              what: `preserved range ${hex(idx.rangeStart(r))}`,
              span: span(idx.rangeStart(r), idx.rangeEnd(r)),
            };
          break;
        }
        case 'fdt': {
          if (f && f.address !== null && a >= f.address && a < f.address + BigInt(Math.max(1, f.kho.totalSize))) {
            return {
              path: ['fdt', 'fdt/location'],
              what: `the KHO FDT at ${hex(f.address)}`,
              span: span(f.address, f.address + BigInt(Math.max(1, f.kho.totalSize))),
            };
          }
          break;
        }
      }
    }
    return { path: [], what: `nothing the tree lists holds ${hex(a)}`, span: span(a, a + page) };
  }

  blocks(order: number | null, start: number, count: number): Page<BlockDto> {
    const idx = this.o.index;
    if (order === null) return page({ length: idx.count }, start, count, (i) => idx.block(i));
    const list = idx.ofOrder(order);
    return page(list, start, count, (i) => idx.block(list[i]));
  }

  ranges(start: number, count: number): Page<RangeDto> {
    const idx = this.o.index;
    return page({ length: idx.rangeCount }, start, count, (i) => idx.range(i));
  }

  nodePages(level: string | null, start: number, count: number): Page<NodePageDto> {
    const idx = this.o.index;
    if (level === null) return page({ length: idx.nodePageCount }, start, count, (i) => idx.nodePage(i));
    const pages = idx.pagesOfLevel(level);
    return page(pages, start, count, (i) => ({ level, phys: hex(pages[i]) }));
  }

  diagnostics(start: number, count: number): Page<DiagnosticDto> {
    const ds = this.o.diagnostics;
    return page(ds, start, count, (i) => diagDto(ds[i]));
  }

  lookup(text: string, max: number): LookupDto {
    const { index: idx, tree, memory } = this.o;
    const a = address(text, 'lookup');
    max = Math.max(2, max | 0);
    const b = idx.findBlock(a);
    const r = idx.findRange(a);
    const n = idx.findNodePage(a);
    const blob = idx.findBlob(a);
    const paths: LookupDto['paths'] = {};
    if (b >= 0)
      paths.block = tree.pathTo(tree.orderGroupId(idx.order[b]), idx.indexInOrder(idx.order[b], idx.phys[b]), max);
    if (r >= 0) paths.range = tree.pathTo('ranges', r, max);
    let nodePage: NodePageDto | null = null;
    if (n >= 0) {
      nodePage = idx.nodePage(n);
      const pages = idx.pagesOfLevel(nodePage.level);
      const phys = BigInt(nodePage.phys);
      let k = 0;
      while (k < pages.length && pages[k] !== phys) k++;
      paths.nodePage = tree.pathTo(tree.levelGroupId(nodePage.level), k, max);
    }
    let fileOffset: number | null = null;
    try {
      fileOffset = memory.fileOffset(a) ?? null;
    } catch {
      fileOffset = null;
    }
    const hit = tree.clients.find(a);
    if (hit) paths.client = tree.clientPath(hit, max);
    const sc = idx.findScratch(a);
    if (sc >= 0) paths.scratch = tree.scratchPath(sc, max);
    return {
      address: hex(a),
      inDump: idx.inDump(a),
      block: b >= 0 ? idx.block(b) : null,
      range: r >= 0 ? idx.range(r) : null,
      nodePage,
      blob: blob && { name: blob.name, start: hex(blob.start), end: hex(blob.end) },
      paths,
      fileOffset,
      hexUnavailable: fileOffset === null ? hexUnavailable(memory, a) : null,
      scratch: sc >= 0 ? { start: hex(idx.scratch[sc].start), end: hex(idx.scratch[sc].end) } : null,
    };
  }

  mapExtents(): MapExtentsDto {
    const idx = this.o.index;
    const span = idx.span();
    const ram = idx.dump.slice(0, 256).map((x) => ({ start: hex(x.start), end: hex(x.end) }));
    if (idx.dump.length > 256) ram[255] = { start: ram[255].start, end: hex(idx.dump[idx.dump.length - 1].end) };
    return {
      span: { start: hex(span.start), end: hex(span.end) },
      ram,
      pageSize: idx.pageSize,
      orders: idx.orders,
      scratchAreas: idx.scratch.length,
    };
  }

  mapTiles(req: MapTilesRequest): MapTilesDto {
    const idx = this.o.index;
    const start = address(req.start, 'map start');
    const width = address(req.bytesPerCell, 'map cell size');
    if (width === 0n) throw new SessionError('map cell size must not be 0');
    const count = Math.max(0, Math.min(req.count | 0, MAX_MAP_CELLS));
    return { start: hex(start), bytesPerCell: hex(width), ...idx.mapCells(start, width, count) };
  }
}
