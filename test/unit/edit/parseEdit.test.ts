// parseEdit alone: JSON edits become bigint fields, and malformed fields are refused by name.
import assert from 'node:assert/strict';
import { EditRefused, type Edit } from '../../../src/engine/edit/edits';
import { parseEdit } from '../../../src/engine/edit/parseEdit';

function refusal(edit: unknown, pageSize = 4096): string {
  try {
    parseEdit(edit as Edit, pageSize);
  } catch (e) {
    assert.ok(e instanceof EditRefused);
    return e.reason;
  }
  assert.fail('parseEdit accepted a malformed edit');
}

describe('parseEdit', function () {
  it('turns addresses into bigints, decimal and hex alike, and keeps what the model resolves', function () {
    assert.deepEqual(parseEdit({ kind: 'preserveBlock', phys: '0x200000', order: 9 }, 4096), {
      kind: 'preserveBlock',
      block: { phys: 0x200000n, order: 9 },
    });
    assert.deepEqual(
      parseEdit(
        {
          kind: 'preserveBlocks',
          blocks: [{ phys: '4096', order: 0 }],
          nodeRegion: { start: '0x1000', end: '0x3000' },
        },
        4096,
      ),
      { kind: 'preserveBlocks', blocks: [{ phys: 0x1000n, order: 0 }], nodeRegion: { start: 0x1000n, end: 0x3000n } },
    );
    assert.deepEqual(parseEdit({ kind: 'unpreserveRange', start: '0x4000', end: '0x8000', compact: true }, 4096), {
      kind: 'unpreserveRange',
      start: 0x4000n,
      end: 0x8000n,
      compact: true,
    });
    const add = parseEdit(
      {
        kind: 'addClient',
        name: 'LUO',
        preservedData: '0x5000',
        blobSize: '0x1000',
        extraProperties: [{ name: 'x', value: '0aff' }],
      },
      4096,
    );
    assert.equal(add.kind, 'addClient');
    if (add.kind === 'addClient') {
      assert.equal(add.preservedData, 0x5000n);
      assert.equal(add.blobSize, 0x1000n);
      assert.deepEqual([...add.extra[0].value], [0x0a, 0xff]);
    }
  });

  it('a batch keeps its sub-edits as JSON (each is parsed when applied)', function () {
    const sub: Edit = { kind: 'removeClient', name: 'a' };
    assert.deepEqual(parseEdit({ kind: 'batch', edits: [sub], label: 'L' }, 4096), {
      kind: 'batch',
      edits: [sub],
      label: 'L',
    });
  });

  it('refuses malformed fields naming them', function () {
    assert.equal(refusal(null), 'not an edit');
    assert.equal(refusal({ kind: 'explode' }), 'unknown edit kind "explode"');
    assert.match(refusal({ kind: 'preserveBlock', phys: 'junk', order: 0 }), /^phys: "junk" is not an address/);
    assert.match(refusal({ kind: 'preserveBlock', phys: '0x1000', order: 65 }), /^order: 65 is not an order/);
    assert.match(
      refusal({
        kind: 'unpreserveBlocks',
        blocks: [
          { phys: '0x1000', order: 0 },
          { phys: -1, order: 0 },
        ],
      }),
      /^blocks\[1\]\.phys: -1 is not an address/,
    );
    assert.equal(refusal({ kind: 'preserveBlocks', blocks: [] }), 'no blocks given');
    assert.match(
      refusal({ kind: 'preserveRange', start: '0x1000', end: '0x1800' }),
      /not page-aligned: both ends must be multiples of the 4096-byte page size$/,
    );
    assert.equal(refusal({ kind: 'preserveRange', start: '0x2000', end: '0x2000' }), '[0x2000, 0x2000) is empty');
    assert.equal(
      refusal({ kind: 'preserveBlock', phys: '0x1000', order: 0, nodeRegion: { start: '0x5000', end: '0x4000' } }),
      'node region [0x5000, 0x4000) is empty',
    );
    assert.match(
      refusal({
        kind: 'addClient',
        name: 'x',
        preservedData: '0x1000',
        extraProperties: [{ name: 'p', value: 'abc' }],
      }),
      /^property p: not an even-length hex byte string/,
    );
    assert.equal(refusal({ kind: 'batch', edits: [] }), 'an empty batch changes nothing');
  });

  it('checks alignment against the page size it is given', function () {
    assert.deepEqual(parseEdit({ kind: 'preserveRange', start: '0x4000', end: '0x8000' }, 16384), {
      kind: 'preserveRange',
      start: 0x4000n,
      end: 0x8000n,
    });
    assert.match(refusal({ kind: 'preserveRange', start: '0x1000', end: '0x8000' }, 16384), /16384-byte page size/);
  });
});
