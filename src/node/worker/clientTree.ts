// The tree under each KHO FDT subnode: what its preserved data holds (docs/kho-format.md §4) — the decoder's fields,
// its items (memblock regions, LUO sessions → files → memfd folios, vmalloc chunks → pieces, test_kho
// folios...), the pages it occupies, and the subnode's raw FDT properties. Ids are positions:
// `fdt/node/2` the subnode, `fdt/node/2/c0/c3` item 3 of item 0, `…/f1` a field, `fdt/node/2/pages/p4`
// a page range, `fdt/node/2/props/p0` a property.

import type { ClientDecode, ClientField, ClientItem, ClientPage } from '../../engine/clients/types';
import type { KhoSubnode } from '../../engine/kho/khoFdt';
import { hexBytes, readU64LE } from '../../engine/util/bytes';
import { hex, humanSize, U64_MASK } from '../../engine/util/hex';
import type { TreeNodeDto } from '../../protocol/model';
import { plural, type ListGroup } from './listGroup';

type Prop = KhoSubnode['properties'][number];

type Entry =
  | { t: 'props' }
  | { t: 'pages' }
  | { t: 'field'; f: ClientField; j: number }
  | { t: 'item'; it: ClientItem; j: number }
  | { t: 'prop'; p: Prop; j: number }
  | { t: 'page'; pg: ClientPage; j: number };

/** DumpTree's path service, so nested groups know where they sit. */
export interface TreePaths {
  pathTo(groupId: string, i: number, max: number): string[];
}

/** A client item or subnode that holds an address, for reveal. */
export interface ClientHit {
  /** The list holding the hit and its position there; groupId "fdt" means the subnode `fdt/node/<index>` itself. */
  groupId: string;
  index: number;
  subnode: number;
  span: { start: bigint; end: bigint };
  what: string;
}

const ITEM_ICONS: Record<string, string> = {
  region: 'symbol-ruler',
  session: 'symbol-class',
  file: 'file',
  memfd: 'file',
  folio: 'symbol-field',
  vmalloc: 'symbol-array',
  chunk: 'symbol-array',
  piece: 'symbol-field',
  block: 'symbol-field',
  flb: 'symbol-key',
  more: 'ellipsis',
};

const KIND_TEXT: Record<string, string> = {
  memblock: 'memblock reserve_mem',
  'luo-fdt': 'LUO (FDT form)',
  'luo-packed': 'LUO (packed form)',
  test_kho: 'test_kho',
  'kexec-metadata': 'kexec-metadata',
  fdt: 'FDT',
  raw: 'unrecognised',
  missing: 'no data',
};

function clamp(v: bigint): bigint {
  return v > U64_MASK ? U64_MASK : v;
}

/** Display of a raw FDT property: u64 (CPU-native LE), string, or leading bytes. */
export function propertyText(value: Uint8Array): string {
  if (value.length === 0) return '(empty)';
  if (value.length === 8) {
    return `${hex(readU64LE(value, 0))} (u64)`;
  }
  const last = value[value.length - 1];
  const body = value.subarray(0, value.length - 1);
  if (last === 0 && body.length > 0 && body.every((b) => (b >= 0x20 && b < 0x7f) || b === 0)) {
    return body.length > 0
      ? '"' +
          String.fromCharCode(...body)
            .split('\0')
            .join('", "') +
          '"'
      : '""';
  }
  const shown = hexBytes(value.subarray(0, 32));
  return `[${shown}${value.length > 32 ? ' …' : ''}] (${value.length} bytes)`;
}

export class ClientTree {
  private readonly cache = new Map<string, ListGroup | null>();

  constructor(
    private readonly subnodes: readonly KhoSubnode[],
    /** Decoded client data in FDT order; undefined when clients were not decoded (no tracker). */
    private readonly clients: readonly ClientDecode[] | undefined,
    private readonly pageSize: number,
    private readonly paths: TreePaths,
  ) {}

  client(i: number): ClientDecode | undefined {
    const c = this.clients?.[i];
    return c && c.subnode === this.subnodes[i]?.name ? c : undefined;
  }

  /** The `fdt/node/i` item shown under "FDT". */
  subnodeNode(i: number): TreeNodeDto | null {
    const s = this.subnodes[i];
    if (!s) return null;
    const c = this.client(i);
    const size = s.blobSize ?? c?.size ?? null;
    const page = BigInt(this.pageSize);
    const where = s.preservedData === null ? 'no data' : hex(s.preservedData);
    const desc = [where, ...(size === null ? [] : [humanSize(size)]), ...(c ? [c.summary] : [])].join(' · ');
    const tip = [
      `Client subnode "${s.name}"`,
      `preserved data: ${s.preservedData === null ? 'missing' : hex(s.preservedData)}`,
      `blob size: ${s.blobSize === null ? 'not given (before kho-v3)' : `${hex(s.blobSize)} (${humanSize(s.blobSize)})`}`,
      ...(c ? [`format: ${KIND_TEXT[c.kind] ?? c.kind}${c.compatible ? ` "${c.compatible}"` : ''}`, c.summary] : []),
    ];
    return {
      id: `fdt/node/${i}`,
      parentId: 'fdt',
      kind: 'fdtSubnode',
      collapsible: this.entries(`fdt/node/${i}`)!.length > 0,
      label: s.name || '(unnamed)',
      description: desc,
      tooltip: tip.join('\n'),
      icon: 'symbol-namespace',
      ...(s.preservedData === null
        ? {}
        : {
            address: hex(s.preservedData),
            end: hex(clamp(s.preservedData + (size !== null && size > 0n ? size : page))),
          }),
      ...(c?.dts ? { dts: true } : {}),
    };
  }

