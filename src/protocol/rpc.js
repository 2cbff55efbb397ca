"use strict";
// A small typed request/response channel over any postMessage-like transport (worker_threads,
// webview). Unlike a bare message bus: errors reject the caller, requests can be cancelled, long
// requests stream progress, and the serving side announces its protocol version first.
Object.defineProperty(exports, "__esModule", { value: true });
exports.RpcServer = exports.RpcClient = exports.RpcError = void 0;
exports.isRpcMessage = isRpcMessage;
exports.isCancellation = isCancellation;
class RpcError extends Error {
    code;
    constructor(code, message) {
        super(message);
        this.code = code;
        this.name = 'RpcError';
    }
    get cancelled() { return this.code === 'cancelled'; }
}
exports.RpcError = RpcError;
function isRpcMessage(m) {
    return typeof m === 'object' && m !== null && typeof m.kind === 'string';
}
class RpcClient {
    post;
    expectedProtocol;
    nextId = 1;
    pending = new Map();
    closedReason;
    readyResolve;
    readyReject;
    /** Resolves with the server's protocol version once it said `ready`. */
    ready;
    constructor(post, expectedProtocol) {
        this.post = post;
        this.expectedProtocol = expectedProtocol;
        this.ready = new Promise((res, rej) => { this.readyResolve = res; this.readyReject = rej; });
        this.ready.catch(() => undefined); // observed through request()
    }
    request(method, params, opts = {}) {
        if (this.closedReason !== undefined)
            return Promise.reject(new RpcError('closed', this.closedReason));
        if (opts.token?.isCancellationRequested)
            return Promise.reject(new RpcError('cancelled', `${method} cancelled`));
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            const p = { resolve: resolve, reject, onProgress: opts.onProgress };
            if (opts.token) {
                p.cancelListener = opts.token.onCancellationRequested(() => {
                    if (this.pending.has(id))
                        this.post({ kind: 'cancel', id });
                });
            }
            this.pending.set(id, p);
            this.post({ kind: 'request', id, method, params });
        });
    }
    /** Feed every message from the transport here. */
    handle(m) {
        switch (m.kind) {
            case 'ready':
                if (this.expectedProtocol !== undefined && m.protocol !== this.expectedProtocol) {
                    const msg = `protocol mismatch: expected ${this.expectedProtocol}, the other side speaks ${m.protocol}`;
                    this.readyReject(new RpcError('protocol', msg));
                    this.close(msg);
                }
                else
                    this.readyResolve(m.protocol);
                return;
            case 'progress':
                this.pending.get(m.id)?.onProgress?.(m.progress);
                return;
            case 'response': {
                const p = this.pending.get(m.id);
                if (!p)
                    return;
                this.pending.delete(m.id);
                p.cancelListener?.dispose();
                if (m.ok)
                    p.resolve(m.result);
                else
                    p.reject(new RpcError(m.error.code, m.error.message));
                return;
            }
            default:
                return;
        }
    }
    /** Rejects everything in flight and every later request (the other side is gone). */
    close(reason) {
        if (this.closedReason !== undefined)
            return;
        this.closedReason = reason;
        this.readyReject(new RpcError('closed', reason));
        for (const [, p] of this.pending) {
            p.cancelListener?.dispose();
            p.reject(new RpcError('closed', reason));
        }
        this.pending.clear();
    }
    get inFlight() { return this.pending.size; }
}
exports.RpcClient = RpcClient;
/** Thrown (or rejected) by a handler that noticed its token: the caller gets code 'cancelled'. */
function isCancellation(e) {
    return e instanceof Error && (e.name === 'CancelledError' || (e instanceof RpcError && e.cancelled));
}
class RpcServer {
    post;
    handlers;
    running = new Map();
    constructor(post, handlers) {
        this.post = post;
        this.handlers = handlers;
    }
    /** Announces the protocol version; call once the transport is up. */
    announce(protocol) {
        this.post({ kind: 'ready', protocol });
    }
    handle(m) {
        if (m.kind === 'cancel') {
            const t = this.running.get(m.id);
            if (t)
                t.isCancellationRequested = true;
            return;
        }
        if (m.kind !== 'request')
            return;
        const { id, method, params } = m;
        const handler = Object.prototype.hasOwnProperty.call(this.handlers, method)
            ? this.handlers[method]
            : undefined;
        if (!handler) {
            this.post({ kind: 'response', id, ok: false, error: { code: 'unknown-method', message: `unknown method "${method}"` } });
            return;
        }
        const token = { isCancellationRequested: false };
        this.running.set(id, token);
        const ctx = { token, progress: (progress) => this.post({ kind: 'progress', id, progress }) };
        let result;
        try {
            result = Promise.resolve(handler(params, ctx));
        }
        catch (e) {
            result = Promise.reject(e);
        }
        result.then((value) => {
            this.running.delete(id);
            this.post({ kind: 'response', id, ok: true, result: value });
        }, (e) => {
            this.running.delete(id);
            const cancelled = token.isCancellationRequested || isCancellation(e);
            const message = cancelled ? `${method} cancelled` : e instanceof Error ? e.message : String(e);
            this.post({ kind: 'response', id, ok: false, error: { code: cancelled ? 'cancelled' : 'error', message } });
        });
    }
}
exports.RpcServer = RpcServer;
//# sourceMappingURL=rpc.js.map