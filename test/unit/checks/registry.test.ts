// The CHECKS registry against the code and the README: every §6 invariant has codes, every code a
// checker module emits is registered, every registered code exists in its module, and the README
// tables are the rendered registry.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS, checkInfo, INVARIANTS, renderChecksTable } from '../../../src/engine/checks/registry';
import { REPO } from '../../support/cli';

const ENGINE = path.join(REPO, 'src', 'engine');
const source = (rel: string): string => fs.readFileSync(path.join(ENGINE, rel), 'utf8');

/** Codes passed as the second argument of diag()/add()/report() calls in a source file. */
function emittedCodes(text: string): string[] {
  const out = new Set<string>();
  // The severity argument may be an expression (a ternary) but holds no comma.
  for (const m of text.matchAll(/\b(?:diag|add|report)\(\s*[^,]+,\s*'([a-z][a-z0-9]*(?:-[a-z0-9]+)+)'/g)) out.add(m[1]);
  return [...out];
}

describe('checks: CHECKS registry', () => {
  it('codes are unique and every invariant 1-21 has at least one', () => {
    assert.equal(new Set(CHECKS.map((c) => c.code)).size, CHECKS.length);
    assert.deepEqual(
      INVARIANTS.map((i) => i.n),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    for (const inv of INVARIANTS)
      assert.ok(
        CHECKS.some((c) => c.invariants.includes(inv.n)),
        `invariant ${inv.n} has no code`,
      );
    assert.equal(checkInfo('preserved-in-scratch')?.invariants[0], 13);
    assert.equal(checkInfo('no-such-code'), undefined);
  });

  it('every code the checker modules and the scratch/setup_data decoders emit is registered', () => {
    const files = [
      ...fs
        .readdirSync(path.join(ENGINE, 'checks'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `checks/${f}`),
      'kho/scratch.ts',
      'kho/setupData.ts',
    ];
    const found = files.flatMap((f) => emittedCodes(source(f)).map((code) => ({ f, code })));
    assert.ok(found.length > 30, `the scan finds the codes (${found.length})`);
    for (const { f, code } of found) assert.ok(checkInfo(code), `${f} emits "${code}", which CHECKS does not list`);
  });

  it('every registered code appears in the module the registry names', () => {
    for (const c of CHECKS) {
      assert.ok(source(c.module).includes(`'${c.code}'`), `${c.code} is not in ${c.module}`);
    }
  });

  it('the README tables are the rendered registry', () => {
    const readme = source('checks/README.md');
    const m = /<!-- checks-table -->\n([\s\S]*)\n<!-- \/checks-table -->/.exec(readme);
    assert.ok(m, 'README has the checks-table markers');
    assert.equal(m[1], renderChecksTable(), 'README.md is stale: regenerate it from renderChecksTable()');
  });
});

describe('checks: Findings', () => {
  it('keeps 20 findings per code and counts the rest in one check-suppressed line', async () => {
    const { Findings } = await import('../../../src/engine/checks/findings');
    const f = new Findings();
    for (let i = 0; i < 25; i++) f.add('warning', 'blocks-overlap', BigInt(i), `n${i}`);
    f.add('info', 'numa-not-checkable', null, 'x');
    f.pass([{ severity: 'warning', code: 'vmalloc-too-long', address: 1n, message: 'm' }]);
    const ds = f.list();
    assert.equal(ds.filter((d) => d.code === 'blocks-overlap').length, 20);
    const s = ds.find((d) => d.code === 'check-suppressed');
    assert.ok(s && s.message.startsWith('5 further "blocks-overlap"'), JSON.stringify(s));
    assert.equal(ds[ds.length - 1].code, 'check-suppressed');
    assert.ok(ds.some((d) => d.code === 'vmalloc-too-long') && ds.some((d) => d.code === 'numa-not-checkable'));
  });
});
