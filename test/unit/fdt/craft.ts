// Test helpers: hand-assembled (possibly malformed) DTBs, tree normalisation for comparisons,
// and a reader for the DTS text dtc prints (and our renderer prints with khoNative: false).

import type { Fdt, FdtNode } from '../../../src/engine/fdt/reader';
import type { FdtNodeSpec } from '../../../src/engine/fdt/writer';
import { u32be, concat } from '../../../src/engine/fdt/writer';
import { utf8Encode } from '../../../src/engine/fdt/utf8';

/** Structure-block token writer that allows anything, including nonsense. */
export class Tokens {
  private parts: Uint8Array[] = [];
  raw(...words: number[]): this {
    this.parts.push(u32be(...words));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  begin(name: string): this {
    const n = utf8Encode(name);
    const padded = new Uint8Array((n.length + 1 + 3) & ~3);
    padded.set(n);
    return this.raw(1).bytes(padded);
  }
  end(): this {
    return this.raw(2);
  }
  prop(nameOff: number, value: Uint8Array = new Uint8Array(), len = value.length): this {
    const padded = new Uint8Array((value.length + 3) & ~3);
    padded.set(value);
    return this.raw(3, len, nameOff).bytes(padded);
  }
  nop(): this {
    return this.raw(4);
  }
  finish(): this {
    return this.raw(9);
  }
  build(): Uint8Array {
    return concat(...this.parts);
  }
}

/** Strings block from names; returns the block and each name's offset. */
export function stringsBlock(...names: string[]): { bytes: Uint8Array; off: Record<string, number> } {
  const off: Record<string, number> = {};
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const s of names) {
    off[s] = n;
    const b = concat(utf8Encode(s), Uint8Array.of(0));
    parts.push(b);
    n += b.length;
  }
  return { bytes: concat(...parts), off };
}

export interface AssembleOptions {
  struct: Uint8Array;
  strings?: Uint8Array;
  /** Reserve entries (the (0,0) terminator is appended unless rsvRaw is given). */
  rsv?: [bigint, bigint][];
  rsvRaw?: Uint8Array;
  version?: number;
  lastComp?: number;
  /** Bytes inserted between reserve map and struct (to misalign it). */
  gapBeforeStruct?: number;
  /** Header fields to override after layout: byte offset -> value. */
  patch?: Record<number, number>;
}

/** Lays out header, reserve map, struct, strings like dtc and returns the blob. */
export function assemble(o: AssembleOptions): Uint8Array {
  const version = o.version ?? 17;
  const hs = version >= 17 ? 40 : 36;
  const strings = o.strings ?? new Uint8Array();
  const rsv = o.rsvRaw ?? concat(...(o.rsv ?? []).map(([a, s]) => concat(u64(a), u64(s))), new Uint8Array(16));
  const offRsv = (hs + 7) & ~7;
  const offStruct = offRsv + rsv.length + (o.gapBeforeStruct ?? 0);
  const offStrings = offStruct + o.struct.length;
  const total = offStrings + strings.length;
  const blob = new Uint8Array(total);
  const fields = [0xd00dfeed, total, offStruct, offStrings, offRsv, version, o.lastComp ?? 16, 0, strings.length];
  if (version >= 17) fields.push(o.struct.length);
  blob.set(u32be(...fields), 0);
  blob.set(rsv, offRsv);
  blob.set(o.struct, offStruct);
  blob.set(strings, offStrings);
  for (const [off, v] of Object.entries(o.patch ?? {})) setU32(blob, Number(off), v);
  return blob;
}

function u64(v: bigint): Uint8Array {
  return concat(u32be(Number(v >> 32n)), u32be(Number(v & 0xffffffffn)));
}

export function setU32(b: Uint8Array, off: number, v: number): void {
  b.set(u32be(v), off);
}

export function getU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Plain comparable trees

export interface PlainNode {
  name: string;
  props: [string, string][];
  children: PlainNode[];
}

const toHex = (v: Uint8Array): string => Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');

