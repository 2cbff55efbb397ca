// Client structure checks (docs/kho-format.md §6 item 7 for client data; items 18-20 come from the client decoders
// in clients/ and are passed through here): every page a client structure occupies or references as
// preserved data is covered by preserved blocks. The blob range itself is checked in handoff.ts, so
// it is left out here and each uncovered byte is reported once.

import type { PhysRange } from '../image/physMemory';
import { hex } from '../util/hex';
import type { CheckContext } from './context';
import type { Findings } from './findings';
import { blobExtent } from './handoff';
import { uncovered } from './ranges';

function minus(parts: PhysRange[], cut: PhysRange | null): PhysRange[] {
  if (!cut) return parts;
  const out: PhysRange[] = [];
  for (const p of parts) {
    if (cut.end <= p.start || cut.start >= p.end) {
      out.push(p);
      continue;
    }
    if (p.start < cut.start) out.push({ start: p.start, end: cut.start });
    if (cut.end < p.end) out.push({ start: cut.end, end: p.end });
  }
  return out;
}

export function checkClientPages(ctx: CheckContext, f: Findings): void {
  for (const [i, c] of (ctx.clients ?? []).entries()) {
    const blob = i < ctx.kho.subnodes.length ? blobExtent(ctx, i) : null;
    for (const p of c.pages) {
      if (p.size <= 0n) continue;
      const missing = minus(uncovered(ctx.preserved, p.phys, p.phys + p.size), blob);
      if (missing.length === 0) continue;
      const bytes = missing.reduce((s, r) => s + (r.end - r.start), 0n);
      f.add(
        'error',
        'client-page-not-preserved',
        missing[0].start,
        `client "${c.subnode}": ${p.what} [${hex(p.phys)}, ${hex(p.phys + p.size)}) is not fully preserved (${hex(bytes)} bytes uncovered from ${hex(missing[0].start)}); the next kernel does not reserve it, so it may be reused before the owner restores it (kho_restore_* then finds no KHO page magic and fails)`,
      );
    }
  }
}
