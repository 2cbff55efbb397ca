// A worker holding two dumps compared (LEFT, RIGHT): both opened as WorkerSessions, the engine's
// DumpDiff of their decodes, and the compare tree and findings the extension pages through.

import { DumpDiff } from '../../engine/diff/dumpDiff';
import { rangesBytes } from '../../engine/diff/blockDiff';
import type { DiagnosticCode } from '../../engine/diagnosticCodes';
import type { PhysRange } from '../../engine/image/physMemory';
import type { CancellationToken, ProgressSink } from '../../engine/util/cancel';
import { hex, humanSize, parseAddress } from '../../engine/util/hex';
import type { CompareLookupDto, CompareSideDto, CompareSummaryDto } from '../../protocol/compare';
import {
  MAX_MAP_CELLS,
  type DiagnosticDto,
  type MapExtentsDto,
  type MapTilesDto,
  type MapTilesRequest,
  type Page,
  type TreeNodeDto,
} from '../../protocol/model';
import type { OpenParams } from '../../protocol/worker';
import { CompareMap } from './compareMap';
import { CompareTree, SIDE_LABEL, type Side } from './compareTree';
import { SessionError, WorkerSession } from './session';

function pageOf<T>(all: readonly T[], start: number, count: number): Page<T> {
  const s = Math.max(0, Math.min(start | 0, all.length));
  const e = Math.min(all.length, s + Math.max(0, Math.min(count | 0, 10000)));
  return { items: all.slice(s, e), total: all.length, start: s };
}

/** Is the address inside one of the sorted, disjoint ranges? */
function inRanges(rs: readonly PhysRange[], a: bigint): boolean {
  let lo = 0,
    hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid].end <= a) lo = mid + 1;
    else hi = mid;
  }
  return lo < rs.length && rs[lo].start <= a;
}

interface Compared {
  diff: DumpDiff;
  tree: CompareTree;
  map: CompareMap;
  summary: CompareSummaryDto;
  problems: DiagnosticDto[];
}

export class CompareSession {
  private readonly sides = { left: new WorkerSession(), right: new WorkerSession() };
  private compared: Compared | null = null;

  async open(
    params: { left: OpenParams; right: OpenParams; leftIsSender: boolean },
    token: CancellationToken,
    onProgress: ProgressSink,
    yieldNow: () => Promise<void>,
  ): Promise<CompareSummaryDto> {
    this.close();
    for (const side of ['left', 'right'] as const) {
      const label = SIDE_LABEL[side];
      const s = await this.sides[side].open(
        params[side],
        token,
        (p) => onProgress({ ...p, stage: `${label}: ${p.stage}` }),
        yieldNow,
      );
      if (s.fatal) throw new SessionError(`${label} ${params[side].imagePath ?? params[side].fdtPath}: ${s.fatal}`);
    }
    onProgress({ stage: 'Comparing', done: 0 });
    const l = this.sides.left.current!,
      r = this.sides.right.current!;
    const diff = new DumpDiff({ result: l.result, memory: l.memory }, { result: r.result, memory: r.memory });
    const tree = new CompareTree(diff, {
      left: params.left.imagePath ?? params.left.fdtPath ?? 'LEFT',
      right: params.right.imagePath ?? params.right.fdtPath ?? 'RIGHT',
    });
    const sideDto = (side: Side, p: OpenParams): CompareSideDto => {
      const res = diff[side].result;
      return {
        path: p.imagePath ?? p.fdtPath ?? '',
        compatible: res.fdt?.kho.compatible ?? null,
        counts: [...(res.tracker?.blocks.countsByOrder() ?? [])].map(([order, count]) => ({ order, count })),
        pageSize: res.tracker?.pageSize ?? p.pageSize,
      };
    };
    const counts = { onlyLeft: tree.total('left'), onlyRight: tree.total('right') };
    diff.rememberCounts(counts);
    const summary: CompareSummaryDto = {
      left: sideDto('left', params.left),
      right: sideDto('right', params.right),
      onlyLeftBlocks: counts.onlyLeft,
      onlyRightBlocks: counts.onlyRight,
      onlyLeftBytes: hex(rangesBytes(diff.ranges.onlyLeft)),
      onlyRightBytes: hex(rangesBytes(diff.ranges.onlyRight)),
      clients: {
        onlyLeft: diff.clients.onlyLeft,
        onlyRight: diff.clients.onlyRight,
        changed: diff.clients.changed.map((c) => ({ name: c.name, changes: c.changes })),
      },
      same: diff.same(),
    };
    const pageSize = BigInt(summary.left.pageSize);
    const problems: DiagnosticDto[] = params.leftIsSender
      ? diff.ranges.onlyLeft.map((x) => ({
          severity: 'error',
          code: 'compare-missing-in-receiver' satisfies DiagnosticCode,
          address: hex(x.start),
          message: `${hex(x.start)}: preserved by the sender (LEFT) but missing in the receiver (RIGHT): [${hex(x.start)}, ${hex(x.end)}), ${humanSize(x.end - x.start)} (${((x.end - x.start) / pageSize).toString()} pages)`,
        }))
      : [];
    this.compared = { diff, tree, map: new CompareMap(diff), summary, problems };
    return summary;
  }

  private get c(): Compared {
    if (!this.compared) throw new SessionError('no comparison is open in this worker');
    return this.compared;
  }

  children(nodeId: string | null, max: number, start: number, count: number): Page<TreeNodeDto> {
    return pageOf(this.c.tree.children(nodeId, max), start, count);
  }

  problems(start: number, count: number): Page<DiagnosticDto> {
    return pageOf(this.c.problems, start, count);
  }

  lookup(address: string, max: number): CompareLookupDto {
    const a = parseAddress(address);
    if (a === undefined) throw new SessionError(`"${address}" is not an address (use 0x… hex or decimal)`);
    const { diff, tree } = this.c;
    const left = inRanges(diff.leftBlocks.ranges(), a),
      right = inRanges(diff.rightBlocks.ranges(), a);
    const message =
      left && right
        ? `${hex(a)} is preserved on both sides`
        : left
          ? `${hex(a)} is preserved only in LEFT (missing in RIGHT)`
          : right
            ? `${hex(a)} is preserved only in RIGHT (not in LEFT)`
            : `${hex(a)} is preserved on neither side`;
    const side: Side | null = left && !right ? 'left' : right && !left ? 'right' : null;
    return { address: hex(a), left, right, message, path: side ? tree.rangePath(side, a, max) : [] };
  }

  mapExtents(): MapExtentsDto {
    return this.c.map.extents();
  }

  mapTiles(req: MapTilesRequest): MapTilesDto {
    const start = parseAddress(req.start),
      width = parseAddress(req.bytesPerCell);
    if (start === undefined || width === undefined || width === 0n)
      throw new SessionError(`map tiles: bad start ${req.start} or cell size ${req.bytesPerCell}`);
    const count = Math.max(0, Math.min(req.count | 0, MAX_MAP_CELLS));
    const cells = this.c.map.cells(start, width, count);
    // Compare cells say which side(s) preserve them, drawn whole: no density figures (-1: none).
    const none = cells.map(() => -1);
    return {
      start: hex(start),
      bytesPerCell: hex(width),
      cells,
      preservedPages: none,
      blocks: none,
      minOrder: none,
      maxOrder: none,
      nodePages: none,
    };
  }

  close(): void {
    this.sides.left.close();
    this.sides.right.close();
    this.compared = null;
  }
}
