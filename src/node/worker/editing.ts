// The editing side of a decode worker: an EditableDump over the open dump, its undo/redo history,
// save in place (journal), export to new files and hot-exit backups. After every change the dump
// is decoded again from the edited memory and shown through WorkerSession.showEdited, so the tree,
// the map and the problems follow the edits.

import * as fs from 'fs';
import { openEditable, type EditableDump } from '../../engine/edit/editableDump';
import type { Edit } from '../../engine/edit/edits';
import { writeReport } from '../../engine/export/reports';
import { openImage } from '../../engine/image/open';
import type { PhysMemory } from '../../engine/image/physMemory';
import { isPageSize } from '../../engine/kho/geometry';
import { parseAddress } from '../../engine/util/hex';
import type { EditedDto, EditJson, EditMethods, EditOutcomeDto, ExportParams } from '../../protocol/editing';
import { exportFiles } from '../exportFiles';
import { FileByteSource } from '../fileByteSource';
import { saveInPlace } from '../saveInPlace';
import { writeTextAtomic } from '../writeFile';
import { SessionError, type WorkerSession } from './session';

type Handlers = {
  [K in keyof EditMethods]: (
    p: EditMethods[K]['params'],
  ) => Promise<EditMethods[K]['result']> | EditMethods[K]['result'];
};

/** Opens an image file as physical memory; the returned close() also closes the file. */
function openFileMemory(imagePath: string, format: 'auto' | 'raw' | 'elf', base: bigint): PhysMemory {
  const src = FileByteSource.open(imagePath);
  const r = openImage(src, { format, base });
  if (!r.memory) {
    src.close();
    throw new SessionError(`${imagePath}: ${r.error ?? 'cannot open the image'}`);
  }
  const m = r.memory;
  const close = m.close?.bind(m);
  (m as { close?: () => void }).close = () => {
    close?.();
    src.close();
  };
  return m;
}

export class WorkerEditing {
  private model: EditableDump | null = null;
  /** The image file as opened (or as last saved): the overlay's base, closed with the session. */
  private fileMemory: PhysMemory | null = null;
  private imageSize = 0;

  constructor(private readonly session: WorkerSession) {}

  private get m(): EditableDump {
    if (!this.model || !this.session.current) throw new SessionError('the dump is not open for editing');
    return this.model;
  }

  begin(): { ok: true } | { ok: false; reason: string } {
    const o = this.session.current;
    if (!o) return { ok: false, reason: 'no dump is open' };
    if (this.model && this.session.current?.memory === this.model.memory) return { ok: true };
    if (o.params.imagePath === null) return { ok: false, reason: 'only an FDT is open: edits need the image' };
    const pageSize = isPageSize(o.params.pageSize) ? o.params.pageSize : undefined;
    const numa = o.params.numa?.map((n) => ({ node: n.node, start: BigInt(n.start), end: BigInt(n.end) }));
    const r = openEditable(o.memory, o.result, { pageSize, preFix16k: o.params.preFix16k || undefined, numa });
    if (!r.ok) return r;
    this.model = r.model;
    this.fileMemory = o.memory;
    this.imageSize = fs.statSync(o.params.imagePath).size;
    return { ok: true };
  }

  /** Decodes the edited memory and makes the session show it. */
  private async refresh(): Promise<EditedDto> {
    const m = this.m;
    const result = await m.decode();
    const summary = this.session.showEdited(m.memory, result, () => this.release());
    return { summary, extents: this.session.mapExtents() };
  }

  private release(): void {
    this.fileMemory?.close?.();
    this.fileMemory = null;
    this.model = null;
  }

  async apply(edit: EditJson): Promise<EditOutcomeDto> {
    const r = this.m.apply(edit as unknown as Edit);
    if (!r.ok) return { ok: false, reason: r.reason };
    return { ok: true, edit: r.edit as unknown as EditJson, label: r.message, ...(await this.refresh()) };
  }

