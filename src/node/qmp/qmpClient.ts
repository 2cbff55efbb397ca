// An asynchronous QMP (QEMU Machine Protocol) client: one connection, the capabilities handshake,
// one command in flight at a time, asynchronous events recorded, every failure one clear line.

import * as net from 'net';

/** Every QMP failure: no socket, not QMP, monitor busy, QEMU gone, a command's own error. */
export class QmpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpError';
  }
}

export type QmpEndpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** `tcp:HOST:PORT`, `unix:PATH` or a bare PATH (a unix socket). */
export function parseQmpAddress(text: string): QmpEndpoint {
  const tcp = /^tcp:(.+):([0-9]{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) throw new QmpError(`QMP address ${text}: port ${tcp[2]} is not 1-65535`);
    return { kind: 'tcp', host: tcp[1].replace(/^\[(.*)\]$/, '$1'), port };
  }
  if (text.startsWith('tcp:')) throw new QmpError(`QMP address ${text}: expected tcp:HOST:PORT`);
  const p = text.startsWith('unix:') ? text.slice(5) : text;
  if (!p) throw new QmpError('QMP address is empty: give a unix socket path or tcp:HOST:PORT');
  return { kind: 'unix', path: p };
}

export function describeEndpoint(e: QmpEndpoint): string {
  return e.kind === 'unix' ? e.path : `tcp:${e.host}:${e.port}`;
}

export interface QmpEvent {
  event: string;
  timestamp?: { seconds: number; microseconds: number };
  data?: unknown;
}

export interface QmpConnectOptions {
  /** How long to wait for QEMU's greeting (default 3 s): a busy monitor accepts but never greets. */
  greetingTimeoutMs?: number;
}

/** Largest single QMP line we accept; `info mtree` of big machines stays far below. */
const MAX_LINE = 16 << 20;
/** Events kept for callers that want to know what happened while they read (oldest dropped). */
const MAX_EVENTS = 64;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  command: string;
  timer: NodeJS.Timeout;
}

export class QmpClient {
  readonly events: QmpEvent[] = [];
  /** Events seen in all, also those dropped from `events`. */
  eventCount = 0;
  private buffered = '';
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closedReason: string | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly where: string,
    readonly version: string,
  ) {}

  /** Connects, reads the greeting and negotiates capabilities; rejects with a QmpError naming the socket. */
  static connect(address: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    let endpoint: QmpEndpoint;
    try {
      endpoint = parseQmpAddress(address);
    } catch (e) {
      return Promise.reject(e);
    }
    const where = describeEndpoint(endpoint);
    const greetingMs = opts.greetingTimeoutMs ?? 3000;
    return new Promise<QmpClient>((resolve, reject) => {
      const socket =
        endpoint.kind === 'unix'
          ? net.createConnection({ path: endpoint.path })
          : net.createConnection({ host: endpoint.host, port: endpoint.port });
      let text = '';
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new QmpError(message));
      };
      const timer = setTimeout(
        () =>
          fail(
            `${where}: no QMP greeting within ${greetingMs / 1000} s (another client may hold the monitor; QEMU serves one QMP client at a time)`,
          ),
        greetingMs,
      );
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const why =
          e.code === 'ENOENT'
            ? 'no such socket (is QEMU running with -qmp unix:PATH,server=on,wait=off?)'
            : e.code === 'ECONNREFUSED'
              ? 'connection refused (QEMU is not listening there, or has quit)'
              : e.code === 'ENOTSOCK'
                ? 'not a socket'
                : e.code === 'EACCES'
                  ? 'permission denied'
                  : (e.code ?? e.message);
        fail(`${where}: ${why}`);
      });
      socket.on('close', () => fail(`${where}: closed before the QMP greeting (not a QMP socket, or QEMU quit)`));
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const nl = text.indexOf('\n');
        if (nl < 0) {
          if (text.length > 4096) fail(`${where}: not a QMP socket (no JSON greeting in the first 4 KiB)`);
          return;
        }
        let greeting: { QMP?: { version?: { qemu?: { major: number; minor: number; micro: number } } } };
        try {
          greeting = JSON.parse(text.slice(0, nl));
        } catch {
          greeting = {};
        }
        if (!greeting || typeof greeting !== 'object' || !greeting.QMP) {
          fail(
            `${where}: not a QMP socket (it sent ${JSON.stringify(text.slice(0, Math.min(nl, 60)))} instead of a {"QMP": ...} greeting; an HMP monitor?)`,
          );
          return;
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        const q = greeting.QMP.version?.qemu;
        const client = new QmpClient(socket, where, q ? `${q.major}.${q.minor}.${q.micro}` : 'unknown');
        client.attach(text.slice(nl + 1));
        client.execute('qmp_capabilities', undefined, greetingMs).then(
          () => resolve(client),
          (e) => {
            client.close();
            reject(e);
          },
        );
      };
      socket.on('data', onData);
    });
  }

  /** True once the connection is gone; `closedReason` says why. */
  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Runs one command after those already queued; resolves with its "return" value. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    const run = () => this.send(command, args, timeoutMs);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  close(): void {
    if (!this.closedReason) this.closedReason = 'the QMP connection was closed';
    this.socket.destroy();
  }

  private send(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    if (this.closedReason) return Promise.reject(new QmpError(`${this.where}: ${command}: ${this.closedReason}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        // A reply that comes later would be taken for the next command's: this connection is done.
        this.lose(`QEMU did not answer ${command} within ${timeoutMs / 1000} s`);
        reject(new QmpError(`${this.where}: QEMU did not answer ${command} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending = { resolve, reject, command, timer };
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  private attach(rest: string): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.lose(`connection error ${e.code ?? e.message}`));
    this.socket.on('close', () => this.lose('QEMU closed the QMP connection (did it quit?)'));
    if (rest) this.onData(rest);
  }

  private onData(text: string): void {
    this.buffered += text;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.onMessage(line);
    }
    if (this.buffered.length > MAX_LINE) this.lose(`a QMP message longer than ${MAX_LINE} bytes`);
  }

  private onMessage(line: string): void {
    let m: { event?: string; return?: unknown; error?: { class?: string; desc?: string } };
    try {
      m = JSON.parse(line);
    } catch {
      this.lose(`QEMU sent a line that is not JSON: ${JSON.stringify(line.slice(0, 60))}`);
      return;
    }
    if (typeof m.event === 'string') {
      this.eventCount++;
      this.events.push(m as QmpEvent);
      if (this.events.length > MAX_EVENTS) this.events.shift();
      return;
    }
    const p = this.pending;
    if (!p) return; // a reply nobody waits for (its command timed out): the connection is already lost
    this.pending = null;
    clearTimeout(p.timer);
    if (m.error) p.reject(new QmpError(`${this.where}: ${p.command}: ${m.error.desc ?? m.error.class ?? 'error'}`));
    else p.resolve(m.return);
  }

  private lose(reason: string): void {
    if (this.closedReason === null) this.closedReason = reason;
    this.socket.destroy();
    const p = this.pending;
    if (p) {
      this.pending = null;
      clearTimeout(p.timer);
      p.reject(new QmpError(`${this.where}: ${p.command}: ${reason}`));
    }
  }
}
