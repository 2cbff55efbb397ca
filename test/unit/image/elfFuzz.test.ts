// Seeded mutations of valid ELF cores: openImage must never throw, and reads must either return
// bytes or throw PhysReadError. Reproduce a failure with KHO_SEED=<seed> npx mocha ...

import * as assert from 'assert';
import { openImage } from '../../../src/engine/image/open';
import { PhysMemory, PhysReadError } from '../../../src/engine/image/physMemory';
import { Prng, seedFromEnv } from '../../support/prng';
import { ElfPatcher, elfBytes, src } from './elfTestImages';

const BUDGET = 2000;

const INTERESTING: bigint[] = [
  0n,
  1n,
  0x7fn,
  0x80n,
  0xffn,
  0xfffn,
  0x1000n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn,
  0x20000000000000n,
  0x7fffffffffffffffn,
  0xfffffffffffff000n,
  0xffffffffffffffffn,
];

function mutate(rng: Prng, bytes: Uint8Array): Uint8Array {
  const phnum = 5;
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const p = new ElfPatcher(bytes);
    const pick = (): bigint =>
      (rng.bool(0.6) ? rng.pick(INTERESTING) : rng.big(1n << 64n)) & (p.is64 ? 0xffffffffffffffffn : 0xffffffffn);
    try {
      switch (rng.int(8)) {
        case 0: {
          // bit flips in the headers
          const n = 1 + rng.int(8);
          for (let i = 0; i < n; i++) bytes[rng.int(Math.min(bytes.length, 0x400))] ^= 1 << rng.int(8);
          break;
        }
        case 1: // truncation anywhere
          bytes = bytes.slice(0, rng.int(bytes.length + 1));
          break;
        case 2:
          p.setPhdr(rng.int(phnum), rng.pick(['offset', 'filesz', 'memsz'] as const), pick());
          break;
        case 3:
          p.setPhdr(rng.int(phnum), rng.pick(['paddr', 'vaddr'] as const), pick());
          break;
        case 4:
          p.setPhnum(rng.pick([0, 1, 3, 0xfff, 0xfffe, 0xffff, rng.int(0x10000)]));
          break;
        case 5:
          p.setPhentsize(rng.pick([0, 1, 31, 32, 55, 56, 57, 0x1000, 0xffff, rng.int(0x10000)]));
          break;
        case 6:
          p.setPhoff(pick());
          break;
        default: // random bytes anywhere in the first pages (notes too), and a random segment type
          bytes[rng.int(Math.min(bytes.length, 0x1000))] = rng.int(256);
          p.setPhdr(rng.int(phnum), 'type', BigInt(rng.pick([0, 1, 4, 6, rng.int(0x100)])));
      }
    } catch (e) {
      // The patcher itself may aim outside a truncated or re-pointed buffer; that mutation is just skipped.
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return bytes;
}

/** Reads a handful of addresses; returns nothing, throws on any error that is not PhysReadError. */
function probe(rng: Prng, mem: PhysMemory): void {
  const addrs: bigint[] = [0n, 0x1000n, 0x100000n, 0xffffffffffffffffn, rng.big(1n << 64n)];
  for (const r of mem.ranges.slice(0, 8)) {
    assert.ok(r.start < r.end, 'empty range');
    addrs.push(r.start, r.end - 1n, r.end, r.start + (r.end - r.start) / 2n);
  }
  for (let i = 1; i < mem.ranges.length; i++)
    assert.ok(mem.ranges[i - 1].end < mem.ranges[i].start, 'ranges not sorted and merged');
  for (const a of addrs) {
    const len = rng.pick([1, 8, 0x1000, 0x2001]);
    const inside = mem.contains(a, len);
    mem.fileOffset(a);
    try {
      const got = mem.read(a, len);
      assert.strictEqual(got.length, len);
      assert.ok(inside, `read at 0x${a.toString(16)} succeeded but contains() said no`);
    } catch (e) {
      if (!(e instanceof PhysReadError)) throw e;
      assert.ok(!inside, `contains(0x${a.toString(16)}, ${len}) was true but read threw: ${e.message}`);
    }
  }
}

describe('image/elf fuzz: mutated headers never throw from openImage', () => {
  it(`${BUDGET} seeded mutations of ELF64/ELF32 little/big-endian cores`, () => {
    const seed = seedFromEnv();
    const rng = new Prng(seed);
    const templates = [
      elfBytes({ notes: [{ name: 'CORE', type: 1, desc: new Uint8Array(20) }] }),
      elfBytes({ elfClass: 32, notes: [{ name: 'QEMU', type: 0, desc: new Uint8Array(9) }] }),
      elfBytes({ bigEndian: true, notes: [{ name: 'VMCOREINFO', type: 0, desc: new Uint8Array(3) }] }),
      elfBytes({ elfClass: 32, bigEndian: true }),
    ];
    let opened = 0;
    for (let iter = 0; iter < BUDGET; iter++) {
      const bytes = mutate(rng, rng.pick(templates).slice());
      try {
        const r = openImage(src(bytes), { format: rng.bool(0.8) ? 'auto' : 'elf' });
        assert.ok(Array.isArray(r.diagnostics));
        for (const d of r.diagnostics)
          assert.ok(d.message.length > 0 && ['error', 'warning', 'info'].includes(d.severity));
        if (r.memory) {
          opened++;
          probe(rng, r.memory);
        } else {
          assert.ok(r.error, 'no memory and no error');
        }
      } catch (e) {
        throw new Error(
          `fuzz failure with KHO_SEED=${seed} at iteration ${iter}: ${e instanceof Error ? e.stack : String(e)}`,
        );
      }
    }
    // Most mutations keep the magic, so most files must still open (the fuzzer is not just testing the magic check).
    assert.ok(opened > BUDGET / 2, `only ${opened} of ${BUDGET} mutated files opened (seed ${seed})`);
  });
});
