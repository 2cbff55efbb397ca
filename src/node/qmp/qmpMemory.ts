// Guest memory of a live QEMU as PhysMemory: the layout from `info mtree -f`, bytes on demand with
// `pmemsave` of a bounded range into a private temporary file that is read and removed at once.
// Reads go through a bounded LRU of guest pages; adjacent missing pages are fetched in one pmemsave.
// Nothing the size of guest RAM is ever written: each file holds one read (at most MAX_READ bytes).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PhysReadError, rangesContain, type PhysMemory, type PhysRange } from '../../engine/image/physMemory';
import { hex, humanSize } from '../../engine/util/hex';
import { readByMonitor } from './monitorRead';
import { guestMemoryLayout } from './mtree';
import { QmpError } from './qmpClient';
import { SyncQmp } from './syncQmp';

const BLOCK = 4096;
/** Cached guest pages (8 MiB), whatever the guest's size. */
const MAX_BLOCKS = 2048;
/** Reads this large skip the cache (an FDT scan's chunks would only evict the tree's pages). */
const BYPASS = 256 * 1024;
/** Largest single pmemsave: bounds the temporary file. */
const MAX_READ = 16 << 20;

export interface QmpAttachOptions {
  /** Stop a running guest while reading and let it run again on close (default: read it running). */
  pause?: boolean;
  /**
   * How bytes travel: 'pmemsave' (default) through temporary files, switching to 'monitor' (HMP xp,
   * slow, no files) when QEMU's files cannot be seen here; 'monitor' from the start when asked.
   */
  transport?: QmpTransport;
  /** Where the temporary read files go (default /dev/shm when writable, else the OS temp dir). */
  tmpDir?: string;
  greetingTimeoutMs?: number;
}

export type QmpTransport = 'pmemsave' | 'monitor';

export interface QmpRunState {
  /** QEMU's run state at attach (query-status): running, paused, prelaunch, ... */
  status: string;
  running: boolean;
  /** True when attach stopped the guest (pause asked and it was running); close lets it run again. */
  pausedByUs: boolean;
}

export interface QmpReadStats {
  bytes: number;
  requests: number;
  ms: number;
}

