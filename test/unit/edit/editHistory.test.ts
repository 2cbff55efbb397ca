// EditHistory alone: undo/redo stacks, the save point and the edits since the save, driven by a toy
// owner whose state is a list of applied edit names (no dump, no bytes).
import assert from 'node:assert/strict';
import { EditHistory, type HistoryStep } from '../../../src/engine/edit/editHistory';
import type { Edit } from '../../../src/engine/edit/edits';

const add = (name: string): Edit => ({ kind: 'removeClient', name });
const undoOf = (name: string): Edit => ({ kind: 'addClient', name, preservedData: '0x1000' });
const step = (name: string): HistoryStep => ({ edit: add(name), inverse: undoOf(name) });
const names = (es: Edit[]): string[] =>
  es.map((e) =>
    e.kind === 'removeClient' || e.kind === 'addClient' ? `${e.kind === 'addClient' ? '-' : ''}${e.name}` : e.kind,
  );

/** A toy owner: its state is the names applied, in order; `refuse` makes redo of a name fail. */
class Owner {
  readonly h = new EditHistory<HistoryStep>();
  state: string[] = [];
  refuse = new Set<string>();
  apply(name: string): void {
    this.state.push(name);
    this.h.applied(step(name));
  }
  undo(): boolean {
    const s = this.h.takeUndo();
    if (!s) return false;
    this.state.pop();
    this.h.undid(s);
    return true;
  }
  redo(): boolean {
    const e = this.h.takeRedo();
    if (!e) return false;
    const name = (e as { name: string }).name;
    if (this.refuse.has(name)) {
      this.h.redoFailed(e);
      return false;
    }
    this.state.push(name);
    this.h.redid(step(name));
    return true;
  }
  revert(): boolean {
    return this.h.revert(
      () => this.undo(),
      () => this.redo(),
    );
  }
}

describe('EditHistory', function () {
  it('starts unmodified with nothing to undo or redo', function () {
    const o = new Owner();
    assert.equal(o.h.modified, false);
    assert.equal(o.h.canUndo, false);
    assert.equal(o.h.canRedo, false);
    assert.equal(o.undo(), false);
    assert.equal(o.redo(), false);
    assert.deepEqual(o.h.edits(), []);
    assert.equal(o.revert(), true);
  });

  it('undo and redo move steps between the stacks; a new edit clears the redo stack', function () {
    const o = new Owner();
    o.apply('a');
    o.apply('b');
    assert.deepEqual(names(o.h.edits()), ['a', 'b']);
    assert.equal(o.undo(), true);
    assert.deepEqual(o.state, ['a']);
    assert.equal(o.h.canRedo, true);
    assert.equal(o.redo(), true);
    assert.deepEqual(o.state, ['a', 'b']);
    o.undo();
    o.apply('c');
    assert.equal(o.h.canRedo, false);
    assert.deepEqual(names(o.h.edits()), ['a', 'c']);
  });

  it('a failed redo keeps the edit on the redo stack', function () {
    const o = new Owner();
    o.apply('a');
    o.undo();
    o.refuse.add('a');
    assert.equal(o.redo(), false);
    assert.equal(o.h.canRedo, true);
    o.refuse.clear();
    assert.equal(o.redo(), true);
    assert.deepEqual(o.state, ['a']);
  });

  it('edits since the save: undo and redo cancel out, undoing past the save records inverses', function () {
    const o = new Owner();
    o.apply('a');
    o.apply('b');
    assert.deepEqual(names(o.h.editsSinceSave()), ['a', 'b']);
    o.h.saved();
    assert.deepEqual(o.h.editsSinceSave(), []);
    o.apply('c');
    o.undo();
    assert.deepEqual(o.h.editsSinceSave(), [], 'undoing the edit made since the save cancels it');
    o.redo();
    assert.deepEqual(names(o.h.editsSinceSave()), ['c']);
    o.undo();
    o.undo();
    assert.deepEqual(names(o.h.editsSinceSave()), ['-b'], 'undoing past the save replays the inverse');
    o.redo();
    assert.deepEqual(o.h.editsSinceSave(), [], 'redoing what was undone cancels it');
  });

  it('revert goes back to the save point by undo or redo', function () {
    const o = new Owner();
    o.apply('a');
    o.apply('b');
    o.h.saved();
    o.apply('c');
    o.apply('d');
    assert.equal(o.revert(), true);
    assert.deepEqual(o.state, ['a', 'b']);
    o.undo();
    o.undo();
    assert.deepEqual(o.state, []);
    assert.equal(o.revert(), true);
    assert.deepEqual(o.state, ['a', 'b']);
  });

  it('a save point on the discarded redo branch is lost: revert refuses', function () {
    const o = new Owner();
    o.apply('a');
    o.h.saved();
    o.undo();
    o.apply('x');
    assert.equal(o.revert(), false);
    assert.deepEqual(o.state, ['x']);
  });

  it('revert stops when a redo on the way fails', function () {
    const o = new Owner();
    o.apply('a');
    o.apply('b');
    o.h.saved();
    o.undo();
    o.undo();
    o.refuse.add('b');
    assert.equal(o.revert(), false);
    assert.deepEqual(o.state, ['a']);
  });
});
