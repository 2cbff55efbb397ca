// Status bar while a KHO editor is active: ABI version and preserved total ("live: QEMU, …" for a
// guest read over QMP), and the result of the
// last command about that dump (Go to Physical Address, Reveal Problem). A result belongs to its
// dump: it names the dump and goes as soon as that dump's editor stops being the active one.

import * as vscode from 'vscode';
import type { KhoDocument } from './document/khoDocument';
import type { DocumentRegistry } from './registry';

/** How long a result stays while its dump remains active. */
const RESULT_MS = 8000;

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('khoInspector.status', vscode.StatusBarAlignment.Left, 50);
  private readonly result = vscode.window.createStatusBarItem(
    'khoInspector.result',
    vscode.StatusBarAlignment.Left,
    49,
  );
  private readonly subs: vscode.Disposable[] = [];
  private shown: { doc: KhoDocument; text: string; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(private readonly registry: DocumentRegistry) {
    this.item.name = 'KHO Inspector';
    this.item.command = 'khoInspector.tree.focus';
    this.result.name = 'KHO Inspector: last result';
    this.subs.push(
      registry.onDidChangeActive(() => this.update()),
      registry.onDidChangeState(() => this.update()),
    );
    this.update();
  }

  get text(): string | undefined {
    return this.registry.activeEditorIsKho ? this.item.text : undefined;
  }

  /** The result shown for the active dump, if any. */
  get resultText(): string | undefined {
    return this.shown?.text;
  }

  /**
   * Shows `message` about `doc` while doc's editor is the active one (at most RESULT_MS).
   * Returns false, showing nothing, when doc's editor is not active now.
   */
  say(doc: KhoDocument, message: string): boolean {
    this.clearResult();
    if (!this.isActive(doc)) return false;
    const text = `KHO ${doc.model.fileName}: ${message}`;
    this.result.text = `$(search) ${text}`;
    this.result.tooltip = text;
    this.result.show();
    this.shown = { doc, text, timer: setTimeout(() => this.clearResult(), RESULT_MS) };
    return true;
  }

  private isActive(doc: KhoDocument): boolean {
    return this.registry.active === doc && this.registry.activeEditorIsKho;
  }

  /** Removes the result shown (a newer answer went elsewhere). */
  clearResult(): void {
    if (!this.shown) return;
    clearTimeout(this.shown.timer);
    this.shown = undefined;
    this.result.hide();
  }

  update(): void {
    if (this.shown && !this.isActive(this.shown.doc)) this.clearResult();
    const doc = this.registry.active;
    if (!doc || !this.registry.activeEditorIsKho) {
      this.item.hide();
      return;
    }
    const s = doc.model.state;
    if (s.status === 'ready') {
      const abi = s.summary.fdt?.abi ?? 'no KHO FDT';
      const live = s.summary.live;
      this.item.text = `${live ? `$(vm) live: QEMU, ${live.state}` : '$(database)'} · ${abi} · ${s.summary.preserved.human} preserved`;
      this.item.tooltip =
        `${live ? `QEMU guest at ${live.address}` : doc.model.fileName}: ${s.summary.preserved.blocks.toLocaleString('en-US')} blocks, ${s.summary.preserved.human} preserved` +
        `; ${s.summary.problems.errors} errors, ${s.summary.problems.warnings} warnings${live ? `; ${live.cost}; KHO: Refresh reads it again` : ''}`;
    } else {
      this.item.text = s.status === 'decoding' ? '$(sync~spin) KHO decoding' : '$(error) KHO';
      this.item.tooltip = s.status === 'failed' ? s.message : doc.model.fileName;
    }
    this.item.show();
  }

  dispose(): void {
    this.clearResult();
    for (const s of this.subs) s.dispose();
    this.item.dispose();
    this.result.dispose();
  }
}