export function plainFromFdt(n: FdtNode): PlainNode {
  return {
    name: n.name,
    props: n.properties.map((p) => [p.name, toHex(p.value)]),
    children: n.children.map(plainFromFdt),
  };
}

export function plainFromSpec(n: FdtNodeSpec): PlainNode {
  return {
    name: n.name,
    props: n.properties.map((p) => [p.name, toHex(p.value)]),
    children: n.children.map(plainFromSpec),
  };
}

export function plainFromParsed(f: Fdt): { root: PlainNode; rsv: [string, string][] } {
  return { root: plainFromFdt(f.root), rsv: f.reserveMap.map((r) => [r.address.toString(16), r.size.toString(16)]) };
}

// ---------------------------------------------------------------------------------------------
// Reading dtc's DTS output back into bytes (only the forms `dtc -O dts` prints from a DTB)

export interface DtsTree {
  root: PlainNode;
  rsv: [string, string][];
}

export function parseDtsText(text: string): DtsTree {
  const rsv: [string, string][] = [];
  const stack: PlainNode[] = [];
  let root: PlainNode | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('//') || line === '/dts-v1/;') continue;
    const m = /^\/memreserve\/\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+);/.exec(line);
    if (m) {
      rsv.push([BigInt(m[1]).toString(16), BigInt(m[2]).toString(16)]);
      continue;
    }
    if (line.startsWith('};')) {
      stack.pop();
      continue;
    }
    const node = /^(\S+) \{$/.exec(line);
    if (node) {
      const n: PlainNode = { name: node[1] === '/' ? '' : node[1], props: [], children: [] };
      if (stack.length) stack[stack.length - 1].children.push(n);
      else root = n;
      stack.push(n);
      continue;
    }
    const [name, bytes] = parsePropLine(line);
    stack[stack.length - 1].props.push([name, toHex(bytes)]);
  }
  if (!root) throw new Error('no root node in DTS text:\n' + text);
  return { root, rsv };
}

const ESC: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '\\': 0x5c, '"': 0x22, "'": 0x27 };

function parsePropLine(line: string): [string, Uint8Array] {
  const eq = /^([^\s=;]+)\s*(=|;)/.exec(line);
  if (!eq) throw new Error(`unparsable DTS line: ${line}`);
  const name = eq[1];
  if (eq[2] === ';') return [name, new Uint8Array()];
  const out: number[] = [];
  let i = eq[0].length;
  const skip = (): void => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  for (;;) {
    skip();
    if (line[i] === '"') {
      i++;
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated string: ${line}`);
        if (line[i] === '\\') {
          const c = line[i + 1];
          if (c === 'x') {
            out.push(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          // dtc 1.6 separates list strings with a bare "\0" even before a digit ("a\00" is a, NUL, "0");
          // it prints every other unprintable byte as \xNN, so no other octal escapes occur.
          if (c === '0') {
            out.push(0);
            i += 2;
            continue;
          }
          if (!(c in ESC)) throw new Error(`unknown escape \\${c}: ${line}`);
          out.push(ESC[c]);
          i += 2;
          continue;
        }
        const cp = line.codePointAt(i)!;
        out.push(...utf8Encode(String.fromCodePoint(cp)));
        i += cp > 0xffff ? 2 : 1;
      }
      i++;
      out.push(0);
    } else if (line[i] === '<') {
      const close = line.indexOf('>', i);
      for (const c of line
        .slice(i + 1, close)
        .trim()
        .split(/\s+/)
        .filter(Boolean))
        out.push(...u32be(Number(BigInt(c))));
      i = close + 1;
    } else if (line[i] === '[') {
      const close = line.indexOf(']', i);
      for (const c of line
        .slice(i + 1, close)
        .trim()
        .split(/\s+/)
        .filter(Boolean))
        out.push(parseInt(c, 16));
      i = close + 1;
    } else {
      throw new Error(`unexpected value syntax at ${i}: ${line}`);
    }
    skip();
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === ';') break;
    throw new Error(`expected , or ; at ${i}: ${line}`);
  }
  return [name, Uint8Array.from(out)];
}
