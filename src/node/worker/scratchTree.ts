// The "Scratch areas" section: where the scratch areas came from, the scratch array, the x86
// setup_data hand-off (docs/kho-format.md §2.5, §2.6) and each area in array order. Ids: `scratch/source`,
// `scratch/array`, `scratch/handoff` (+ `/k` for its lines), `scratch!i` for area i.

import type { DecodeResult } from '../../engine/decode';
import { setupDataTypeName, SETUP_DATA_HEADER_SIZE } from '../../engine/kho/setupData';
import { hex, humanSize, U64_MASK } from '../../engine/util/hex';
import type { TreeNodeDto } from '../../protocol/model';
import { plural, type ListGroup } from './listGroup';

export const SCRATCH_ID = 'scratch';
export const HANDOFF_ID = 'scratch/handoff';

const SOURCE_TEXT: Record<string, string> = {
  debugfs: 'debugfs scratch_phys / scratch_len',
  setup_data: 'x86 setup_data (kho_data.scratch_addr)',
  address: 'scratch array in memory',
  given: 'given',
};

function clamp(v: bigint): bigint {
  return v > U64_MASK ? U64_MASK : v;
}

/** What each array entry is for: the kernel fills lowmem, then global, then one per NUMA node. */
export function scratchRole(i: number): string {
  return i === 0 ? 'lowmem' : i === 1 ? 'global' : `node ${i - 2}`;
}

type Line = Omit<TreeNodeDto, 'id' | 'parentId'>;

export class ScratchTree {
  readonly groups: ListGroup[] = [];

  constructor(
    private readonly result: DecodeResult,
    private readonly section: () => TreeNodeDto,
  ) {
    if (!result.scratch && !result.handoff) return;
    const lines = this.lines();
    const areas = result.scratch?.areas ?? [];
    const head = lines.length;
    const sectionGroup: ListGroup = {
      id: SCRATCH_ID,
      total: head + areas.length,
      noun: 'entries',
      itemId: (i) => (i < head ? lines[i].id : `${SCRATCH_ID}!${i - head}`),
      parseItem: (rest) => {
        const k = lines.findIndex((l) => l.id === SCRATCH_ID + rest);
        if (k >= 0) return k;
        const m = /^!(\d+)$/.exec(rest);
        const i = m ? Number(m[1]) : -1;
        return i >= 0 && i < areas.length ? head + i : -1;
      },
      item: (i, parentId) =>
        i < head ? { ...lines[i].node, id: lines[i].id, parentId } : this.area(i - head, parentId),
      span: () => null,
      ancestors: () => [],
      self: () => this.section(),
    };
    this.groups.push(sectionGroup);
    const h = result.handoff;
    if (h) {
      const hl = this.handoffLines();
      const at = lines.findIndex((l) => l.id === HANDOFF_ID);
      this.groups.push({
        id: HANDOFF_ID,
        total: hl.length,
        noun: 'lines',
        itemId: (i) => `${HANDOFF_ID}/${i}`,
        parseItem: (rest) => {
          const m = /^\/(\d+)$/.exec(rest);
          const i = m ? Number(m[1]) : -1;
          return i >= 0 && i < hl.length ? i : -1;
        },
        item: (i, parentId) => ({ ...hl[i], id: `${HANDOFF_ID}/${i}`, parentId }),
        span: () => null,
        ancestors: () => [SCRATCH_ID],
        self: () => sectionGroup.item(at, SCRATCH_ID),
      });
    }
  }

  /** Position of area `i` in the section's list. */
  areaPosition(i: number): number {
    return this.groups[0] ? this.groups[0].total - (this.result.scratch?.areas.length ?? 0) + i : -1;
  }

