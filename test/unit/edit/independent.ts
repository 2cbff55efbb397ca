// A second reader for raw images, written from the spec (docs/kho-format.md §1, §2.3, §3.2) and sharing no
// code with the engine: a minimal FDT property scan for the root's `preserved-memory-map`, the
// radix walk (kho-v2+) and the chunk-list walk (kho-v1). Only what the round-trip tests need; it
// assumes well-formed input (the engine's decoder is the one that copes with garbage).
import fs from 'node:fs';

const MASK64 = (1n << 64n) - 1n;

export interface IndependentResult {
  compatible: string;
  map: bigint;
  /** "phys:order" strings sorted by phys then order. */
  blocks: string[];
  /** Tracker pages, ascending. */
  pages: bigint[];
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function le64(b: Uint8Array, o: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
  return v;
}

/** Root properties of an FDT blob (DT spec ch. 5: header, FDT_BEGIN_NODE, FDT_PROP tokens). */
export function rootProps(fdt: Uint8Array): Map<string, Uint8Array> {
  const offStruct = be32(fdt, 8),
    offStrings = be32(fdt, 12);
  let p = offStruct;
  if (be32(fdt, p) !== 1) throw new Error('FDT does not start with FDT_BEGIN_NODE');
  p += 4;
  while (fdt[p] !== 0) p++;
  p = (p + 4) & ~3;
  const out = new Map<string, Uint8Array>();
  for (;;) {
    const tok = be32(fdt, p);
    if (tok === 4) {
      p += 4;
      continue;
    }
    if (tok !== 3) return out;
    const len = be32(fdt, p + 4),
      nameOff = be32(fdt, p + 8);
    let name = '';
    for (let i = offStrings + nameOff; fdt[i] !== 0; i++) name += String.fromCharCode(fdt[i]);
    out.set(name, fdt.slice(p + 12, p + 12 + len));
    p = (p + 12 + len + 3) & ~3;
  }
}

/** Reads pages of a raw image file: file offset = phys - base. */
export class RawPages {
  private readonly fd: number;
  constructor(
    path: string,
    private readonly base: bigint,
    private readonly pageSize: number,
  ) {
    this.fd = fs.openSync(path, 'r');
  }
  page(phys: bigint): Uint8Array {
    const b = new Uint8Array(this.pageSize);
    const n = fs.readSync(this.fd, b, 0, this.pageSize, Number(phys - this.base));
    if (n !== this.pageSize) throw new Error(`short read at physical 0x${phys.toString(16)}`);
    return b;
  }
  bytes(phys: bigint, n: number): Uint8Array {
    const b = new Uint8Array(n);
    fs.readSync(this.fd, b, 0, n, Number(phys - this.base));
    return b;
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Walks the tracker of a raw image from its KHO FDT (bytes of a file, or read at `fdtPhys`). */
export function independentDecode(
  image: string,
  pageSize: number,
  fdt: Uint8Array | { phys: bigint },
  base = 0n,
): IndependentResult {
  const mem = new RawPages(image, base, pageSize);
  try {
    let blob: Uint8Array;
    if (fdt instanceof Uint8Array) blob = fdt;
    else {
      const head = mem.bytes(fdt.phys, 8);
      blob = mem.bytes(fdt.phys, be32(head, 4));
    }
    const props = rootProps(blob);
    const compatible = new TextDecoder().decode(props.get('compatible')!).replace(/\0.*$/s, '');
    const map = le64(props.get('preserved-memory-map')!, 0);
    const ps = Math.log2(pageSize);
    const found: { phys: bigint; order: number }[] = [];
    const pages: bigint[] = [];
    if (compatible === 'kho-v1') {
      // §3.2: chunk = {u64 next, u32 order, u32 num_elms, (u64 phys_start, u64 bitmap)[]}.
      for (let chunk = map; chunk !== 0n;) {
        pages.push(chunk);
        const c = mem.page(chunk);
        const order = Number(le64(c, 8) & 0xffffffffn),
          n = Number(le64(c, 8) >> 32n);
        for (let j = 0; j < n; j++) {
          const start = le64(c, 16 + 16 * j),
            bm = le64(c, 24 + 16 * j);
          pages.push(bm);
          const bits = mem.page(bm);
          for (let i = 0; i < pageSize * 8; i++) {
            if (bits[i >> 3] & (1 << (i & 7))) found.push({ phys: start + (BigInt(i) << BigInt(order + ps)), order });
          }
        }
        chunk = le64(c, 0);
      }
    } else {
      // §1.1-1.5: order0 = 64 - PS; table = PAGE/8 entries; leaf = PAGE*8 bits; fixed depth formula.
      const order0 = 64 - ps,
        tableLog2 = ps - 3,
        bitmapLog2 = ps + 3;
      const depth = Math.ceil((order0 + 1 - bitmapLog2) / tableLog2) + 1;
      const visit = (pa: bigint, level: number, prefix: bigint): void => {
        pages.push(pa);
        const node = mem.page(pa);
        if (level === 0) {
          for (let i = 0; i < pageSize * 8; i++) {
            if (!(node[i >> 3] & (1 << (i & 7)))) continue;
            const key = prefix | BigInt(i);
            const fls = key.toString(2).length;
            const order = order0 - fls + 1;
            found.push({ phys: (key << BigInt(ps + order)) & MASK64, order });
          }
          return;
        }
        for (let i = 0; i < pageSize / 8; i++) {
          const child = le64(node, 8 * i);
          if (child !== 0n)
            visit(child, level - 1, prefix | (BigInt(i) << BigInt(bitmapLog2 + (level - 1) * tableLog2)));
        }
      };
      visit(map, depth - 1, 0n);
    }
    found.sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.order - b.order));
    pages.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { compatible, map, blocks: found.map((b) => `${b.phys.toString(16)}:${b.order}`), pages };
  } finally {
    mem.close();
  }
}
