import { strict as assert } from 'assert';
import { buildKexecMetadata } from '../../../src/engine/clients/build/kexecMetadata';
import { concat, encodeKexecMetadata, u32le } from '../../../src/engine/clients/build/encode';
import { byName, codes, fieldOf, show, world } from './helpers';

describe('clients: kexec-metadata', () => {
  it('round trip: version, previous release and kexec count', () => {
    const w = world(() => ({ clients: [buildKexecMetadata({ previousRelease: '7.1.0-rc3-kho+', kexecCount: 12 })] }));
    const c = byName(w.decode(), 'kexec-metadata');
    assert.equal(c.kind, 'kexec-metadata');
    assert.equal(c.size, 73n);
    assert.deepEqual(c.diagnostics, []);
    assert.equal(fieldOf(c, 'version'), '1');
    assert.equal(fieldOf(c, 'previous_release'), '7.1.0-rc3-kho+');
    assert.equal(fieldOf(c, 'kexec_count'), '12');
    assert.equal(c.summary, 'previous kernel 7.1.0-rc3-kho+, kexec #12');
    assert.deepEqual(c.pages, [{ phys: c.address, size: 73n, what: 'client blob' }]);
  });

  it('a 64-character release fills the field exactly', () => {
    const rel = 'x'.repeat(64);
    const w = world(() => ({ clients: [buildKexecMetadata({ previousRelease: rel, kexecCount: 1 })] }));
    assert.equal(fieldOf(byName(w.decode(), 'kexec-metadata'), 'previous_release'), rel);
  });

  it('recognised by subnode name only: the same bytes under another name are shown raw', () => {
    const bytes = encodeKexecMetadata({ version: 1, previousRelease: '6.19', kexecCount: 2 });
    const w = world(() => ({ clients: [{ name: 'other', bytes, size: 73 }] }));
    const c = byName(w.decode(), 'other');
    assert.equal(c.kind, 'raw');
    assert.deepEqual(codes(c), ['client-unknown-format']);
  });

  for (const [label, bytes, size, code] of [
    [
      'blob-size 3',
      encodeKexecMetadata({ version: 1, previousRelease: 'a', kexecCount: 1 }),
      3,
      'kexec-metadata-truncated',
    ],
    [
      'version 2',
      encodeKexecMetadata({ version: 2, previousRelease: 'a', kexecCount: 1 }),
      73,
      'kexec-metadata-bad-version',
    ],
    [
      'blob-size 40',
      encodeKexecMetadata({ version: 1, previousRelease: 'a', kexecCount: 1 }),
      40,
      'kexec-metadata-truncated',
    ],
    [
      'no NUL in the release',
      concat(u32le(1), new Uint8Array(65).fill(0x61), u32le(3)),
      73,
      'kexec-metadata-bad-release',
    ],
    [
      'a larger blob',
      encodeKexecMetadata({ version: 1, previousRelease: 'a', kexecCount: 1 }),
      100,
      'kexec-metadata-extra',
    ],
  ] as const) {
    it(`diagnoses ${label}`, () => {
      const w = world(() => ({ clients: [{ name: 'kexec-metadata', bytes, size }] }));
      const c = byName(w.decode(), 'kexec-metadata');
      assert.deepEqual(codes(c), [code], show(c.diagnostics));
      assert.equal(c.diagnostics[0].address! >= c.address, true);
    });
  }

  it('without blob-size (a kho-v2 FDT) the struct is read from the page', () => {
    const w = world(() => ({ clients: [buildKexecMetadata({ previousRelease: '6.18', kexecCount: 4 })] }), {
      version: 2,
    });
    const c = byName(w.decode(), 'kexec-metadata');
    assert.equal(c.kind, 'kexec-metadata');
    assert.equal(fieldOf(c, 'kexec_count'), '4');
    assert.deepEqual(c.diagnostics, []);
  });
});
