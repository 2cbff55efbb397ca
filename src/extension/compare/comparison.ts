// Two dumps compared, independent of VS Code: their pairings, the worker that holds both and the
// paged queries the compare view makes (tree children, lookups, findings).

import * as path from 'path';
import type { CompareLookupDto, CompareSummaryDto } from '../../protocol/compare';
import type { DiagnosticDto, MapExtentsDto, MapTilesDto, MapTilesRequest, TreeNodeDto } from '../../protocol/model';
import type { RpcCancellationToken, ProgressData } from '../../protocol/rpc';
import type { EngineSession, EngineStarter } from '../engineHost/engineSession';
import { openParams } from '../document/dumpModel';
import type { Pairing } from '../document/pairing';

/** More findings than this would only flood the Problems panel; the tree lists every range. */
const MAX_PROBLEMS = 1000;

export class Comparison {
  private constructor(
    readonly leftPath: string,
    readonly rightPath: string,
    readonly leftIsSender: boolean,
    private readonly engine: EngineSession,
    readonly summary: CompareSummaryDto,
  ) {}

  /** Opens both sides in one worker and compares them; rejects with the worker's reason. */
  static async open(
    start: EngineStarter,
    left: { path: string; pairing: Pairing },
    right: { path: string; pairing: Pairing },
    leftIsSender: boolean,
    run: { token?: RpcCancellationToken; onProgress?: (p: ProgressData) => void } = {},
  ): Promise<Comparison> {
    const engine = await start();
    try {
      const summary = await engine.request(
        'compareOpen',
        { left: openParams(left.pairing), right: openParams(right.pairing), leftIsSender },
        run,
      );
      return new Comparison(left.path, right.path, leftIsSender, engine, summary);
    } catch (e) {
      engine.dispose();
      throw e;
    }
  }

  get title(): string {
    return `${path.basename(this.leftPath)} ↔ ${path.basename(this.rightPath)}`;
  }

  async children(nodeId: string | null, maxItemsPerGroup: number): Promise<TreeNodeDto[]> {
    const out: TreeNodeDto[] = [];
    for (let start = 0; ;) {
      const page = await this.engine.request('compareChildren', { nodeId, maxItemsPerGroup, start, count: 5000 });
      out.push(...page.items);
      start += page.items.length;
      if (page.items.length === 0 || start >= page.total) return out;
    }
  }

  lookup(address: string, maxItemsPerGroup: number): Promise<CompareLookupDto> {
    return this.engine.request('compareLookup', { address, maxItemsPerGroup });
  }

  /** The comparison's findings, at most MAX_PROBLEMS. */
  async problems(): Promise<DiagnosticDto[]> {
    const out: DiagnosticDto[] = [];
    for (let start = 0; out.length < MAX_PROBLEMS;) {
      const page = await this.engine.request('compareProblems', {
        start,
        count: Math.min(500, MAX_PROBLEMS - out.length),
      });
      out.push(...page.items);
      start += page.items.length;
      if (page.items.length === 0 || start >= page.total) break;
    }
    return out;
  }

  mapExtents(): Promise<MapExtentsDto> {
    return this.engine.request('compareMapExtents', {});
  }

  mapTiles(req: MapTilesRequest): Promise<MapTilesDto> {
    return this.engine.request('compareMapTiles', req);
  }

  dispose(): void {
    this.engine.dispose();
  }
}