  async undo(): Promise<EditedDto & { changed: boolean }> {
    const changed = this.m.undo();
    return { changed, ...(await this.refresh()) };
  }

  async redo(): Promise<EditedDto & { changed: boolean }> {
    const changed = this.m.redo();
    return { changed, ...(await this.refresh()) };
  }

  async save(): Promise<EditedDto & { message: string }> {
    const m = this.m;
    const p = this.session.current!.params;
    const imagePath = p.imagePath!;
    const old = this.fileMemory;
    const base = parseAddress(p.base) ?? 0n;
    const format = p.format;
    let fresh: PhysMemory | null = null;
    const s = saveInPlace(
      m,
      { image: imagePath, fdt: p.fdtPath },
      {
        expectedSize: this.imageSize,
        expected: this.session.current!.stamps,
        reopen: () => (fresh = openFileMemory(imagePath, format, base)),
      },
    );
    if (s.stamps) this.session.savedAs(s.stamps);
    if (fresh) {
      this.fileMemory = fresh;
      old?.close?.();
    }
    const message =
      s.pages === 0 && !s.fdtWritten
        ? 'nothing to write'
        : `wrote ${s.pages} page${s.pages === 1 ? '' : 's'} (${s.bytes} bytes)${s.fdtWritten ? ' and the FDT file' : ''}`;
    return { message, ...(await this.refresh()) };
  }

  async export(params: ExportParams): Promise<{ message: string }> {
    const m = this.m;
    const p = this.session.current!.params;
    const done: string[] = [];
    if (params.imageOut || params.fdtOut) {
      const s = exportFiles(m, {
        source: p.imagePath!,
        imageOut: params.imageOut ?? undefined,
        fdtOut: params.fdtOut ?? undefined,
        format: params.imageFormat ?? 'same',
        base: parseAddress(p.base) ?? 0n,
      });
      if (s.imageBytes !== null) done.push(`image ${params.imageOut} (${s.imageBytes} bytes)`);
      if (s.fdtBytes !== null) done.push(`FDT ${params.fdtOut} (${s.fdtBytes} bytes)`);
    }
    if (params.report) {
      const result = await m.decode();
      const { format, path } = params.report;
      writeTextAtomic(path, (write) => writeReport(format, result, m.memory, write));
      done.push(`${format.toUpperCase()} report ${path}`);
    }
    return { message: done.length ? `wrote ${done.join(', ')}` : 'nothing to write' };
  }

  async revert(): Promise<EditedDto> {
    const m = this.m;
    if (!m.revert()) {
      // The saved state left the history (edits after undoing past a save): undo everything.
      while (m.undo()) {
        /* back to the file as opened */
      }
    }
    return this.refresh();
  }

  backup(): { edits: EditJson[] } {
    return { edits: this.m.editsSinceSave() as unknown as EditJson[] };
  }

  async replay(edits: EditJson[]): Promise<EditOutcomeDto> {
    const r = this.m.replay(edits as unknown as Edit[]);
    if (!r.ok) return { ok: false, reason: r.reason };
    return {
      ok: true,
      edit: { kind: 'batch', edits },
      label: `${edits.length} restored edits`,
      ...(await this.refresh()),
    };
  }

  handlers(): Handlers {
    return {
      beginEditing: () => this.begin(),
      applyEdit: (p) => this.apply(p.edit),
      validateEdit: (p) => {
        const v = this.m.validate(p.edit as unknown as Edit);
        return v.ok ? v : { ok: false, reason: v.reason };
      },
      undo: () => this.undo(),
      redo: () => this.redo(),
      save: () => this.save(),
      export: (p) => this.export(p),
      revert: () => this.revert(),
      backup: () => this.backup(),
      replayEdits: (p) => this.replay(p.edits),
      diskChanged: () => ({ change: this.session.diskChange() }),
    };
  }
}
