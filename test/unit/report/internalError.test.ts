// An engine bug caught at decodeDump's boundary: one "internal-error" diagnostic whose message says
// what stopped, with the stack kept for the log (never in the JSON contract).
import { strict as assert } from 'assert';
import type { PhysMemory } from '../../../src/engine/image/physMemory';
import { diagnosticJson } from '../../../src/engine/report/contract';
import { decodeDump } from '../../../src/engine/decode';
import { world } from '../checks/helpers';

/** The dump's memory, except that asking whether the tracker's root page is in it hits a bug (a TypeError). */
function buggyAtRoot(mem: PhysMemory, root: bigint, pageSize: number): PhysMemory {
  const onRoot = (p: bigint): boolean => p >= root && p < root + BigInt(pageSize);
  const bug = (): never => {
    throw new TypeError('engine bug at the root');
  };
  return new Proxy(mem, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'contains' || prop === 'containsNumber') {
        return (p: bigint, ...rest: unknown[]) =>
          onRoot(p) ? bug() : (v as (...a: unknown[]) => unknown).call(target, p, ...rest);
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('internal errors keep their stack', () => {
  it('decodeDump reports the bug as one internal-error with the stack; the JSON form has no stack', async () => {
    const w = world();
    const r = await decodeDump(buggyAtRoot(w.dump.mem, w.dump.root, w.pageSize), {
      pageSize: w.pageSize,
      fdtAddress: w.dump.fdtAddress,
    });
    const internal = r.diagnostics.filter((d) => d.code === 'internal-error');
    assert.equal(internal.length, 1, JSON.stringify(r.diagnostics.map((d) => [d.code, d.message])));
    assert.equal(internal[0].message, 'decoding stopped: engine bug at the root');
    assert.match(internal[0].stack ?? '', /^TypeError: engine bug at the root\n\s+at /);
    assert.equal(Object.hasOwn(diagnosticJson(internal[0]), 'stack'), false);
    assert.ok(r.diagnostics.filter((d) => d.code !== 'internal-error').every((d) => d.stack === undefined));
  });
});
