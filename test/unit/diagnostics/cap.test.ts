// DiagnosticCap: the one "too many findings" limit, per code or in all, and its summaries.

import assert from 'node:assert/strict';
import { DiagnosticCap, type Overflow } from '../../../src/engine/diagnosticCap';
import { CappedDiagnostics, diag } from '../../../src/engine/diagnostics';

const codes = (ds: readonly { code: string }[]): string[] => ds.map((d) => d.code);

describe('diagnostics: DiagnosticCap', () => {
  it('per code: keeps the first max of each code in order and reports each overflow once', () => {
    let seen: readonly Overflow[] = [];
    const cap = new DiagnosticCap({ per: 'code', max: 2 }, (overflows, dropped) => {
      seen = overflows;
      return [diag('info', 'check-suppressed', null, `${dropped} left out`)];
    });
    cap.add('warning', 'blocks-overlap', 1n, 'a');
    cap.add('error', 'radix-cycle', 2n, 'b');
    for (let i = 0; i < 3; i++) cap.add('warning', 'blocks-overlap', 3n, 'c');
    for (let i = 0; i < 4; i++) cap.add('error', 'radix-cycle', 4n, 'd');
    assert.equal(cap.keep(diag('info', 'radix-empty-leaf', 5n, 'e')), true);
    const ds = cap.list();
    assert.deepEqual(codes(ds), [
      'blocks-overlap',
      'radix-cycle',
      'blocks-overlap',
      'radix-cycle',
      'radix-empty-leaf',
      'check-suppressed',
    ]);
    assert.equal(ds[5].message, '5 left out');
    assert.equal(cap.dropped, 5);
    assert.deepEqual(
      seen.map((o) => [o.code, o.dropped, o.firstDropped]),
      [
        ['blocks-overlap', 2, 0],
        ['radix-cycle', 3, 2],
      ],
    );
  });

  it('in all: stops at max diagnostics whatever their codes', () => {
    const cap = new DiagnosticCap({ per: 'all', max: 3 }, (_, dropped) => [
      diag('warning', 'radix-too-many-diagnostics', 0n, `${dropped}`),
    ]);
    for (let i = 0; i < 5; i++) cap.add('error', i % 2 ? 'radix-cycle' : 'radix-shared-node', BigInt(i), `${i}`);
    assert.deepEqual(
      cap.list().map((d) => d.message),
      ['0', '1', '2', '2'],
    );
  });

  it('nothing left out: no summary line, and the summary is not asked for', () => {
    const cap = new DiagnosticCap({ per: 'code', max: 1 }, () => assert.fail('summarize called'));
    cap.add('info', 'radix-empty-leaf', 1n, 'x');
    cap.pass([diag('warning', 'vmalloc-too-long', 2n, 'y'), diag('warning', 'vmalloc-too-long', 3n, 'z')]);
    assert.deepEqual(codes(cap.list()), ['radix-empty-leaf', 'vmalloc-too-long', 'vmalloc-too-long']);
  });

  it('severities of an overflow: the first reported and the first left out', () => {
    let seen: readonly Overflow[] = [];
    const cap = new DiagnosticCap({ per: 'code', max: 1 }, (o) => ((seen = o), []));
    cap.add('error', 'fdt-bad-version', null, 'a');
    cap.add('warning', 'fdt-bad-version', null, 'b');
    cap.add('error', 'fdt-bad-version', null, 'c');
    cap.list();
    assert.deepEqual(
      seen.map((o) => [o.severity, o.droppedSeverity, o.dropped]),
      [['error', 'warning', 2]],
    );
  });

  it('CappedDiagnostics (image readers): the summary repeats the code with the first severity', () => {
    const sink = new CappedDiagnostics(2);
    for (let i = 0; i < 5; i++) sink.add('error', 'elf-segment-overlap', BigInt(i), `${i}`);
    const ds = sink.list();
    assert.deepEqual(codes(ds), ['elf-segment-overlap', 'elf-segment-overlap', 'elf-segment-overlap']);
    assert.deepEqual(
      [ds[2].severity, ds[2].address, ds[2].message],
      ['error', null, '3 more "elf-segment-overlap" diagnostics not shown'],
    );
  });
});
