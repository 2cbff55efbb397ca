// Webview entry of a comparison (bundled to dist/compare.js): the outcome in words and the map of
// both dumps, pages preserved on both sides, only in LEFT and only in RIGHT in distinct colours.
// Same page shell and map as the dump editor (webviewHtml, MemoryMap); no editing.

import { isRpcMessage, RpcClient, type RpcMessage } from '../../src/protocol/rpc';
import type { ComparePush, CompareWebviewMethods } from '../../src/protocol/compare';
import {
  MAP_COMPARE_BOTH,
  MAP_COMPARE_ONLY_LEFT,
  MAP_COMPARE_ONLY_RIGHT,
  MAP_NOT_IN_DUMP,
  MAP_RAM,
} from '../../src/protocol/model';
import { WEBVIEW_PROTOCOL } from '../../src/protocol/webview';
import { readPalette } from './colors';
import { legendItem } from './legend';
import { el } from './format';
import { MemoryMap } from './map';

interface VsCodeApi {
  postMessage(m: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const client = new RpcClient<CompareWebviewMethods>((m: RpcMessage) => vscode.postMessage(m));
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>('memory-map');
const cursorEl = $('map-cursor');

const map = new MemoryMap(canvas, {
  tiles: (req) => client.request('mapTiles', req),
  select: (address) => {
    client.request('select', { address: '0x' + address.toString(16) }).then(
      (l) => {
        if (l) cursorEl.textContent = l.message;
      },
      (e: Error) => {
        cursorEl.textContent = e.message;
      },
    );
  },
  status: (text) => {
    cursorEl.textContent = text;
  },
  persist: () => undefined,
  drawn: () => {
    if (map.draws === 1 || map.draws % 20 === 0) report();
  },
  menu: () => undefined,
  remove: () => undefined,
});

function report(): void {
  void client
    .request('rendered', {
      summaryText: `${$('kho-title').textContent ?? ''} ${$('kho-summary').textContent ?? ''}`,
      mapDraws: map.draws,
      cellsDrawn: map.cellsDrawn,
    })
    .catch(() => undefined);
}

function renderLegend(leftName: string, rightName: string): void {
  const p = readPalette();
  const legend = $('map-legend');
  legend.replaceChildren();
  const item = (cls: number, label: string): void => {
    legend.append(legendItem(p, cls, label));
  };
  item(MAP_COMPARE_BOTH, 'preserved on both sides');
  item(MAP_COMPARE_ONLY_LEFT, `only in LEFT (${leftName})`);
  item(MAP_COMPARE_ONLY_RIGHT, `only in RIGHT (${rightName})`);
  item(MAP_RAM, 'RAM');
  item(MAP_NOT_IN_DUMP, 'not in the dumps');
}

function onPush(m: ComparePush): void {
  if (m.type === 'highlight') {
    map.setHighlight(BigInt(m.start), BigInt(m.end), m.label);
    cursorEl.textContent = m.label;
    return;
  }
  $('kho-title').textContent = 'KHO Compare';
  $('kho-file').textContent = m.title;
  $('kho-status').textContent = '';
  const summary = $('kho-summary');
  summary.replaceChildren(el('p', m.summaryText));
  summary.hidden = false;
  $('kho-map-section').hidden = false;
  canvas.setAttribute(
    'aria-label',
    'Map of physical memory in both dumps. Arrows move, plus and minus zoom, Enter says on which side the cell is preserved.',
  );
  renderLegend(m.leftName, m.rightName);
  map.setExtents(m.extents);
  map.invalidate();
  report();
}

$('zoom-in').addEventListener('click', () => map.zoomIn());
$('zoom-out').addEventListener('click', () => map.zoomOut());
$('zoom-fit').addEventListener('click', () => map.fit());

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'push') onPush(m as ComparePush);
  else if (isRpcMessage(m)) client.handle(m);
});
vscode.postMessage({ kind: 'ready', protocol: WEBVIEW_PROTOCOL } satisfies RpcMessage);
