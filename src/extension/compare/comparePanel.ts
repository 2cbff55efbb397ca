// The comparison's editor panel: serves its webview's map (tiles from the comparison's worker,
// clicks answered by side) and pushes the outcome and highlights. Nothing is sent before the
// webview says it is ready; the last highlight is replayed when it comes back.

import * as path from 'path';
import * as vscode from 'vscode';
import { RpcServer } from '../../protocol/rpc';
import type { CompareLookupDto, ComparePush, CompareWebviewMethods } from '../../protocol/compare';
import type { MapExtentsDto } from '../../protocol/model';
import type { RenderedReport } from '../../protocol/webview';
import { localResourceRoots, webviewHtml } from '../editor/webviewHtml';
import type { Highlight } from '../editor/webviewController';
import { RenderReports, WebviewLink } from '../editor/webviewChannel';
import type { Comparison } from './comparison';

export const COMPARE_PANEL_TYPE = 'khoInspector.comparePanel';

export class ComparePanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private readonly server: RpcServer<CompareWebviewMethods>;
  private readonly link: WebviewLink<ComparePush>;
  private last: Highlight | undefined;
  private readonly reports = new RenderReports();

  constructor(
    extensionUri: vscode.Uri,
    private readonly comparison: Comparison,
    private readonly extents: MapExtentsDto,
    private readonly summaryText: string,
    select: (address: string) => Promise<CompareLookupDto | null>,
  ) {
    this.panel = vscode.window.createWebviewPanel(
      COMPARE_PANEL_TYPE,
      `KHO Compare: ${comparison.title}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, localResourceRoots: localResourceRoots(extensionUri) },
    );
    const webview = this.panel.webview;
    webview.html = webviewHtml(webview, extensionUri, comparison.title, 'compare.js');
    this.server = new RpcServer<CompareWebviewMethods>(
      (m) => {
        void webview.postMessage(m);
      },
      {
        mapTiles: (req) => comparison.mapTiles(req),
        select: (p) => select(p.address),
        rendered: (r) => this.reports.add(r),
      },
    );
    this.link = new WebviewLink<ComparePush>(this.panel, this.server, () => {
      this.pushState();
      if (this.last) this.push({ kind: 'push', type: 'highlight', ...this.last });
    });
  }

  private push(m: ComparePush): void {
    this.link.push(m);
  }

  private pushState(): void {
    const c = this.comparison;
    this.push({
      kind: 'push',
      type: 'compareState',
      title: c.title,
      summaryText: this.summaryText,
      leftName: path.basename(c.leftPath),
      rightName: path.basename(c.rightPath),
      extents: this.extents,
    });
  }

  highlight(h: Highlight): void {
    this.last = h;
    this.push({ kind: 'push', type: 'highlight', ...h });
  }

  get lastHighlight(): Highlight | undefined {
    return this.last;
  }

  /** Resolves once the webview reports a drawn map. */
  whenRendered(): Promise<RenderedReport> {
    return this.reports.whenRendered();
  }

  onDidDispose(f: () => void): vscode.Disposable {
    return this.panel.onDidDispose(f);
  }

  dispose(): void {
    this.link.dispose();
    this.panel.dispose();
  }
}
