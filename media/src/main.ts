// Webview entry (bundled to dist/webview.js): summary + memory map of one KHO document.
// A pure view: it renders what the host pushes and asks for map cells; zoom, scroll and cursor
// survive hiding through setState (no retainContextWhenHidden).

import { isRpcMessage, RpcClient, type RpcMessage } from '../../src/protocol/rpc';
import {
  isHostPush,
  WEBVIEW_PROTOCOL,
  type DocumentState,
  type HostPush,
  type WebviewAction,
  type WebviewMethods,
} from '../../src/protocol/webview';
import {
  MAP_CLIENT_BLOB,
  MAP_NOT_IN_DUMP,
  MAP_PRESERVED,
  MAP_RAM,
  MAP_SCRATCH_FLAG,
  MAP_TRACKER_NODE,
} from '../../src/protocol/model';
import { cellColor, cellName, readPalette } from './colors';
import { legendItem } from './legend';
import { el } from './format';
import { MemoryMap, type MapViewState } from './map';
import { deleteCommand, mapContext, type MapDocument } from './mapContext';
import { renderSummary } from './summary';

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  map?: MapViewState;
  spanKey?: string;
}

const vscode = acquireVsCodeApi();
const saved: SavedState = (vscode.getState() as SavedState | undefined) ?? {};
const client = new RpcClient<WebviewMethods>((m: RpcMessage) => vscode.postMessage(m));

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const statusEl = $('kho-status');
const actionsEl = $('kho-actions');
const summaryEl = $('kho-summary');
const mapSection = $('kho-map-section');
const canvas = $<HTMLCanvasElement>('memory-map');
const cursorEl = $('map-cursor');

let lastSpanKey = saved.spanKey;
/** What the map's context menu needs to know about the document (updated with every state). */
const mapDoc: MapDocument = { uri: '', readOnly: 'not decoded', pageSize: 4096 };

function save(patch: Partial<SavedState>): void {
  Object.assign(saved, patch);
  vscode.setState(saved);
}

function report(): void {
  void client
    .request('rendered', {
      summaryText: `${$('kho-title').textContent ?? ''} ${summaryEl.textContent ?? ''}`,
      mapDraws: map.draws,
      cellsDrawn: map.cellsDrawn,
    })
    .catch(() => undefined);
}

const map = new MemoryMap(canvas, {
  tiles: (req) => client.request('mapTiles', req),
  select: (address) => {
    client.request('select', { address: '0x' + address.toString(16) }).then(
      (l) => {
        if (l)
          cursorEl.textContent = describe(
            l.address,
            l.block
              ? `order ${l.block.order} block ${l.block.phys}`
              : l.range
                ? `range ${l.range.start}`
                : l.inDump
                  ? 'not preserved'
                  : 'not in the dump',
          );
      },
      (e: Error) => {
        cursorEl.textContent = e.message;
      },
    );
  },
  status: (text) => {
    cursorEl.textContent = text;
  },
  persist: (s) => save({ map: s }),
  drawn: () => {
    if (map.draws === 1 || map.draws % 20 === 0) report();
  },
  menu: (cell) => {
    canvas.dataset.vscodeContext = JSON.stringify(mapContext(mapDoc, cell));
  },
  remove: (cell) => {
    const context = mapContext(mapDoc, cell);
    const command = deleteCommand(context.khoCell);
    if (!command) {
      cursorEl.textContent = `${context.address}: nothing preserved here to remove`;
      return;
    }
    // Read-only dumps too: the host refuses and says why.
    client.request('mapCommand', { command, context }).catch((e: Error) => {
      cursorEl.textContent = e.message;
    });
  },
});

function describe(address: string, what: string): string {
  return `${address}: ${what}`;
}

function renderLegend(orders: number[], scratchAreas: number): void {
  const p = readPalette();
  const legend = $('map-legend');
  legend.replaceChildren();
  const item = (cls: number, label: string): void => {
    legend.append(
      legendItem(
        p,
        cls,
        label,
        cls === MAP_SCRATCH_FLAG
          ? 'scratch area (hatched over what lies there): the next kernel allocates here early'
          : cellName(cls),
      ),
    );
  };
  for (const o of orders) item(MAP_PRESERVED + o, `order ${o}`);
  item(MAP_TRACKER_NODE, 'tracker node');
  item(MAP_CLIENT_BLOB, 'client blob / FDT');
  if (scratchAreas > 0) item(MAP_SCRATCH_FLAG, 'scratch area');
  item(MAP_RAM, 'RAM');
  item(MAP_NOT_IN_DUMP, 'not in dump');
  // How a cell of many pages reads: its fill height is the share preserved, its colour the largest order.
  const density = el('span', undefined, 'legend-item');
  density.id = 'map-legend-density';
  density.title =
    'A cell covering many pages is filled from the bottom by the share of its bytes that is preserved ' +
    '(tracker cells: the share of tracker pages), in the colour of the largest order in it; any preserved page ' +
    'shows at least a thin bar. Hover a cell for its exact figures.';
  const sw = el('span', undefined, 'swatch');
  const sample = cellColor(p, MAP_PRESERVED + (orders[orders.length - 1] ?? 0)) ?? p.foreground;
  sw.style.background = `linear-gradient(to top, ${sample} 0 35%, ${p.ram} 35% 100%)`;
  density.append(
    sw,
    document.createTextNode('fill height = share of the cell preserved (thin bar: a little), colour = largest order'),
  );
  legend.append(density);
}

