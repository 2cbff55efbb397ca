// The compare tree: "Only in LEFT" / "Only in RIGHT" (blocks by order and by range, bucketed as the
// dump tree buckets them; clients on one side only) and "Changed clients" with both sides' decoded
// data. Ids parse back: `L/orders/3`, `L/orders/3#0-1000`, `L/orders/3!17`, `R/ranges!2`, `changed/1/L`.

import type { ClientDecode } from '../../engine/clients/types';
import type { DumpDiff } from '../../engine/diff/dumpDiff';
import { hex, humanSize } from '../../engine/util/hex';
import type { TreeNodeDto } from '../../protocol/model';
import { DumpTree } from './dumpTree';
import { plural, positionIds, type ListGroup } from './listGroup';

export type Side = 'left' | 'right';
export const SIDE_LABEL: Record<Side, string> = { left: 'LEFT', right: 'RIGHT' };
const SIDE_ID: Record<Side, string> = { left: 'L', right: 'R' };
const SIDES: readonly Side[] = ['left', 'right'];

/** Growable list of page frame numbers (the blocks of one order on one side only). */
class PfnList {
  data = new Float64Array(16);
  length = 0;
  push(pfn: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = pfn;
  }
}

export class CompareTree {
  private readonly groups = new Map<string, ListGroup>();
  private readonly blocks: Record<Side, Map<number, PfnList>> = { left: new Map(), right: new Map() };
  private readonly counts: Record<Side, number> = { left: 0, right: 0 };

  constructor(
    private readonly diff: DumpDiff,
    private readonly paths: Record<Side, string>,
  ) {
    for (const side of SIDES) {
      const per = this.blocks[side];
      diff.forEachOnly(side, (pfn, order) => {
        let l = per.get(order);
        if (!l) {
          l = new PfnList();
          per.set(order, l);
        }
        l.push(pfn);
        this.counts[side]++;
      });
      const orders = [...per.keys()].sort((a, b) => a - b);
      this.blocks[side] = new Map(orders.map((o) => [o, per.get(o)!]));
      for (const o of orders) this.addGroup(this.orderGroup(side, o));
      this.addGroup(this.rangeGroup(side));
      this.addGroup(this.clientGroup(side));
    }
  }

  /** Blocks on `side` only. */
  total(side: Side): number {
    return this.counts[side];
  }

  private addGroup(g: ListGroup): void {
    this.groups.set(g.id, g);
  }

  private pageShift(side: Side): number {
    return (side === 'left' ? this.diff.leftBlocks : this.diff.rightBlocks).pageShift;
  }

  private orderGroup(side: Side, order: number): ListGroup {
    const list = this.blocks[side].get(order)!;
    const shift = BigInt(this.pageShift(side));
    const id = `${SIDE_ID[side]}/orders/${order}`;
    const ids = positionIds(id, '!');
    const size = 1n << (shift + BigInt(order));
    const phys = (i: number) => BigInt(list.data[i]) << shift;
    return {
      id,
      total: list.length,
      noun: 'blocks',
      itemId: ids.itemId,
      parseItem: (rest) => ids.parse(rest, list.length),
      span: (lo, hi) => ({ start: phys(lo), end: phys(hi - 1) + size }),
      ancestors: () => [SIDE_ID[side], `${SIDE_ID[side]}/orders`],
      self: () => this.orderNode(side, order),
      item: (i, parentId) => ({
        id: ids.itemId(i),
        parentId,
        kind: 'block',
        collapsible: false,
        label: hex(phys(i)),
        description: `order ${order} · ${humanSize(size)}`,
        tooltip: `Block [${hex(phys(i))}, ${hex(phys(i) + size)}) of order ${order}: preserved in ${SIDE_LABEL[side]} only`,
        icon: 'symbol-field',
        address: hex(phys(i)),
        end: hex(phys(i) + size),
      }),
    };
  }

  private rangeGroup(side: Side): ListGroup {
    const ranges = side === 'left' ? this.diff.ranges.onlyLeft : this.diff.ranges.onlyRight;
    const id = `${SIDE_ID[side]}/ranges`;
    const ids = positionIds(id, '!');
    return {
      id,
      total: ranges.length,
      noun: 'ranges',
      itemId: ids.itemId,
      parseItem: (rest) => ids.parse(rest, ranges.length),
      span: (lo, hi) => ({ start: ranges[lo].start, end: ranges[hi - 1].end }),
      ancestors: () => [SIDE_ID[side]],
      self: () => this.rangesNode(side),
      item: (i, parentId) => {
        const r = ranges[i];
        return {
          id: ids.itemId(i),
          parentId,
          kind: 'range',
          collapsible: false,
          label: `${hex(r.start)} – ${hex(r.end)}`,
          description: humanSize(r.end - r.start),
          tooltip: `Pages [${hex(r.start)}, ${hex(r.end)}) preserved in ${SIDE_LABEL[side]} only`,
          icon: 'symbol-array',
          address: hex(r.start),
          end: hex(r.end),
        };
      },
    };
  }

