// Physical memory as it would be after the edits, without writing anything: changed pages live in
// maps over the file's memory. Three layers, read top-down:
//   derived  pages recomputed from the model's state (kho-v1 chunk list, the KHO FDT in the image)
//   edits    pages written by tracker edits (kho-v2+ radix), with before-images per transaction
//   shadow   original bytes of pages a save in place has since overwritten
// and below them the file as it is on disk now. "Original" = shadow over file: the image as it
// was when the model was opened, whatever has been saved since.

import { forEachPagePart, PhysReadError, type ImageFormat, type PhysMemory, type PhysRange } from '../image/physMemory';
import { hex } from '../util/hex';

export class OverlayMemory implements PhysMemory {
  readonly pageSize: number;
  private readonly pageMask: bigint;
  private file: PhysMemory;
  private readonly shadow = new Map<bigint, Uint8Array>();
  private readonly edits = new Map<bigint, Uint8Array>();
  private derived = new Map<bigint, Uint8Array>();
  /** Before-images of the edits layer in the open transaction (null = page was not in the layer). */
  private tx: Map<bigint, Uint8Array | null> | null = null;

  constructor(file: PhysMemory, pageSize: number) {
    this.file = file;
    this.pageSize = pageSize;
    this.pageMask = ~(BigInt(pageSize) - 1n);
  }

  get format(): ImageFormat {
    return this.file.format;
  }
  get ranges(): readonly PhysRange[] {
    return this.file.ranges;
  }
  /** The memory of the file as it is on disk now. */
  get fileMemory(): PhysMemory {
    return this.file;
  }

  contains(phys: bigint, length: number): boolean {
    return this.file.contains(phys, length);
  }
  fileOffset(phys: bigint): number | undefined {
    return this.file.fileOffset(phys);
  }

  read(phys: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(phys, out);
    return out;
  }

  /** Fills dest from phys (the radix walk's allocation-free path). */
  readInto(phys: bigint, dest: Uint8Array): void {
    const length = dest.length;
    if (!this.file.contains(phys, length)) throw new PhysReadError(phys, length, 'outside the dump');
    if (this.edits.size === 0 && this.derived.size === 0 && this.shadow.size === 0) {
      this.readFile(phys, dest);
      return;
    }
    forEachPagePart(phys, length, this.pageSize, (page, inPage, done, n) => {
      const p = this.derived.get(page) ?? this.edits.get(page) ?? this.shadow.get(page);
      if (p) dest.set(p.subarray(inPage, inPage + n), done);
      else this.readFile(page + BigInt(inPage), dest.subarray(done, done + n));
    });
  }

  private readFile(phys: bigint, dest: Uint8Array): void {
    const f = this.file as PhysMemory & { readInto?(p: bigint, d: Uint8Array): void };
    if (typeof f.readInto === 'function') f.readInto(phys, dest);
    else dest.set(this.file.read(phys, dest.length));
  }

  /** Start of the page holding phys. */
  pageOf(phys: bigint): bigint {
    return phys & this.pageMask;
  }

  /** True when the whole page is in the dump (the only pages edits may write). */
  pageInDump(page: bigint): boolean {
    return this.file.contains(page, this.pageSize);
  }

  /** The page as it was when the model was opened. */
  originalPage(page: bigint): Uint8Array {
    const s = this.shadow.get(page);
    if (s) return s.slice();
    const out = new Uint8Array(this.pageSize);
    this.readFile(page, out);
    return out;
  }

  /** The page as it is on disk now. */
  filePage(page: bigint): Uint8Array {
    const out = new Uint8Array(this.pageSize);
    this.readFile(page, out);
    return out;
  }

  /** The page under the derived layer: tracker edits over the original. */
  basePage(page: bigint): Uint8Array {
    const p = this.edits.get(page);
    return p ? p.slice() : this.originalPage(page);
  }

  /** The page as the edits make it. */
  currentPage(page: bigint): Uint8Array {
    const p = this.derived.get(page) ?? this.edits.get(page);
    return p ? p.slice() : this.originalPage(page);
  }

  /** Writes into the edits layer; every touched page must lie wholly in the dump. */
  write(phys: bigint, bytes: Uint8Array): void {
    forEachPagePart(phys, bytes.length, this.pageSize, (page, inPage, done, n) => {
      if (!this.pageInDump(page)) {
        throw new RangeError(
          `cannot write at ${hex(page + BigInt(inPage))}: the ${this.pageSize}-byte page ${hex(page)} is not wholly in the dump`,
        );
      }
      this.editablePage(page).set(bytes.subarray(done, done + n), inPage);
    });
  }

  /**
   * The edits-layer page holding `phys`, for a writer that changes it in place (the radix builder):
   * taken as a write, so a transaction keeps its before-image. Undefined for a page not wholly in the
   * dump (write() refuses those with the reason).
   */
  pageAt(phys: bigint): Uint8Array | undefined {
    const page = this.pageOf(phys);
    return this.pageInDump(page) ? this.editablePage(page) : undefined;
  }

  /** The edits-layer page, copied on first write in a transaction so the old one is the before-image. */
  private editablePage(page: bigint): Uint8Array {
    const have = this.edits.get(page);
    if (this.tx && !this.tx.has(page)) {
      this.tx.set(page, have ?? null);
      const copy = have ? have.slice() : this.originalPage(page);
      this.edits.set(page, copy);
      return copy;
    }
    if (have) return have;
    const fresh = this.originalPage(page);
    this.edits.set(page, fresh);
    return fresh;
  }

  // ---- transactions over the edits layer ------------------------------------------------------

  begin(): void {
    if (this.tx) throw new Error('overlay transaction already open');
    this.tx = new Map();
  }

  /** Closes the transaction; returns its before-images (for undo). */
  commit(): Map<bigint, Uint8Array | null> {
    const t = this.tx ?? new Map();
    this.tx = null;
    return t;
  }

  rollback(): void {
    const t = this.tx;
    this.tx = null;
    if (t) this.restore(t);
  }

  /** Puts before-images back (undo of a committed transaction). */
  restore(before: Map<bigint, Uint8Array | null>): void {
    for (const [page, bytes] of before) {
      if (bytes) this.edits.set(page, bytes);
      else this.edits.delete(page);
    }
  }

  // ---- derived layer ----------------------------------------------------------------------------

  setDerived(pages: Map<bigint, Uint8Array>): void {
    this.derived = pages;
  }

  /** Every page any layer may have changed (candidates for a save). */
  touchedPages(): bigint[] {
    const all = new Set<bigint>([...this.edits.keys(), ...this.derived.keys(), ...this.shadow.keys()]);
    return [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Number of pages held in the edits layer. */
  get editPageCount(): number {
    return this.edits.size;
  }

  // ---- after a save in place ----------------------------------------------------------------------

  /**
   * The file now holds what a save wrote: keep the first original of every page it overwrote
   * (so undo and revert still see the image as opened) and read the rest from `fresh`.
   */
  rebase(fresh: PhysMemory, overwritten: Iterable<{ page: bigint; before: Uint8Array }>): void {
    for (const { page, before } of overwritten) {
      if (!this.shadow.has(page)) this.shadow.set(page, before);
    }
    this.file = fresh;
  }
}