function renderActions(state: DocumentState): void {
  actionsEl.replaceChildren();
  const button = (label: string, action: WebviewAction): void => {
    const b = el('button', label);
    b.type = 'button';
    b.addEventListener('click', () => {
      actionError.hidden = true;
      client.request('action', { action }).catch((e: Error) => showActionError(`${label}: ${e.message}`));
    });
    actionsEl.append(b);
  };
  const actionError = el('span', undefined, 'error');
  actionError.setAttribute('role', 'alert');
  actionError.hidden = true;
  const showActionError = (text: string): void => {
    actionError.textContent = text;
    actionError.hidden = false;
  };
  actionsEl.append(actionError);
  if (state.status === 'decoding') return;
  if (state.canPickImage) button('Pick image…', 'pickImage');
  if (state.canPickFdt) button('Pick FDT…', 'pickFdt');
  if (state.status === 'failed') button('Retry', 'refresh');
  // A finding suggests decoding another way (the 16 KiB pre-fix depth): one click does it.
  if (state.status === 'ready')
    for (const h of state.summary.hints ?? []) button(h.label, h.preFix16k ? 'preFix16k' : 'fixedDepth');
}

function onState(fileName: string, uri: string, state: DocumentState): void {
  $('kho-file').textContent = fileName;
  mapDoc.uri = uri;
  mapDoc.readOnly = state.status === 'ready' ? state.readOnly : state.message;
  if (state.status === 'ready') mapDoc.pageSize = state.extents.pageSize;
  renderActions(state);
  if (state.status !== 'ready') {
    statusEl.textContent = state.message;
    statusEl.className = state.status === 'failed' ? 'error' : '';
    summaryEl.hidden = true;
    mapSection.hidden = true;
    shown = null;
    return;
  }
  const s = state.summary;
  // Say up front when edits are off (Restricted Mode, kdump, unwritable file), and why.
  const readOnly = state.readOnly && s.image.path ? ` · read-only: ${state.readOnly}` : '';
  statusEl.textContent = s.fatal ? `Not decoded: ${s.fatal}` : `Decoded in ${s.decodeMs} ms${readOnly}`;
  statusEl.className = s.fatal ? 'error' : '';
  renderSummary(summaryEl, s, readPalette());
  summaryEl.hidden = false;
  mapSection.hidden = false;
  renderLegend(state.extents.orders, state.extents.scratchAreas ?? 0);
  shown = { state };
  // Restore zoom and scroll only for the same dump layout.
  const spanKey = `${state.extents.span.start}-${state.extents.span.end}-${state.extents.pageSize}`;
  const restore = spanKey === lastSpanKey ? saved.map : undefined;
  lastSpanKey = spanKey;
  save({ spanKey });
  map.setExtents(state.extents, restore);
  map.invalidate();
  report();
}

function onPush(m: HostPush): void {
  if (m.type === 'state') onState(m.fileName, m.uri, m.state);
  else if (m.type === 'highlight') {
    map.setHighlight(BigInt(m.start), BigInt(m.end), m.label);
    cursorEl.textContent = m.label;
  }
}

// The order colours depend on the theme kind: redraw the legend and the summary's swatches with it.
let shown: { state: Extract<DocumentState, { status: 'ready' }> } | null = null;
new MutationObserver(() => {
  if (!shown) return;
  renderSummary(summaryEl, shown.state.summary, readPalette());
  renderLegend(shown.state.extents.orders, shown.state.extents.scratchAreas ?? 0);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

$('zoom-in').addEventListener('click', () => map.zoomIn());
$('zoom-out').addEventListener('click', () => map.zoomOut());
$('zoom-fit').addEventListener('click', () => map.fit());

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (isHostPush(m)) onPush(m);
  else if (isRpcMessage(m)) client.handle(m);
});
vscode.postMessage({ kind: 'ready', protocol: WEBVIEW_PROTOCOL } satisfies RpcMessage);