  private entries(id: string): Entry[] | null {
    const m = /^fdt\/node\/(\d+)((?:\/c\d+)*)(\/props|\/pages)?$/.exec(id);
    if (!m) return null;
    const i = Number(m[1]);
    const s = this.subnodes[i];
    if (!s) return null;
    const c = this.client(i);
    if (m[3] === '/props') return m[2] ? null : s.properties.map((p, j) => ({ t: 'prop', p, j }));
    if (m[3] === '/pages') return m[2] || !c ? null : c.pages.map((pg, j) => ({ t: 'page', pg, j }));
    if (!m[2]) {
      const out: Entry[] = [];
      if (s.properties.length > 0) out.push({ t: 'props' });
      if (c && c.pages.length > 0) out.push({ t: 'pages' });
      if (c) {
        // The address and blob-size fields repeat the subnode's own description.
        c.fields.forEach((f, j) => {
          if (f.name !== 'address' && f.name !== 'blob-size') out.push({ t: 'field', f, j });
        });
        c.children.forEach((it, j) => out.push({ t: 'item', it, j }));
      }
      return out;
    }
    if (!c) return null;
    let items = c.children;
    let it: ClientItem | undefined;
    for (const seg of m[2].slice(1).split('/')) {
      it = items[Number(seg.slice(1))];
      if (!it) return null;
      items = it.children;
    }
    return [
      ...it!.fields.map((f, j): Entry => ({ t: 'field', f, j })),
      ...it!.children.map((x, j): Entry => ({ t: 'item', it: x, j })),
    ];
  }

  private entryId(groupId: string, e: Entry): string {
    switch (e.t) {
      case 'props':
        return `${groupId}/props`;
      case 'pages':
        return `${groupId}/pages`;
      case 'field':
        return `${groupId}/f${e.j}`;
      case 'item':
        return `${groupId}/c${e.j}`;
      case 'prop':
      case 'page':
        return `${groupId}/p${e.j}`;
    }
  }

  private entryNode(groupId: string, e: Entry, parentId: string): TreeNodeDto {
    const id = this.entryId(groupId, e);
    const page = BigInt(this.pageSize);
    switch (e.t) {
      case 'props': {
        const n = this.entries(id)!.length;
        return {
          id,
          parentId,
          kind: 'group',
          collapsible: n > 0,
          label: 'FDT properties',
          description: plural(n, 'properties'),
          icon: 'symbol-property',
          tooltip: "The subnode's properties in the KHO FDT, raw",
        };
      }
      case 'pages': {
        const pages = this.entries(id)!;
        const bytes = pages.reduce((s, x) => s + (x.t === 'page' ? x.pg.size : 0n), 0n);
        return {
          id,
          parentId,
          kind: 'group',
          collapsible: pages.length > 0,
          label: 'Pages',
          icon: 'files',
          description: `${plural(pages.length, 'ranges')} · ${humanSize(bytes)}`,
          tooltip: 'Physical memory the client data occupies or references; the next kernel expects it preserved',
        };
      }
      case 'field':
        return {
          id,
          parentId,
          kind: 'clientField',
          collapsible: false,
          label: e.f.name,
          description: e.f.value,
          tooltip: `${e.f.name} = ${e.f.value}`,
          icon: 'symbol-constant',
        };
      case 'prop':
        return {
          id,
          parentId,
          kind: 'fdtProperty',
          collapsible: false,
          label: e.p.name,
          description: propertyText(e.p.value),
          tooltip: `${e.p.name} = ${propertyText(e.p.value)}`,
          icon: 'symbol-property',
        };
      case 'page': {
        const end = clamp(e.pg.phys + e.pg.size);
        return {
          id,
          parentId,
          kind: 'clientPage',
          collapsible: false,
          label: hex(e.pg.phys),
          description: `${e.pg.what} · ${humanSize(e.pg.size)}`,
          tooltip: `${e.pg.what}: [${hex(e.pg.phys)}, ${hex(end)}), ${humanSize(e.pg.size)}`,
          icon: 'file-binary',
          address: hex(e.pg.phys),
          end: hex(end),
        };
      }
      case 'item': {
        const it = e.it;
        const desc = [
          ...(it.address === null ? [] : [hex(it.address)]),
          ...(it.size === null ? [] : [humanSize(it.size)]),
        ].join(' · ');
        const fields = it.fields.slice(0, 12).map((f) => `${f.name}: ${f.value}`);
        return {
          id,
          parentId,
          kind: 'clientItem',
          collapsible: it.fields.length + it.children.length > 0,
          label: it.label,
          description: desc || undefined,
          tooltip: [
            `${it.kind}: ${it.label}`,
            ...fields,
            ...(it.fields.length > 12 ? ['…'] : []),
            ...(it.children.length ? [plural(it.children.length, 'items')] : []),
          ].join('\n'),
          icon: ITEM_ICONS[it.kind] ?? 'symbol-object',
          ...(it.address === null
            ? {}
            : {
                address: hex(it.address),
                end: hex(clamp(it.address + (it.size !== null && it.size > 0n ? it.size : page))),
              }),
        };
      }
    }
  }

