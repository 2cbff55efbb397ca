// Real dumps from QEMU's own dump-guest-memory, with no guest OS: a paused q35 guest whose RAM the
// generic loader device fills with our files (`-device loader,file=...,addr=...`). Throws when
// QEMU is missing or fails, so tests that use it fail rather than skip.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const QEMU_BINARY = '/usr/bin/qemu-system-x86_64';

/** 'elf' = default ELF core; 'kdump-zlib' = `-z`, a makedumpfile flattened stream. */
export type QemuDumpFormat = 'elf' | 'kdump-zlib';

export interface QemuLoad {
  /** File whose bytes are copied to guest physical `addr`. */
  file: string;
  addr: bigint;
}

export interface QemuDumpOptions {
  /** Guest RAM (-m), default 256M; the ELF dump is about this large. */
  memory?: string;
  /** Output file name inside outDir (default g.elf / g.kdump). */
  name?: string;
  /** Kill QEMU after this many milliseconds (default 100 s). */
  timeoutMs?: number;
}

/** Dumps a paused guest holding `loads`; returns the dump's path (made writable so it can be deleted). */
export function qemuDumpElf(loads: readonly QemuLoad[], outDir: string, format: QemuDumpFormat = 'elf', opts: QemuDumpOptions = {}): string {
  if (!fs.existsSync(QEMU_BINARY)) {
    throw new Error(`${QEMU_BINARY} not found: install Debian's qemu-system-x86 (this test must not be skipped)`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.resolve(outDir, opts.name ?? (format === 'elf' ? 'g.elf' : 'g.kdump'));
  // HMP splits its arguments on spaces; keep paths simple.
  for (const p of [out, ...loads.map((l) => path.resolve(l.file))]) {
    if (/[\s,]/.test(p)) throw new Error(`path ${JSON.stringify(p)} must not contain spaces or commas for the QEMU command line`);
  }
  if (fs.existsSync(out)) {
    fs.chmodSync(out, 0o600);
    fs.unlinkSync(out);
  }
  const args = ['-machine', 'q35', '-m', opts.memory ?? '256M', '-S', '-nographic', '-nodefaults', '-display', 'none'];
  for (const l of loads) {
    args.push('-device', `loader,file=${path.resolve(l.file)},addr=0x${l.addr.toString(16)},force-raw=on`);
  }
  args.push('-monitor', 'stdio');
  const flag = format === 'kdump-zlib' ? '-z ' : '';
  const r = spawnSync(QEMU_BINARY, args, {
    input: `dump-guest-memory ${flag}${out}\nquit\n`,
    // The monitor echoes every keystroke to stdout; only stderr is worth keeping.
    stdio: ['pipe', 'ignore', 'pipe'],
    timeout: opts.timeoutMs ?? 100_000,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`running ${QEMU_BINARY} failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${QEMU_BINARY} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  if (!fs.existsSync(out)) throw new Error(`QEMU wrote no dump at ${out}; stderr: ${r.stderr}`);
  fs.chmodSync(out, 0o600); // QEMU writes dumps mode 0400
  return out;
}

/** Removes a directory tree that may hold QEMU's read-only dumps. */
export function removeDumpDir(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    try { if (fs.lstatSync(p).isFile()) fs.chmodSync(p, 0o600); } catch { /* best effort */ }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
