// Writes a lazy sequence of chunks (text or bytes) to a stream with backpressure: the next chunk is produced
// only after the stream has taken the previous one (write() returned true, or 'drain' came). So a
// consumer slower than the decoder (a pipe into jq, ssh) makes us wait instead of queueing the
// whole document in memory: at most one chunk plus the stream's own buffer is ever held.

import type { Writable } from 'node:stream';
import { releaseChunk } from '../engine/report/asciiOut';

/** A stream as process.stdout is one: a Writable, or the fs.SyncWriteStream Node uses for files. */
export type TextSink = Pick<Writable, 'write' | 'once' | 'off' | 'on'> & {
  writableLength?: number;
  destroyed?: boolean;
};

const closedSinks = new WeakSet<object>();
const watchedSinks = new WeakSet<object>();

/** True when the sink's reader went away (EPIPE and the like): further output is dropped. */
export function sinkClosed(sink: TextSink): boolean {
  return closedSinks.has(sink) || sink.destroyed === true;
}

/**
 * Writes every chunk in order. Resolves when the last one has been handed to the stream, or as soon
 * as the stream fails or closes (the reader went away, e.g. `| head`): the rest is then not produced,
 * and the result is false.
 */
export async function writeChunks(sink: TextSink, chunks: Iterable<string | Uint8Array>): Promise<boolean> {
  watchErrors(sink);
  for (const chunk of chunks) {
    if (sinkClosed(sink)) return false;
    if (chunk.length === 0) continue;
    // Once the stream has written a byte chunk out, its buffer may carry a later chunk: at once
    // when nothing is left queued (a file, a pipe that took it all), else when the write completes.
    const ok = sink.write(chunk, typeof chunk === 'string' ? undefined : () => releaseChunk(chunk));
    if (sink.writableLength === 0) releaseChunk(chunk);
    if (!ok) {
      if (!(await drained(sink))) return false;
    }
  }
  return !sinkClosed(sink);
}

/** An error on the sink (EPIPE) marks it closed instead of crashing the process as unhandled. */
function watchErrors(sink: TextSink): void {
  if (watchedSinks.has(sink)) return;
  watchedSinks.add(sink);
  sink.on('error', () => {
    closedSinks.add(sink);
  });
}

function drained(sink: TextSink): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', onClose);
      resolve(ok);
    };
    const onDrain = done(true),
      onClose = done(false);
    sink.once('drain', onDrain);
    sink.once('close', onClose);
    sink.once('error', onClose);
  });
}
