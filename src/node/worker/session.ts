// What one decode worker holds: the opened image, the decode result and its indexes, and the
// answers to the paged queries of protocol/worker.ts.

import * as fs from 'fs';
import * as path from 'path';
import type { Diagnostic } from '../../engine/diagnostics';
import { openImage } from '../../engine/image/open';
import type { PhysMemory } from '../../engine/image/physMemory';
import { isPageSize } from '../../engine/kho/geometry';
import { MAX_FDT_BYTES } from '../../engine/kho/locateFdt';
import { decodeDump, type DecodeResult } from '../../engine/session';
import type { CancellationToken, ProgressSink } from '../../engine/util/cancel';
import { hex, humanSize, parseAddress } from '../../engine/util/hex';
import type {
  BlockDto, DiagnosticDto, LookupDto, MapExtentsDto, MapTilesDto, MapTilesRequest, NodePageDto, Page,
  RangeDto, SummaryDto, TreeNodeDto,
} from '../../protocol/model';
import { MAX_MAP_CELLS } from '../../protocol/model';
import type { OpenParams } from '../../protocol/worker';
import { FileByteSource } from '../fileByteSource';
import { DumpIndex } from './dumpIndex';
import { DumpTree } from './dumpTree';
import { EmptyMemory } from './emptyMemory';

export class SessionError extends Error {
  constructor(message: string) { super(message); this.name = 'SessionError'; }
}

interface Opened {
  params: OpenParams;
  memory: PhysMemory;
  result: DecodeResult;
  diagnostics: Diagnostic[];
  index: DumpIndex;
  tree: DumpTree;
  summary: SummaryDto;
  /** Closes the files behind `memory` when it is not the image's own (an edited overlay). */
  release?: () => void;
}

function page<T>(all: { length: number }, start: number, count: number, item: (i: number) => T): Page<T> {
  const s = Math.max(0, Math.min(start | 0, all.length));
  const e = Math.min(all.length, s + Math.max(0, Math.min(count | 0, 10000)));
  const items: T[] = [];
  for (let i = s; i < e; i++) items.push(item(i));
  return { items, total: all.length, start: s };
}

function diagDto(d: Diagnostic): DiagnosticDto {
  return { severity: d.severity, code: d.code, address: d.address === null ? null : hex(d.address), message: d.message };
}

function address(text: string, what: string): bigint {
  const v = parseAddress(text);
  if (v === undefined) throw new SessionError(`${what}: "${text}" is not an address (use 0x… hex or decimal)`);
  return v;
}

function readFdtFile(p: string): Uint8Array {
  const st = fs.statSync(p);
  if (!st.isFile()) throw new SessionError(`${p} is not a file`);
  if (st.size > MAX_FDT_BYTES) throw new SessionError(`${p} is ${humanSize(st.size)}: too large for a KHO FDT (at most ${humanSize(MAX_FDT_BYTES)})`);
  return new Uint8Array(fs.readFileSync(p));
}

export class WorkerSession {
  private opened: Opened | null = null;

  async open(params: OpenParams, token: CancellationToken, onProgress: ProgressSink, yieldNow: () => Promise<void>): Promise<SummaryDto> {
    this.close();
    const t0 = Date.now();
    const pageSize = isPageSize(params.pageSize) ? params.pageSize : 4096;
    const base = address(params.base, 'base address');
    const fdtAddress = params.fdtAddress === null ? undefined : address(params.fdtAddress, 'FDT address');
    if (params.imagePath === null && params.fdtPath === null) throw new SessionError('nothing to open: neither an image nor an FDT');
    const fdtBytes = params.fdtPath === null ? undefined : readFdtFile(params.fdtPath);

    let memory: PhysMemory;
    const openDiagnostics: Diagnostic[] = [];
    if (params.imagePath !== null) {
      const src = FileByteSource.open(params.imagePath);
      const r = openImage(src, { format: params.format, base });
      openDiagnostics.push(...r.diagnostics);
      if (!r.memory) {
        src.close();
        throw new SessionError(`${path.basename(params.imagePath)}: ${r.error ?? 'cannot open the image'}`);
      }
      const m = r.memory;
      memory = m;
      // The image's own close() closes its source where it has one; make sure the file goes.
      const close = m.close?.bind(m);
      (memory as { close?: () => void }).close = () => { close?.(); src.close(); };
    } else {
      memory = new EmptyMemory();
    }

    try {
      onProgress({ stage: params.fdtPath === null && fdtAddress === undefined ? 'Looking for the KHO FDT' : 'Decoding', done: 0 });
      const result = await decodeDump(memory, { pageSize, preFix16k: params.preFix16k, fdtBytes, fdtAddress, token, onProgress, yieldNow });
      onProgress({ stage: 'Indexing', done: 0 });
      const diagnostics = [...openDiagnostics, ...result.diagnostics];
      const index = new DumpIndex(result, pageSize);
      const tree = new DumpTree(result, index, diagnostics, params.fdtPath);
      const opened: Opened = { params, memory, result, diagnostics, index, tree, summary: null as unknown as SummaryDto };
      opened.summary = this.makeSummary(opened, Date.now() - t0);
      this.opened = opened;
      return opened.summary;
    } catch (e) {
      memory.close?.();
      throw e;
    }
  }

  close(): void {
    const o = this.opened;
    if (o) { if (o.release) o.release(); else o.memory.close?.(); }
    this.opened = null;
  }

  /** The open dump, for the editing layer (worker/editing.ts). */
  get current(): { params: OpenParams; memory: PhysMemory; result: DecodeResult } | null { return this.opened; }

