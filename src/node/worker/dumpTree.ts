// The tree the extension shows, computed where the data is (the worker), one level at a time.
// Ids are derived from content and parse back: `orders/9`, `orders/9#0-1000` (a bucket of list
// positions), `orders/9@0x1200000` (an item by address), `problems/error!3` (by position),
// `fdt/node/2/c0/c3` (client data, clientTree.ts), `scratch!1` (scratchTree.ts). Large lists are
// split into buckets of at most maxItemsPerGroup children, nested as deep as needed.

import type { Diagnostic, Severity } from '../../engine/diagnostics';
import type { DecodeResult } from '../../engine/decode';
import { hex, humanSize, parseAddress } from '../../engine/util/hex';
import { renderDts } from '../../engine/kho/dts';
import type { TreeNodeDto } from '../../protocol/model';
import { ClientTree, type ClientHit } from './clientTree';
import type { DumpIndex } from './dumpIndex';
import { plural, positionIds, type ListGroup } from './listGroup';
import { SCRATCH_ID, ScratchTree } from './scratchTree';

export { propertyText } from './clientTree';

/**
 * A problem's tree label: address and code first, then the message, so a narrow side bar cuts the
 * words, not what the problem is about; the tooltip and the Problems panel keep the full message.
 */
export function problemLabel(d: Diagnostic): string {
  return `${d.address === null ? '' : `${hex(d.address)} `}${d.code}: ${d.message}`;
}

export const SECTION_IDS = ['fdt', 'orders', 'ranges', 'nodes', 'scratch', 'problems'] as const;
type SectionId = (typeof SECTION_IDS)[number];

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const SEVERITY_LABEL: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Notes' };

const LATEST_KNOWN_ABI = 4;

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function levelLabel(level: string, depth: number): string {
  if (!/^\d+$/.test(level))
    return level === 'chunks' ? 'Chunk list pages' : level === 'bitmaps' ? 'Bitmap pages' : level;
  const n = Number(level);
  const role = n === depth - 1 ? 'root' : n === 0 ? 'leaf bitmaps' : 'tables';
  return `Level ${n} (${role})`;
}

