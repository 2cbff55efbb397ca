// The guest layout parser over the text QEMU 7.2's `info mtree -f` prints for a q35 guest with -m 6G.

import * as assert from 'assert';
import { guestMemoryLayout, parseFlatView } from '../../../src/node/qmp/mtree';
import { parseQmpAddress, QmpError } from '../../../src/node/qmp/qmpClient';

const Q35_6G = [
  'FlatView #0',
  ' AS "mch", root: bus master container',
  ' Root memory region: (none)',
  '  No rendered FlatView',
  '',
  'FlatView #1',
  ' AS "cpu-smm-0", root: memory',
  ' Root memory region: memory',
  '  0000000000000000-00000000000bffff (prio 0, ram): pc.ram',
  '  0000000000100000-000000007fffffff (prio 0, ram): pc.ram @0000000000100000',
  '  0000000300000000-00000003ffffffff (prio 0, ram): smm-only',
  '',
  'FlatView #2',
  ' AS "memory", root: system',
  ' AS "cpu-memory-0", root: system',
  ' Root memory region: system',
  '  0000000000000000-00000000000bffff (prio 0, ram): pc.ram KVM',
  '  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom',
  '  00000000000e0000-00000000000fffff (prio 0, rom): pc.bios @0000000000020000',
  '  0000000000100000-000000007fffffff (prio 0, ram): pc.ram @0000000000100000 KVM',
  '  00000000fd000000-00000000fdffffff (prio 1, ramd): vfio-bar',
  '  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic',
  '  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios',
  '  0000000100000000-00000001ffffffff (prio 0, ram): pc.ram @0000000080000000',
  '',
  'FlatView #3',
  ' AS "I/O", root: io',
  ' Root memory region: io',
  '  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan',
  '',
].join('\r\n');

describe('node/qmp/mtree: guest layout from info mtree -f', () => {
  it('takes the flat view of AS "memory" (not the SMM or I/O views) and keeps its RAM and ROM, merged', () => {
    const regions = parseFlatView(Q35_6G)!;
    assert.strictEqual(regions.length, 8);
    assert.deepStrictEqual(regions[3], {
      start: 0x100000n,
      end: 0x80000000n,
      type: 'ram',
      name: 'pc.ram @0000000000100000',
    });
    const layout = guestMemoryLayout(Q35_6G)!;
    assert.deepStrictEqual(layout.ranges, [
      { start: 0n, end: 0x80000000n },
      { start: 0xfffc0000n, end: 0x200000000n },
    ]);
    assert.strictEqual(layout.ramBytes, 0xc0000n + (0x80000000n - 0x100000n) + 0x100000000n);
  });

  it('says undefined when no flat view is the system address space', () => {
    assert.strictEqual(guestMemoryLayout("unknown command: 'info mtree -f'\r\n"), undefined);
    assert.strictEqual(guestMemoryLayout(Q35_6G.replace(/AS "memory"/, 'AS "other"')), undefined);
  });
});

describe('node/qmp/qmpClient: QMP addresses', () => {
  it('reads unix paths and tcp:HOST:PORT, and refuses what is neither', () => {
    assert.deepStrictEqual(parseQmpAddress('/run/q.sock'), { kind: 'unix', path: '/run/q.sock' });
    assert.deepStrictEqual(parseQmpAddress('unix:/run/q.sock'), { kind: 'unix', path: '/run/q.sock' });
    assert.deepStrictEqual(parseQmpAddress('tcp:localhost:4444'), { kind: 'tcp', host: 'localhost', port: 4444 });
    assert.deepStrictEqual(parseQmpAddress('tcp:[::1]:4444'), { kind: 'tcp', host: '::1', port: 4444 });
    assert.throws(
      () => parseQmpAddress('tcp:localhost'),
      (e: unknown) => e instanceof QmpError && /expected tcp:HOST:PORT/.test((e as Error).message),
    );
    assert.throws(() => parseQmpAddress('tcp:h:70000'), /port 70000 is not 1-65535/);
    assert.throws(() => parseQmpAddress(''), /empty/);
  });
});