  /** The list under `id` (a subnode, an item, a subnode's pages or properties), or undefined. */
  group(id: string): ListGroup | undefined {
    if (this.cache.has(id)) return this.cache.get(id) ?? undefined;
    const entries = this.entries(id);
    let g: ListGroup | null = null;
    if (entries) {
      const ids = entries.map((e) => this.entryId(id, e));
      const pos = new Map(ids.map((x, k) => [x.slice(id.length), k]));
      const parent = /^(.*)\/[a-z]+\d*$/.exec(id)?.[1];
      const sub = Number(/^fdt\/node\/(\d+)/.exec(id)![1]);
      g = {
        id,
        total: entries.length,
        noun: 'items',
        itemId: (i) => ids[i],
        item: (i, parentId) => this.entryNode(id, entries[i], parentId),
        parseItem: (rest) => pos.get(rest) ?? -1,
        span: () => null,
        ancestors: (max) => {
          if (id === `fdt/node/${sub}`) return ['fdt'];
          const pg = parent === undefined ? undefined : this.group(parent);
          const path = pg ? this.paths.pathTo(pg.id, pg.parseItem(id.slice(pg.id.length)), max) : [];
          return path.slice(0, -1);
        },
        self: (max) => {
          if (id === `fdt/node/${sub}`) return this.subnodeNode(sub);
          const pg = parent === undefined ? undefined : this.group(parent);
          if (!pg) return null;
          const k = pg.parseItem(id.slice(pg.id.length));
          if (k < 0) return null;
          const path = this.paths.pathTo(pg.id, k, max);
          return pg.item(k, path[path.length - 2]);
        },
      };
    }
    this.cache.set(id, g);
    return g ?? undefined;
  }

  /**
   * The deepest client item whose memory holds `a`, else the client blob or a page range holding it.
   * Items without a size match their exact address only.
   */
  find(a: bigint): ClientHit | null {
    const page = BigInt(this.pageSize);
    for (let i = 0; i < this.subnodes.length; i++) {
      const c = this.client(i);
      if (!c) continue;
      const found: { best: ClientHit | null } = { best: null };
      const walk = (
        items: readonly ClientItem[],
        groupId: string,
        offset: number,
        depth: number,
        trail: string,
      ): void => {
        items.forEach((it, j) => {
          const here = `${groupId}/c${j}`;
          const label = `${trail}, ${it.label}`;
          if (it.address !== null) {
            const end = clamp(it.address + (it.size !== null && it.size > 0n ? it.size : 1n));
            if (a >= it.address && a < end)
              found.best = {
                groupId,
                index: offset + j,
                subnode: i,
                span: { start: it.address, end: it.size !== null && it.size > 0n ? end : clamp(it.address + page) },
                what: label,
              };
          }
          if (it.children.length > 0 && depth < 16) walk(it.children, here, it.fields.length, depth + 1, label);
        });
      };
      const rootEntries = this.entries(`fdt/node/${i}`)!;
      const firstItem = rootEntries.findIndex((e) => e.t === 'item');
      walk(c.children, `fdt/node/${i}`, firstItem < 0 ? 0 : firstItem, 0, `client ${c.subnode}`);
      if (found.best) return found.best;
      const size = c.size !== null && c.size > 0n ? c.size : page;
      if (c.address !== 0n && a >= c.address && a < c.address + size)
        return {
          groupId: 'fdt',
          index: i,
          subnode: i,
          span: { start: c.address, end: clamp(c.address + size) },
          what: `client ${c.subnode}`,
        };
      const k = c.pages.findIndex((p) => a >= p.phys && a < p.phys + p.size);
      if (k >= 0)
        return {
          groupId: `fdt/node/${i}/pages`,
          index: k,
          subnode: i,
          span: { start: c.pages[k].phys, end: clamp(c.pages[k].phys + c.pages[k].size) },
          what: `client ${c.subnode}, ${c.pages[k].what}`,
        };
    }
    return null;
  }

  /** DTS text of the subnode's FDT, when its data is one. */
  dts(i: number): { name: string; text: string } | null {
    const c = this.client(i);
    return c?.dts ? { name: c.subnode || 'client', text: c.dts } : null;
  }
}
