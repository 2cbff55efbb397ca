// How an opened file finds its partner (document/pairing.ts), on real files in a temp folder.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseKhoJson, resolvePairing, fileRole } from '../../../src/extension/document/pairing';
import { removeTempDirs, sample, tempDir } from './helpers';

const DEFAULTS = { base: '0x0', pageSize: 4096 };

suite('Pairing resolution', () => {
  suiteTeardown(removeTempDirs);

  test("file roles follow the manifest's name patterns", () => {
    assert.deepStrictEqual(
      ['a.kho.json', 'x.raw', 'vmcore', 'vmcore.1', 'm.ELF', 'k.dtb', 'fdt', 'notes.txt'].map(fileRole),
      ['pairing', 'image', 'image', 'image', 'image', 'fdt', 'fdt', 'unknown'],
    );
  });

  test('a *.kho.json is validated with a reason', () => {
    assert.match(parseKhoJson('{', '/d', DEFAULTS) as string, /not valid JSON/);
    assert.match(parseKhoJson('{"image": 3}', '/d', DEFAULTS) as string, /"image" must be a string/);
    assert.match(parseKhoJson('{"image": "a.raw", "pageSize": 8192}', '/d', DEFAULTS) as string, /pageSize/);
    assert.match(parseKhoJson('{"image": "a.raw", "base": "zz"}', '/d', DEFAULTS) as string, /base/);
    assert.deepStrictEqual(
      parseKhoJson('{"image": "a.raw", "fdt": null, "base": "0x8000_0000", "pageSize": 16384}', '/d', DEFAULTS),
      {
        image: '/d/a.raw',
        fdt: null,
        fdtAddress: null,
        base: '0x80000000',
        pageSize: 16384,
        format: 'auto',
        how: 'kho.json',
      },
    );
  });

  test('a *.kho.json may name debugfs scratch files, a setup_data address and the pre-fix depth', () => {
    assert.deepStrictEqual(
      parseKhoJson(
        '{"image": "a.raw", "scratchPhys": "dbg/scratch_phys", "scratchLen": "dbg/scratch_len", "setupData": "0x9_0000", "preFix16k": true}',
        '/d',
        DEFAULTS,
      ),
      {
        image: '/d/a.raw',
        fdt: null,
        fdtAddress: null,
        base: '0x0',
        pageSize: 4096,
        format: 'auto',
        scratchPhys: '/d/dbg/scratch_phys',
        scratchLen: '/d/dbg/scratch_len',
        setupData: '0x90000',
        preFix16k: true,
        how: 'kho.json',
      },
    );
    assert.match(parseKhoJson('{"image": "a.raw", "scratchPhys": "p"}', '/d', DEFAULTS) as string, /go together/);
    assert.match(
      parseKhoJson('{"image": "a.raw", "setupData": "here"}', '/d', DEFAULTS) as string,
      /"setupData" must be an address/,
    );
    assert.match(
      parseKhoJson('{"image": "a.raw", "preFix16k": "yes"}', '/d', DEFAULTS) as string,
      /"preFix16k" must be true or false/,
    );
  });

  test('a *.kho.json may give the NUMA layout; a malformed one is refused with the entry', () => {
    const p = parseKhoJson(
      '{"image": "a.raw", "numa": [{"node": 0, "start": "0x0", "end": "0x8000_0000"}, {"node": 1, "start": "0x80000000", "end": "0x1_0000_0000"}]}',
      '/d',
      DEFAULTS,
    );
    assert.deepStrictEqual(typeof p === 'string' ? p : p.numa, [
      { node: 0, start: '0x0', end: '0x80000000' },
      { node: 1, start: '0x80000000', end: '0x100000000' },
    ]);
    assert.match(
      parseKhoJson('{"image": "a.raw", "numa": {"node": 0}}', '/d', DEFAULTS) as string,
      /"numa" must be a list/,
    );
    assert.match(
      parseKhoJson(
        '{"image": "a.raw", "numa": [{"node": 0, "start": "0x2000", "end": "0x1000"}]}',
        '/d',
        DEFAULTS,
      ) as string,
      /entry 0/,
    );
    assert.match(
      parseKhoJson(
        '{"image": "a.raw", "numa": [{"node": -1, "start": "0x0", "end": "0x1000"}]}',
        '/d',
        DEFAULTS,
      ) as string,
      /entry 0/,
    );
  });

  test('an image takes its single sibling kho-v FDT; without one, the FDT is searched in the image', async () => {
    const s = sample();
    assert.ok(s.fdt);
    const dir = tempDir('kho-pairing-');
    const img = path.join(dir, 'dump.raw');
    fs.writeFileSync(img, Buffer.alloc(4096));
    let r = await resolvePairing(img, DEFAULTS);
    assert.ok(r.kind === 'ok' && r.pairing.how === 'scan' && r.pairing.fdt === null, JSON.stringify(r));
    fs.writeFileSync(path.join(dir, 'other.dtb'), Buffer.from('not an fdt at all, just text padding to 40+ bytes....'));
    fs.copyFileSync(s.fdt, path.join(dir, 'kho.dtb'));
    r = await resolvePairing(img, DEFAULTS);
    assert.ok(
      r.kind === 'ok' && r.pairing.how === 'sibling' && r.pairing.fdt === path.join(dir, 'kho.dtb'),
      JSON.stringify(r),
    );
    fs.copyFileSync(s.fdt, path.join(dir, 'second.fdt'));
    r = await resolvePairing(img, DEFAULTS);
    assert.strictEqual(r.kind, 'chooseFdt');
    fs.copyFileSync(s.fdt, path.join(dir, 'dump.dtb'));
    r = await resolvePairing(img, DEFAULTS);
    assert.ok(r.kind === 'ok' && r.pairing.fdt === path.join(dir, 'dump.dtb'), "the FDT sharing the image's name wins");
  });

  test('a remembered pairing and a *.kho.json naming the image win over siblings', async () => {
    const s = sample();
    const dir = tempDir('kho-pairing-');
    const img = path.join(dir, 'dump.raw');
    fs.writeFileSync(img, Buffer.alloc(4096));
    fs.copyFileSync(s.fdt!, path.join(dir, 'kho.dtb'));
    fs.writeFileSync(path.join(dir, 'dump.kho.json'), JSON.stringify({ image: 'dump.raw', fdt: null, base: '0x1000' }));
    let r = await resolvePairing(img, DEFAULTS);
    assert.ok(
      r.kind === 'ok' && r.pairing.how === 'kho.json' && r.pairing.fdt === null && r.pairing.base === '0x1000',
      JSON.stringify(r),
    );
    r = await resolvePairing(img, DEFAULTS, (i) =>
      i === img
        ? {
            image: i,
            fdt: '/elsewhere/x.dtb',
            fdtAddress: null,
            base: '0x0',
            pageSize: 4096,
            format: 'raw',
            how: 'picked',
          }
        : undefined,
    );
    assert.ok(
      r.kind === 'ok' && r.pairing.how === 'remembered' && r.pairing.fdt === '/elsewhere/x.dtb',
      JSON.stringify(r),
    );
  });

  test('an FDT takes a single sibling image, or is shown alone', async () => {
    const s = sample();
    const dir = tempDir('kho-pairing-');
    const fdt = path.join(dir, 'fdt');
    fs.copyFileSync(s.fdt!, fdt);
    let r = await resolvePairing(fdt, DEFAULTS);
    assert.ok(r.kind === 'ok' && r.pairing.how === 'fdt-only' && r.pairing.image === null, JSON.stringify(r));
    fs.writeFileSync(path.join(dir, 'mem.img'), Buffer.alloc(4096));
    r = await resolvePairing(fdt, DEFAULTS);
    assert.ok(
      r.kind === 'ok' && r.pairing.how === 'sibling' && r.pairing.image === path.join(dir, 'mem.img'),
      JSON.stringify(r),
    );
    // An image picked for this FDT earlier (remembered per workspace) wins.
    r = await resolvePairing(fdt, DEFAULTS, undefined, (f) =>
      f === fdt
        ? {
            image: '/elsewhere/vmcore',
            fdt: f,
            fdtAddress: null,
            base: '0x0',
            pageSize: 4096,
            format: 'elf',
            how: 'remembered',
          }
        : undefined,
    );
    assert.ok(
      r.kind === 'ok' && r.pairing.how === 'remembered' && r.pairing.image === '/elsewhere/vmcore',
      JSON.stringify(r),
    );
  });

  test('a broken *.kho.json is an error naming the file', async () => {
    const dir = tempDir('kho-pairing-');
    const f = path.join(dir, 'bad.kho.json');
    fs.writeFileSync(f, '{"fdt": 1}');
    const r = await resolvePairing(f, DEFAULTS);
    assert.ok(r.kind === 'error' && r.message.startsWith('bad.kho.json: '), JSON.stringify(r));
  });
});
