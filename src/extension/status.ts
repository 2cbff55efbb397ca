// Status bar item while a KHO editor is active: ABI version and preserved total ("live: QEMU, …" for a guest read over QMP).

import * as vscode from 'vscode';
import type { DocumentRegistry } from './registry';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('khoInspector.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly registry: DocumentRegistry) {
    this.item.name = 'KHO Inspector';
    this.item.command = 'khoInspector.tree.focus';
    this.subs.push(registry.onDidChangeActive(() => this.update()), registry.onDidChangeState(() => this.update()));
    this.update();
  }

  get text(): string | undefined { return this.registry.activeEditorIsKho ? this.item.text : undefined; }

  update(): void {
    const doc = this.registry.active;
    if (!doc || !this.registry.activeEditorIsKho) { this.item.hide(); return; }
    const s = doc.model.state;
    if (s.status === 'ready') {
      const abi = s.summary.fdt?.abi ?? 'no KHO FDT';
      const live = s.summary.live;
      this.item.text = `${live ? `$(vm) live: QEMU, ${live.state}` : '$(database)'} · ${abi} · ${s.summary.preserved.human} preserved`;
      this.item.tooltip = `${live ? `QEMU guest at ${live.address}` : doc.model.fileName}: ${s.summary.preserved.blocks.toLocaleString('en-US')} blocks, ${s.summary.preserved.human} preserved` +
        `; ${s.summary.problems.errors} errors, ${s.summary.problems.warnings} warnings${live ? `; ${live.cost}; KHO: Refresh reads it again` : ''}`;
    } else {
      this.item.text = s.status === 'decoding' ? '$(sync~spin) KHO decoding' : '$(error) KHO';
      this.item.tooltip = s.status === 'failed' ? s.message : doc.model.fileName;
    }
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
