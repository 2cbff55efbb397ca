// Edits of the KHO root FDT (docs/kho-format.md §2.2-2.3). States are immutable values, so undo is "put the old
// state back". While only `preserved-memory-map` changes, the original blob is kept byte for byte
// and the 8-byte value is rewritten in place (the re-export notes of §6); any client change
// repacks the whole tree (the kernel's fdt_open_into + edit + fdt_pack) and must fit in one page.
// Values stay CPU-native little-endian; unknown properties and the reserve map are kept.

import { getProp, parseFdt, type Fdt, type FdtNode } from '../fdt/reader';
import { readU64LE } from '../util/bytes';
import { u64le, writeFdt, type FdtNodeSpec, type FdtPropertySpec } from '../fdt/writer';
import { KHO_PROP_BLOB_SIZE, KHO_PROP_MEMORY_MAP, subtreePropName } from '../kho/fdtModel';
import { hex } from '../util/hex';
import { EditRefused } from './edits';

export interface FdtState {
  /** The tree, or null when the blob does not parse cleanly (then only the map can change). */
  readonly root: FdtNodeSpec | null;
  readonly memoryMap: bigint | null;
  /** Clients changed: the blob is rewritten; else the original bytes with the map patched. */
  readonly repack: boolean;
}

export interface ClientInfo {
  name: string;
  index: number;
  preservedData: bigint | null;
  blobSize: bigint | null;
  /** Properties other than the blob address and size (raw values). */
  extra: FdtPropertySpec[];
}

function toSpec(n: FdtNode): FdtNodeSpec {
  return {
    name: n.name,
    properties: n.properties.map((p) => ({ name: p.name, value: p.value })),
    children: n.children.map(toSpec),
  };
}

function u64Of(value: Uint8Array): bigint | null {
  return value.length === 8 ? readU64LE(value, 0) : null;
}

const NAME_OK = /^[\x21-\x2e\x30-\x7e]{1,255}$/;

export class FdtEditor {
  readonly initial: FdtState;
  private readonly fdt: Fdt | null;
  /** Blob offset of the memory map's 8 value bytes, when it can be patched in place. */
  private readonly mapValueOffset: number | null;
  private readonly cache = new WeakMap<FdtState, Uint8Array>();
  private readonly dataProp: string;

  /** The blob as opened (a private copy: callers may hand in a Node Buffer, whose slice() is a view). */
  readonly original: Uint8Array;

  constructor(
    original: Uint8Array,
    readonly version: number,
    readonly pageSize: number,
  ) {
    this.original = new Uint8Array(original);
    const parsed = parseFdt(this.original);
    const clean = parsed.fdt !== null && !parsed.diagnostics.some((d) => d.severity === 'error');
    this.fdt = clean ? parsed.fdt : null;
    const mm = parsed.fdt ? getProp(parsed.fdt.root, KHO_PROP_MEMORY_MAP) : undefined;
    this.mapValueOffset = mm && mm.value.length === 8 ? mm.offset + 12 : null;
    this.dataProp = subtreePropName(version);
    this.initial = {
      root: this.fdt ? toSpec(this.fdt.root) : null,
      memoryMap: mm ? u64Of(mm.value) : null,
      repack: false,
    };
    this.cache.set(this.initial, this.original);
  }

  /** The blob for a state (cached per state). Throws EditRefused when it does not fit in a page. */
  bytes(s: FdtState): Uint8Array {
    const have = this.cache.get(s);
    if (have) return have;
    let out: Uint8Array;
    if (!s.repack && this.mapValueOffset !== null) {
      out = this.original.slice();
      out.set(u64le(s.memoryMap ?? 0n), this.mapValueOffset);
    } else {
      if (!s.root || !this.fdt) throw new EditRefused('the KHO FDT does not parse cleanly, so it cannot be rewritten');
      const root: FdtNodeSpec = { ...s.root, properties: s.root.properties.map((p) => p) };
      const i = root.properties.findIndex((p) => p.name === KHO_PROP_MEMORY_MAP);
      const mm = { name: KHO_PROP_MEMORY_MAP, value: u64le(s.memoryMap ?? 0n) };
      if (i >= 0) root.properties[i] = mm;
      else root.properties.push(mm);
      out = writeFdt(root, {
        reserveMap: this.fdt.reserveMap.filter((e) => e.size !== 0n),
        bootCpuid: this.fdt.header.bootCpuidPhys,
      });
      if (out.length > this.pageSize) {
        throw new EditRefused(
          `the KHO FDT would be ${out.length} bytes, more than one ${this.pageSize}-byte page (the kernel's limit: kho_add_subtree fails with -ENOMEM); remove a client or shorten names`,
        );
      }
    }
    this.cache.set(s, out);
    return out;
  }

  withMemoryMap(s: FdtState, map: bigint): FdtState {
    if (s.memoryMap === map) return s;
    if (this.mapValueOffset === null && !s.root)
      throw new EditRefused(
        'the KHO FDT has no 8-byte preserved-memory-map and does not parse cleanly: the new tracker root cannot be recorded',
      );
    return { ...s, memoryMap: map, repack: s.repack || this.mapValueOffset === null };
  }

