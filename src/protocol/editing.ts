// Editing requests the extension host sends to the decode worker, which owns the file handles and
// the EditableDump. Edits are the engine's plain JSON (src/engine/edit/edits.ts); the protocol
// keeps them opaque so it stays free of engine imports.

import type { MapExtentsDto, SummaryDto } from './model';

/** One semantic edit as JSON: `{ kind: 'preserveRange', start: '0x…', end: '0x…' }` and so on. */
export type EditJson = { kind: string } & Record<string, unknown>;

/** The dump after a change: what the tree, the map and the problems show next. */
export interface EditedDto {
  summary: SummaryDto;
  extents: MapExtentsDto;
}

export type EditOutcomeDto = ({ ok: true; edit: EditJson; label: string } & EditedDto) | { ok: false; reason: string };

export type ReportFormatOption = 'json' | 'csv' | 'dts';

export interface ExportParams {
  imageOut?: string | null;
  fdtOut?: string | null;
  imageFormat?: 'same' | 'raw' | 'elf';
  report?: { format: ReportFormatOption; path: string } | null;
}

export type EditMethods = {
  /** Makes the open dump editable; refused (with the reason) for e.g. kho FDT-only or kdump images. */
  beginEditing: { params: Record<string, never>; result: { ok: true } | { ok: false; reason: string } };
  applyEdit: { params: { edit: EditJson }; result: EditOutcomeDto };
  /** Checks an edit without applying it. */
  validateEdit: { params: { edit: EditJson }; result: { ok: true; message: string } | { ok: false; reason: string } };
  undo: { params: Record<string, never>; result: EditedDto & { changed: boolean } };
  redo: { params: Record<string, never>; result: EditedDto & { changed: boolean } };
  /** Writes the changes into the image (and the FDT file) through the write-ahead journal. */
  save: { params: Record<string, never>; result: EditedDto & { message: string } };
  /** New files (temp + rename): image and/or FDT, or a report of the edited state. */
  export: { params: ExportParams; result: { message: string } };
  /** Back to the last saved state. */
  revert: { params: Record<string, never>; result: EditedDto };
  /** The edits since the last save (hot-exit backup); `replayEdits` puts them back after a reload. */
  backup: { params: Record<string, never>; result: { edits: EditJson[] } };
  replayEdits: { params: { edits: EditJson[] }; result: EditOutcomeDto };
  /** How the files on disk differ from those read or last saved (another program wrote them), or null. */
  diskChanged: { params: Record<string, never>; result: { change: string | null } };
};
