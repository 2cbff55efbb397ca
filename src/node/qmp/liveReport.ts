// What a decode over QMP tells the user besides the KHO state: which guest, its run state (a
// running guest's view may be torn), and what the reads cost. Shared by the CLI and the decode worker.

import { diag, type Diagnostic } from '../../engine/diagnostics';
import { hex } from '../../engine/util/hex';
import type { QmpMemory } from './qmpMemory';

/** Said when the guest ran while it was read. */
export const TORN_VIEW_WARNING =
  'the guest was running while it was read: the view may be torn (pages read at different moments); pause it while reading for a consistent view';

/** Diagnostics to put before the decode's own (call after the decode: the cost is counted by then). */
export function liveDiagnostics(memory: QmpMemory, opts: { scanned: boolean }): Diagnostic[] {
  const s = memory.runState;
  const layout = memory.ranges.map((r) => `[${hex(r.start)}, ${hex(r.end)})`).join(', ');
  const out: Diagnostic[] = [
    diag(
      'info',
      'qmp-attached',
      null,
      `QEMU guest at ${memory.address}, ${s.status}${s.pausedByUs ? ' (paused while reading; it runs again afterwards)' : ''}; guest memory from "info mtree -f": ${layout}`,
    ),
  ];
  if (s.running && !s.pausedByUs) out.push(diag('warning', 'qmp-running', null, TORN_VIEW_WARNING));
  const scan = opts.scanned
    ? '; the KHO FDT was found by scanning guest memory (give the FDT file or its address to read only what the decode needs)'
    : '';
  out.push(diag('info', 'qmp-read', null, memory.describeCost() + scan));
  return out;
}

/** The guest's run state in a few words: "paused", "running", "running (paused while read)". */
export function liveStateLabel(memory: QmpMemory): string {
  const s = memory.runState;
  return s.pausedByUs ? 'running (paused while read)' : s.running ? 'running' : 'paused';
}
