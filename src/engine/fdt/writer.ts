// Writes packed DTB version 17 blobs (last_comp_version 16) in dtc's block order: header, memory
// reservation block, structure block, strings block. Property names are deduplicated in the strings
// block. Used by the KHO model builder, test builders and (later) re-export after editing.

import { utf8Encode } from './utf8';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_MAGIC,
  FDT_PROP,
  FDT_V17_HEADER_SIZE,
  type FdtReserveEntry,
} from './reader';

export interface FdtPropertySpec {
  name: string;
  value: Uint8Array;
}

export interface FdtNodeSpec {
  /** "" for the root. */
  name: string;
  properties: FdtPropertySpec[];
  children: FdtNodeSpec[];
}

export interface WriteFdtOptions {
  version?: 17;
  reserveMap?: FdtReserveEntry[];
  bootCpuid?: number;
}

/** Growable big-endian byte buffer. */
class Out {
  private buf = new Uint8Array(256);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad4(): void {
    while (this.length % 4 !== 0) {
      this.ensure(1);
      this.buf[this.length++] = 0;
    }
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkName(name: string, what: string): Uint8Array {
  if (name.includes('\0')) throw new RangeError(`FDT ${what} name contains NUL: ${JSON.stringify(name)}`);
  return utf8Encode(name);
}

/**
 * Builds a DTB from a node tree. Throws RangeError only for inputs no DTB can represent (a NUL in
 * a name, an empty property name, a non-empty root name, a value of 4 GiB or more, a reservation
 * entry of size 0).
 */
export function writeFdt(root: FdtNodeSpec, opts: WriteFdtOptions = {}): Uint8Array {
  if (root.name !== '') throw new RangeError(`FDT root node must have an empty name, got ${JSON.stringify(root.name)}`);
  const strings = new Out();
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      if (name === '') throw new RangeError('FDT property name is empty');
      off = strings.length;
      strings.bytes(checkName(name, 'property'));
      strings.bytes(Uint8Array.of(0));
      stringOffsets.set(name, off);
    }
    return off;
  };

  const struct = new Out();
  const writeNode = (node: FdtNodeSpec): void => {
    struct.u32(FDT_BEGIN_NODE);
    struct.bytes(checkName(node.name, 'node'));
    struct.bytes(Uint8Array.of(0));
    struct.pad4();
    for (const p of node.properties) {
      if (p.value.length > 0xffffffff) throw new RangeError(`FDT property ${p.name} is too long`);
      struct.u32(FDT_PROP);
      struct.u32(p.value.length);
      struct.u32(nameOffset(p.name));
      struct.bytes(p.value);
      struct.pad4();
    }
    for (const c of node.children) writeNode(c);
    struct.u32(FDT_END_NODE);
  };
  writeNode(root);
  struct.u32(FDT_END);

  const rsv = new Out();
  for (const e of opts.reserveMap ?? []) {
    // Readers (libfdt, dtc) end the list at the first size 0: such an entry would hide the rest.
    if (e.size === 0n) throw new RangeError(`FDT reservation entry at ${e.address.toString(16)} has size 0`);
    rsv.bytes(concat(u64be(e.address), u64be(e.size)));
  }
  rsv.bytes(new Uint8Array(16)); // (0, 0) terminator

  const offRsv = FDT_V17_HEADER_SIZE; // 40: already 8-byte aligned
  const offStruct = offRsv + rsv.length;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;

  const out = new Out();
  out.u32(FDT_MAGIC);
  out.u32(total);
  out.u32(offStruct);
  out.u32(offStrings);
  out.u32(offRsv);
  out.u32(opts.version ?? 17);
  out.u32(16); // last_comp_version
  out.u32(opts.bootCpuid ?? 0);
  out.u32(strings.length);
  out.u32(struct.length);
  out.bytes(rsv.result());
  out.bytes(struct.result());
  out.bytes(strings.result());
  return out.result();
}

// ---------------------------------------------------------------------------------------------
// Value helpers

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Big-endian 32-bit cells, like dtc's `<a b c>`. */
export function u32be(...cells: (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  cells.forEach((c, i) => {
    const v = Number(BigInt.asUintN(32, BigInt(c)));
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  });
  return out;
}

/** Big-endian 64-bit values, like dtc's `/bits/ 64 <a b>`. */
export function u64be(...vals: bigint[]): Uint8Array {
  const out = new Uint8Array(vals.length * 8);
  vals.forEach((v, i) => {
    const x = BigInt.asUintN(64, v);
    for (let k = 0; k < 8; k++) out[i * 8 + k] = Number((x >> BigInt(56 - 8 * k)) & 0xffn);
  });
  return out;
}

/** Little-endian (CPU-native) 64-bit values, as KHO writes them. */
export function u64le(...vals: bigint[]): Uint8Array {
  const out = new Uint8Array(vals.length * 8);
  vals.forEach((v, i) => {
    const x = BigInt.asUintN(64, v);
    for (let k = 0; k < 8; k++) out[i * 8 + k] = Number((x >> BigInt(8 * k)) & 0xffn);
  });
  return out;
}

/** Little-endian (CPU-native) 32-bit values. */
export function u32le(...vals: number[]): Uint8Array {
  const out = new Uint8Array(vals.length * 4);
  vals.forEach((v, i) => {
    out[i * 4] = v & 0xff;
    out[i * 4 + 1] = (v >>> 8) & 0xff;
    out[i * 4 + 2] = (v >>> 16) & 0xff;
    out[i * 4 + 3] = (v >>> 24) & 0xff;
  });
  return out;
}

/** A NUL-terminated string value. */
export function str(s: string): Uint8Array {
  return strList([s]);
}

/** A list of NUL-terminated strings, like dtc's `"a", "b"`. */
export function strList(ss: string[]): Uint8Array {
  return concat(...ss.flatMap((s) => [checkName(s, 'string value'), Uint8Array.of(0)]));
}
