// Messages between the custom editor's webview (media/src) and the extension host.
// Requests from the webview use the RPC channel (rpc.ts); pushes from the host are `HostPush`.

import type { LookupDto, MapExtentsDto, MapTilesDto, MapTilesRequest, SummaryDto } from './model';

export const WEBVIEW_PROTOCOL = 2;

export type WebviewMethods = {
  mapTiles: { params: MapTilesRequest; result: MapTilesDto };
  /** A click on the map: select what is there in the tree; answers what was found. */
  select: { params: { address: string }; result: LookupDto | null };
  /** Buttons in the summary: pick the missing image / FDT, retry a failed decode. */
  action: { params: { action: WebviewAction }; result: void };
  /** The webview reports what it shows (integration tests read it through the API). */
  rendered: { params: RenderedReport; result: void };
};

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
  | { status: 'ready'; summary: SummaryDto; extents: MapExtentsDto; canPickImage: boolean; canPickFdt: boolean };

export type HostPush =
  | { kind: 'push'; type: 'state'; fileName: string; state: DocumentState }
  | { kind: 'push'; type: 'highlight'; start: string; end: string; label: string };

export function isHostPush(m: unknown): m is HostPush {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'push';
}
