// Messages between the custom editor's webview (media/src) and the extension host.
// Requests from the webview use the RPC channel (rpc.ts); pushes from the host are `HostPush`.

import type { LookupDto, MapExtentsDto, MapTilesDto, MapTilesRequest, SummaryDto } from './model';

export const WEBVIEW_PROTOCOL = 3;

export type WebviewMethods = {
  mapTiles: { params: MapTilesRequest; result: MapTilesDto };
  /** A click on the map: select what is there in the tree; answers what was found. */
  select: { params: { address: string }; result: LookupDto | null };
  /** Buttons in the summary: pick the missing image / FDT, retry a failed decode. */
  action: { params: { action: WebviewAction }; result: void };
  /** The webview reports what it shows (integration tests read it through the API). */
  rendered: { params: RenderedReport; result: void };
  /** A key on the map (Delete): run an editing command on the cell, as its context menu would. */
  mapCommand: { params: { command: MapCommand; context: MapContext }; result: void };
};

/** What a map cell shows, for the map's context menu (`khoCell` in package.json `when` clauses). */
export type MapCellKind = 'preserved' | 'free' | 'client' | 'tracker' | 'absent' | 'unknown';

/**
 * The map's `data-vscode-context`: VS Code turns its fields into context keys for
 * `webview/context` menus and passes it (plus `webview`, the view type) to the chosen command.
 */
export interface MapContext {
  webviewSection: 'map';
  preventDefaultContextMenuItems: true;
  khoCell: MapCellKind;
  /** False when the dump opens read-only: the menu hides the editing commands. */
  khoEditable: boolean;
  /** The document (its URI as a string). */
  uri: string;
  /** The cell: [address, end), 0x strings. */
  address: string;
  end: string;
  pageSize: number;
}

/** Editing commands the map offers (khoInspector.<name>). */
export type MapCommand = 'unpreserve' | 'removeClient' | 'preserveRange';
export const MAP_COMMANDS: readonly MapCommand[] = ['unpreserve', 'removeClient', 'preserveRange'];

/** Buttons: pick the missing image / FDT, retry, or re-decode as a hint suggests (pre-fix 16 KiB depth on / off). */
export type WebviewAction = 'pickImage' | 'pickFdt' | 'refresh' | 'preFix16k' | 'fixedDepth';

export interface RenderedReport {
  summaryText: string;
  mapDraws: number;
  cellsDrawn: number;
}

export type DocumentState =
  | { status: 'decoding'; message: string }
  | { status: 'failed'; message: string; canPickImage: boolean; canPickFdt: boolean }
  | {
      status: 'ready';
      summary: SummaryDto;
      extents: MapExtentsDto;
      canPickImage: boolean;
      canPickFdt: boolean;
      /** Why the dump cannot be edited, or null when it can. */
      readOnly: string | null;
    };

export type HostPush =
  | { kind: 'push'; type: 'state'; fileName: string; uri: string; state: DocumentState }
  | { kind: 'push'; type: 'highlight'; start: string; end: string; label: string };

export function isHostPush(m: unknown): m is HostPush {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'push';
}
