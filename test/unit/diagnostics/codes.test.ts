// The registry of diagnostic codes: every entry is well formed and emitted somewhere, an undeclared code
// does not compile, and the README's code table is the rendered registry.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderChecksReadme } from '../../../src/engine/checks/registry';
import {
  codeInfo,
  DIAGNOSTIC_CODES,
  isDiagnosticCode,
  renderCodesTable,
  type DiagnosticCode,
} from '../../../src/engine/diagnosticCodes';
import { diag } from '../../../src/engine/diagnostics';
import { REPO } from '../../support/cli';

const CODES = Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[];

/** The TypeScript sources under src/, without the registries that declare or list codes. */
function emitterSources(): string[] {
  const out: string[] = [];
  const skip = new Set(['src/engine/diagnosticCodes.ts', 'src/engine/checks/registry.ts']);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts') && !skip.has(rel)) out.push(fs.readFileSync(path.join(REPO, rel), 'utf8'));
    }
  };
  walk('src');
  return out;
}

describe('diagnostics: DIAGNOSTIC_CODES', () => {
  it('declares each code once, with severities, a reveal kind and a one-line meaning', () => {
    assert.ok(CODES.length > 200, `${CODES.length} codes`);
    for (const code of CODES) {
      const x = codeInfo(code);
      assert.match(code, /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/, code);
      assert.ok(
        x.severity.length > 0 && new Set(x.severity).size === x.severity.length,
        `${code}: severities ${x.severity.join('/')}`,
      );
      assert.ok(
        x.severity.every((s) => ['error', 'warning', 'info'].includes(s)),
        code,
      );
      assert.ok(
        ['block', 'nodePage', 'client', 'scratch', 'range', 'fdt'].includes(x.reveal),
        `${code}: reveal ${x.reveal}`,
      );
      assert.ok(
        x.meaning.length > 10 && !/[\n|]/.test(x.meaning),
        `${code}: meaning "${x.meaning}" is not one table-safe line`,
      );
    }
    assert.equal(isDiagnosticCode('radix-cycle'), true);
    assert.equal(isDiagnosticCode('no-such-code'), false);
    assert.equal(isDiagnosticCode('toString'), false);
  });

  it('has no unused entries: every declared code is written as a literal in some module under src/', () => {
    const text = emitterSources().join('\n');
    const unused = CODES.filter((code) => !text.includes(`'${code}'`));
    assert.deepEqual(unused, [], `declared but never emitted: ${unused.join(', ')}`);
  });

  it('an undeclared code is a type error', () => {
    // @ts-expect-error -- "no-such-code" is not a DiagnosticCode; this line stops compiling if diag() takes any string
    const d = diag('error', 'no-such-code', null, 'x');
    assert.equal(d.code, 'no-such-code');
  });

  it('src/engine/checks/README.md holds the rendered tables (npm run docs:codes)', () => {
    const readme = fs.readFileSync(path.join(REPO, 'src', 'engine', 'checks', 'README.md'), 'utf8');
    assert.ok(readme.includes(renderCodesTable()), 'the codes table is missing or stale: run npm run docs:codes');
    assert.equal(renderChecksReadme(readme), readme, 'README.md is stale: run npm run docs:codes');
    assert.equal(renderCodesTable().split('\n').length, CODES.length + 2);
  });

  it('the renderer refuses a README without the markers', () => {
    assert.throws(() => renderChecksReadme('no tables here\n'), /no <!-- checks-table -->/);
  });
});
