// The one limit on "too many findings": keeps the first diagnostics, per code or in all, and counts the
// rest, so a hostile input cannot flood a report. Each owner words its own summary lines (their codes and
// messages are part of the JSON contract); the counting is here.

import type { DiagnosticCode, SeverityOf } from './diagnosticCodes';
import type { Diagnostic, Severity } from './diagnostics';

/** One code that hit the limit. */
export interface Overflow {
  code: DiagnosticCode;
  /** How many diagnostics of the code were left out. */
  dropped: number;
  /** The severity the code was first reported with. */
  severity: Severity;
  /** The severity of the first one left out. */
  droppedSeverity: Severity;
  /** Sequence number of the first one left out, to order the summaries by when the limit was hit. */
  firstDropped: number;
}

export interface CapLimit {
  /** Kept per code, or kept in all. */
  per: 'code' | 'all';
  max: number;
}

/** Makes the summary lines for what was left out (empty when nothing was). */
export type Summarize = (overflows: readonly Overflow[], dropped: number) => Diagnostic[];

interface CodeCount {
  kept: number;
  dropped: number;
  severity: Severity;
  droppedSeverity: Severity;
  firstDropped: number;
}

export class DiagnosticCap {
  private readonly kept: Diagnostic[] = [];
  private readonly counts = new Map<DiagnosticCode, CodeCount>();
  private keptCounted = 0;
  private droppedTotal = 0;

  constructor(
    private readonly limit: CapLimit,
    private readonly summarize: Summarize,
  ) {}

  add<C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, address: bigint | null, message: string): void {
    this.keep({ severity, code, address, message });
  }

  /** Keeps `d` unless its code (or the whole list) is at the limit; false when it was left out. */
  keep(d: Diagnostic): boolean {
    let c = this.counts.get(d.code);
    if (!c) {
      c = { kept: 0, dropped: 0, severity: d.severity, droppedSeverity: d.severity, firstDropped: -1 };
      this.counts.set(d.code, c);
    }
    if ((this.limit.per === 'code' ? c.kept : this.keptCounted) < this.limit.max) {
      c.kept++;
      this.keptCounted++;
      this.kept.push(d);
      return true;
    }
    if (c.dropped === 0) {
      c.droppedSeverity = d.severity;
      c.firstDropped = this.droppedTotal;
    }
    c.dropped++;
    this.droppedTotal++;
    return false;
  }

  /** Appends diagnostics another cap already limited, uncounted and in place. */
  pass(ds: readonly Diagnostic[]): void {
    this.kept.push(...ds);
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  /** The codes that hit the limit, in the order they were first reported. */
  overflows(): Overflow[] {
    const out: Overflow[] = [];
    for (const [code, c] of this.counts) {
      if (c.dropped > 0)
        out.push({
          code,
          dropped: c.dropped,
          severity: c.severity,
          droppedSeverity: c.droppedSeverity,
          firstDropped: c.firstDropped,
        });
    }
    return out;
  }

  /** Everything kept, then the summary lines. */
  list(): Diagnostic[] {
    return this.droppedTotal === 0
      ? [...this.kept]
      : [...this.kept, ...this.summarize(this.overflows(), this.droppedTotal)];
  }
}