function tempRoot(given?: string): string {
  if (given) return given;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export class QmpMemory implements PhysMemory {
  readonly format = 'qmp' as const;
  readonly stats: QmpReadStats = { bytes: 0, requests: 0, ms: 0 };
  /** The first QMP failure (QEMU quit, connection lost): every later read fails with it. */
  failure: string | null = null;
  transport: QmpTransport = 'pmemsave';
  /** Why reads went through the monitor instead of pmemsave, when they did. */
  private transportNote: string | null = null;
  private readonly blocks = new Map<number, Uint8Array>();
  private dir: string | null;
  private closed = false;

  private constructor(
    private readonly qmp: SyncQmp,
    readonly address: string,
    readonly ranges: readonly PhysRange[],
    /** Guest RAM in bytes (ROM excluded): what a whole-guest dump would cost. */
    readonly ramBytes: bigint,
    readonly runState: QmpRunState,
    dir: string,
  ) {
    this.dir = dir;
  }

  /** Connects, reads the run state and layout, pauses when asked; throws QmpError (one line). */
  static attach(address: string, opts: QmpAttachOptions = {}): QmpMemory {
    const qmp = SyncQmp.connect(address, { greetingTimeoutMs: opts.greetingTimeoutMs });
    let pausedByUs = false;
    let dir: string | null = null;
    try {
      const st = qmp.execute('query-status') as { status: string; running: boolean };
      if (opts.pause && st.running) {
        qmp.execute('stop');
        pausedByUs = true;
      }
      const layout = qmp.hmp('info mtree -f');
      const found = guestMemoryLayout(layout);
      if (!found || found.ranges.length === 0) {
        throw new QmpError(
          `${address}: "info mtree -f" shows no RAM in the system address space (flat view of AS "memory")`,
        );
      }
      dir = fs.mkdtempSync(path.join(tempRoot(opts.tmpDir), 'kho-qmp-'));
      // The guest's -m (plus hot-plugged memory); the flat view's RAM misses what ROM overlays.
      const size = qmp.execute('query-memory-size-summary') as { 'base-memory'?: number; 'plugged-memory'?: number };
      const ramBytes =
        typeof size['base-memory'] === 'number'
          ? BigInt(size['base-memory']) + BigInt(size['plugged-memory'] ?? 0)
          : found.ramBytes;
      const memory = new QmpMemory(
        qmp,
        address,
        found.ranges,
        ramBytes,
        { status: st.status, running: st.running, pausedByUs },
        dir,
      );
      if (opts.transport === 'monitor') {
        memory.transport = 'monitor';
        memory.transportNote = "read through the monitor's xp as asked";
      }
      return memory;
    } catch (e) {
      if (pausedByUs) {
        try {
          qmp.execute('cont');
        } catch {
          /* the error below says what went wrong */
        }
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      qmp.close();
      throw e;
    }
  }

  /** QEMU's run state now (query-status). */
  status(): { status: string; running: boolean } {
    return this.qmp.execute('query-status') as { status: string; running: boolean };
  }

  contains(phys: bigint, length: number): boolean {
    return Number.isInteger(length) && length >= 0 && rangesContain(this.ranges, phys, phys + BigInt(length));
  }

  read(phys: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(phys, out);
    return out;
  }

  readInto(phys: bigint, dest: Uint8Array): void {
    if (!this.contains(phys, dest.length)) {
      throw new PhysReadError(
        phys,
        dest.length,
        `outside guest RAM (${this.ranges.map((r) => `[${hex(r.start)}, ${hex(r.end)})`).join(', ')})`,
      );
    }
    if (dest.length === 0) return;
    const start = Number(phys);
    if (!Number.isSafeInteger(start + dest.length))
      throw new PhysReadError(phys, dest.length, 'guest address beyond 2^53');
    if (dest.length >= BYPASS) {
      // Measured: 1 MiB pmemsaves are as fast per byte as 16 MiB ones (the copies stay in cache).
      for (let done = 0; done < dest.length; done += MAX_READ) {
        const n = Math.min(MAX_READ, dest.length - done);
        this.fetch(start + done, dest.subarray(done, done + n));
      }
      return;
    }
    const first = Math.floor(start / BLOCK),
      last = Math.floor((start + dest.length - 1) / BLOCK);
    // One pmemsave per run of adjacent missing pages.
    for (let b = first; b <= last;) {
      if (this.blocks.has(b)) {
        b++;
        continue;
      }
      let e = b;
      while (e + 1 <= last && !this.blocks.has(e + 1)) e++;
      const run = new Uint8Array((e - b + 1) * BLOCK);
      this.fetch(b * BLOCK, run);
      for (let i = b; i <= e; i++) this.remember(i, run.subarray((i - b) * BLOCK, (i - b + 1) * BLOCK));
      b = e + 1;
    }
    for (let b = first; b <= last; b++) {
      const block = this.blocks.get(b)!;
      this.blocks.delete(b); // LRU: most recently used last
      this.blocks.set(b, block);
      const from = Math.max(start, b * BLOCK),
        to = Math.min(start + dest.length, (b + 1) * BLOCK);
      dest.set(block.subarray(from - b * BLOCK, to - b * BLOCK), from - start);
    }
  }

  fileOffset(): number | undefined {
    return undefined;
  }

  /** Forgets cached pages: the next reads see the guest as it is now. */
  clear(): void {
    this.blocks.clear();
  }

  /** Lets the guest run again if attach paused it, then disconnects and removes the temporary directory. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.runState.pausedByUs && !this.failure) this.qmp.execute('cont');
    } finally {
      this.qmp.close();
      this.clear();
      if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }

  /** A one-line account of what the reads cost, for reports and the bench. */
  describeCost(): string {
    const how = this.transport === 'pmemsave' ? 'pmemsave requests' : 'requests';
    const note = this.transportNote ? ` (${this.transportNote})` : '';
    return `read ${humanSize(BigInt(this.stats.bytes))} over QMP from a guest of ${humanSize(this.ramBytes)} RAM, ${this.stats.requests} ${how}${note}, ${this.stats.ms} ms`;
  }

  private remember(index: number, bytes: Uint8Array): void {
    if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    this.blocks.set(index, bytes);
  }

  /** One pmemsave of dest.length bytes at `start` into the temporary file, read into dest and removed. */
  private fetch(start: number, dest: Uint8Array): void {
    const fail = (reason: string): never => {
      this.failure ??= reason;
      throw new PhysReadError(BigInt(start), dest.length, reason);
    };
    if (this.failure) fail(this.failure);
    if (!this.dir) fail('the QMP connection is closed');
    const t0 = Date.now();
    const counted = () => {
      this.stats.bytes += dest.length;
      this.stats.requests++;
      this.stats.ms += Date.now() - t0;
    };
    if (this.transport === 'monitor') {
      this.fetchByMonitor(start, dest, fail);
      counted();
      return;
    }
    const file = path.join(this.dir!, 'read');
    try {
      this.qmp.execute('pmemsave', { val: start, size: dest.length, filename: file });
    } catch (e) {
      const m = (e as Error).message;
      fail(
        /Could not open/i.test(m)
          ? `${m} (QEMU must be able to write to ${this.dir}: does it run as another user?)`
          : m,
      );
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        return fail(`cannot read QEMU's pmemsave file ${file}: ${(e as NodeJS.ErrnoException).code}`);
      // QEMU wrote it where we cannot see it: on another machine, or in another mount namespace.
      this.transport = 'monitor';
      this.transportNote = `QEMU's pmemsave files do not appear here (QEMU on another machine?): read through the monitor's xp, slowly`;
      this.fetchByMonitor(start, dest, fail);
      counted();
      return;
    }
    let got = 0;
    try {
      while (got < dest.length) {
        const n = fs.readSync(fd, dest, got, dest.length - got, got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    }
    if (got !== dest.length) fail(`QEMU's pmemsave wrote ${got} of ${dest.length} bytes at ${hex(BigInt(start))}`);
    counted();
  }

  private fetchByMonitor(start: number, dest: Uint8Array, fail: (reason: string) => never): void {
    // A scan of guest memory at ~2 ms per KiB would take hours: refuse it with what to do instead.
    if (dest.length >= BYPASS)
      fail(
        "reads through the monitor's xp are too slow to scan guest memory: give the FDT (--fdt FILE or --fdt-address ADDR)",
      );
    let why: string | null;
    try {
      why = readByMonitor((line) => this.qmp.hmp(line), start, dest);
    } catch (e) {
      return fail((e as Error).message);
    }
    if (why) fail(why);
  }
}
