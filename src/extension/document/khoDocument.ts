// vscode.CustomDocument for a KHO dump: the URI the user opened plus the DumpModel behind it.
// Edits, undo and save are the DumpModel's and KhoEditorProvider's (a CustomEditorProvider).

import * as vscode from 'vscode';
import type { DumpModel } from './dumpModel';

export class KhoDocument implements vscode.CustomDocument {
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly uri: vscode.Uri,
    readonly model: DumpModel,
  ) {}

  /** Stable key for maps and tree ids. */
  get key(): string {
    return this.uri.toString();
  }

  dispose(): void {
    this.model.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }
}
