// How check results leave the engine: `kho-inspect check` text and JSON, and the JSON of the scratch
// and hand-off fields that decode adds to its contract when those inputs were given. A report of a
// decoded dump, so it sits above the decode (the checks themselves never see a DecodeResult).

import type { Diagnostic, Severity } from '../diagnostics';
import type { DecodeResult } from '../decode';
import { hex } from '../util/hex';
import { setupDataTypeName } from '../kho/setupData';

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(ds: readonly Diagnostic[]): SeverityCounts {
  const c: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const d of ds) c[d.severity]++;
  return c;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 || word === 'info' ? '' : 's'}`;
}

/** One finding per line: `severity code address: message` (address "-" when there is none). */
export function formatDiagnosticLine(d: Diagnostic): string {
  return `${d.severity} ${d.code} ${d.address === null ? '-' : hex(d.address)}: ${d.message.replace(/\s*\n\s*/g, ' ')}`;
}

/** What was checked, then the counts: "kho-v3, radix tracker, 4 KiB pages, 63 preserved blocks: 0 errors, 1 warning, 2 info". */
export function formatSummaryLine(r: DecodeResult): string {
  const c = countBySeverity(r.diagnostics);
  const what: string[] = [];
  if (r.fdt?.kho.compatible) what.push(r.fdt.kho.compatible);
  if (r.tracker)
    what.push(
      `${r.tracker.kind} tracker`,
      `${r.tracker.pageSize >> 10} KiB pages`,
      plural(r.tracker.blocks.count, 'preserved block'),
    );
  if (r.handoff?.record && r.handoff.kho) {
    what.push(
      `setup_data record ${hex(r.handoff.record.address)} (FDT ${hex(r.handoff.kho.fdtAddress)}, scratch array ${hex(r.handoff.kho.scratchAddress)} + ${hex(r.handoff.kho.scratchSize)})`,
    );
  }
  if (r.scratch) what.push(`${plural(r.scratch.areas.length, 'scratch area')} (${r.scratch.source})`);
  if (r.fatal) what.push('not decoded');
  return `${what.join(', ')}${what.length ? ': ' : ''}${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${plural(c.info, 'info')}`;
}

export function formatCheckText(r: DecodeResult): string {
  return [...checkTextChunks(r)].join('');
}

/** formatCheckText as a lazy sequence of chunks of about 64 KiB (many findings never make one string). */
export function* checkTextChunks(r: DecodeResult): Generator<string> {
  let buf = '';
  for (const d of r.diagnostics) {
    buf += formatDiagnosticLine(d) + '\n';
    if (buf.length >= 1 << 16) {
      yield buf;
      buf = '';
    }
  }
  yield buf + formatSummaryLine(r) + '\n';
}

export function scratchJson(r: DecodeResult): object | undefined {
  const s = r.scratch;
  if (!s) return undefined;
  return {
    source: s.source,
    array: s.array ? { address: hex(s.array.address), length: hex(s.array.length) } : null,
    areas: s.areas.map((a) => ({ start: hex(a.start), end: hex(a.end) })),
  };
}

export function handoffJson(r: DecodeResult): object | undefined {
  const h = r.handoff;
  if (!h) return undefined;
  return {
    kind: h.kind,
    head: hex(h.head),
    record: h.record ? hex(h.record.address) : null,
    chain: h.chain.map((x) => ({
      address: hex(x.address),
      next: hex(x.next),
      type: x.type,
      typeName: setupDataTypeName(x.type),
      len: x.len,
    })),
    fdtAddress: h.kho ? hex(h.kho.fdtAddress) : null,
    fdtSize: h.kho ? hex(h.kho.fdtSize) : null,
    scratchAddress: h.kho ? hex(h.kho.scratchAddress) : null,
    scratchSize: h.kho ? hex(h.kho.scratchSize) : null,
  };
}

/** `kho-inspect check --json`: the findings, counts by severity, and why nothing decoded (or null). */
export function checkJson(r: DecodeResult, diagnosticJson: (d: Diagnostic) => object): object {
  const out: Record<string, unknown> = {
    diagnostics: r.diagnostics.map(diagnosticJson),
    counts: countBySeverity(r.diagnostics),
    fatal: r.fatal,
  };
  const scratch = scratchJson(r),
    handoff = handoffJson(r);
  if (scratch) out.scratch = scratch;
  if (handoff) out.handoff = handoff;
  return out;
}
