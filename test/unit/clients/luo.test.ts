import { strict as assert } from 'assert';
import { buildLuoFdt, buildLuoPacked, type BuiltLuo, type LuoSpec } from '../../../src/engine/clients/build/luo';
import { concat, encodeLuoFileSer, encodeLuoSessionSer, u64le } from '../../../src/engine/clients/build/encode';
import { placeBytes } from '../../../src/engine/clients/build/memory';
import { buildBlockChain } from '../../../src/engine/clients/build/blocks';
import { str, writeFdt } from '../../../src/engine/fdt/writer';
import type { ClientDecode } from '../../../src/engine/clients/types';
import { assertPagesPreserved, byName, codes, fieldOf, itemsOfKind, show, u64, world } from './helpers';

const SPEC: LuoSpec = {
  liveupdateNumber: 7n,
  sessions: [
    {
      name: 'vm-a',
      files: [
        {
          compatible: 'memfd-v2',
          token: 0x10n,
          memfd: { seals: 0x1c, pos: 100n, folios: [{ index: 0n }, { index: 2n, flags: 3 }, { index: 5n }] },
        },
        { compatible: 'vfio-pci-v1', token: 0x11n, data: 0xdead000n },
      ],
    },
    { name: 'empty', files: [] },
  ],
  flbs: [{ name: 'iommu-domains', data: 0x4000n, count: 2n }],
};

function luoWorld(form: 'fdt' | 'packed', spec: LuoSpec = SPEC, perBlock?: number) {
  return world((s) => {
    const luo = form === 'fdt' ? buildLuoFdt(s.ctx, spec) : buildLuoPacked(s.ctx, spec, { perBlock });
    return { clients: [luo], luo };
  });
}

/** Checks sessions, files and FLBs of a decode against what was built. */
function assertMatches(c: ClientDecode, luo: BuiltLuo, spec: LuoSpec): void {
  const sessions = itemsOfKind(c, 'session');
  assert.deepEqual(
    sessions.map((s) => fieldOf(s, 'name')),
    spec.sessions.map((s) => s.name),
  );
  sessions.forEach((s, i) => {
    assert.equal(fieldOf(s, 'count'), String(spec.sessions[i].files.length));
    assert.equal(fieldOf(s, 'files'), '0x' + luo.sessions[i].files.toString(16));
    const files = itemsOfKind(s, 'file');
    assert.deepEqual(
      files.map((f) => fieldOf(f, 'compatible')),
      spec.sessions[i].files.map((f) => f.compatible),
    );
    assert.deepEqual(
      files.map((f) => fieldOf(f, 'token')),
      spec.sessions[i].files.map((f) => '0x' + f.token.toString(16)),
    );
    assert.deepEqual(
      files.map((f) => fieldOf(f, 'data')),
      luo.sessions[i].fileList.map((f) => '0x' + f.data.toString(16)),
    );
  });
  const flbs = itemsOfKind(c, 'flb');
  assert.deepEqual(
    flbs.map((f) => [fieldOf(f, 'name'), fieldOf(f, 'data'), fieldOf(f, 'count')]),
    (spec.flbs ?? []).map((f) => [f.name, '0x' + f.data.toString(16), String(f.count)]),
  );
}

