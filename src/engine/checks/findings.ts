// Collects a checker's diagnostics with a cap per code, so a dump with a million bad blocks yields a
// readable report: the first few of each kind in full, then one line counting the rest.

import { diag, type Diagnostic, type Severity } from '../diagnostics';

export const DEFAULT_PER_CODE = 20;

export class Findings {
  private readonly out: Diagnostic[] = [];
  private readonly kept = new Map<string, number>();
  private readonly dropped = new Map<string, { count: number; severity: Severity }>();

  constructor(private readonly perCode = DEFAULT_PER_CODE) {}

  add(severity: Severity, code: string, address: bigint | null, message: string): void {
    const n = this.kept.get(code) ?? 0;
    if (n < this.perCode) {
      this.kept.set(code, n + 1);
      this.out.push(diag(severity, code, address, message));
      return;
    }
    const d = this.dropped.get(code) ?? { count: 0, severity };
    d.count++;
    this.dropped.set(code, d);
  }

  /** Appends findings another module already capped (client decoders), uncounted. */
  pass(ds: readonly Diagnostic[]): void {
    this.out.push(...ds);
  }

  /** Everything added, then one `check-suppressed` line per code that hit the cap. */
  list(): Diagnostic[] {
    const tail = [...this.dropped].map(([code, d]) => diag(d.severity === 'info' ? 'info' : 'warning', 'check-suppressed', null,
      `${d.count} further "${code}" finding(s) left out (the first ${this.perCode} are listed)`));
    return [...this.out, ...tail];
  }
}
