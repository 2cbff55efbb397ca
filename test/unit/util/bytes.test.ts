// util/bytes: the one set of field readers and hex renderings the engine and the worker share.
import assert from 'node:assert/strict';
import {
  asciiBytes,
  hexBytes,
  readU16LE,
  readU32BE,
  readU32LE,
  readU64BE,
  readU64LE,
  sameBytes,
} from '../../../src/engine/util/bytes';

describe('util/bytes', function () {
  // One odd byte first: every read below is at an unaligned offset.
  const b = new Uint8Array([0xee, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8]);

  it('reads little- and big-endian fields at any offset, u32 values with the top bit set as unsigned', function () {
    assert.equal(readU16LE(b, 1), 0x0201);
    assert.equal(readU32LE(b, 1), 0x04030201);
    assert.equal(readU32BE(b, 1), 0x01020304);
    assert.equal(readU32LE(b, 5), 0xf8070605);
    assert.equal(readU32BE(b, 5), 0x050607f8);
    assert.equal(readU64LE(b, 1), 0xf807060504030201n);
    assert.equal(readU64BE(b, 1), 0x01020304050607f8n);
  });

  it('agrees with DataView for values above 2^53', function () {
    const v = new Uint8Array(16);
    const dv = new DataView(v.buffer);
    dv.setBigUint64(3, 0xfedcba9876543210n, true);
    assert.equal(readU64LE(v, 3), dv.getBigUint64(3, true));
    dv.setBigUint64(5, 0x8000000000000001n, false);
    assert.equal(readU64BE(v, 5), dv.getBigUint64(5, false));
  });

  it('renders bytes as hex pairs (space-separated or joined) and as printable ASCII', function () {
    const t = new Uint8Array([0x00, 0x0a, 0x41, 0x7f, 0xff]);
    assert.equal(hexBytes(t), '00 0a 41 7f ff');
    assert.equal(hexBytes(t, ''), '000a417fff');
    assert.equal(hexBytes(new Uint8Array()), '');
    assert.equal(asciiBytes(t), '..A..');
  });

  it('sameBytes finds any one differing byte, in aligned and unaligned views of any length', function () {
    const buf = new Uint8Array(4096 + 16).map((_, i) => (i * 131) & 0xff);
    for (const [offA, offB] of [
      [0, 8],
      [1, 9],
      [0, 3],
    ]) {
      for (const len of [0, 1, 5, 4096]) {
        const a = buf.slice(offA, offA + len + 8).subarray(offA % 4, (offA % 4) + len);
        const copy = new Uint8Array(len + 8);
        copy.set(a, offB % 4);
        const b2 = copy.subarray(offB % 4, (offB % 4) + len);
        assert.equal(sameBytes(a, b2), true, `equal, len ${len}`);
        for (const at of len ? [0, len >> 1, len - 1] : []) {
          b2[at] ^= 0x80;
          assert.equal(sameBytes(a, b2), false, `differs at ${at} of ${len} (offsets ${offA % 4}/${offB % 4})`);
          b2[at] ^= 0x80;
        }
      }
    }
    assert.equal(sameBytes(new Uint8Array(4), new Uint8Array(5)), false);
  });
});
