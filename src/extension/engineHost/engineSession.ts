// The engine behind one interface: today a worker_threads worker per opened dump (decoding a
// 64 GiB image must not block the extension host); an in-process host for the web can implement
// the same interface later.

import { Worker } from 'worker_threads';
import { isRpcMessage, RpcClient, type RequestOptions } from '../../protocol/rpc';
import { WORKER_PROTOCOL, type WorkerMethods } from '../../protocol/worker';

export interface EngineSession {
  request<K extends keyof WorkerMethods & string>(
    method: K,
    params: WorkerMethods[K]['params'],
    opts?: RequestOptions,
  ): Promise<WorkerMethods[K]['result']>;
  /** Called once if the engine goes away on its own (crash, out of memory). */
  onDidExit(listener: (reason: string) => void): void;
  dispose(): void;
}

export type EngineStarter = () => Promise<EngineSession>;

class WorkerEngineSession implements EngineSession {
  private readonly client: RpcClient<WorkerMethods>;
  private exitListeners: ((reason: string) => void)[] = [];
  private disposed = false;

  constructor(private readonly worker: Worker) {
    this.client = new RpcClient<WorkerMethods>((m) => worker.postMessage(m), WORKER_PROTOCOL);
    worker.on('message', (m: unknown) => {
      if (isRpcMessage(m)) this.client.handle(m);
    });
    worker.on('error', (e) => this.gone(`the decode worker failed: ${e.message}`));
    worker.on('exit', (code) => this.gone(`the decode worker exited (code ${code})`));
  }

  ready(): Promise<number> {
    return this.client.ready;
  }

  private gone(reason: string): void {
    this.client.close(this.disposed ? 'closed' : reason);
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.exitListeners) l(reason);
    this.exitListeners = [];
  }

  request<K extends keyof WorkerMethods & string>(
    method: K,
    params: WorkerMethods[K]['params'],
    opts?: RequestOptions,
  ): Promise<WorkerMethods[K]['result']> {
    return this.client.request(method, params, opts);
  }

  onDidExit(listener: (reason: string) => void): void {
    this.exitListeners.push(listener);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.client.close('the dump was closed');
    void this.worker.terminate();
  }
}

/** Starts a worker from the bundled script and waits for its `ready` handshake. */
export function workerStarter(workerScript: string): EngineStarter {
  return async () => {
    const s = new WorkerEngineSession(new Worker(workerScript, { name: 'kho-decode' }));
    try {
      await s.ready();
    } catch (e) {
      s.dispose();
      throw e;
    }
    return s;
  };
}
