// The one diagnostic shape every engine module reports problems with.

import { DiagnosticCap } from './diagnosticCap';
import type { CodeWithSeverity, DiagnosticCode, SeverityOf } from './diagnosticCodes';

export type { DiagnosticCode, SeverityOf } from './diagnosticCodes';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, declared in diagnosticCodes.ts, e.g. "radix-cycle", "fdt-bad-token". */
  code: DiagnosticCode;
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

export function diag<C extends DiagnosticCode>(
  severity: SeverityOf<C>,
  code: C,
  address: bigint | null,
  message: string,
): Diagnostic {
  return { severity, code, address, message };
}

/** An engine bug caught at a boundary: "decoding stopped: <why>", with the stack kept for the log. */
export function internalError(code: CodeWithSeverity<'error'>, address: bigint | null, e: unknown): Diagnostic {
  const d = diag('error', code, address, `decoding stopped: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && e.stack) d.stack = e.stack;
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** The image readers' cap: at most `maxPerCode` of each code, then one line of that code counting the rest. */
export class CappedDiagnostics extends DiagnosticCap {
  constructor(maxPerCode: number) {
    super({ per: 'code', max: maxPerCode }, (overflows) =>
      overflows.map((o) => diag(o.severity, o.code, null, `${o.dropped} more "${o.code}" diagnostics not shown`)),
    );
  }
}