  private clientGroup(side: Side): ListGroup {
    const names = side === 'left' ? this.diff.clients.onlyLeft : this.diff.clients.onlyRight;
    const id = `${SIDE_ID[side]}/clients`;
    const ids = positionIds(id, '!');
    return {
      id,
      total: names.length,
      noun: 'clients',
      itemId: ids.itemId,
      parseItem: (rest) => ids.parse(rest, names.length),
      span: () => null,
      ancestors: () => [SIDE_ID[side]],
      self: () => this.clientsNode(side),
      item: (i, parentId) => this.clientNode(side, names[i], ids.itemId(i), parentId),
    };
  }

  private client(side: Side, name: string): { decode?: ClientDecode; address: bigint | null; size: bigint | null } {
    const r = this.diff[side].result;
    const sub = r.fdt?.kho.subnodes.find((s) => s.name === name);
    const decode = r.clients?.find((c) => c.subnode === name);
    return { decode, address: sub?.preservedData ?? null, size: sub?.blobSize ?? decode?.size ?? null };
  }

  private clientNode(side: Side, name: string, id: string, parentId: string): TreeNodeDto {
    const c = this.client(side, name);
    const fields = c.decode?.fields.length ?? 0;
    return {
      id,
      parentId,
      kind: 'fdtSubnode',
      collapsible: fields > 0,
      label: name,
      description: [
        c.address === null ? 'no preserved-data' : hex(c.address),
        c.size === null ? null : humanSize(c.size),
        c.decode?.summary,
      ]
        .filter((x) => x)
        .join(' · '),
      tooltip: `Client "${name}" in ${SIDE_LABEL[side]} (${this.paths[side]})${c.decode ? `\n${c.decode.summary}` : ''}`,
      icon: 'symbol-namespace',
      ...(c.address !== null
        ? { address: hex(c.address), ...(c.size !== null && c.size > 0n ? { end: hex(c.address + c.size) } : {}) }
        : {}),
    };
  }

  // ---- nodes ----

  private sideNode(side: Side): TreeNodeDto {
    const bytes = (side === 'left' ? this.diff.ranges.onlyLeft : this.diff.ranges.onlyRight).reduce(
      (n, r) => n + (r.end - r.start),
      0n,
    );
    const clients = this.groups.get(`${SIDE_ID[side]}/clients`)!.total;
    const parts = [
      plural(this.counts[side], 'blocks'),
      `${humanSize(bytes)} of pages`,
      ...(clients ? [plural(clients, 'clients')] : []),
    ];
    return {
      id: SIDE_ID[side],
      parentId: null,
      kind: 'section',
      collapsible: this.counts[side] > 0 || bytes > 0n || clients > 0,
      label: `Only in ${SIDE_LABEL[side]}`,
      description: parts.join(' · '),
      tooltip: `Preserved in ${SIDE_LABEL[side]} (${this.paths[side]}) and not in ${SIDE_LABEL[side === 'left' ? 'right' : 'left']}`,
      icon: side === 'left' ? 'diff-removed' : 'diff-added',
    };
  }

  private ordersNode(side: Side): TreeNodeDto {
    return {
      id: `${SIDE_ID[side]}/orders`,
      parentId: SIDE_ID[side],
      kind: 'group',
      collapsible: this.counts[side] > 0,
      label: 'Blocks by order',
      description: plural(this.counts[side], 'blocks'),
      icon: 'list-ordered',
    };
  }

  private orderNode(side: Side, order: number): TreeNodeDto {
    const n = this.blocks[side].get(order)!.length;
    const size = 1n << BigInt(this.pageShift(side) + order);
    return {
      id: `${SIDE_ID[side]}/orders/${order}`,
      parentId: `${SIDE_ID[side]}/orders`,
      kind: 'orderGroup',
      collapsible: n > 0,
      label: `Order ${order}`,
      description: `${plural(n, 'blocks')} · ${humanSize(size * BigInt(n))}`,
      icon: 'symbol-number',
    };
  }

