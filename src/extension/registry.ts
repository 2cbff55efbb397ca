// Open KHO documents, their webview panels, and which one is active (the tree, status bar and
// commands follow it).

import * as vscode from 'vscode';
import type { KhoDocument } from './document/khoDocument';
import type { WebviewController } from './editor/webviewController';

export class DocumentRegistry implements vscode.Disposable {
  private readonly docs = new Map<string, KhoDocument>();
  private readonly panels = new Map<string, WebviewController>();
  private _active: KhoDocument | undefined;
  private _activePanelVisible = false;
  private readonly activeEmitter = new vscode.EventEmitter<KhoDocument | undefined>();
  private readonly openedEmitter = new vscode.EventEmitter<KhoDocument>();
  private readonly stateEmitter = new vscode.EventEmitter<KhoDocument>();
  /** The document the tree shows changed (or its panel became (in)active). */
  readonly onDidChangeActive = this.activeEmitter.event;
  readonly onDidOpen = this.openedEmitter.event;
  /** A document's decode state changed. */
  readonly onDidChangeState = this.stateEmitter.event;

  add(doc: KhoDocument): void {
    this.docs.set(doc.key, doc);
    const sub = doc.model.onDidChangeState(() => this.stateEmitter.fire(doc));
    doc.onDidDispose(() => {
      sub.dispose();
      this.docs.delete(doc.key);
      this.panels.delete(doc.key);
      if (this._active === doc) {
        this._active = [...this.docs.values()].pop();
        this._activePanelVisible = false;
        this.activeEmitter.fire(this._active);
      }
    });
    this.openedEmitter.fire(doc);
    if (!this._active) this.setActive(doc, false);
  }

  setPanel(doc: KhoDocument, panel: WebviewController | undefined): void {
    if (panel) this.panels.set(doc.key, panel);
    else this.panels.delete(doc.key);
  }

  panel(doc: KhoDocument): WebviewController | undefined {
    return this.panels.get(doc.key);
  }

  get(uri: vscode.Uri | string): KhoDocument | undefined {
    return this.docs.get(typeof uri === 'string' ? vscode.Uri.parse(uri).toString() : uri.toString());
  }

  all(): KhoDocument[] {
    return [...this.docs.values()];
  }

  /** The document the tree follows: the last KHO editor that was active. */
  get active(): KhoDocument | undefined {
    return this._active;
  }
  /** True while a KHO editor is the active editor. */
  get activeEditorIsKho(): boolean {
    return this._activePanelVisible;
  }

  setActive(doc: KhoDocument, editorActive: boolean): void {
    const changed = this._active !== doc || this._activePanelVisible !== editorActive;
    this._active = doc;
    this._activePanelVisible = editorActive;
    if (changed) this.activeEmitter.fire(doc);
  }

  /** A KHO panel lost the active editor slot (another editor came to front). */
  deactivate(doc: KhoDocument): void {
    if (this._active === doc && this._activePanelVisible) {
      this._activePanelVisible = false;
      this.activeEmitter.fire(doc);
    }
  }

  dispose(): void {
    this.activeEmitter.dispose();
    this.openedEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
