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
}

export function diag(severity: Severity, code: string, address: bigint | null, message: string): Diagnostic {
  return { severity, code, address, message };
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