describe('clients: LUO', () => {
  it('FDT form round trip: sessions, files (memfd and another handler), FLBs, preserved pages', () => {
    const w = luoWorld('fdt');
    const c = byName(w.decode(), 'LUO');
    assert.equal(c.kind, 'luo-fdt', show(c.diagnostics));
    assert.equal(c.compatible, 'luo-v1');
    assert.equal(fieldOf(c, 'liveupdate-number'), '7');
    assert.equal(c.summary, 'LUO luo-v1: 2 sessions, 2 files, 1 FLB');
    assertMatches(c, w.built.luo, SPEC);
    assert.deepEqual(codes(c), ['luo-unknown-file-handler'], show(c.diagnostics));
    assert.ok(c.dts?.includes('luo-session-header = /bits/ 64 <0x' + w.built.luo.sessionHeader!.toString(16) + '>'));
    const what = new Set(c.pages.map((p) => p.what));
    for (const x of [
      'client blob',
      'LUO session header',
      'LUO file array',
      'LUO FLB header',
      'memfd_luo_ser',
      'memfd folio',
      'vmalloc chunk',
      'vmalloc piece',
    ]) {
      assert.ok(what.has(x), `pages lack ${x}: ${[...what].join(', ')}`);
    }
    assertPagesPreserved(w, [c]);
  });

  it('packed form round trip with sessions and files spread over block chains', () => {
    const spec: LuoSpec = {
      liveupdateNumber: 1n << 33n,
      sessions: Array.from({ length: 5 }, (_, i) => ({
        name: `s${i}`,
        files: Array.from({ length: i === 0 ? 5 : 1 }, (_, k) => ({
          compatible: 'memfd-v1',
          token: BigInt(i * 10 + k),
          memfd: { folios: [{ index: BigInt(k) }] },
        })),
      })),
      flbs: [
        { name: 'a', data: 1n, count: 1n },
        { name: 'b', data: 2n, count: 3n },
      ],
    };
    const w = luoWorld('packed', spec, 2);
    const c = byName(w.decode(), 'LUO');
    assert.equal(c.kind, 'luo-packed', show(c.diagnostics));
    assert.equal(c.compatible, 'luo-v3');
    assert.equal(c.size, 32n);
    assert.deepEqual(c.diagnostics, []);
    assert.equal(fieldOf(c, 'liveupdate_num'), String(1n << 33n));
    assert.equal(fieldOf(c, 'sessions_pa'), '0x' + w.built.luo.sessionChain!.first.toString(16));
    assert.equal(w.built.luo.sessionChain!.blocks.length, 3);
    assert.equal(w.built.luo.sessions[0].chain!.blocks.length, 3);
    assertMatches(c, w.built.luo, spec);
    assert.equal(itemsOfKind(c, 'memfd').length, 9);
    assert.equal(itemsOfKind(c, 'block').length, 3 + 3 + 4);
    assert.ok(c.summary.includes('5 sessions, 9 files, 2 FLBs'), c.summary);
    assertPagesPreserved(w, [c]);
  });

  it('a packed compatible of any length is padded to 8 ("luo-v4-kho-block-v1")', () => {
    const w = world((s) => ({
      clients: [
        buildLuoPacked(
          s.ctx,
          { liveupdateNumber: 3n, sessions: [{ name: 'x', files: [] }] },
          { compatible: 'luo-v4-kho-block-v1' },
        ),
      ],
    }));
    const c = byName(w.decode(), 'LUO');
    assert.equal(c.compatible, 'luo-v4-kho-block-v1');
    assert.equal(c.size, 24n + 24n);
    assert.equal(fieldOf(c, 'liveupdate_num'), '3');
    assert.deepEqual(
      itemsOfKind(c, 'session').map((s) => fieldOf(s, 'name')),
      ['x'],
    );
    assert.deepEqual(c.diagnostics, []);
  });

  it('the intermediate FDT form: "luo-v2" with luo-abi-header -> struct luo_ser -> session array', () => {
    const w = world((s) => {
      const files = placeBytes(s.ctx, encodeLuoFileSer({ compatible: 'other-v1', data: 5n, token: 9n }));
      const header = placeBytes(s.ctx, concat(u64le(1n), encodeLuoSessionSer({ name: 'mid', files, count: 1n })));
      const ser = placeBytes(s.ctx, u64le(4n, header, 0n));
      const bytes = writeFdt({
        name: '',
        children: [],
        properties: [
          { name: 'compatible', value: str('luo-v2') },
          { name: 'liveupdate-number', value: u64le(4n) },
          { name: 'luo-abi-header', value: u64le(ser) },
        ],
      });
      return { clients: [{ name: 'LUO', bytes, size: 4096 }], ser };
    });
    const c = byName(w.decode(), 'LUO');
    assert.equal(c.kind, 'luo-fdt');
    assert.equal(fieldOf(c, 'luo-abi-header'), '0x' + w.built.ser.toString(16));
    const ser = itemsOfKind(c, 'luo_ser')[0];
    assert.equal(fieldOf(ser, 'liveupdate_num'), '4');
    assert.deepEqual(
      itemsOfKind(c, 'session').map((s) => fieldOf(s, 'name')),
      ['mid'],
    );
    assert.deepEqual(
      itemsOfKind(c, 'file').map((f) => fieldOf(f, 'token')),
      ['0x9'],
    );
    assert.deepEqual(codes(c), ['luo-unknown-file-handler']);
    assertPagesPreserved(w, [c]);
  });

  it('the later intermediate FDT form: "luo-v3" with luo-abi-header -> struct luo_ser -> session blocks', () => {
    const w = world((s) => {
      const files = buildBlockChain(s.ctx, 64, [encodeLuoFileSer({ compatible: 'other-v1', data: 5n, token: 7n })]);
      const sessions = buildBlockChain(s.ctx, 80, [
        encodeLuoSessionSer({ name: 'late', files: files.first, count: 1n }),
      ]);
      const ser = placeBytes(s.ctx, u64le(6n, sessions.first, 0n));
      const bytes = writeFdt({
        name: '',
        children: [],
        properties: [
          { name: 'compatible', value: str('luo-v3') },
          { name: 'liveupdate-number', value: u64le(6n) },
          { name: 'luo-abi-header', value: u64le(ser) },
        ],
      });
      return { clients: [{ name: 'LUO', bytes, size: 4096 }] };
    });
    const c = byName(w.decode(), 'LUO');
    assert.equal(c.kind, 'luo-fdt');
    assert.deepEqual(
      itemsOfKind(c, 'session').map((x) => fieldOf(x, 'name')),
      ['late'],
    );
    assert.deepEqual(
      itemsOfKind(c, 'file').map((f) => fieldOf(f, 'token')),
      ['0x7'],
    );
    assert.equal(itemsOfKind(c, 'block').length, 2);
    assert.deepEqual(codes(c), ['luo-unknown-file-handler']);
    assertPagesPreserved(w, [c]);
  });

  describe('corruption', () => {
    it('a session count far beyond the header block', () => {
      const w = luoWorld('fdt');
      w.dump.mem.write(w.built.luo.sessionHeader!, u64(1n << 40n));
      const c = byName(w.decode({ limits: { maxEntries: 1000 } }), 'LUO');
      const d = c.diagnostics.find((x) => x.code === 'luo-count-too-big');
      assert.ok(d, show(c.diagnostics));
      assert.equal(d.severity, 'error');
      assert.equal(d.address, w.built.luo.sessionHeader);
      assert.ok(c.pages.some((p) => p.what === 'LUO session header' && p.size > 0x10000n));
    });

    it('a session header pointer outside the dump', () => {
      const w = luoWorld('fdt');
      const blob = w.dump.clients[0].phys;
      const fdt = w.dump.mem.read(blob, 4096);
      const old = u64(w.built.luo.sessionHeader!);
      const at = fdt.findIndex((_, i) => old.every((b, k) => fdt[i + k] === b));
      assert.ok(at > 0);
      w.dump.mem.write(blob + BigInt(at), u64(0x40_0000_0000n));
      const c = byName(w.decode(), 'LUO');
      const d = c.diagnostics.find((x) => x.code === 'client-pointer-outside-dump');
      assert.ok(d, show(c.diagnostics));
      assert.equal(d.address, 0x40_0000_0000n);
      assert.match(d.message, /LUO session header \[0x4000000000, 0x4000000008\) is not in the dump/);
    });

    it('a file compatible without its NUL, an empty one', () => {
      const w = luoWorld('fdt');
      const files = w.built.luo.sessions[0].files;
      w.dump.mem.write(files, new Uint8Array(48).fill(0x41));
      w.dump.mem.write(files + 64n, new Uint8Array(48));
      const c = byName(w.decode(), 'LUO');
      const ds = c.diagnostics.filter((x) => x.code === 'luo-bad-file-compatible');
      assert.deepEqual(
        ds.map((d) => d.address),
        [files, files + 64n],
        show(c.diagnostics),
      );
      assert.equal(itemsOfKind(c, 'memfd').length, 0);
    });

    it('FLB count that does not fit the FLB pages', () => {
      const w = luoWorld('fdt');
      w.dump.mem.write(w.built.luo.flbHeader! + 8n, u64(100n));
      const c = byName(w.decode(), 'LUO');
      const d = c.diagnostics.find((x) => x.code === 'luo-flb-count-too-big');
      assert.ok(d, show(c.diagnostics));
      assert.equal(d.address, w.built.luo.flbHeader! + 8n);
      assert.equal(itemsOfKind(c, 'flb').length, Math.floor((4096 - 16) / 64));
    });

    it('missing luo-session node, unknown FDT version, patch-series session-v1', () => {
      const fdt = (compat: string, session?: string): Uint8Array =>
        writeFdt({
          name: '',
          properties: [
            { name: 'compatible', value: str(compat) },
            { name: 'liveupdate-number', value: u64le(1n) },
          ],
          children: session
            ? [
                {
                  name: 'luo-session',
                  children: [],
                  properties: [
                    { name: 'compatible', value: str(session) },
                    { name: 'luo-session-header', value: u64le(0x5000n) },
                  ],
                },
              ]
            : [],
        });
      const w = world(() => ({
        clients: [
          { name: 'LUO', bytes: fdt('luo-v1'), size: 4096 },
          { name: 'LUO9', bytes: fdt('luo-v9', 'luo-session-v2'), size: 4096 },
          { name: 'LUOs1', bytes: fdt('luo-v1', 'luo-session-v1'), size: 4096 },
        ],
      }));
      const cs = w.decode();
      assert.ok(codes(byName(cs, 'LUO')).includes('luo-missing-node'));
      assert.ok(codes(byName(cs, 'LUO9')).includes('luo-unknown-version'));
      assert.deepEqual(codes(byName(cs, 'LUOs1')), ['luo-session-v1']);
      assert.equal(byName(cs, 'LUO9').kind, 'luo-fdt');
    });

    it('packed: unterminated or unknown compatible, blob-size smaller than the struct', () => {
      const junk = concat(new TextEncoder().encode('luo-v3'), new Uint8Array(80).fill(0x78));
      const w = world((s) => {
        const ok = buildLuoPacked(s.ctx, { liveupdateNumber: 1n, sessions: [] });
        const v9 = buildLuoPacked(s.ctx, { liveupdateNumber: 1n, sessions: [] }, { compatible: 'luo-v9' });
        return {
          clients: [
            { name: 'LUO', bytes: junk, size: junk.length },
            { ...v9, name: 'LUO9' },
            { ...ok, name: 'LUOsmall', size: 16 },
          ],
        };
      });
      const cs = w.decode();
      assert.deepEqual(codes(byName(cs, 'LUO')), ['luo-bad-compatible']);
      assert.equal(byName(cs, 'LUO').kind, 'luo-packed');
      assert.deepEqual(codes(byName(cs, 'LUO9')), ['luo-unknown-version']);
      assert.deepEqual(codes(byName(cs, 'LUOsmall')), ['client-blob-too-small']);
    });

    it('packed: a session whose count disagrees with its file chain, a session chain cycle', () => {
      const spec: LuoSpec = {
        liveupdateNumber: 1n,
        sessions: Array.from({ length: 4 }, (_, i) => ({
          name: `s${i}`,
          files: [{ compatible: 'x-v1', token: BigInt(i) }],
        })),
      };
      const w = luoWorld('packed', spec, 2);
      const chain = w.built.luo.sessionChain!;
      // Session 1's count field (block 0, entry 1): name[64] + files.
      w.dump.mem.write(chain.blocks[0] + 16n + 80n + 72n, u64(3n));
      w.dump.mem.write(chain.blocks[1], u64(chain.blocks[0]));
      const c = byName(w.decode(), 'LUO');
      const mismatch = c.diagnostics.find((x) => x.code === 'luo-count-mismatch');
      assert.ok(mismatch, show(c.diagnostics));
      assert.equal(mismatch.address, chain.blocks[0] + 16n + 80n + 72n);
      assert.ok(c.diagnostics.some((x) => x.code === 'kho-block-cycle' && x.address === chain.blocks[0]));
    });
  });
});
