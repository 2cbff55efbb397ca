// worker_threads entry (bundled to dist/decodeWorker.js): one opened dump per worker, served
// over the typed RPC of protocol/worker.ts. Decoding here keeps the extension host responsive.

import { parentPort } from 'worker_threads';
import { isRpcMessage, RpcServer, type RpcMessage } from '../protocol/rpc';
import { WORKER_PROTOCOL, type WorkerMethods } from '../protocol/worker';
import { CompareSession } from './worker/compareSession';
import { WorkerEditing } from './worker/editing';
import { WorkerSession } from './worker/session';

const port = parentPort;
if (!port) throw new Error('decodeWorker must run in a worker thread');

const session = new WorkerSession();
const editing = new WorkerEditing(session);
// A worker opened for a comparison holds two dumps here instead of `session`'s one.
const compare = new CompareSession();
const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const server = new RpcServer<WorkerMethods>((m: RpcMessage) => port.postMessage(m), {
  open: (params, ctx) => {
    const flag = params.cancelFlag ? new Int32Array(params.cancelFlag) : null;
    const token = {
      get isCancellationRequested(): boolean {
        return ctx.token.isCancellationRequested || (flag !== null && Atomics.load(flag, 0) !== 0);
      },
    };
    return session.open(params, token, (p) => ctx.progress(p), yieldNow);
  },
  compareOpen: (params, ctx) => compare.open(params, ctx.token, (p) => ctx.progress(p), yieldNow),
  compareChildren: (p) => compare.children(p.nodeId, p.maxItemsPerGroup, p.start, p.count),
  compareLookup: (p) => compare.lookup(p.address, p.maxItemsPerGroup),
  compareProblems: (p) => compare.problems(p.start, p.count),
  compareMapExtents: () => compare.mapExtents(),
  compareMapTiles: (p) => compare.mapTiles(p),
  summary: () => session.summary(),
  children: (p) => session.children(p.nodeId, p.start, p.count, p.maxItemsPerGroup),
  node: (p) => session.node(p.nodeId, p.maxItemsPerGroup),
  blocks: (p) => session.blocks(p.order, p.start, p.count),
  ranges: (p) => session.ranges(p.start, p.count),
  nodePages: (p) => session.nodePages(p.level, p.start, p.count),
  diagnostics: (p) => session.diagnostics(p.start, p.count),
  lookup: (p) => session.lookup(p.address, p.maxItemsPerGroup),
  revealTarget: (p) => session.revealTarget(p.nodeId, p.maxItemsPerGroup),
  dts: (p) => session.dts(p.nodeId),
  mapExtents: () => session.mapExtents(),
  mapTiles: (p) => session.mapTiles(p),
  close: () => {
    session.close();
    compare.close();
  },
  ...editing.handlers(),
});

port.on('message', (m: unknown) => {
  if (isRpcMessage(m)) server.handle(m);
});
server.announce(WORKER_PROTOCOL);
