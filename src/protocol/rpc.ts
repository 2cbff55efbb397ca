// A small typed request/response channel over any postMessage-like transport (worker_threads,
// webview). Unlike a bare message bus: errors reject the caller, requests can be cancelled, long
// requests stream progress, and the serving side announces its protocol version first.

export interface MethodSpec {
  params: unknown;
  result: unknown;
}
export type MethodMap = { [method: string]: MethodSpec };

export interface RpcErrorData {
  code: 'error' | 'cancelled' | 'unknown-method' | 'closed' | 'protocol';
  message: string;
}

export interface ProgressData {
  stage: string;
  done: number;
  total?: number;
  message?: string;
}

export type RpcMessage =
  | { kind: 'ready'; protocol: number }
  | { kind: 'request'; id: number; method: string; params: unknown }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: RpcErrorData }
  | { kind: 'cancel'; id: number }
  | { kind: 'progress'; id: number; progress: ProgressData };

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorData['code'],
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
  get cancelled(): boolean {
    return this.code === 'cancelled';
  }
}

/** Structurally a vscode.CancellationToken. */
export interface RpcCancellationToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface RequestOptions {
  token?: RpcCancellationToken;
  onProgress?: (p: ProgressData) => void;
}

export function isRpcMessage(m: unknown): m is RpcMessage {
  return typeof m === 'object' && m !== null && typeof (m as { kind?: unknown }).kind === 'string';
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: ProgressData) => void;
  cancelListener?: { dispose(): void };
}

export class RpcClient<M extends MethodMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedReason: string | undefined;
  private readyResolve!: (protocol: number) => void;
  private readyReject!: (e: Error) => void;
  /** Resolves with the server's protocol version once it said `ready`. */
  readonly ready: Promise<number>;

  constructor(
    private readonly post: (m: RpcMessage) => void,
    private readonly expectedProtocol?: number,
  ) {
    this.ready = new Promise<number>((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => undefined); // observed through request()
  }

  request<K extends keyof M & string>(
    method: K,
    params: M[K]['params'],
    opts: RequestOptions = {},
  ): Promise<M[K]['result']> {
    if (this.closedReason !== undefined) return Promise.reject(new RpcError('closed', this.closedReason));
    if (opts.token?.isCancellationRequested) return Promise.reject(new RpcError('cancelled', `${method} cancelled`));
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress };
      if (opts.token) {
        p.cancelListener = opts.token.onCancellationRequested(() => {
          if (this.pending.has(id)) this.post({ kind: 'cancel', id });
        });
      }
      this.pending.set(id, p);
      this.post({ kind: 'request', id, method, params });
    });
  }

  /** Feed every message from the transport here. */
  handle(m: RpcMessage): void {
    switch (m.kind) {
      case 'ready':
        if (this.expectedProtocol !== undefined && m.protocol !== this.expectedProtocol) {
          const msg = `protocol mismatch: expected ${this.expectedProtocol}, the other side speaks ${m.protocol}`;
          this.readyReject(new RpcError('protocol', msg));
          this.close(msg);
        } else this.readyResolve(m.protocol);
        return;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.progress);
        return;
      case 'response': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.cancelListener?.dispose();
        if (m.ok) p.resolve(m.result);
        else p.reject(new RpcError(m.error.code, m.error.message));
        return;
      }
      default:
        return;
    }
  }

  /** Rejects everything in flight and every later request (the other side is gone). */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.readyReject(new RpcError('closed', reason));
    for (const [, p] of this.pending) {
      p.cancelListener?.dispose();
      p.reject(new RpcError('closed', reason));
    }
    this.pending.clear();
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

/** What a handler gets besides its params. `token` is shaped like the engine's CancellationToken. */
export interface RequestContext {
  readonly token: { readonly isCancellationRequested: boolean };
  progress(p: ProgressData): void;
}

export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (params: M[K]['params'], ctx: RequestContext) => M[K]['result'] | Promise<M[K]['result']>;
};

/** Thrown (or rejected) by a handler that noticed its token: the caller gets code 'cancelled'. */
export function isCancellation(e: unknown): boolean {
  return e instanceof Error && (e.name === 'CancelledError' || (e instanceof RpcError && e.cancelled));
}

export class RpcServer<M extends MethodMap> {
  private readonly running = new Map<number, { isCancellationRequested: boolean }>();

  constructor(
    private readonly post: (m: RpcMessage) => void,
    private readonly handlers: Handlers<M>,
  ) {}

  /** Announces the protocol version; call once the transport is up. */
  announce(protocol: number): void {
    this.post({ kind: 'ready', protocol });
  }

  handle(m: RpcMessage): void {
    if (m.kind === 'cancel') {
      const t = this.running.get(m.id);
      if (t) t.isCancellationRequested = true;
      return;
    }
    if (m.kind !== 'request') return;
    const { id, method, params } = m;
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, method)
      ? (this.handlers as Record<string, (p: unknown, c: RequestContext) => unknown>)[method]
      : undefined;
    if (!handler) {
      this.post({
        kind: 'response',
        id,
        ok: false,
        error: { code: 'unknown-method', message: `unknown method "${method}"` },
      });
      return;
    }
    const token = { isCancellationRequested: false };
    this.running.set(id, token);
    const ctx: RequestContext = { token, progress: (progress) => this.post({ kind: 'progress', id, progress }) };
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(handler(params, ctx));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (value) => {
        this.running.delete(id);
        this.post({ kind: 'response', id, ok: true, result: value });
      },
      (e: unknown) => {
        this.running.delete(id);
        const cancelled = token.isCancellationRequested || isCancellation(e);
        const message = cancelled ? `${method} cancelled` : e instanceof Error ? e.message : String(e);
        this.post({ kind: 'response', id, ok: false, error: { code: cancelled ? 'cancelled' : 'error', message } });
      },
    );
  }
}
