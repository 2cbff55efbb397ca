// A blocking QMP connection for synchronous callers. The engine's PhysMemory reads are synchronous
// (a tree walk is a loop of reads), and QMP is a socket: a worker thread (qmpWorker.ts) owns the
// socket, and the caller blocks in Atomics.wait on a SharedArrayBuffer until the reply is there.
// The caller's thread must allow Atomics.wait: the CLI's main thread and worker threads do.

import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { QmpError } from './qmpClient';

export type QmpWorkerRequest =
  | { op: 'connect'; address: string; timeoutMs: number }
  | { op: 'execute'; command: string; args?: Record<string, unknown>; timeoutMs: number }
  | { op: 'close' };

type Reply = { ok: true; value: unknown } | { ok: false; error: string };

/** Reply area: [0] state (0 waiting, 1 written), [1] byte length, then the JSON bytes. */
const HEADER = 16;
/** Replies are small (status, layout text, errors); page bytes travel through files, not here. */
const REPLY_BYTES = 4 << 20;
/** Extra time the caller waits beyond the worker's own timeout before it gives up on the worker. */
const GRACE_MS = 5000;

/** Called in the worker: stores the reply and wakes the blocked caller. */
export function writeReply(shared: SharedArrayBuffer, reply: Reply): void {
  const ctrl = new Int32Array(shared, 0, 2);
  let bytes = new TextEncoder().encode(JSON.stringify(reply));
  if (bytes.length > shared.byteLength - HEADER) {
    bytes = new TextEncoder().encode(
      JSON.stringify({ ok: false, error: `QMP reply of ${bytes.length} bytes is larger than ${REPLY_BYTES}` }),
    );
  }
  new Uint8Array(shared, HEADER, bytes.length).set(bytes);
  Atomics.store(ctrl, 1, bytes.length);
  Atomics.store(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
}

/** The worker script: next to this module in tsc output, next to the bundle in dist/. */
function workerScript(): string {
  const p = path.join(__dirname, 'qmpWorker.js');
  if (!fs.existsSync(p)) throw new QmpError(`${p} is missing: build with "node esbuild.mjs"`);
  return p;
}

export class SyncQmp {
  private worker: Worker | null;
  private readonly shared = new SharedArrayBuffer(HEADER + REPLY_BYTES);
  private readonly ctrl = new Int32Array(this.shared, 0, 2);
  readonly version: string;

  private constructor(
    readonly address: string,
    greetingTimeoutMs: number,
  ) {
    this.worker = new Worker(workerScript(), { workerData: this.shared });
    this.worker.unref();
    try {
      this.version = (
        this.call({ op: 'connect', address, timeoutMs: greetingTimeoutMs }, greetingTimeoutMs * 2) as {
          version: string;
        }
      ).version;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Connects and negotiates; throws QmpError with one line naming the socket. */
  static connect(address: string, opts: { greetingTimeoutMs?: number } = {}): SyncQmp {
    return new SyncQmp(address, opts.greetingTimeoutMs ?? 3000);
  }

  /** Runs one QMP command and returns its "return" value; throws QmpError. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): unknown {
    return this.call({ op: 'execute', command, args, timeoutMs }, timeoutMs);
  }

  /** Runs a human monitor command (HMP) through QMP and returns its text. */
  hmp(commandLine: string, timeoutMs = 30_000): string {
    return String(this.execute('human-monitor-command', { 'command-line': commandLine }, timeoutMs));
  }

  close(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    void w.terminate();
  }

  private call(req: QmpWorkerRequest, timeoutMs: number): unknown {
    if (!this.worker) throw new QmpError(`${this.address}: the QMP connection is closed`);
    Atomics.store(this.ctrl, 0, 0);
    this.worker.postMessage(req);
    const waited = Atomics.wait(this.ctrl, 0, 0, timeoutMs + GRACE_MS);
    if (waited === 'timed-out') {
      this.close();
      throw new QmpError(`${this.address}: no answer from the QMP worker within ${(timeoutMs + GRACE_MS) / 1000} s`);
    }
    const n = Atomics.load(this.ctrl, 1);
    const reply = JSON.parse(new TextDecoder().decode(new Uint8Array(this.shared, HEADER, n).slice())) as Reply;
    if (!reply.ok) throw new QmpError(reply.error);
    return reply.value;
  }
}
