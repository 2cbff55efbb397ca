// Building a whole dump with client data: the client builders lay their structures out first (in a
// recorded writer, from a page pool that avoids the caller's preserved blocks), then the dump
// builder places the blobs, preserves everything and writes the tracker, and the recorded client
// writes are replayed into the dump's memory.

import { mergeRanges, type PhysRange } from '../../image/physMemory';
import { poolAllocator, type RandomLike } from '../../kho/generators';
import { buildDump, type BuiltDump, type ClientSpec, type DumpSpec } from '../../kho/dumpBuilder';
import type { PreservedBlock } from '../../kho/tracker';
import { buildContext, RecordingWriter, type BuildContext, type BuiltClient } from './memory';

export interface ClientStageOptions {
  ram: PhysRange[];
  pageSize?: number;
  /**
   * Where client structures go. Default: RAM above the first MiB, so no structure sits at address 0
   * (which every format reads as "none"), as on real machines where low memory is firmware's.
   */
  pool?: PhysRange[];
  /** Blocks to keep clear of (the preserved blocks later passed to buildDump). */
  avoid?: PreservedBlock[];
  /** Scatter client pages at random over the pool instead of ascending. */
  random?: RandomLike;
}

const LOW_MEMORY = 1n << 20n;

function defaultPool(ram: PhysRange[]): PhysRange[] {
  const high = mergeRanges(ram)
    .filter((r) => r.end > LOW_MEMORY)
    .map((r) => ({ start: r.start < LOW_MEMORY ? LOW_MEMORY : r.start, end: r.end }));
  return high.length ? high : mergeRanges(ram).map((r) => ({ start: r.start === 0n ? 1n : r.start, end: r.end }));
}

export class ClientStage {
  readonly ctx: BuildContext;
  private readonly rec = new RecordingWriter();

  constructor(private readonly opts: ClientStageOptions) {
    const pageSize = opts.pageSize ?? 4096;
    const alloc = poolAllocator(opts.pool ?? defaultPool(opts.ram), opts.avoid ?? [], {
      pageSize,
      random: opts.random,
    });
    this.ctx = buildContext(this.rec, alloc, pageSize);
  }

  /**
   * Builds the dump: `spec.blocks` (the same blocks given as `avoid`) plus every block the client
   * builders preserved; `clients` become subnodes in order, after any `spec.clients`.
   */
  buildDump(
    spec: Omit<DumpSpec, 'blocks' | 'clients' | 'pageSize' | 'ram'> & {
      blocks?: PreservedBlock[];
      clients?: ClientSpec[];
    },
    clients: BuiltClient[],
  ): BuiltDump {
    const dump = buildDump({
      ...spec,
      ram: this.opts.ram,
      pageSize: this.ctx.pageSize as DumpSpec['pageSize'],
      blocks: [...(spec.blocks ?? []), ...this.ctx.blocks],
      clients: [...(spec.clients ?? []), ...clients.map((c) => ({ name: c.name, size: c.size, bytes: c.bytes }))],
    });
    this.rec.replay(dump.mem);
    return dump;
  }
}
