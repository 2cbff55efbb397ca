// Byte encoders of the client structures (docs/kho-format.md §4), little-endian as the kernel writes them.

import { concat, u32le, u64le } from '../../fdt/writer';
import { utf8Encode } from '../../fdt/utf8';
import {
  KEXEC_METADATA_RELEASE_LEN,
  LUO_COMPAT_LEN,
  LUO_SESSION_NAME_LEN,
  MEMFD_FOLIO_PFN_BITS,
  align8,
} from '../layout';
import type { KhoVmallocDesc } from '../vmalloc';

export { concat, u32le, u64le };

export function u16le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

/** A char[len] field: the text, NUL-padded. Throws RangeError when it does not fit with its NUL. */
export function cString(text: string, len: number): Uint8Array {
  const b = utf8Encode(text);
  if (b.length >= len) throw new RangeError(`"${text}" does not fit a char[${len}] with its NUL`);
  const out = new Uint8Array(len);
  out.set(b);
  return out;
}

export function encodeVmallocDesc(d: KhoVmallocDesc): Uint8Array {
  return concat(u64le(d.first), u32le(d.totalPages), u16le(d.flags), u16le(d.order));
}

export function encodeLuoFileSer(f: { compatible: string; data: bigint; token: bigint }): Uint8Array {
  return concat(cString(f.compatible, LUO_COMPAT_LEN), u64le(f.data, f.token));
}

export function encodeLuoSessionSer(s: { name: string; files: bigint; count: bigint }): Uint8Array {
  return concat(cString(s.name, LUO_SESSION_NAME_LEN), u64le(s.files, s.count));
}

export function encodeLuoFlbSer(f: { name: string; data: bigint; count: bigint }): Uint8Array {
  return concat(cString(f.name, LUO_COMPAT_LEN), u64le(f.data, f.count));
}

/** struct luo_ser: compatible padded to ALIGN(strlen + 1, 8), then the three u64s. */
export function encodeLuoSer(s: {
  compatible: string;
  liveupdateNum: bigint;
  sessionsPa: bigint;
  flbsPa: bigint;
}): Uint8Array {
  const c = utf8Encode(s.compatible);
  return concat(cString(s.compatible, align8(c.length + 1)), u64le(s.liveupdateNum, s.sessionsPa, s.flbsPa));
}

export interface MemfdSerFields {
  pos: bigint;
  size: bigint;
  /** memfd-v2 only. */
  seals?: number;
  /** memfd-v2 only (0 in every kernel). */
  flags?: number;
  nrFolios: bigint;
  folios: KhoVmallocDesc;
}

export function encodeMemfdSer(version: 1 | 2, m: MemfdSerFields): Uint8Array {
  const seals = version === 2 ? u32le(m.seals ?? 0, m.flags ?? 0) : new Uint8Array();
  return concat(u64le(m.pos, m.size), seals, u64le(m.nrFolios), encodeVmallocDesc(m.folios));
}

export function encodeFolioSer(f: { pfn: bigint; flags: number; index: bigint }): Uint8Array {
  return u64le((BigInt(f.flags) << MEMFD_FOLIO_PFN_BITS) | f.pfn, f.index);
}

export function encodeKexecMetadata(m: { version: number; previousRelease: string; kexecCount: number }): Uint8Array {
  return concat(u32le(m.version), cString(m.previousRelease, KEXEC_METADATA_RELEASE_LEN), u32le(m.kexecCount));
}

export function encodeBlockHeader(next: bigint, count: bigint): Uint8Array {
  return u64le(next, count);
}
