// The small typed API `activate()` returns, for integration tests (and other extensions):
// plain data about opened dumps, the tree as the user sees it, lookups and the webview's report.

import * as vscode from 'vscode';
import { hex } from '../engine/util/hex';
import type { CompareLookupDto, CompareSummaryDto } from '../protocol/compare';
import type { LookupDto, SummaryDto, TreeNodeDto } from '../protocol/model';
import type { RenderedReport } from '../protocol/webview';
import { addressArg } from './commands/targets';
import { editingFor } from './document/editing';
import type { KhoDocument } from './document/khoDocument';
import type { Pairing } from './document/pairing';
import type { Highlight } from './editor/webviewController';
import type { Services } from './services';
import { maxItemsPerGroup } from './settings';

export interface ApiTreeItem {
  /** The node id inside the dump (e.g. "orders/3"), as treeChildren/treeParent take it. */
  id: string;
  /** What the node is (protocol TreeNodeKind: "block", "clientItem", "scratchArea", "problem"...). */
  kind: string;
  label: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  collapsible: boolean;
  address?: string;
  end?: string;
  /** Problems: the diagnostic code and severity. */
  code?: string;
  severity?: string;
  /** The command a click runs, if any. */
  command?: string;
  /** Why "Open in Hex Editor" is unavailable here, if it is. */
  hexUnavailable?: string;
}

export interface KhoInspectorApi {
  readonly apiVersion: 1;
  /** URIs (strings) of the open KHO documents. */
  openedDocuments(): string[];
  /** The document the tree follows. */
  activeDocument(): string | undefined;
  /** Waits until `uri` is open in the KHO editor and decoded; rejects if decoding fails. */
  waitForDecode(uri: vscode.Uri | string): Promise<SummaryDto>;
  summary(uri: vscode.Uri | string): SummaryDto | undefined;
  pairing(uri: vscode.Uri | string): Pairing | undefined;
  /** How many decodes the document has started since it was opened (0 when it is not open). */
  decodesStarted(uri: vscode.Uri | string): number;
  /** Children of a tree node of the active document (top level without an id), as the tree shows them. */
  treeChildren(elementId?: string): Promise<ApiTreeItem[]>;
  treeParent(elementId: string): Promise<string | undefined>;
  /** Ids of the selected tree items. */
  treeSelection(): string[];
  lookup(uri: vscode.Uri | string, address: string | bigint | number): Promise<LookupDto>;
  /** Resolves once the document's webview has drawn its map, with what it shows. */
  webviewRendered(uri: vscode.Uri | string): Promise<RenderedReport>;
  /** The last range highlighted in the document's map. */
  mapHighlight(uri: vscode.Uri | string): Highlight | undefined;
  /** The status bar text while a KHO editor is active. */
  statusText(): string | undefined;
  /** Changes on disk by other programs that the user was asked about (reload or keep), oldest first. */
  diskChanges(): { uri: string; change: string }[];
  /** Resolves when the document's edit requests queued so far (edits, undo, redo, saves) are done. */
  editingIdle(uri: vscode.Uri | string): Promise<void>;
  /** The status bar's result about the active dump (Go to Physical Address...), if one is shown. */
  statusResult(): string | undefined;
  /** KHO: Compare with... for two files; resolves with the outcome (undefined when refused, with a message shown). */
  compare(left: vscode.Uri | string, right: vscode.Uri | string): Promise<CompareSummaryDto | undefined>;
  /** Children of a compare tree node (top level without an id), as the KHO Compare view shows them. */
  compareChildren(elementId?: string): Promise<ApiTreeItem[]>;
  /** Go to Physical Address in the comparison: on which side(s) the address is preserved. */
  compareGoTo(address: string): Promise<CompareLookupDto | undefined>;
  /** Ids of the selected compare tree items. */
  compareSelection(): string[];
  /** Resolves once the comparison's map panel has drawn its map, with what it shows. */
  compareRendered(): Promise<RenderedReport>;
  /** The last page highlighted in the comparison's map. */
  compareMapHighlight(): Highlight | undefined;
}

function asUri(uri: vscode.Uri | string): vscode.Uri {
  return typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
}