  /**
   * Shows another decode of the open dump (after an edit): reads and the tree follow `memory`;
   * `release` replaces closing the memory (the editing layer owns the file behind it).
   */
  showEdited(memory: PhysMemory, result: DecodeResult, release: () => void): SummaryDto {
    const o = this.o;
    const t0 = Date.now();
    const pageSize = isPageSize(o.params.pageSize) ? o.params.pageSize : 4096;
    const index = new DumpIndex(result, pageSize);
    const diagnostics = [...result.diagnostics];
    const tree = new DumpTree(result, index, diagnostics, o.params.fdtPath);
    const next: Opened = { params: o.params, memory, result, diagnostics, index, tree, summary: null as unknown as SummaryDto, release };
    next.summary = this.makeSummary(next, Date.now() - t0);
    this.opened = next;
    return next.summary;
  }

  private get o(): Opened {
    if (!this.opened) throw new SessionError('no dump is open in this worker');
    return this.opened;
  }

  private makeSummary(o: Opened, decodeMs: number): SummaryDto {
    const { result: r, index: idx, diagnostics: ds, params } = o;
    const dumpBytes = r.image.ranges.reduce((s, x) => s + (x.end - x.start), 0n);
    const f = r.fdt;
    const t = r.tracker;
    const page = BigInt(idx.pageSize);
    const counts = t ? t.blocks.countsByOrder() : new Map<number, number>();
    return {
      image: {
        path: params.imagePath,
        format: params.imagePath === null ? 'none' : r.image.format,
        ranges: r.image.ranges.slice(0, 64).map((x) => ({ start: hex(x.start), end: hex(x.end) })),
        rangeCount: r.image.ranges.length,
        bytes: hex(dumpBytes),
        human: humanSize(dumpBytes),
      },
      fdt: f && {
        source: f.source,
        path: f.source === 'file' ? params.fdtPath : null,
        address: f.address === null ? null : hex(f.address),
        compatible: f.kho.compatible,
        version: f.kho.version,
        abi: f.kho.version !== null ? `kho-v${f.kho.version}` : f.kho.compatible ?? 'unknown',
        preservedMemoryMap: f.kho.preservedMemoryMap === null ? null : hex(f.kho.preservedMemoryMap),
        subnodes: f.kho.subnodes.map((s) => ({
          name: s.name,
          preservedData: s.preservedData === null ? null : hex(s.preservedData),
          blobSize: s.blobSize === null ? null : hex(s.blobSize),
        })),
        candidates: f.candidates.map((c) => hex(c)),
        totalSize: f.kho.totalSize,
      },
      tracker: t && {
        kind: t.kind,
        pageSize: t.pageSize,
        depth: t.depth,
        nodePages: idx.nodePageCount,
        levels: idx.levels.map((l) => ({ level: l, count: idx.pagesOfLevel(l).length })),
      },
      preserved: {
        blocks: idx.count,
        bytes: hex(idx.preservedBytes),
        human: humanSize(idx.preservedBytes),
        ranges: idx.rangeCount,
        byOrder: idx.orders.map((order) => {
          const bytes = (page << BigInt(order)) * BigInt(counts.get(order) ?? 0);
          return { order, count: counts.get(order) ?? 0, bytes: hex(bytes), human: humanSize(bytes) };
        }),
      },
      problems: {
        errors: ds.filter((d) => d.severity === 'error').length,
        warnings: ds.filter((d) => d.severity === 'warning').length,
        infos: ds.filter((d) => d.severity === 'info').length,
        total: ds.length,
      },
      pageSize: idx.pageSize,
      fatal: r.fatal,
      decodeMs,
    };
  }

  summary(): SummaryDto { return this.o.summary; }

  children(nodeId: string | null, start: number, count: number, max: number): Page<TreeNodeDto> {
    const all = this.o.tree.children(nodeId, Math.max(2, max | 0));
    return page(all, start, count, (i) => all[i]);
  }

  node(nodeId: string, max: number): TreeNodeDto | null {
    return this.o.tree.node(nodeId, Math.max(2, max | 0));
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
    if (b >= 0) paths.block = tree.pathTo(tree.orderGroupId(idx.order[b]), idx.indexInOrder(idx.order[b], idx.phys[b]), max);
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
    try { fileOffset = memory.fileOffset(a) ?? null; } catch { fileOffset = null; }
    return {
      address: hex(a),
      inDump: idx.inDump(a),
      block: b >= 0 ? idx.block(b) : null,
      range: r >= 0 ? idx.range(r) : null,
      nodePage,
      blob: blob && { name: blob.name, start: hex(blob.start), end: hex(blob.end) },
      paths,
      fileOffset,
    };
  }

  mapExtents(): MapExtentsDto {
    const idx = this.o.index;
    const span = idx.span();
    const ram = idx.dump.slice(0, 256).map((x) => ({ start: hex(x.start), end: hex(x.end) }));
    if (idx.dump.length > 256) ram[255] = { start: ram[255].start, end: hex(idx.dump[idx.dump.length - 1].end) };
    return { span: { start: hex(span.start), end: hex(span.end) }, ram, pageSize: idx.pageSize, orders: idx.orders };
  }

  mapTiles(req: MapTilesRequest): MapTilesDto {
    const idx = this.o.index;
    const start = address(req.start, 'map start');
    const width = address(req.bytesPerCell, 'map cell size');
    if (width === 0n) throw new SessionError('map cell size must not be 0');
    const count = Math.max(0, Math.min(req.count | 0, MAX_MAP_CELLS));
    return { start: hex(start), bytesPerCell: hex(width), cells: idx.mapCells(start, width, count) };
  }
}
