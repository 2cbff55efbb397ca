// `--qmp SOCKET`: decode and check read a live QEMU guest instead of an image file.

import type { Diagnostic } from '../engine/diagnostics';
import { liveDiagnostics } from '../node/qmp/liveReport';
import { QmpError } from '../node/qmp/qmpClient';
import { QmpMemory } from '../node/qmp/qmpMemory';

const attached: QmpMemory[] = [];

/** Ctrl-C during a --pause read must not leave the guest stopped: let it run, then exit as interrupted. */
function onInterrupt(signal: NodeJS.Signals): void {
  for (const p of detachAll()) process.stderr.write(`kho-inspect: ${p}\n`);
  process.stderr.write(`kho-inspect: interrupted (${signal})\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Attaches (throws a one-line Error when QEMU cannot be reached or is not QMP). */
export function attachQmp(address: string, pause: boolean): QmpMemory {
  try {
    // Listening before attach: a signal during it waits for attach to return, and the guest is then let go.
    if (attached.length === 0) {
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
    }
    const m = QmpMemory.attach(address, { pause });
    attached.push(m);
    return m;
  } catch (e) {
    if (e instanceof QmpError) throw new Error(`cannot attach to QEMU: ${e.message}`);
    throw e;
  }
}

/**
 * After a decode of `memory`: the live diagnostics, or a fatal line when QEMU went away while the
 * decode read (the partial result is not worth printing).
 */
export function afterLiveDecode(
  memory: unknown,
  scanned: boolean,
): { diagnostics: Diagnostic[]; fatal: string | null } {
  if (!(memory instanceof QmpMemory)) return { diagnostics: [], fatal: null };
  if (memory.failure) return { diagnostics: [], fatal: `reading the QEMU guest failed: ${memory.failure}` };
  return { diagnostics: liveDiagnostics(memory, { scanned }), fatal: null };
}

/** Lets paused guests run again and disconnects; the CLI calls it before it exits. */
export function detachAll(): string[] {
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  const problems: string[] = [];
  for (const m of attached.splice(0)) {
    try {
      m.close();
    } catch (e) {
      problems.push(`could not let the guest at ${m.address} run again: ${(e as Error).message}`);
    }
  }
  return problems;
}
