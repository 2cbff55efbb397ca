// writeChunks into a stream that holds what it is given and takes it slowly: the output is the
// report, byte for byte, although byte chunks' buffers are reused once the stream has written them.

import * as assert from 'assert';
import { Writable } from 'node:stream';
import { buildDump } from '../../../src/engine/kho/dumpBuilder';
import { scatteredBlocks } from '../../../src/engine/kho/generators';
import { rangesCsvChunks } from '../../../src/engine/export/reports';
import { chunkText } from '../../../src/engine/report/asciiOut';
import { contractJsonChunks } from '../../../src/engine/report/contract';
import { decodeDump } from '../../../src/engine/decode';
import { writeChunks } from '../../../src/node/streamOut';
import { Prng } from '../../support/prng';

/**
 * A stream that holds each chunk it is given until a later turn, then "writes it out" (copies it)
 * and only then says it is done: a chunk whose buffer were reused before that would arrive changed.
 */
function slowHoldingSink(): { sink: Writable; held: Uint8Array[] } {
  const held: Uint8Array[] = [];
  const sink = new Writable({
    // Above the chunk size: write() returns true while earlier chunks are still held.
    highWaterMark: 1 << 20,
    write(chunk: Uint8Array, _enc, done) {
      setImmediate(() => {
        held.push(Uint8Array.from(chunk));
        done();
      });
    },
  });
  return { sink, held };
}

describe('writeChunks', () => {
  it('a slow stream that holds its chunks gets the JSON and the CSV unchanged', async () => {
    const blocks = scatteredBlocks(new Prng(5), { startPfn: 1 << 12, spanPages: 1 << 20, count: 20_000 });
    const dump = buildDump({
      version: 3,
      ram: [{ start: 0n, end: 8n << 30n }],
      blocks,
      nodePool: [{ start: 1n << 20n, end: 8n << 20n }],
    });
    const r = await decodeDump(dump.mem, { fdtAddress: dump.fdtAddress });
    for (const make of [() => contractJsonChunks(r), () => rangesCsvChunks(r)]) {
      const expected = [...make()].map(chunkText).join('');
      assert.ok(expected.length > 500_000, `${expected.length} characters: too few for several byte chunks`);
      const { sink, held } = slowHoldingSink();
      assert.strictEqual(await writeChunks(sink, make()), true);
      await new Promise<void>((resolve) => sink.end(resolve));
      assert.strictEqual(Buffer.concat(held).toString('latin1'), expected);
    }
  });
});
