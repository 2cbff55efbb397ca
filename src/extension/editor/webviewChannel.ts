// What every KHO webview panel does with its webview's messages: the `ready` handshake (a reloaded
// webview knows nothing, so the caller sends everything), requests to an RPC server, and the
// webview's reports of what it drew, which integration tests wait for.

import * as vscode from 'vscode';
import { isRpcMessage, type RpcMessage } from '../../protocol/rpc';
import { WEBVIEW_PROTOCOL, type RenderedReport } from '../../protocol/webview';

/** Routes the webview's messages: `onReady(ok)` on each handshake (ok: same protocol), the rest to `server`. */
export function listenToWebview(webview: vscode.Webview, server: { handle(m: RpcMessage): void }, onReady: (ok: boolean) => void): vscode.Disposable {
  return webview.onDidReceiveMessage((m: unknown) => {
    if (!isRpcMessage(m)) return;
    if (m.kind === 'ready') onReady(m.protocol === WEBVIEW_PROTOCOL);
    else server.handle(m);
  });
}

/** The webview's last report, and waiters for one with a drawn map. */
export class RenderReports {
  private last: RenderedReport | undefined;
  private waiters: ((r: RenderedReport) => void)[] = [];

  get report(): RenderedReport | undefined { return this.last; }

  add(r: RenderedReport): void {
    this.last = r;
    if (r.mapDraws > 0) { for (const w of this.waiters) w(r); this.waiters = []; }
  }

  /** Resolves once the webview reports a drawn map. */
  whenRendered(): Promise<RenderedReport> {
    if (this.last && this.last.mapDraws > 0) return Promise.resolve(this.last);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
