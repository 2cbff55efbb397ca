// What every KHO webview panel does with its webview's messages: the `ready` handshake (a reloaded
// webview knows nothing, so the caller sends everything), requests to an RPC server, and the
// webview's reports of what it drew, which integration tests wait for.

import * as vscode from 'vscode';
import { isRpcMessage, type RpcMessage } from '../../protocol/rpc';
import { khoLog } from '../log';
import { WEBVIEW_PROTOCOL, type RenderedReport } from '../../protocol/webview';

/**
 * A panel's link to its webview: its requests go to `server`; pushes are sent only between a
 * handshake with the same protocol and the panel's next hiding (a hidden webview may be discarded
 * and reloaded). `onReady` runs on each handshake: a reloaded webview knows nothing, so the caller
 * sends everything again.
 */
export class WebviewLink<M> implements vscode.Disposable {
  private ready = false;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly panel: vscode.WebviewPanel,
    server: { handle(m: RpcMessage): void },
    onReady: () => void,
  ) {
    this.subs = [
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!isRpcMessage(m)) return;
        if (m.kind !== 'ready') {
          server.handle(m);
          return;
        }
        this.ready = m.protocol === WEBVIEW_PROTOCOL;
        khoLog().info(
          `webview of ${panel.title}: page ready${this.ready ? '' : ` with protocol ${m.protocol}, not ${WEBVIEW_PROTOCOL}`}`,
        );
        if (this.ready) onReady();
      }),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    ];
  }

  push(m: M): void {
    if (this.ready && this.panel.visible) void this.panel.webview.postMessage(m);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

/** The webview's last report, and waiters for one with a drawn map. */
export class RenderReports {
  private last: RenderedReport | undefined;
  private waiters: ((r: RenderedReport) => void)[] = [];

  get report(): RenderedReport | undefined {
    return this.last;
  }

  add(r: RenderedReport): void {
    this.last = r;
    if (r.mapDraws > 0) {
      for (const w of this.waiters) w(r);
      this.waiters = [];
    }
  }

  /** Resolves once the webview reports a drawn map. */
  whenRendered(): Promise<RenderedReport> {
    if (this.last && this.last.mapDraws > 0) return Promise.resolve(this.last);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
