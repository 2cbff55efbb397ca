// The map's context for VS Code's webview context menu: what the cell under the pointer (or the
// keyboard cursor) shows, set as the canvas's data-vscode-context just before VS Code reads it.
// package.json's `webview/context` menus match its fields; the chosen command gets it as argument.

import { MAP_CLIENT_BLOB, MAP_NOT_IN_DUMP, MAP_PRESERVED, MAP_RAM, MAP_TRACKER_NODE } from '../../src/protocol/model';
import type { MapCellKind, MapCommand, MapContext } from '../../src/protocol/webview';
import { baseClass } from './colors';
import { hex } from './format';

export interface MapCell {
  address: bigint;
  end: bigint;
  cls: number | undefined;
}
export interface MapDocument {
  uri: string;
  readOnly: string | null;
  pageSize: number;
}

export function cellKind(cls: number | undefined): MapCellKind {
  if (cls === undefined) return 'unknown';
  const c = baseClass(cls);
  if (c >= MAP_PRESERVED) return 'preserved';
  if (c === MAP_RAM) return 'free';
  if (c === MAP_CLIENT_BLOB) return 'client';
  if (c === MAP_TRACKER_NODE) return 'tracker';
  if (c === MAP_NOT_IN_DUMP) return 'absent';
  return 'unknown';
}

export function mapContext(doc: MapDocument, cell: MapCell): MapContext {
  return {
    webviewSection: 'map',
    preventDefaultContextMenuItems: true,
    khoCell: cellKind(cell.cls),
    khoEditable: doc.readOnly === null,
    uri: doc.uri,
    address: hex(cell.address),
    end: hex(cell.end),
    pageSize: doc.pageSize,
  };
}

/** What the Delete key does on a cell: the menu's removing command, if the cell has one. */
export function deleteCommand(kind: MapCellKind): MapCommand | undefined {
  return kind === 'preserved' ? 'unpreserve' : kind === 'client' ? 'removeClient' : undefined;
}