  private rangesNode(side: Side): TreeNodeDto {
    const g = this.groups.get(`${SIDE_ID[side]}/ranges`)!;
    return {
      id: g.id,
      parentId: SIDE_ID[side],
      kind: 'group',
      collapsible: g.total > 0,
      label: 'Pages by range',
      description: plural(g.total, 'ranges'),
      icon: 'symbol-array',
      tooltip:
        'Pages preserved on this side only, coalesced (a block split differently on the other side is no page difference)',
    };
  }

  private clientsNode(side: Side): TreeNodeDto {
    const g = this.groups.get(`${SIDE_ID[side]}/clients`)!;
    return {
      id: g.id,
      parentId: SIDE_ID[side],
      kind: 'group',
      collapsible: g.total > 0,
      label: 'Clients',
      description: plural(g.total, 'clients'),
      icon: 'symbol-namespace',
    };
  }

  private changedNode(): TreeNodeDto {
    const n = this.diff.clients.changed.length;
    return {
      id: 'changed',
      parentId: null,
      kind: 'section',
      collapsible: n > 0,
      label: 'Changed clients',
      description: plural(n, 'clients'),
      icon: 'diff-modified',
      tooltip: 'Clients on both sides whose preserved-data address, blob size or blob bytes differ',
    };
  }

  private changedChildren(): TreeNodeDto[] {
    return this.diff.clients.changed.map((c, i) => ({
      id: `changed/${i}`,
      parentId: 'changed',
      kind: 'fdtSubnode',
      collapsible: true,
      label: c.name,
      description: `${c.changes.join(', ')} differ`,
      icon: 'symbol-namespace',
    }));
  }

  private changedSideFields(i: number, side: Side, parentId: string): TreeNodeDto[] {
    const c = this.client(side, this.diff.clients.changed[i].name);
    return (c.decode?.fields ?? []).map((f, j) => ({
      id: `${parentId}/f${j}`,
      parentId,
      kind: 'clientField',
      collapsible: false,
      label: f.name,
      description: f.value,
      tooltip: `${f.name}: ${f.value}`,
    }));
  }

  // ---- queries ----

  children(nodeId: string | null, max: number): TreeNodeDto[] {
    if (nodeId === null) return [this.sideNode('left'), this.sideNode('right'), this.changedNode()];
    for (const side of SIDES) {
      const s = SIDE_ID[side];
      if (nodeId === s) {
        const out = [this.ordersNode(side), this.rangesNode(side)];
        if (this.groups.get(`${s}/clients`)!.total > 0) out.push(this.clientsNode(side));
        return out;
      }
      if (nodeId === `${s}/orders`) return [...this.blocks[side].keys()].map((o) => this.orderNode(side, o));
    }
    if (nodeId === 'changed') return this.changedChildren();
    let m = /^changed\/(\d+)$/.exec(nodeId);
    if (m && Number(m[1]) < this.diff.clients.changed.length) {
      const name = this.diff.clients.changed[Number(m[1])].name;
      return SIDES.map((side) => ({
        ...this.clientNode(side, name, `${nodeId}/${SIDE_ID[side]}`, nodeId),
        label: SIDE_LABEL[side],
      }));
    }
    m = /^changed\/(\d+)\/([LR])$/.exec(nodeId);
    if (m && Number(m[1]) < this.diff.clients.changed.length)
      return this.changedSideFields(Number(m[1]), m[2] === 'L' ? 'left' : 'right', nodeId);
    // A list group, one of its buckets, or nothing.
    const whole = this.groups.get(nodeId);
    if (whole) return DumpTree.spanChildren(whole, 0, whole.total, nodeId, max);
    const b = /^(.+)(#\d+-\d+)$/.exec(nodeId);
    const g = b ? this.groups.get(b[1]) : undefined;
    const span = g ? DumpTree.parseBucket(g, b![2]) : null;
    return g && span ? DumpTree.spanChildren(g, span.lo, span.hi, nodeId, max) : [];
  }

  /** Ids root → leaf of the range on `side` only that holds `a` ([] when none does). */
  rangePath(side: Side, a: bigint, max: number): string[] {
    const ranges = side === 'left' ? this.diff.ranges.onlyLeft : this.diff.ranges.onlyRight;
    const i = ranges.findIndex((r) => r.start <= a && a < r.end);
    if (i < 0) return [];
    return [SIDE_ID[side], ...DumpTree.pathInGroup(this.groups.get(`${SIDE_ID[side]}/ranges`)!, i, max)];
  }
}