  private lines(): { id: string; node: Line }[] {
    const s = this.result.scratch,
      h = this.result.handoff;
    const out: { id: string; node: Line }[] = [];
    out.push({
      id: `${SCRATCH_ID}/source`,
      node: {
        kind: 'info',
        collapsible: false,
        label: 'Source',
        icon: 'info',
        description: s ? (SOURCE_TEXT[s.source] ?? s.source) : 'none: the hand-off names no scratch array',
        tooltip: 'Where the scratch areas were read from',
      },
    });
    if (s?.array) {
      const n = s.array.length / 16n;
      out.push({
        id: `${SCRATCH_ID}/array`,
        node: {
          kind: 'info',
          collapsible: false,
          label: 'Scratch array',
          icon: 'symbol-array',
          description: `${hex(s.array.address)} · ${s.array.length} bytes, ${plural(Number(n), 'entries')}`,
          tooltip: `struct kho_scratch[${n}] at [${hex(s.array.address)}, ${hex(clamp(s.array.address + s.array.length))})`,
          address: hex(s.array.address),
          end: hex(clamp(s.array.address + (s.array.length > 0n ? s.array.length : 1n))),
        },
      });
    }
    if (h) {
      out.push({
        id: HANDOFF_ID,
        node: {
          kind: 'handoff',
          collapsible: true,
          label: 'x86 setup_data hand-off',
          icon: 'link',
          description: h.record
            ? `SETUP_KEXEC_KHO at ${hex(h.record.address)}`
            : `no SETUP_KEXEC_KHO record in ${plural(h.chain.length, 'records')}`,
          tooltip: `setup_data list from ${hex(h.head)}: ${plural(h.chain.length, 'records')}`,
          address: hex(h.head),
        },
      });
    }
    return out;
  }

  private handoffLines(): Line[] {
    const h = this.result.handoff!;
    const out: Line[] = [
      {
        kind: 'info',
        collapsible: false,
        label: 'List head',
        description: hex(h.head),
        icon: 'debug-start',
        address: hex(h.head),
      },
    ];
    for (const r of h.chain) {
      const end = clamp(r.address + BigInt(SETUP_DATA_HEADER_SIZE + r.len));
      out.push({
        kind: 'info',
        collapsible: false,
        label: setupDataTypeName(r.type),
        icon: r === h.record ? 'star-full' : 'symbol-struct',
        description: `${hex(r.address)} · ${r.len} bytes · next ${hex(r.next)}`,
        tooltip: `struct setup_data at [${hex(r.address)}, ${hex(end)}): type ${r.type}, len ${r.len}, next ${hex(r.next)}`,
        address: hex(r.address),
        end: hex(end),
      });
    }
    if (h.kho) {
      const k = h.kho;
      out.push({
        kind: 'info',
        collapsible: false,
        label: 'kho_data.fdt_addr',
        description: `${hex(k.fdtAddress)} · fdt_size ${hex(k.fdtSize)}`,
        icon: 'file-binary',
        address: hex(k.fdtAddress),
        end: hex(clamp(k.fdtAddress + (k.fdtSize > 0n ? k.fdtSize : 1n))),
      });
      out.push({
        kind: 'info',
        collapsible: false,
        label: 'kho_data.scratch_addr',
        description: `${hex(k.scratchAddress)} · scratch_size ${hex(k.scratchSize)}`,
        icon: 'symbol-array',
        address: hex(k.scratchAddress),
        end: hex(clamp(k.scratchAddress + (k.scratchSize > 0n ? k.scratchSize : 1n))),
      });
    }
    return out;
  }

  private area(i: number, parentId: string): TreeNodeDto {
    const r = this.result.scratch!.areas[i];
    const size = r.end > r.start ? r.end - r.start : 0n;
    const end = clamp(r.end);
    return {
      id: `${SCRATCH_ID}!${i}`,
      parentId,
      kind: 'scratchArea',
      collapsible: false,
      label: `${hex(r.start)} – ${hex(end)}`,
      description: `entry ${i} (${scratchRole(i)}) · ${humanSize(size)}`,
      tooltip: `Scratch area ${i} (${scratchRole(i)}): [${hex(r.start)}, ${hex(end)}), ${humanSize(size)}\nThe next kernel makes its early allocations here; nothing preserved may lie inside.`,
      icon: 'circuit-board',
      address: hex(r.start),
      end: hex(end > r.start ? end : r.start + 1n),
    };
  }
}
