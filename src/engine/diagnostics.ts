// The one diagnostic shape every engine module reports problems with.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. "radix-cycle", "fdt-bad-token". */
  code: string;
  /** Physical address the problem is about (node page, block, property), or null (e.g. a file offset problem). */
  address: bigint | null;
  /** What was found, where, and what was expected; names addresses/offsets in hex. */
  message: string;
  /**
   * Internal errors only (an engine bug caught at a boundary): the stack where it failed, for the
   * log. Reports and the UI show the message; the stack is what a bug report needs.
   */
  stack?: string;
}

export function diag(severity: Severity, code: string, address: bigint | null, message: string): Diagnostic {
  return { severity, code, address, message };
}

/** An engine bug caught at a boundary: "decoding stopped: <why>", with the stack kept for the log. */
export function internalError(code: string, address: bigint | null, e: unknown): Diagnostic {
  const d = diag('error', code, address, `decoding stopped: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && e.stack) d.stack = e.stack;
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/**
 * Collects diagnostics, keeping at most `maxPerCode` of each code (then one line counting the rest),
 * so a hostile file cannot flood a report.
 */
export class CappedDiagnostics {
  readonly list: Diagnostic[] = [];
  private readonly counts = new Map<string, { n: number; severity: Severity }>();
  constructor(private readonly maxPerCode: number) {}
  add(severity: Severity, code: string, address: bigint | null, message: string): void {
    const c = this.counts.get(code) ?? { n: 0, severity };
    c.n++;
    this.counts.set(code, c);
    if (c.n <= this.maxPerCode) this.list.push(diag(severity, code, address, message));
  }
  finish(): Diagnostic[] {
    for (const [code, c] of this.counts) {
      if (c.n > this.maxPerCode) this.list.push(diag(c.severity, code, null, `${c.n - this.maxPerCode} more "${code}" diagnostics not shown`));
    }
    return this.list;
  }
}
