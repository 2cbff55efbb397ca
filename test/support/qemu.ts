// Real dumps from QEMU's own dump-guest-memory, with no guest OS: a paused q35 guest whose RAM the
// generic loader device fills with our files (`-device loader,file=...,addr=...`). Throws when
// QEMU is missing or fails, so tests that use it fail rather than skip.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { SparsePages } from '../../src/engine/image/sparsePages';

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
export function qemuDumpElf(
  loads: readonly QemuLoad[],
  outDir: string,
  format: QemuDumpFormat = 'elf',
  opts: QemuDumpOptions = {},
): string {
  if (!fs.existsSync(QEMU_BINARY)) {
    throw new Error(`${QEMU_BINARY} not found: install Debian's qemu-system-x86 (this test must not be skipped)`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.resolve(outDir, opts.name ?? (format === 'elf' ? 'g.elf' : 'g.kdump'));
  // HMP splits its arguments on spaces; keep paths simple.
  for (const p of [out, ...loads.map((l) => path.resolve(l.file))]) {
    if (/[\s,]/.test(p))
      throw new Error(`path ${JSON.stringify(p)} must not contain spaces or commas for the QEMU command line`);
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
    try {
      if (fs.lstatSync(p).isFile()) fs.chmodSync(p, 0o600);
    } catch {
      /* best effort */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every written page of `mem` as loader blobs; pages closer than `gap` bytes share one blob (zeros between). */
export function loaderBlobs(mem: SparsePages, dir: string, prefix = 'kho', gap = 0x10000n): QemuLoad[] {
  return mem.runs(gap).map((r) => {
    const file = path.join(dir, `${prefix}-${r.start.toString(16)}.bin`);
    fs.writeFileSync(file, r.bytes);
    return { file, addr: r.start };
  });
}

export interface QemuGuest {
  /** The QMP socket: a unix path, or tcp:127.0.0.1:PORT when asked for. */
  qmp: string;
  /** An HMP monitor socket, when asked for. */
  hmp?: string;
  pid: number;
  /** True while the QEMU process runs. */
  alive(): boolean;
  /** SIGKILL and wait for the exit (at most 5 s); safe to call twice. */
  kill(): Promise<void>;
}

export interface QemuGuestOptions {
  memory?: string;
  /** Start paused before the first instruction (-S); default true. */
  paused?: boolean;
  /** Also open an HMP monitor on a unix socket. */
  hmp?: boolean;
  /** Serve QMP on a free TCP port of 127.0.0.1 instead of a unix socket. */
  tcp?: boolean;
  name?: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a guest that serves QMP on a unix socket in `dir`; resolves once the socket exists. */
export async function startQemuGuest(
  loads: readonly QemuLoad[],
  dir: string,
  opts: QemuGuestOptions = {},
): Promise<QemuGuest> {
  if (!fs.existsSync(QEMU_BINARY))
    throw new Error(`${QEMU_BINARY} not found: install Debian's qemu-system-x86 (this test must not be skipped)`);
  const name = opts.name ?? 'guest';
  const socket = path.join(dir, `${name}.qmp`),
    hmp = opts.hmp ? path.join(dir, `${name}.hmp`) : undefined;
  for (const p of [socket, hmp]) if (p && fs.existsSync(p)) fs.unlinkSync(p);
  const qmp = opts.tcp ? `tcp:127.0.0.1:${await freePort()}` : socket;
  const args = ['-machine', 'q35', '-m', opts.memory ?? '256M', '-nographic', '-nodefaults', '-display', 'none'];
  if (opts.paused ?? true) args.push('-S');
  for (const l of loads)
    args.push('-device', `loader,file=${path.resolve(l.file)},addr=0x${l.addr.toString(16)},force-raw=on`);
  args.push('-qmp', opts.tcp ? `${qmp},server=on,wait=off` : `unix:${qmp},server=on,wait=off`);
  if (hmp) args.push('-monitor', `unix:${hmp},server=on,wait=off`);
  const proc = spawn(QEMU_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const guest: QemuGuest = {
    qmp,
    hmp,
    pid: proc.pid!,
    alive: () => running,
    kill: async () => {
      if (running) proc.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
  const deadline = Date.now() + 15_000;
  const listening = async () =>
    opts.tcp
      ? await new Promise<boolean>((resolve) => {
          const c = net.createConnection({ host: '127.0.0.1', port: Number(qmp.split(':')[2]) }, () => {
            c.destroy();
            resolve(true);
          });
          c.on('error', () => resolve(false));
        })
      : fs.existsSync(qmp);
  while (!(await listening()) || (hmp && !fs.existsSync(hmp))) {
    if (!running || Date.now() > deadline) {
      await guest.kill();
      throw new Error(`QEMU did not open its QMP socket ${qmp}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return guest;
}