function key(uri: vscode.Uri | string): string {
  return typeof uri === 'string' ? vscode.Uri.parse(uri).toString() : uri.toString();
}

/** A tree item as the API reports it. */
function apiItem(item: vscode.TreeItem, n: TreeNodeDto): ApiTreeItem {
  return {
    id: n.id,
    kind: n.kind,
    label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
    description: typeof item.description === 'string' ? item.description : undefined,
    tooltip: typeof item.tooltip === 'string' ? item.tooltip : undefined,
    contextValue: item.contextValue,
    collapsible: item.collapsibleState !== vscode.TreeItemCollapsibleState.None,
    address: n.address,
    end: n.end,
    code: n.code,
    severity: n.severity,
    command: item.command?.command,
    hexUnavailable: n.hexUnavailable,
  };
}

export function createApi(s: Services): KhoInspectorApi {
  const { registry, tree } = s;

  const openDoc = (uri: vscode.Uri | string): Promise<KhoDocument> => {
    const now = registry.get(uri);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const sub = registry.onDidOpen((d) => {
        if (d.key === key(uri)) {
          sub.dispose();
          resolve(d);
        }
      });
    });
  };
  const needDoc = (uri: vscode.Uri | string): KhoDocument => {
    const d = registry.get(uri);
    if (!d) throw new Error(`${key(uri)} is not open in KHO Inspector`);
    return d;
  };

  return {
    apiVersion: 1,
    openedDocuments: () => registry.all().map((d) => d.key),
    activeDocument: () => registry.active?.key,
    waitForDecode: async (uri) => (await openDoc(uri)).model.whenDecoded(),
    summary: (uri) => registry.get(uri)?.model.summary,
    pairing: (uri) => registry.get(uri)?.model.pairing,
    decodesStarted: (uri) => registry.get(uri)?.model.decodesStarted ?? 0,
    treeChildren: async (elementId) => {
      const doc = registry.active;
      if (!doc) return [];
      const parent = elementId === undefined ? undefined : await tree.byId(doc, elementId);
      if (elementId !== undefined && !parent) throw new Error(`no tree item "${elementId}"`);
      const kids = await tree.getChildren(parent);
      return kids.map((el) => apiItem(tree.getTreeItem(el), el.node));
    },
    treeParent: async (elementId) => {
      const doc = registry.active;
      const el = doc && (await tree.byId(doc, elementId));
      return el ? (await tree.getParent(el))?.node.id : undefined;
    },
    treeSelection: () => s.treeView.selection.map((e) => e.node.id),
    lookup: async (uri, address) => {
      const a = addressArg(address);
      if (a === undefined) throw new Error(`not an address: ${String(address)}`);
      const doc = needDoc(uri);
      await doc.model.whenDecoded();
      return doc.model.lookup(hex(BigInt(a)), maxItemsPerGroup());
    },
    webviewRendered: async (uri) => {
      const doc = await openDoc(uri);
      for (;;) {
        const panel = registry.panel(doc);
        if (panel) return panel.whenRendered();
        await new Promise<void>((resolve) => {
          const sub = registry.onDidChangeActive(() => {
            sub.dispose();
            resolve();
          });
        });
      }
    },
    mapHighlight: (uri) => {
      const d = registry.get(uri);
      return d && registry.panel(d)?.lastHighlight;
    },
    statusText: () => s.status.text,
    diskChanges: () => [...s.editor.diskChanges],
    editingIdle: async (uri) => {
      await editingFor(needDoc(uri))?.idle();
    },
    statusResult: () => s.status.resultText,
    compare: (left, right) => s.compare.compare(asUri(left), asUri(right)),
    compareChildren: async (elementId) => (await s.compare.children(elementId)).map((c) => apiItem(c.item, c.node)),
    compareGoTo: (address) => s.compare.goToAddress(address),
    compareSelection: () => s.compare.selection(),
    compareRendered: () => {
      const p = s.compare.mapPanel;
      return p ? p.whenRendered() : Promise.reject(new Error('no comparison is open'));
    },
    compareMapHighlight: () => s.compare.mapPanel?.lastHighlight,
  };
}
