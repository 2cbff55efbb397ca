export interface MethodSpec {
    params: unknown;
    result: unknown;
}
export type MethodMap = {
    [method: string]: MethodSpec;
};
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
export type RpcMessage = {
    kind: 'ready';
    protocol: number;
} | {
    kind: 'request';
    id: number;
    method: string;
    params: unknown;
} | {
    kind: 'response';
    id: number;
    ok: true;
    result: unknown;
} | {
    kind: 'response';
    id: number;
    ok: false;
    error: RpcErrorData;
} | {
    kind: 'cancel';
    id: number;
} | {
    kind: 'progress';
    id: number;
    progress: ProgressData;
};
export declare class RpcError extends Error {
    readonly code: RpcErrorData['code'];
    constructor(code: RpcErrorData['code'], message: string);
    get cancelled(): boolean;
}
/** Structurally a vscode.CancellationToken. */
export interface RpcCancellationToken {
    readonly isCancellationRequested: boolean;
    onCancellationRequested(listener: () => void): {
        dispose(): void;
    };
}
export interface RequestOptions {
    token?: RpcCancellationToken;
    onProgress?: (p: ProgressData) => void;
}
export declare function isRpcMessage(m: unknown): m is RpcMessage;
export declare class RpcClient<M extends MethodMap> {
    private readonly post;
    private readonly expectedProtocol?;
    private nextId;
    private readonly pending;
    private closedReason;
    private readyResolve;
    private readyReject;
    /** Resolves with the server's protocol version once it said `ready`. */
    readonly ready: Promise<number>;
    constructor(post: (m: RpcMessage) => void, expectedProtocol?: number | undefined);
    request<K extends keyof M & string>(method: K, params: M[K]['params'], opts?: RequestOptions): Promise<M[K]['result']>;
    /** Feed every message from the transport here. */
    handle(m: RpcMessage): void;
    /** Rejects everything in flight and every later request (the other side is gone). */
    close(reason: string): void;
    get inFlight(): number;
}
/** What a handler gets besides its params. `token` is shaped like the engine's CancellationToken. */
export interface RequestContext {
    readonly token: {
        readonly isCancellationRequested: boolean;
    };
    progress(p: ProgressData): void;
}
export type Handlers<M extends MethodMap> = {
    [K in keyof M]: (params: M[K]['params'], ctx: RequestContext) => M[K]['result'] | Promise<M[K]['result']>;
};
/** Thrown (or rejected) by a handler that noticed its token: the caller gets code 'cancelled'. */
export declare function isCancellation(e: unknown): boolean;
export declare class RpcServer<M extends MethodMap> {
    private readonly post;
    private readonly handlers;
    private readonly running;
    constructor(post: (m: RpcMessage) => void, handlers: Handlers<M>);
    /** Announces the protocol version; call once the transport is up. */
    announce(protocol: number): void;
    handle(m: RpcMessage): void;
}
