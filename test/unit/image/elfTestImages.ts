// Small ELF cores built with our own writer, plus field patchers for crafting broken ones.

import { ByteSource, MemoryByteSource } from '../../../src/engine/io/byteSource';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { ElfPlanOptions, planElfCore } from '../../../src/engine/image/writeElf';
import { planToBytes } from '../../../src/engine/image/writePlan';

export const LOW = { start: 0x0n, end: 0x4000n };
export const HIGH = { start: 0x100000n, end: 0x106000n };

/** Byte at phys in the test pattern: distinct per page and offset. */
export function patternByte(phys: bigint): number {
  return Number((phys ^ (phys >> 12n) ^ (phys >> 20n)) & 0xffn);
}

export function patternBytes(phys: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = patternByte(phys + BigInt(i));
  return out;
}

/** RAM [0, 0x4000) and [0x100000, 0x106000), every page written with the pattern except 0x1000. */
export function patternMemory(ranges = [LOW, HIGH]): SparsePages {
  const mem = new SparsePages(ranges);
  for (const r of ranges) {
    for (let p = r.start; p < r.end; p += 0x1000n) {
      if (p !== 0x1000n) mem.write(p, patternBytes(p, 0x1000));
    }
  }
  return mem;
}

export function elfBytes(opts: ElfPlanOptions = {}, mem = patternMemory()): Uint8Array {
  return planToBytes(planElfCore(mem, opts));
}

export function src(bytes: Uint8Array): ByteSource {
  return new MemoryByteSource(bytes);
}

/** Writes header and program header fields of a little- or big-endian ELF32/ELF64 in place. */
export class ElfPatcher {
  readonly is64: boolean;
  readonly le: boolean;
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.is64 = bytes[4] === 2;
    this.le = bytes[5] !== 2;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get phoff(): number {
    return Number(this.is64 ? this.dv.getBigUint64(32, this.le) : this.dv.getUint32(28, this.le));
  }
  get phentsize(): number {
    return this.dv.getUint16(this.is64 ? 54 : 42, this.le);
  }
  phdrOffset(i: number): number {
    return this.phoff + i * this.phentsize;
  }
  setType(v: number): void {
    this.dv.setUint16(16, v, this.le);
  }
  setPhnum(v: number): void {
    this.dv.setUint16(this.is64 ? 56 : 44, v, this.le);
  }
  setPhentsize(v: number): void {
    this.dv.setUint16(this.is64 ? 54 : 42, v, this.le);
  }
  setPhoff(v: bigint): void {
    if (this.is64) this.dv.setBigUint64(32, v, this.le);
    else this.dv.setUint32(28, Number(v), this.le);
  }
  /** field: offset | paddr | vaddr | filesz | memsz. */
  setPhdr(i: number, field: 'offset' | 'vaddr' | 'paddr' | 'filesz' | 'memsz' | 'type', v: bigint): void {
    const at = this.phdrOffset(i);
    if (field === 'type') {
      this.dv.setUint32(at, Number(v), this.le);
      return;
    }
    const o64 = { offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40 }[field];
    const o32 = { offset: 4, vaddr: 8, paddr: 12, filesz: 16, memsz: 20 }[field];
    if (this.is64) this.dv.setBigUint64(at + o64, v, this.le);
    else this.dv.setUint32(at + o32, Number(v), this.le);
  }
  getPhdr(i: number, field: 'offset' | 'paddr' | 'filesz' | 'memsz'): bigint {
    const at = this.phdrOffset(i);
    const o64 = { offset: 8, paddr: 24, filesz: 32, memsz: 40 }[field];
    const o32 = { offset: 4, paddr: 12, filesz: 16, memsz: 20 }[field];
    return this.is64 ? this.dv.getBigUint64(at + o64, this.le) : BigInt(this.dv.getUint32(at + o32, this.le));
  }
}
