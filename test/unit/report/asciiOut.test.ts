// AsciiChunks writes addresses as the strings did: the same hex digits as BigInt#toString(16) for
// every PFN and page size (below and above 2^32 and 2^53), and chunks that read back as the text.

import * as assert from 'assert';
import fc from 'fast-check';
import { AsciiChunks, chunkText, releaseChunk } from '../../../src/engine/report/asciiOut';
import { fcParams } from '../kho/fcParams';

function written(f: (out: AsciiChunks) => void): string {
  const out = new AsciiChunks(64);
  f(out);
  return chunkText(out.take());
}

describe('AsciiChunks', () => {
  it('pfnHex gives the digits of pfn << pageShift for every exact PFN', () => {
    const pfnArb = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 20 }),
      fc.integer({ min: 2 ** 19, max: 2 ** 21 }),
      fc.integer({ min: 0, max: 2 ** 52 }),
      fc.constantFrom(0, 1, 2 ** 20 - 1, 2 ** 20, 2 ** 41 - 1, 2 ** 41, 2 ** 52 - 1),
    );
    fc.assert(
      fc.property(pfnArb, fc.constantFrom(12, 14, 16), (pfn, shift) => {
        assert.strictEqual(
          written((o) => o.pfnHex(pfn, 2 ** shift, shift)),
          (BigInt(pfn) << BigInt(shift)).toString(16),
        );
      }),
      fcParams(2000),
    );
  });

  it('text, int and take: chunks past the size keep everything, and a taken chunk is not written again', () => {
    const out = new AsciiChunks(32);
    out.text('{"a":');
    out.int(7);
    out.text(',"b":');
    out.int(1234567);
    assert.ok(!out.full);
    out.text('x'.repeat(1000));
    assert.ok(out.full);
    const first = out.take();
    out.text('}');
    assert.strictEqual(chunkText(first), '{"a":7,"b":1234567' + 'x'.repeat(1000));
    assert.strictEqual(chunkText(out.take()), '}');
    assert.strictEqual(out.length, 0);
  });

  it('chunkText reads long byte chunks whole', () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => 97 + (i % 26));
    const text = chunkText(bytes);
    assert.strictEqual(text.length, 70_000);
    assert.strictEqual(text.slice(26 * 1000, 26 * 1000 + 3), 'abc');
    assert.strictEqual(chunkText('as is'), 'as is');
  });

  it('a released chunk lends its buffer to one later chunk only, however often and late it is released', () => {
    const out = new AsciiChunks(32);
    out.text('first');
    const a = out.take();
    releaseChunk(a);
    out.text('second');
    const b = out.take(); // in a's buffer
    releaseChunk(a); // a late second release (a write callback after an early release)
    out.text('third');
    const c = out.take();
    assert.notStrictEqual(b.buffer, c.buffer);
    assert.deepStrictEqual([chunkText(b), chunkText(c)], ['second', 'third']);
  });
});
