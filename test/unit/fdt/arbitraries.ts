// fast-check generators of FDT trees for the writer/reader round trip and the dtc interop tests.

import * as fc from 'fast-check';
import type { FdtReserveEntry } from '../../../src/engine/fdt/reader';
import { strList, u32be, u64be, u64le, type FdtNodeSpec, type FdtPropertySpec } from '../../../src/engine/fdt/writer';

export interface NameRules {
  node: fc.Arbitrary<string>;
  prop: fc.Arbitrary<string>;
}

/** Names dtc accepts without errors (and that trigger none of its special-property checks). */
export const dtcNames: NameRules = {
  node: fc.stringMatching(/^[a-z][a-z0-9,._+-]{0,14}(@[0-9a-f]{1,8})?$/),
  prop: fc
    .stringMatching(/^[a-z][a-z0-9,._+?#-]{0,14}$/)
    .filter((n) => !['name', 'phandle', 'linux,phandle'].includes(n)),
};

/** Any non-NUL text, including non-ASCII, for our own reader. */
export const anyNames: NameRules = {
  node: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0')),
  prop: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0')),
};

const printable = fc.stringMatching(/^[ -~]{1,12}$/);

export const propValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constant(new Uint8Array()),
  fc.array(printable, { minLength: 1, maxLength: 4 }).map(strList),
  fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 6 }).map((c) => u32be(...c)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => u64be(v)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => u64le(v)),
);

function props(names: NameRules): fc.Arbitrary<FdtPropertySpec[]> {
  return fc.uniqueArray(fc.record({ name: names.prop, value: propValue }), { maxLength: 6, selector: (p) => p.name });
}

export function node(names: NameRules, depth: number): fc.Arbitrary<FdtNodeSpec> {
  const children =
    depth === 0
      ? fc.constant([] as FdtNodeSpec[])
      : fc.uniqueArray(node(names, depth - 1), { maxLength: 3, selector: (n) => n.name });
  return fc.record({ name: names.node, properties: props(names), children });
}

export function rootTree(names: NameRules, depth = 3): fc.Arbitrary<FdtNodeSpec> {
  return fc.record({
    name: fc.constant(''),
    properties: props(names),
    children: fc.uniqueArray(node(names, depth - 1), { maxLength: 4, selector: (n) => n.name }),
  });
}

export const reserveMap: fc.Arbitrary<FdtReserveEntry[]> = fc.array(
  fc.record({
    address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    size: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  }),
  { maxLength: 3 },
);
