// worker_threads entry (bundled to dist/qmpWorker.js): owns one QmpClient and answers the blocking
// calls of syncQmp.ts through a SharedArrayBuffer, so the engine's synchronous reads can wait on QEMU.

import { parentPort, workerData } from 'worker_threads';
import { QmpClient, QmpError } from './qmpClient';
import { writeReply, type QmpWorkerRequest } from './syncQmp';

const port = parentPort;
if (!port) throw new Error('qmpWorker must run in a worker thread');
const shared = workerData as SharedArrayBuffer;

let client: QmpClient | null = null;

async function answer(req: QmpWorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'connect':
      client = await QmpClient.connect(req.address, { greetingTimeoutMs: req.timeoutMs });
      return { version: client.version };
    case 'execute':
      if (!client) throw new QmpError('not connected');
      return client.execute(req.command, req.args, req.timeoutMs);
    case 'close':
      client?.close();
      client = null;
      return null;
  }
}

port.on('message', (req: QmpWorkerRequest) => {
  answer(req).then(
    (value) => writeReply(shared, { ok: true, value: value ?? null }),
    (e: unknown) => writeReply(shared, { ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
