// The summary a worker sends when a dump is opened or re-decoded (SummaryDto): the decode result and
// the worker's index mapped to plain protocol data, addresses as 0x strings.

import type { Diagnostic, DiagnosticCode } from '../../engine/diagnostics';
import type { PhysMemory } from '../../engine/image/physMemory';
import type { DecodeResult } from '../../engine/decode';
import { hex, humanSize } from '../../engine/util/hex';
import type { DecodeHintDto, LiveGuestDto, SummaryDto } from '../../protocol/model';
import type { OpenParams } from '../../protocol/worker';
import type { DumpIndex } from './dumpIndex';
import type { DumpTree } from './dumpTree';
import { kdumpInfo } from './storage';

/** What the summary is made from: an opened dump in the worker. */
export interface SummarySource {
  params: OpenParams;
  memory: PhysMemory;
  result: DecodeResult;
  diagnostics: Diagnostic[];
  index: DumpIndex;
  tree: DumpTree;
  /** Set when a live QEMU guest was read. */
  live?: LiveGuestDto;
}

export function makeSummary(o: SummarySource, decodeMs: number): SummaryDto {
  const { result: r, index: idx, diagnostics: ds, params } = o;
  const dumpBytes = r.image.ranges.reduce((s, x) => s + (x.end - x.start), 0n);
  const f = r.fdt;
  const t = r.tracker;
  const page = BigInt(idx.pageSize);
  const counts = t ? t.blocks.countsByOrder() : new Map<number, number>();
  const scratchBytes = (r.scratch?.areas ?? []).reduce((n, a) => n + (a.end > a.start ? a.end - a.start : 0n), 0n);
  return {
    image: {
      path: params.imagePath ?? params.qmp ?? null,
      format: params.imagePath === null && !params.qmp ? 'none' : r.image.format,
      ranges: r.image.ranges.slice(0, 64).map((x) => ({ start: hex(x.start), end: hex(x.end) })),
      rangeCount: r.image.ranges.length,
      bytes: hex(dumpBytes),
      human: humanSize(dumpBytes),
      kdump: kdumpInfo(o.memory),
    },
    fdt: f && {
      source: f.source,
      path: f.source === 'file' ? params.fdtPath : null,
      address: f.address === null ? null : hex(f.address),
      compatible: f.kho.compatible,
      version: f.kho.version,
      abi: f.kho.version !== null ? `kho-v${f.kho.version}` : (f.kho.compatible ?? 'unknown'),
      preservedMemoryMap: f.kho.preservedMemoryMap === null ? null : hex(f.kho.preservedMemoryMap),
      subnodes: f.kho.subnodes.map((s, i) => {
        const c = o.tree.clients.client(i);
        return {
          name: s.name,
          preservedData: s.preservedData === null ? null : hex(s.preservedData),
          blobSize: s.blobSize === null ? null : hex(s.blobSize),
          ...(c ? { kind: c.kind, summary: c.summary } : {}),
        };
      }),
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
    scratch: r.scratch
      ? {
          source: r.scratch.source,
          areas: r.scratch.areas.length,
          bytes: hex(scratchBytes),
          human: humanSize(scratchBytes),
          array: r.scratch.array && {
            start: hex(r.scratch.array.address),
            end: hex(r.scratch.array.address + r.scratch.array.length),
          },
        }
      : null,
    handoff: r.handoff
      ? {
          head: hex(r.handoff.head),
          record: r.handoff.record ? hex(r.handoff.record.address) : null,
          fdtAddress: r.handoff.kho ? hex(r.handoff.kho.fdtAddress) : null,
          scratchAddress: r.handoff.kho ? hex(r.handoff.kho.scratchAddress) : null,
          scratchSize: r.handoff.kho ? hex(r.handoff.kho.scratchSize) : null,
          records: r.handoff.chain.length,
        }
      : null,
    decodeMode: { preFix16k: !!params.preFix16k },
    live: o.live ?? null,
    hints: decodeHints(ds, !!params.preFix16k, idx.pageSize),
    pageSize: idx.pageSize,
    fatal: r.fatal,
    decodeMs,
  };
}

/** Re-decodes the findings suggest: the 16 KiB pre-fix tree depth (docs/kho-format.md §1.1), or back from it. */
export function decodeHints(ds: readonly Diagnostic[], preFix16k: boolean, pageSize: number): DecodeHintDto[] {
  if (pageSize !== 16384) return [];
  const found = (code: DiagnosticCode): Diagnostic | undefined => ds.find((d) => d.code === code);
  if (!preFix16k) {
    const d = found('radix-prefix-16k-tree');
    return d ? [{ code: d.code, preFix16k: true, label: 'Decode as a pre-fix 16 KiB tree', message: d.message }] : [];
  }
  const d = found('radix-not-prefix-16k');
  return d
    ? [{ code: d.code, preFix16k: false, label: 'Decode as a fixed (depth 5) 16 KiB tree', message: d.message }]
    : [];
}