  clients(s: FdtState): ClientInfo[] {
    if (!s.root) return [];
    return s.root.children.map((c, index) => {
      const data = c.properties.find((p) => p.name === this.dataProp);
      const size = c.properties.find((p) => p.name === KHO_PROP_BLOB_SIZE);
      return {
        name: c.name,
        index,
        preservedData: data ? u64Of(data.value) : null,
        blobSize: size ? u64Of(size.value) : null,
        extra: c.properties.filter((p) => p.name !== this.dataProp && p.name !== KHO_PROP_BLOB_SIZE),
      };
    });
  }

  private requireRoot(s: FdtState, what: string): FdtNodeSpec {
    if (!s.root) throw new EditRefused(`cannot ${what}: the KHO FDT does not parse cleanly`);
    return s.root;
  }

  private checkName(root: FdtNodeSpec, name: string, except?: string): void {
    if (typeof name !== 'string' || !NAME_OK.test(name)) {
      throw new EditRefused(
        `client name ${JSON.stringify(name)} is not usable as an FDT node name (1 to 255 printable ASCII characters, no "/" or spaces)`,
      );
    }
    if (name !== except && root.children.some((c) => c.name === name)) {
      throw new EditRefused(
        `a client subnode named "${name}" already exists (the kernel rejects duplicates with -EEXIST)`,
      );
    }
  }

  private sizeProps(blobSize: bigint | undefined): FdtPropertySpec[] {
    if (this.version >= 3) {
      if (blobSize === undefined)
        throw new EditRefused(
          `kho-v${this.version} subnodes need a blob size (the next kernel rejects a subnode without "blob-size")`,
        );
      return [{ name: KHO_PROP_BLOB_SIZE, value: u64le(blobSize) }];
    }
    if (blobSize !== undefined)
      throw new EditRefused(`kho-v${this.version} has no "blob-size" (it appeared in kho-v3)`);
    return [];
  }

  addClient(
    s: FdtState,
    c: { name: string; preservedData: bigint; blobSize?: bigint; index?: number; extra?: FdtPropertySpec[] },
  ): FdtState {
    const root = this.requireRoot(s, 'add a client');
    this.checkName(root, c.name);
    const node: FdtNodeSpec = {
      name: c.name,
      properties: [
        { name: this.dataProp, value: u64le(c.preservedData) },
        ...this.sizeProps(c.blobSize),
        ...(c.extra ?? []),
      ],
      children: [],
    };
    const children = [...root.children];
    const at = c.index === undefined ? children.length : Math.max(0, Math.min(children.length, c.index));
    children.splice(at, 0, node);
    return { ...s, root: { ...root, children }, repack: true };
  }

  changeClient(
    s: FdtState,
    name: string,
    c: { newName?: string; preservedData?: bigint; blobSize?: bigint },
  ): FdtState {
    const root = this.requireRoot(s, 'change a client');
    const i = root.children.findIndex((x) => x.name === name);
    if (i < 0) throw new EditRefused(`no client subnode named "${name}"`);
    const old = root.children[i];
    if (c.newName !== undefined) this.checkName(root, c.newName, name);
    if (c.blobSize !== undefined && this.version < 3)
      throw new EditRefused(`kho-v${this.version} has no "blob-size" (it appeared in kho-v3)`);
    const set = (props: FdtPropertySpec[], prop: string, v: bigint | undefined): FdtPropertySpec[] => {
      if (v === undefined) return props;
      const j = props.findIndex((p) => p.name === prop);
      const next = [...props];
      if (j >= 0) next[j] = { name: prop, value: u64le(v) };
      else if (prop === KHO_PROP_BLOB_SIZE) {
        const d = next.findIndex((p) => p.name === this.dataProp);
        next.splice(d + 1, 0, { name: prop, value: u64le(v) }); // blob-size comes right after preserved-data
      } else next.unshift({ name: prop, value: u64le(v) });
      return next;
    };
    const properties = set(set(old.properties, this.dataProp, c.preservedData), KHO_PROP_BLOB_SIZE, c.blobSize);
    const children = [...root.children];
    children[i] = { ...old, name: c.newName ?? old.name, properties };
    return { ...s, root: { ...root, children }, repack: true };
  }

  removeClient(s: FdtState, name: string): { state: FdtState; removed: ClientInfo } {
    const root = this.requireRoot(s, 'remove a client');
    const i = root.children.findIndex((x) => x.name === name);
    if (i < 0) throw new EditRefused(`no client subnode named "${name}"`);
    const removed = this.clients(s)[i];
    if (root.children[i].children.length > 0) {
      throw new EditRefused(
        `client subnode "${name}" has child nodes of its own; removing it would lose them for undo`,
      );
    }
    const children = root.children.filter((_, j) => j !== i);
    return { state: { ...s, root: { ...root, children }, repack: true }, removed };
  }

  describe(s: FdtState): string {
    return `KHO FDT (${this.bytes(s).length} bytes, map ${s.memoryMap === null ? 'none' : hex(s.memoryMap)})`;
  }
}
