// The tree the extension shows, computed where the data is (the worker), one level at a time.
// Ids are derived from content and parse back: `orders/9`, `orders/9#0-1000` (a bucket of list
// positions), `orders/9@0x1200000` (an item by address), `problems!3` (by position). Large lists
// are split into buckets of at most maxItemsPerGroup children, nested as deep as needed.

import type { Diagnostic } from '../../engine/diagnostics';
import type { DecodeResult } from '../../engine/session';
import { hex, humanSize, parseAddress } from '../../engine/util/hex';
import type { TreeNodeDto } from '../../protocol/model';
import type { DumpIndex } from './dumpIndex';

interface ListGroup {
  id: string;
  total: number;
  /** Plural noun for bucket descriptions. */
  noun: string;
  itemId(i: number): string;
  item(i: number, parentId: string): TreeNodeDto;
  /** Position of the item whose id is group id + `rest`, or -1. */
  parseItem(rest: string): number;
  /** Address span of items [lo, hi), for bucket labels. */
  span(lo: number, hi: number): { start: bigint; end: bigint } | null;
}

export const SECTION_IDS = ['fdt', 'orders', 'ranges', 'nodes', 'problems'] as const;

const LATEST_KNOWN_ABI = 4;

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun.replace(/s$/, '') : noun}`;
}

function levelLabel(level: string, depth: number): string {
  if (!/^\d+$/.test(level)) return level === 'chunks' ? 'Chunk list pages' : level === 'bitmaps' ? 'Bitmap pages' : level;
  const n = Number(level);
  const role = n === depth - 1 ? 'root' : n === 0 ? 'leaf bitmaps' : 'tables';
  return `Level ${n} (${role})`;
}

/** Display of a raw FDT property: u64 (CPU-native LE), string, or leading bytes. */
export function propertyText(value: Uint8Array): string {
  if (value.length === 0) return '(empty)';
  if (value.length === 8) {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(value[i]);
    return `${hex(v)} (u64)`;
  }
  const last = value[value.length - 1];
  const body = value.subarray(0, value.length - 1);
  if (last === 0 && body.length > 0 && body.every((b) => (b >= 0x20 && b < 0x7f) || b === 0)) {
    return body.length > 0 ? '"' + String.fromCharCode(...body).split('\0').join('", "') + '"' : '""';
  }
  const shown = [...value.subarray(0, 32)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `[${shown}${value.length > 32 ? ' …' : ''}] (${value.length} bytes)`;
}

export class DumpTree {
  private readonly groups = new Map<string, ListGroup>();
  private readonly depth: number;

  constructor(
    private readonly result: DecodeResult,
    private readonly index: DumpIndex,
    private readonly diagnostics: readonly Diagnostic[],
    private readonly fdtPath: string | null,
  ) {
    this.depth = result.tracker?.depth ?? 0;
    for (const o of index.orders) this.addGroup(this.orderGroup(o));
    for (const l of index.levels) this.addGroup(this.levelGroup(l));
    this.addGroup(this.rangeGroup());
    this.addGroup(this.problemGroup());
  }

  private addGroup(g: ListGroup): void { this.groups.set(g.id, g); }

  // ---- list groups ----

  private addressItemIds(groupId: string, at: (i: number) => bigint): { itemId(i: number): string; parseItem(rest: string): number } {
    // Items are sorted by address; a repeated address (corrupt input) gets its position appended.
    const itemId = (i: number): string => {
      const a = at(i);
      return i > 0 && at(i - 1) === a ? `${groupId}@${hex(a)}~${i}` : `${groupId}@${hex(a)}`;
    };
    return {
      itemId,
      parseItem: (rest) => {
        const m = /^@(0x[0-9a-f]+)(?:~(\d+))?$/.exec(rest);
        if (!m) return -1;
        if (m[2] !== undefined) { const i = Number(m[2]); return itemId(i) === groupId + rest ? i : -1; }
        return -2; // resolved by the caller's address search
      },
    };
  }

  private orderGroup(order: number): ListGroup {
    const idx = this.index;
    const list = idx.ofOrder(order);
    const id = `orders/${order}`;
    const ids = this.addressItemIds(id, (i) => idx.phys[list[i]]);
    const size = BigInt(idx.pageSize) << BigInt(order);
    return {
      id, total: list.length, noun: 'blocks',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        return idx.indexInOrder(order, a);
      },
      span: (lo, hi) => ({ start: idx.phys[list[lo]], end: idx.blockEnd(list[hi - 1]) }),
      item: (i, parentId) => {
        const b = list[i];
        const phys = idx.phys[b];
        const end = idx.blockEnd(b);
        return {
          id: ids.itemId(i), parentId, kind: 'block', collapsible: false,
          label: hex(phys),
          description: `order ${order} · ${humanSize(size)}`,
          tooltip: `Preserved block [${hex(phys)}, ${hex(end)})\norder ${order}: ${plural(2 ** order, 'pages')} of ${humanSize(idx.pageSize)} = ${humanSize(size)}`,
          icon: 'symbol-field', address: hex(phys), end: hex(end),
        };
      },
    };
  }

  private rangeGroup(): ListGroup {
    const idx = this.index;
    const id = 'ranges';
    const ids = this.addressItemIds(id, (i) => idx.rangeStart[i]);
    return {
      id, total: idx.rangeCount, noun: 'ranges',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        const i = idx.findRange(a);
        return i >= 0 && idx.rangeStart[i] === a ? i : -1;
      },
      span: (lo, hi) => ({ start: idx.rangeStart[lo], end: idx.rangeEnd[hi - 1] }),
      item: (i, parentId) => {
        const s = idx.rangeStart[i], e = idx.rangeEnd[i];
        const byOrder = idx.ordersIn(s, e);
        const blocks = byOrder.reduce((n, x) => n + x.count, 0);
        const orders = byOrder.length === 0 ? 'no block starts here'
          : byOrder.length === 1 ? `order ${byOrder[0].order}`
          : byOrder.length <= 3 ? `orders ${byOrder.map((x) => x.order).join(', ')}`
          : `orders ${byOrder[0].order}–${byOrder[byOrder.length - 1].order}`;
        return {
          id: ids.itemId(i), parentId, kind: 'range', collapsible: false,
          label: `${hex(s)} – ${hex(e)}`,
          description: `${humanSize(e - s)} · ${plural(blocks, 'blocks')}, ${orders}`,
          tooltip: `Preserved range [${hex(s)}, ${hex(e)}): ${humanSize(e - s)}, ${plural(Number((e - s) / BigInt(idx.pageSize)), 'pages')}\n` +
            byOrder.map((x) => `order ${x.order}: ${plural(x.count, 'blocks')}`).join('\n'),
          icon: 'symbol-ruler', address: hex(s), end: hex(e),
        };
      },
    };
  }

  private levelGroup(level: string): ListGroup {
    const idx = this.index;
    const pages = idx.pagesOfLevel(level);
    const id = `nodes/${encodeURIComponent(level)}`;
    const ids = this.addressItemIds(id, (i) => pages[i]);
    const page = BigInt(idx.pageSize);
    return {
      id, total: pages.length, noun: 'pages',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        let lo = 0, hi = pages.length;
        while (lo < hi) { const mid = (lo + hi) >>> 1; if (pages[mid] < a) lo = mid + 1; else hi = mid; }
        return lo < pages.length && pages[lo] === a ? lo : -1;
      },
      span: (lo, hi) => ({ start: pages[lo], end: pages[hi - 1] + page }),
      item: (i, parentId) => ({
        id: ids.itemId(i), parentId, kind: 'nodePage', collapsible: false,
        label: hex(pages[i]),
        description: levelLabel(level, this.depth),
        tooltip: `Tracker node page [${hex(pages[i])}, ${hex(pages[i] + page)}), ${levelLabel(level, this.depth)}`,
        icon: 'symbol-structure', address: hex(pages[i]), end: hex(pages[i] + page),
      }),
    };
  }

  private problemGroup(): ListGroup {
    const ds = this.diagnostics;
    const id = 'problems';
    return {
      id, total: ds.length, noun: 'problems',
      itemId: (i) => `${id}!${i}`,
      parseItem: (rest) => {
        const m = /^!(\d+)$/.exec(rest);
        const i = m ? Number(m[1]) : -1;
        return i >= 0 && i < ds.length ? i : -1;
      },
      span: () => null,
      item: (i, parentId) => {
        const d = ds[i];
        return {
          id: `${id}!${i}`, parentId, kind: 'problem', collapsible: false,
          label: d.message,
          description: d.address === null ? d.code : `${d.code} · ${hex(d.address)}`,
          tooltip: `${d.severity}: ${d.message} (${d.code})`,
          icon: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
          severity: d.severity,
          ...(d.address === null ? {} : { address: hex(d.address) }),
        };
      },
    };
  }

  // ---- bucketing ----

  /**
   * Size of each bucket for `len` items, or 0 when the items fit directly: max × 10^k for the
   * smallest k that needs at most `max` buckets, so a million and one items make 101 buckets of
   * 10,000 (each 10 of 1,000), not one of a million and one of 1.
   */
  static bucketSize(len: number, max: number): number {
    if (len <= max) return 0;
    let b = max;
    while (Math.ceil(len / b) > max) b *= 10;
    return b;
  }

  private bucketNode(g: ListGroup, lo: number, hi: number, parentId: string): TreeNodeDto {
    const span = g.span(lo, hi);
    const count = plural(hi - lo, g.noun);
    return {
      id: `${g.id}#${lo}-${hi}`, parentId, kind: 'bucket', collapsible: true,
      label: span ? `${hex(span.start)} – ${hex(span.end)}` : `${g.noun[0].toUpperCase()}${g.noun.slice(1)} ${lo + 1}–${hi}`,
      description: count,
      tooltip: span ? `${count} in [${hex(span.start)}, ${hex(span.end)})` : count,
      icon: 'folder',
      ...(span ? { address: hex(span.start), end: hex(span.end) } : {}),
    };
  }

  private spanChildren(g: ListGroup, lo: number, hi: number, parentId: string, max: number): TreeNodeDto[] {
    const b = DumpTree.bucketSize(hi - lo, max);
    const out: TreeNodeDto[] = [];
    if (b === 0) for (let i = lo; i < hi; i++) out.push(g.item(i, parentId));
    else for (let s = lo; s < hi; s += b) out.push(this.bucketNode(g, s, Math.min(hi, s + b), parentId));
    return out;
  }

  /** Ids from the group down to the item at position i (buckets included, group first). */
  private pathInGroup(g: ListGroup, i: number, max: number): string[] {
    const path = [g.id];
    let lo = 0, hi = g.total;
    for (;;) {
      const b = DumpTree.bucketSize(hi - lo, max);
      if (b === 0) break;
      const s = lo + Math.floor((i - lo) / b) * b;
      lo = s; hi = Math.min(hi, s + b);
      path.push(`${g.id}#${lo}-${hi}`);
    }
    path.push(g.itemId(i));
    return path;
  }

  private groupParent(g: ListGroup): string {
    return g.id.startsWith('orders/') ? 'orders' : g.id.startsWith('nodes/') ? 'nodes' : '';
  }

  /** Full path (section first) to item i of group `groupId`. */
  pathTo(groupId: string, i: number, max: number): string[] {
    const g = this.groups.get(groupId);
    if (!g || i < 0 || i >= g.total) return [];
    const parent = this.groupParent(g);
    return [...(parent ? [parent] : []), ...this.pathInGroup(g, i, max)];
  }

  orderGroupId(order: number): string { return `orders/${order}`; }
  levelGroupId(level: string): string { return `nodes/${encodeURIComponent(level)}`; }

  // ---- id resolution ----

  /** Splits an id into its group and the rest (`#lo-hi`, `@addr`, `!i`), if it is in a group. */
  private splitGroup(id: string): { g: ListGroup; rest: string } | null {
    const m = /^(orders\/\d+|nodes\/[^#@!]+|ranges|problems)(.*)$/.exec(id);
    if (!m) return null;
    const g = this.groups.get(m[1]);
    return g ? { g, rest: m[2] } : null;
  }

  private parseBucket(g: ListGroup, rest: string): { lo: number; hi: number } | null {
    const m = /^#(\d+)-(\d+)$/.exec(rest);
    if (!m) return null;
    const lo = Number(m[1]), hi = Number(m[2]);
    return lo < hi && hi <= g.total ? { lo, hi } : null;
  }

  children(nodeId: string | null, max: number): TreeNodeDto[] {
    if (nodeId === null) return SECTION_IDS.map((s) => this.section(s));
    if (nodeId === 'fdt') return this.fdtChildren();
    const sub = /^fdt\/node\/(\d+)$/.exec(nodeId);
    if (sub) return this.subnodeProperties(Number(sub[1]));
    if (nodeId === 'orders') return this.index.orders.map((o) => this.groupNode(this.groups.get(this.orderGroupId(o))!));
    if (nodeId === 'nodes') return this.index.levels.map((l) => this.groupNode(this.groups.get(this.levelGroupId(l))!));
    const sp = this.splitGroup(nodeId);
    if (!sp) return [];
    if (sp.rest === '') return this.spanChildren(sp.g, 0, sp.g.total, nodeId, max);
    const b = this.parseBucket(sp.g, sp.rest);
    return b ? this.spanChildren(sp.g, b.lo, b.hi, nodeId, max) : [];
  }

  node(id: string, max: number): TreeNodeDto | null {
    if ((SECTION_IDS as readonly string[]).includes(id)) return this.section(id as typeof SECTION_IDS[number]);
    if (id.startsWith('fdt/')) {
      const parent = /^(fdt\/node\/\d+)\/\d+$/.exec(id)?.[1] ?? 'fdt';
      return this.children(parent, max).find((n) => n.id === id) ?? null;
    }
    const sp = this.splitGroup(id);
    if (!sp) return null;
    const { g, rest } = sp;
    if (rest === '') return g.id === 'ranges' || g.id === 'problems' ? this.section(g.id) : this.groupNode(g);
    const bucket = this.parseBucket(g, rest);
    const i = bucket ? bucket.lo : g.parseItem(rest);
    if (i < 0) return null;
    const path = this.pathTo(g.id, i, max);
    if (bucket) {
      const at = path.indexOf(id);
      return at > 0 ? this.bucketNode(g, bucket.lo, bucket.hi, path[at - 1]) : null;
    }
    return g.item(i, path[path.length - 2]);
  }

  // ---- sections ----

  private groupNode(g: ListGroup): TreeNodeDto {
    const idx = this.index;
    if (g.id.startsWith('orders/')) {
      const o = Number(g.id.slice('orders/'.length));
      const size = BigInt(idx.pageSize) << BigInt(o);
      return {
        id: g.id, parentId: 'orders', kind: 'orderGroup', collapsible: g.total > 0,
        label: `Order ${o}`,
        description: `${plural(g.total, 'blocks')} · ${humanSize(size * BigInt(g.total))}`,
        tooltip: `${plural(g.total, 'blocks')} of order ${o} (${humanSize(size)} each), ${humanSize(size * BigInt(g.total))} in all`,
        icon: 'symbol-number',
      };
    }
    const level = decodeURIComponent(g.id.slice('nodes/'.length));
    return {
      id: g.id, parentId: 'nodes', kind: 'levelGroup', collapsible: g.total > 0,
      label: levelLabel(level, this.depth),
      description: plural(g.total, 'pages'),
      tooltip: `${plural(g.total, 'tracker pages')} at ${levelLabel(level, this.depth)}`,
      icon: 'symbol-structure',
    };
  }

  private section(id: typeof SECTION_IDS[number]): TreeNodeDto {
    const r = this.result, idx = this.index;
    switch (id) {
      case 'fdt': {
        const f = r.fdt;
        const where = !f ? '' : f.source === 'image' && f.address !== null ? `in image at ${hex(f.address)}` : 'from file';
        return {
          id, parentId: null, kind: 'section', collapsible: true, label: 'FDT', icon: 'file-binary',
          description: f ? `${f.kho.compatible ?? 'no compatible'} · ${where}` : 'not found',
          tooltip: f ? `KHO root FDT ${where} (${f.kho.totalSize} bytes)` : r.fatal ?? 'No KHO FDT',
        };
      }
      case 'orders':
        return {
          id, parentId: null, kind: 'section', collapsible: idx.orders.length > 0, label: 'Preserved by order', icon: 'layers',
          description: `${plural(idx.count, 'blocks')} · ${humanSize(idx.preservedBytes)}`,
          tooltip: `Preserved blocks grouped by order: ${idx.orders.length} orders`,
        };
      case 'ranges': {
        const g = this.groups.get('ranges')!;
        return {
          id, parentId: null, kind: 'section', collapsible: g.total > 0, label: 'Preserved ranges', icon: 'symbol-ruler',
          description: plural(g.total, 'ranges'),
          tooltip: 'Preserved memory coalesced into [start, end) ranges',
        };
      }
      case 'nodes': {
        const t = r.tracker;
        return {
          id, parentId: null, kind: 'section', collapsible: idx.levels.length > 0, label: 'Tracker nodes', icon: 'type-hierarchy',
          description: t ? `${t.kind === 'radix' ? `radix, depth ${t.depth}` : 'chunk list'} · ${plural(idx.nodePageCount, 'pages')}` : 'no tracker',
          tooltip: 'Pages the tracker itself occupies, by level',
        };
      }
      case 'problems': {
        const ds = this.diagnostics;
        const e = ds.filter((d) => d.severity === 'error').length, w = ds.filter((d) => d.severity === 'warning').length;
        return {
          id, parentId: null, kind: 'section', collapsible: ds.length > 0, label: 'Problems',
          icon: e > 0 ? 'error' : w > 0 ? 'warning' : 'pass',
          description: ds.length === 0 ? 'none' : `${plural(e, 'errors')}, ${plural(w, 'warnings')}, ${plural(ds.length - e - w, 'notes')}`,
          tooltip: 'Problems found while decoding and checking the dump',
        };
      }
    }
  }

  private fdtChildren(): TreeNodeDto[] {
    const f = this.result.fdt;
    if (!f) {
      return [{ id: 'fdt/missing', parentId: 'fdt', kind: 'info', collapsible: false, label: 'No KHO FDT', description: this.result.fatal ?? '', icon: 'circle-slash' }];
    }
    const k = f.kho;
    const page = BigInt(this.index.pageSize);
    const out: TreeNodeDto[] = [];
    const known = k.version !== null && k.version <= LATEST_KNOWN_ABI;
    out.push({
      id: 'fdt/version', parentId: 'fdt', kind: 'info', collapsible: false, label: 'Version',
      description: k.version === null ? `${k.compatible ?? 'none'} (not kho-vN)` : `kho-v${k.version}${known ? '' : ' (unknown, newer than this tool)'}`,
      tooltip: `Root compatible: ${k.compatible === null ? '(missing)' : JSON.stringify(k.compatible)}`,
      icon: 'tag',
    });
    const mapLabel = k.version === 1 ? 'First chunk' : 'Memory map root';
    out.push({
      id: 'fdt/map', parentId: 'fdt', kind: 'info', collapsible: false, label: mapLabel,
      description: k.preservedMemoryMap === null ? 'missing' : hex(k.preservedMemoryMap),
      tooltip: `preserved-memory-map: ${k.preservedMemoryMap === null ? 'missing or malformed' : hex(k.preservedMemoryMap)}`,
      icon: 'type-hierarchy',
      ...(k.preservedMemoryMap === null ? {} : { address: hex(k.preservedMemoryMap), end: hex(k.preservedMemoryMap + page) }),
    });
    out.push({
      id: 'fdt/location', parentId: 'fdt', kind: 'info', collapsible: false, label: 'Location',
      description: f.source === 'image' && f.address !== null ? `image ${hex(f.address)}` : `file ${basename(this.fdtPath ?? '')}`,
      tooltip: `${f.source === 'image' ? 'In the image' : this.fdtPath ?? 'From a file'}, ${k.totalSize} bytes` + (f.candidates.length > 1 ? `; scan found ${f.candidates.length} candidates: ${f.candidates.map((c) => hex(c)).join(', ')}` : ''),
      icon: 'location',
      ...(f.address === null ? {} : { address: hex(f.address), end: hex(f.address + BigInt(Math.max(1, k.totalSize))) }),
    });
    k.subnodes.forEach((s, i) => {
      const size = s.blobSize;
      out.push({
        id: `fdt/node/${i}`, parentId: 'fdt', kind: 'fdtSubnode', collapsible: s.properties.length > 0,
        label: s.name || '(unnamed)',
        description: `${s.preservedData === null ? 'no data' : hex(s.preservedData)}${size === null ? '' : ' · ' + humanSize(size)}`,
        tooltip: `Client subnode "${s.name}"\npreserved data: ${s.preservedData === null ? 'missing' : hex(s.preservedData)}\nblob size: ${size === null ? 'not given (before kho-v3)' : `${hex(size)} (${humanSize(size)})`}`,
        icon: 'symbol-namespace',
        ...(s.preservedData === null ? {} : { address: hex(s.preservedData), end: hex(s.preservedData + (size !== null && size > 0n ? size : page)) }),
      });
    });
    return out;
  }

  private subnodeProperties(i: number): TreeNodeDto[] {
    const s = this.result.fdt?.kho.subnodes[i];
    if (!s) return [];
    return s.properties.map((p, j) => ({
      id: `fdt/node/${i}/${j}`, parentId: `fdt/node/${i}`, kind: 'fdtProperty' as const, collapsible: false,
      label: p.name, description: propertyText(p.value), tooltip: `${p.name} = ${propertyText(p.value)}`, icon: 'symbol-property',
    }));
  }
}