export class DumpTree {
  private readonly groups = new Map<string, ListGroup>();
  private readonly depth: number;
  readonly clients: ClientTree;
  private readonly scratchTree: ScratchTree;
  /** Diagnostic positions (in `diagnostics`) per severity. */
  private readonly bySeverity = new Map<Severity, number[]>();

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
    for (const sev of SEVERITIES) this.bySeverity.set(sev, []);
    diagnostics.forEach((d, i) => this.bySeverity.get(d.severity)?.push(i));
    for (const sev of SEVERITIES) if (this.bySeverity.get(sev)!.length > 0) this.addGroup(this.problemGroup(sev));
    this.clients = new ClientTree(result.fdt?.kho.subnodes ?? [], result.clients, index.pageSize, {
      pathTo: (g, i, max) => this.pathTo(g, i, max),
    });
    this.scratchTree = new ScratchTree(result, () => this.section('scratch'));
    for (const g of this.scratchTree.groups) this.addGroup(g);
  }

  /** The sections shown: "Scratch areas" only when scratch areas or a hand-off are known. */
  sectionIds(): SectionId[] {
    return SECTION_IDS.filter((s) => s !== 'scratch' || this.groups.has(SCRATCH_ID));
  }

  private group(id: string): ListGroup | undefined {
    return this.groups.get(id) ?? (id.startsWith('fdt/node/') ? this.clients.group(id) : undefined);
  }

  private addGroup(g: ListGroup): void {
    this.groups.set(g.id, g);
  }

  // ---- list groups ----

  private addressItemIds(
    groupId: string,
    at: (i: number) => bigint,
  ): { itemId(i: number): string; parseItem(rest: string): number } {
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
        if (m[2] !== undefined) {
          const i = Number(m[2]);
          return itemId(i) === groupId + rest ? i : -1;
        }
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
      id,
      total: list.length,
      noun: 'blocks',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        return idx.indexInOrder(order, a);
      },
      span: (lo, hi) => ({ start: idx.phys[list[lo]], end: idx.blockEnd(list[hi - 1]) }),
      ancestors: () => ['orders'],
      self: () => this.groupNode(this.groups.get(id)!),
      item: (i, parentId) => {
        const b = list[i];
        const phys = idx.phys[b];
        const end = idx.blockEnd(b);
        return {
          id: ids.itemId(i),
          parentId,
          kind: 'block',
          collapsible: false,
          label: hex(phys),
          description: `order ${order} · ${humanSize(size)}`,
          tooltip: `Preserved block [${hex(phys)}, ${hex(end)})\norder ${order}: ${plural(2 ** order, 'pages')} of ${humanSize(idx.pageSize)} = ${humanSize(size)}`,
          icon: 'symbol-field',
          address: hex(phys),
          end: hex(end),
        };
      },
    };
  }

  private rangeGroup(): ListGroup {
    const idx = this.index;
    const id = 'ranges';
    const ids = this.addressItemIds(id, (i) => idx.rangeStart(i));
    return {
      id,
      total: idx.rangeCount,
      noun: 'ranges',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        const i = idx.findRange(a);
        return i >= 0 && idx.rangeStart(i) === a ? i : -1;
      },
      span: (lo, hi) => ({ start: idx.rangeStart(lo), end: idx.rangeEnd(hi - 1) }),
      ancestors: () => [],
      self: () => this.section('ranges'),
      item: (i, parentId) => {
        const s = idx.rangeStart(i),
          e = idx.rangeEnd(i);
        const byOrder = idx.ordersIn(s, e);
        const blocks = byOrder.reduce((n, x) => n + x.count, 0);
        const orders =
          byOrder.length === 0
            ? 'no block starts here'
            : byOrder.length === 1
              ? `order ${byOrder[0].order}`
              : byOrder.length <= 3
                ? `orders ${byOrder.map((x) => x.order).join(', ')}`
                : `orders ${byOrder[0].order}–${byOrder[byOrder.length - 1].order}`;
        return {
          id: ids.itemId(i),
          parentId,
          kind: 'range',
          collapsible: false,
          label: `${hex(s)} – ${hex(e)}`,
          description: `${humanSize(e - s)} · ${plural(blocks, 'blocks')}, ${orders}`,
          tooltip:
            `Preserved range [${hex(s)}, ${hex(e)}): ${humanSize(e - s)}, ${plural(Number((e - s) / BigInt(idx.pageSize)), 'pages')}\n` +
            byOrder.map((x) => `order ${x.order}: ${plural(x.count, 'blocks')}`).join('\n'),
          icon: 'symbol-ruler',
          address: hex(s),
          end: hex(e),
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
      id,
      total: pages.length,
      noun: 'pages',
      itemId: ids.itemId,
      parseItem: (rest) => {
        const r = ids.parseItem(rest);
        if (r !== -2) return r;
        const a = parseAddress(rest.slice(1))!;
        let lo = 0,
          hi = pages.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (pages[mid] < a) lo = mid + 1;
          else hi = mid;
        }
        return lo < pages.length && pages[lo] === a ? lo : -1;
      },
      span: (lo, hi) => ({ start: pages[lo], end: pages[hi - 1] + page }),
      ancestors: () => ['nodes'],
      self: () => this.groupNode(this.groups.get(id)!),
      item: (i, parentId) => ({
        id: ids.itemId(i),
        parentId,
        kind: 'nodePage',
        collapsible: false,
        label: hex(pages[i]),
        description: levelLabel(level, this.depth),
        tooltip: `Tracker node page [${hex(pages[i])}, ${hex(pages[i] + page)}), ${levelLabel(level, this.depth)}`,
        icon: 'symbol-structure',
        address: hex(pages[i]),
        end: hex(pages[i] + page),
      }),
    };
  }

  private problemGroup(sev: Severity): ListGroup {
    const ds = this.diagnostics;
    const list = this.bySeverity.get(sev)!;
    const id = `problems/${sev}`;
    const ids = positionIds(id, '!');
    return {
      id,
      total: list.length,
      noun: 'problems',
      itemId: ids.itemId,
      parseItem: (rest) => ids.parse(rest, list.length),
      span: () => null,
      ancestors: () => ['problems'],
      self: () => this.severityNode(sev),
      item: (i, parentId) => {
        const d = ds[list[i]];
        return {
          id: ids.itemId(i),
          parentId,
          kind: 'problem',
          collapsible: false,
          label: problemLabel(d),
          tooltip: `${d.severity}: ${d.message} (${d.code})${d.address === null ? '' : '\nClick to reveal what lies at ' + hex(d.address)}`,
          icon: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
          severity: d.severity,
          code: d.code,
          ...(d.address === null ? {} : { address: hex(d.address) }),
        };
      },
    };
  }

  private severityNode(sev: Severity): TreeNodeDto {
    const n = this.bySeverity.get(sev)!.length;
    return {
      id: `problems/${sev}`,
      parentId: 'problems',
      kind: 'severityGroup',
      collapsible: n > 0,
      label: SEVERITY_LABEL[sev],
      description: String(n),
      tooltip: `${plural(n, sev === 'info' ? 'notes' : `${sev}s`)} found while decoding and checking the dump`,
      icon: sev === 'error' ? 'error' : sev === 'warning' ? 'warning' : 'info',
      severity: sev,
    };
  }

  /** The diagnostic a problem item shows, or null. */
  problemAt(id: string): Diagnostic | null {
    const m = /^problems\/(error|warning|info)!(\d+)$/.exec(id);
    const list = m ? this.bySeverity.get(m[1] as Severity) : undefined;
    const k = m ? Number(m[2]) : -1;
    return list && k < list.length ? this.diagnostics[list[k]] : null;
  }

  /** Path of the problem item showing diagnostic `i` (position in `diagnostics`). */
  problemPath(i: number, max: number): string[] {
    const d = this.diagnostics[i];
    if (!d) return [];
    return this.pathTo(`problems/${d.severity}`, this.bySeverity.get(d.severity)!.indexOf(i), max);
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
    // Below max 10 a tenfold step can overshoot into one bucket holding everything: split evenly instead.
    return b < len ? b : Math.ceil(len / max);
  }

  /** A bucket of items [lo, hi) of a group (labelled by address span when the group has one). */
  static bucketNode(g: ListGroup, lo: number, hi: number, parentId: string): TreeNodeDto {
    const span = g.span(lo, hi);
    const count = plural(hi - lo, g.noun);
    return {
      id: `${g.id}#${lo}-${hi}`,
      parentId,
      kind: 'bucket',
      collapsible: true,
      label: span
        ? `${hex(span.start)} – ${hex(span.end)}`
        : `${g.noun[0].toUpperCase()}${g.noun.slice(1)} ${lo + 1}–${hi}`,
      description: count,
      tooltip: span ? `${count} in [${hex(span.start)}, ${hex(span.end)})` : count,
      icon: 'folder',
      ...(span ? { address: hex(span.start), end: hex(span.end) } : {}),
    };
  }

  /** Items [lo, hi) of a group as children: the items, or buckets of them when more than `max`. */
  static spanChildren(g: ListGroup, lo: number, hi: number, parentId: string, max: number): TreeNodeDto[] {
    const b = DumpTree.bucketSize(hi - lo, max);
    const out: TreeNodeDto[] = [];
    if (b === 0) for (let i = lo; i < hi; i++) out.push(g.item(i, parentId));
    else for (let s = lo; s < hi; s += b) out.push(DumpTree.bucketNode(g, s, Math.min(hi, s + b), parentId));
    return out;
  }

  /** Ids from the group down to the item at position i (buckets included, group first). */
  static pathInGroup(g: ListGroup, i: number, max: number): string[] {
    const path = [g.id];
    let lo = 0,
      hi = g.total;
    for (;;) {
      const b = DumpTree.bucketSize(hi - lo, max);
      if (b === 0) break;
      const s = lo + Math.floor((i - lo) / b) * b;
      lo = s;
      hi = Math.min(hi, s + b);
      path.push(`${g.id}#${lo}-${hi}`);
    }
    path.push(g.itemId(i));
    return path;
  }

  /** Full path (section first) to item i of group `groupId`. */
  pathTo(groupId: string, i: number, max: number): string[] {
    const g = this.group(groupId);
    if (!g || i < 0 || i >= g.total) return [];
    return [...g.ancestors(max), ...DumpTree.pathInGroup(g, i, max)];
  }

  /** Path to a client hit (clientTree.find). */
  clientPath(hit: ClientHit, max: number): string[] {
    return hit.groupId === 'fdt' ? ['fdt', `fdt/node/${hit.index}`] : this.pathTo(hit.groupId, hit.index, max);
  }

  /** Path to scratch area i (array order), or [] without one. */
  scratchPath(i: number, max: number): string[] {
    return this.pathTo(SCRATCH_ID, this.scratchTree.areaPosition(i), max);
  }

  orderGroupId(order: number): string {
    return `orders/${order}`;
  }
  levelGroupId(level: string): string {
    return `nodes/${encodeURIComponent(level)}`;
  }

  // ---- id resolution ----

  /** Splits an id into its group and the rest (``, `#lo-hi`, `@addr`, `!i`, `/c3`), if it is in a group. */
  private splitGroup(id: string): { g: ListGroup; rest: string } | null {
    const whole = this.group(id);
    if (whole) return { g: whole, rest: '' };
    const m = /^(.+?)(#\d+-\d+)$/.exec(id) ?? /^(.+)([/!@][^/!@#]*)$/.exec(id);
    const g = m ? this.group(m[1]) : undefined;
    return g ? { g, rest: m![2] } : null;
  }

  static parseBucket(g: ListGroup, rest: string): { lo: number; hi: number } | null {
    const m = /^#(\d+)-(\d+)$/.exec(rest);
    if (!m) return null;
    const lo = Number(m[1]),
      hi = Number(m[2]);
    return lo < hi && hi <= g.total ? { lo, hi } : null;
  }

  children(nodeId: string | null, max: number): TreeNodeDto[] {
    if (nodeId === null) return this.sectionIds().map((s) => this.section(s));
    if (nodeId === 'fdt') return this.fdtChildren();
    if (nodeId === 'orders')
      return this.index.orders.map((o) => this.groupNode(this.groups.get(this.orderGroupId(o))!));
    if (nodeId === 'nodes') return this.index.levels.map((l) => this.groupNode(this.groups.get(this.levelGroupId(l))!));
    if (nodeId === 'problems')
      return SEVERITIES.filter((sev) => this.groups.has(`problems/${sev}`)).map((sev) => this.severityNode(sev));
    const sp = this.splitGroup(nodeId);
    if (!sp) return [];
    if (sp.rest === '') return DumpTree.spanChildren(sp.g, 0, sp.g.total, nodeId, max);
    const b = DumpTree.parseBucket(sp.g, sp.rest);
    return b ? DumpTree.spanChildren(sp.g, b.lo, b.hi, nodeId, max) : [];
  }

  node(id: string, max: number): TreeNodeDto | null {
    if ((this.sectionIds() as string[]).includes(id)) return this.section(id as SectionId);
    if (/^fdt\/[a-z]+$/.test(id)) return this.fdtChildren().find((n) => n.id === id) ?? null;
    const sp = this.splitGroup(id);
    if (!sp) return null;
    const { g, rest } = sp;
    if (rest === '') return g.self(max);
    const bucket = DumpTree.parseBucket(g, rest);
    const i = bucket ? bucket.lo : g.parseItem(rest);
    if (i < 0) return null;
    const path = this.pathTo(g.id, i, max);
    if (bucket) {
      const at = path.indexOf(id);
      return at > 0 ? DumpTree.bucketNode(g, bucket.lo, bucket.hi, path[at - 1]) : null;
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
        id: g.id,
        parentId: 'orders',
        kind: 'orderGroup',
        collapsible: g.total > 0,
        label: `Order ${o}`,
        description: `${plural(g.total, 'blocks')} · ${humanSize(size * BigInt(g.total))}`,
        tooltip: `${plural(g.total, 'blocks')} of order ${o} (${humanSize(size)} each), ${humanSize(size * BigInt(g.total))} in all`,
        icon: 'symbol-number',
      };
    }
    const level = decodeURIComponent(g.id.slice('nodes/'.length));
    return {
      id: g.id,
      parentId: 'nodes',
      kind: 'levelGroup',
      collapsible: g.total > 0,
      label: levelLabel(level, this.depth),
      description: plural(g.total, 'pages'),
      tooltip: `${plural(g.total, 'tracker pages')} at ${levelLabel(level, this.depth)}`,
      icon: 'symbol-structure',
    };
  }

  private section(id: SectionId): TreeNodeDto {
    const r = this.result,
      idx = this.index;
    switch (id) {
      case 'fdt': {
        const f = r.fdt;
        const where = !f
          ? ''
          : f.source === 'image' && f.address !== null
            ? `in image at ${hex(f.address)}`
            : 'from file';
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: true,
          label: 'FDT',
          icon: 'file-binary',
          description: f ? `${f.kho.compatible ?? 'no compatible'} · ${where}` : 'not found',
          tooltip: f ? `KHO root FDT ${where} (${f.kho.totalSize} bytes)` : (r.fatal ?? 'No KHO FDT'),
          ...(f ? { dts: true } : {}),
        };
      }
      case 'orders':
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: idx.orders.length > 0,
          label: 'Preserved by order',
          icon: 'layers',
          description: `${plural(idx.count, 'blocks')} · ${humanSize(idx.preservedBytes)}`,
          tooltip: `Preserved blocks grouped by order: ${idx.orders.length} orders`,
        };
      case 'ranges': {
        const g = this.groups.get('ranges')!;
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: g.total > 0,
          label: 'Preserved ranges',
          icon: 'symbol-ruler',
          description: plural(g.total, 'ranges'),
          tooltip: 'Preserved memory coalesced into [start, end) ranges',
        };
      }
      case 'nodes': {
        const t = r.tracker;
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: idx.levels.length > 0,
          label: 'Tracker nodes',
          icon: 'type-hierarchy',
          description: t
            ? `${t.kind === 'radix' ? `radix, depth ${t.depth}` : 'chunk list'} · ${plural(idx.nodePageCount, 'pages')}`
            : 'no tracker',
          tooltip: 'Pages the tracker itself occupies, by level',
        };
      }
      case 'scratch': {
        const sc = r.scratch;
        const bytes = (sc?.areas ?? []).reduce((n, a) => n + (a.end > a.start ? a.end - a.start : 0n), 0n);
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: true,
          label: 'Scratch areas',
          icon: 'circuit-board',
          description: sc ? `${plural(sc.areas.length, 'areas')} · ${humanSize(bytes)}` : 'none known',
          tooltip:
            'Memory the next kernel allocates from while it restores KHO state; nothing preserved may lie inside',
        };
      }
      case 'problems': {
        const ds = this.diagnostics;
        const e = ds.filter((d) => d.severity === 'error').length,
          w = ds.filter((d) => d.severity === 'warning').length;
        return {
          id,
          parentId: null,
          kind: 'section',
          collapsible: ds.length > 0,
          label: 'Problems',
          icon: e > 0 ? 'error' : w > 0 ? 'warning' : 'pass',
          description:
            ds.length === 0
              ? 'none'
              : `${plural(e, 'errors')}, ${plural(w, 'warnings')}, ${plural(ds.length - e - w, 'notes')}`,
          tooltip: 'Problems found while decoding and checking the dump',
        };
      }
    }
  }

  private fdtChildren(): TreeNodeDto[] {
    const f = this.result.fdt;
    if (!f) {
      return [
        {
          id: 'fdt/missing',
          parentId: 'fdt',
          kind: 'info',
          collapsible: false,
          label: 'No KHO FDT',
          description: this.result.fatal ?? '',
          icon: 'circle-slash',
        },
      ];
    }
    const k = f.kho;
    const page = BigInt(this.index.pageSize);
    const out: TreeNodeDto[] = [];
    const known = k.version !== null && k.version <= LATEST_KNOWN_ABI;
    out.push({
      id: 'fdt/version',
      parentId: 'fdt',
      kind: 'info',
      collapsible: false,
      label: 'Version',
      description:
        k.version === null
          ? `${k.compatible ?? 'none'} (not kho-vN)`
          : `kho-v${k.version}${known ? '' : ' (unknown, newer than this tool)'}`,
      tooltip: `Root compatible: ${k.compatible === null ? '(missing)' : JSON.stringify(k.compatible)}`,
      icon: 'tag',
    });
    const mapLabel = k.version === 1 ? 'First chunk' : 'Memory map root';
    out.push({
      id: 'fdt/map',
      parentId: 'fdt',
      kind: 'info',
      collapsible: false,
      label: mapLabel,
      description: k.preservedMemoryMap === null ? 'missing' : hex(k.preservedMemoryMap),
      tooltip: `preserved-memory-map: ${k.preservedMemoryMap === null ? 'missing or malformed' : hex(k.preservedMemoryMap)}`,
      icon: 'type-hierarchy',
      ...(k.preservedMemoryMap === null
        ? {}
        : { address: hex(k.preservedMemoryMap), end: hex(k.preservedMemoryMap + page) }),
    });
    out.push({
      id: 'fdt/location',
      parentId: 'fdt',
      kind: 'info',
      collapsible: false,
      label: 'Location',
      description:
        f.source === 'image' && f.address !== null ? `image ${hex(f.address)}` : `file ${basename(this.fdtPath ?? '')}`,
      tooltip:
        `${f.source === 'image' ? 'In the image' : (this.fdtPath ?? 'From a file')}, ${k.totalSize} bytes` +
        (f.candidates.length > 1
          ? `; scan found ${f.candidates.length} candidates: ${f.candidates.map((c) => hex(c)).join(', ')}`
          : ''),
      icon: 'location',
      dts: true,
      ...(f.address === null
        ? {}
        : { address: hex(f.address), end: hex(f.address + BigInt(Math.max(1, k.totalSize))) }),
    });
    k.subnodes.forEach((_, i) => out.push(this.clients.subnodeNode(i)!));
    return out;
  }

  /** DTS text of a node whose `dts` is set: the KHO FDT (section or location) or a client FDT. */
  dts(id: string): { name: string; text: string } | null {
    const f = this.result.fdt;
    if ((id === 'fdt' || id === 'fdt/location') && f)
      return {
        name: 'kho',
        text: renderDts(f.bytes, { baseAddress: f.address ?? undefined, pageSize: this.index.pageSize }),
      };
    const m = /^fdt\/node\/(\d+)$/.exec(id);
    return m ? this.clients.dts(Number(m[1])) : null;
  }
}
