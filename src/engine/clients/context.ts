// Shared state of one client's decode: bounded, checked reads from the dump, the diagnostics (capped
// per code), the physical ranges the client occupies, and capped item lists.

import { DiagnosticCap } from '../diagnosticCap';
import { diag, type Diagnostic, type DiagnosticCode, type SeverityOf } from '../diagnostics';
import { mergeRanges, type PhysMemory } from '../image/physMemory';
import { hex, U64_MASK } from '../util/hex';
import type { ClientField, ClientItem, ClientLimits, ClientPage } from './types';

export class DecodeContext {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly page: bigint;
  private readonly findings: DiagnosticCap;
  private readonly ranges: ClientPage[] = [];
  private pagesDropped = 0;
  private saturated = false;
  private work = 0;

  constructor(
    readonly mem: PhysMemory,
    pageSize: number,
    readonly limits: ClientLimits,
    /** Prefix of every message, e.g. `client "LUO"`. */
    readonly label: string,
  ) {
    this.pageSize = pageSize;
    this.pageShift = Math.round(Math.log2(pageSize));
    this.page = BigInt(pageSize);
    this.findings = new DiagnosticCap({ per: 'code', max: limits.maxReportsPerCode }, (overflows) =>
      overflows.map((o) =>
        diag('info', 'client-suppressed', null, `${label}: ${o.dropped} further "${o.code}" diagnostics not shown`),
      ),
    );
  }

  report<C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, address: bigint | null, message: string): void {
    this.findings.add(severity, code, address, `${this.label}: ${message}`);
  }

  /** Adopts diagnostics produced elsewhere (the FDT reader), under the same per-code cap. */
  adopt(ds: readonly Diagnostic[]): void {
    for (const d of ds) this.findings.keep({ ...d, message: `${this.label}: ${d.message}` });
  }

  diagnostics(): Diagnostic[] {
    return this.findings.list();
  }

  /**
   * Counts `n` units of work (entries, pieces, blocks) against limits.maxWork. False once the budget
   * is spent (reported once): aliased pointers in a hostile dump cannot multiply the work.
   */
  spend(n: number, at: bigint | null): boolean {
    if (this.work > this.limits.maxWork) return false;
    this.work += n;
    if (this.work <= this.limits.maxWork) return true;
    this.report(
      'warning',
      'client-work-limit',
      at,
      `decoding stopped after ${this.limits.maxWork} entries (the structures reference more than this tool reads for one client, or reference the same data repeatedly)`,
    );
    return false;
  }

  /** True when [phys, phys+length) is a valid 64-bit range entirely in the dump. */
  inDump(phys: bigint, length: number): boolean {
    return phys >= 0n && phys + BigInt(length) <= U64_MASK + 1n && this.mem.contains(phys, length);
  }

  /**
   * `length` bytes at `phys`, or null after reporting `client-pointer-outside-dump` naming `what`
   * and what the next kernel would do with the pointer (`consequence`).
   */
  read(
    phys: bigint,
    length: number,
    what: string,
    consequence = 'the next kernel dereferences it through phys_to_virt',
  ): Uint8Array | null {
    if (!this.inDump(phys, length)) {
      this.report(
        'warning',
        'client-pointer-outside-dump',
        phys,
        `${what} [${hex(phys)}, ${hex(phys + BigInt(length))}) is not in the dump (outside RAM, or left out of the dump); ${consequence}`,
      );
      return null;
    }
    return this.mem.read(phys, length);
  }

  /** Records a range the client occupies or references as preserved data. */
  occupy(phys: bigint, size: bigint, what: string): void {
    if (size <= 0n) return;
    // Consecutive pieces of one thing (folios, pieces, array windows) usually follow each other.
    const last = this.ranges[this.ranges.length - 1];
    if (last && last.what === what && last.phys + last.size === phys) {
      last.size += size;
      return;
    }
    if (this.saturated) {
      this.pagesDropped++;
      return;
    }
    if (this.ranges.length >= this.limits.maxPages * 4) {
      this.compact();
      // Compacting again on every further call would be quadratic: once it no longer helps, drop.
      if (this.ranges.length >= this.limits.maxPages * 2) this.saturated = true;
    }
    this.ranges.push({ phys, size, what });
  }

  /** Ranges recorded, sorted, adjacent or overlapping ones with the same description merged. */
  pages(): ClientPage[] {
    this.compact();
    if (this.ranges.length > this.limits.maxPages) {
      this.pagesDropped += this.ranges.length - this.limits.maxPages;
      this.ranges.length = this.limits.maxPages;
    }
    if (this.pagesDropped > 0) {
      this.report(
        'info',
        'client-pages-truncated',
        null,
        `${this.pagesDropped} further occupied ranges not listed (limit ${this.limits.maxPages}); the coverage check sees only the listed ones`,
      );
      this.pagesDropped = 0;
    }
    return this.ranges.map((r) => ({ ...r }));
  }

  private compact(): void {
    const byWhat = new Map<string, ClientPage[]>();
    for (const r of this.ranges) {
      let list = byWhat.get(r.what);
      if (!list) byWhat.set(r.what, (list = []));
      list.push(r);
    }
    const out: ClientPage[] = [];
    for (const [what, list] of byWhat) {
      for (const m of mergeRanges(list.map((r) => ({ start: r.phys, end: r.phys + r.size })))) {
        out.push({ phys: m.start, size: m.end - m.start, what });
      }
    }
    out.sort((a, b) => (a.phys < b.phys ? -1 : a.phys > b.phys ? 1 : a.what < b.what ? -1 : a.what > b.what ? 1 : 0));
    this.ranges.length = 0;
    for (const r of out) this.ranges.push(r);
  }
}

/** A list of items capped for display: past the cap, a single "more" item counts the rest. */
export class ItemList {
  readonly items: ClientItem[] = [];
  private extra = 0;
  constructor(
    private readonly cap: number,
    private readonly noun: string,
  ) {}
  push(item: ClientItem): void {
    if (this.items.length < this.cap) this.items.push(item);
    else this.extra++;
  }
  /** True when a pushed item would be dropped (lets callers skip building it). */
  get full(): boolean {
    return this.items.length >= this.cap;
  }
  skip(n = 1): void {
    this.extra += n;
  }
  done(): ClientItem[] {
    if (this.extra > 0) {
      this.items.push(
        item('more', `... ${this.extra} more ${this.noun}`, null, null, [
          { name: 'not listed', value: String(this.extra) },
        ]),
      );
      this.extra = 0;
    }
    return this.items;
  }
}

export function item(
  kind: string,
  label: string,
  address: bigint | null,
  size: bigint | null,
  fields: ClientField[] = [],
  children: ClientItem[] = [],
): ClientItem {
  return { kind, label, address, size, fields, children };
}

export function field(name: string, value: string | number | bigint): ClientField {
  return { name, value: typeof value === 'bigint' ? hex(value) : String(value) };
}
