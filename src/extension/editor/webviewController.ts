// One webview panel of the custom editor: serves the webview's requests (map tiles, clicks,
// buttons) and pushes the document's state and highlights. Nothing is sent before the webview
// says it is ready, and a highlight that arrives while hidden is replayed when it comes back.

import * as vscode from 'vscode';
import { RpcServer } from '../../protocol/rpc';
import {
  MAP_COMMANDS,
  type DocumentState,
  type HostPush,
  type MapCommand,
  type MapContext,
  type RenderedReport,
  type WebviewAction,
  type WebviewMethods,
} from '../../protocol/webview';
import { editingFor } from '../document/editing';
import { RenderReports, WebviewLink } from './webviewChannel';
import type { DecodeHintDto, LookupDto } from '../../protocol/model';
import type { KhoDocument } from '../document/khoDocument';

export interface WebviewHooks {
  /** A click on the map: select what is at `address` in the tree. */
  select(doc: KhoDocument, address: string): Promise<LookupDto | null>;
  action(doc: KhoDocument, action: WebviewAction): Promise<void>;
  /** A key on the map (Delete): run the editing command with the map's context, as its menu would. */
  mapCommand?(doc: KhoDocument, command: MapCommand, context: MapContext): Promise<void>;
  /** A decode suggests decoding again another way (the 16 KiB pre-fix depth): offer it. */
  hint?(doc: KhoDocument, hint: DecodeHintDto): Promise<void>;
}

export interface Highlight {
  start: string;
  end: string;
  label: string;
}

export class WebviewController implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  private readonly server: RpcServer<WebviewMethods>;
  private readonly link: WebviewLink<HostPush>;
  private _lastHighlight: Highlight | undefined;
  private readonly reports = new RenderReports();

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly doc: KhoDocument,
    hooks: WebviewHooks,
  ) {
    const webview = panel.webview;
    this.server = new RpcServer<WebviewMethods>(
      (m) => {
        void webview.postMessage(m);
      },
      {
        mapTiles: (req) => doc.model.mapTiles(req),
        select: (p) => hooks.select(doc, p.address),
        action: (p) => hooks.action(doc, p.action),
        mapCommand: async (p) => {
          if (!MAP_COMMANDS.includes(p.command)) throw new Error(`not a map command: ${String(p.command)}`);
          await hooks.mapCommand?.(doc, p.command, { ...p.context, uri: doc.uri.toString() });
        },
        rendered: (r) => this.reports.add(r),
      },
    );
    this.link = new WebviewLink<HostPush>(panel, this.server, () => {
      this.pushState();
      if (this._lastHighlight) this.push({ kind: 'push', type: 'highlight', ...this._lastHighlight });
    });
    this.subs.push(
      this.link,
      doc.model.onDidChangeState(() => this.pushState()),
      // Trust decides whether the map offers editing.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.pushState()),
    );
  }

  private push(m: HostPush): void {
    this.link.push(m);
  }

  private stateForWebview(): DocumentState {
    const s = this.doc.model.state;
    const p = this.doc.model.pairing;
    const canPickImage = p.image === null;
    switch (s.status) {
      case 'idle':
      case 'decoding':
        return { status: 'decoding', message: s.status === 'idle' ? 'Waiting…' : s.message };
      case 'failed':
        return { status: 'failed', message: s.message, canPickImage, canPickFdt: p.image !== null };
      case 'ready':
        return {
          status: 'ready',
          summary: s.summary,
          extents: s.extents,
          canPickImage,
          canPickFdt: p.image !== null && s.summary.fdt === null,
          readOnly: this.readOnlyReason(),
        };
    }
  }

  private readOnlyReason(): string | null {
    const editing = editingFor(this.doc);
    return editing ? editing.readOnlyReason() : `${this.doc.model.fileName} is not open for editing`;
  }

  pushState(): void {
    this.push({
      kind: 'push',
      type: 'state',
      fileName: this.doc.model.fileName,
      uri: this.doc.uri.toString(),
      state: this.stateForWebview(),
    });
  }

  highlight(h: Highlight): void {
    this._lastHighlight = h;
    this.push({ kind: 'push', type: 'highlight', ...h });
  }

  get lastHighlight(): Highlight | undefined {
    return this._lastHighlight;
  }
  get report(): RenderedReport | undefined {
    return this.reports.report;
  }

  /** Resolves once the webview reports a drawn map. */
  whenRendered(): Promise<RenderedReport> {
    return this.reports.whenRendered();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
