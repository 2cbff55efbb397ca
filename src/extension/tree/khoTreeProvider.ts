// The "KHO State" tree: follows the active KHO document and asks its worker one level at a
// time. Elements are memoised per document by their content-derived id, so `reveal` and
// `getParent` work and VS Code keeps expansion state across refreshes.

import * as vscode from 'vscode';
import type { TreeNodeDto } from '../../protocol/model';
import type { KhoDocument } from '../document/khoDocument';
import type { DocumentRegistry } from '../registry';
import { maxItemsPerGroup } from '../settings';

export interface TreeElement {
  readonly doc: KhoDocument;
  readonly node: TreeNodeDto;
}

export const TREE_VIEW_ID = 'khoInspector.tree';
export const REVEAL_PROBLEM = 'khoInspector.revealProblem';

/** contextValue tokens used by package.json menus (`viewItem =~ /\baddress\b/`). */
export function contextValue(el: TreeElement): string {
  const n = el.node;
  const parts = [`kho.${n.kind}`];
  if (n.address !== undefined) {
    parts.push('address');
    if (n.end !== undefined) parts.push('memory');
    // "nohex": the menu item shows disabled (compressed kdump page, not in the dump); the tooltip says why.
    if (el.doc.model.pairing.image !== null) parts.push(n.hexUnavailable ? 'nohex' : 'hex');
  }
  if (n.dts) parts.push('dts');
  if (n.kind === 'problem' && n.address !== undefined) parts.push('revealable');
  return parts.join(' ');
}

export class KhoTreeProvider implements vscode.TreeDataProvider<TreeElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeElement | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly memo = new Map<string, Map<string, TreeElement>>();
  private readonly subs: vscode.Disposable[] = [];
  private view: vscode.TreeView<TreeElement> | undefined;

  constructor(private readonly registry: DocumentRegistry) {
    this.subs.push(
      registry.onDidChangeActive(() => this.refresh()),
      registry.onDidChangeState((doc) => {
        this.memo.delete(doc.key);
        if (doc === registry.active) this.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('khoInspector.maxItemsPerGroup')) {
          this.memo.clear();
          this.refresh();
        }
      }),
    );
  }

  attach(view: vscode.TreeView<TreeElement>): void {
    this.view = view;
    this.updateMessage();
  }

  refresh(): void {
    this.updateMessage();
    this.changed.fire();
  }

  private updateMessage(): void {
    if (!this.view) return;
    const doc = this.registry.active;
    const s = doc?.model.state;
    this.view.description = doc ? doc.model.fileName : undefined;
    this.view.message =
      !doc || !s
        ? undefined
        : s.status === 'decoding'
          ? s.message
          : s.status === 'failed'
            ? `${doc.model.fileName}: ${s.message}`
            : s.status === 'ready' && s.summary.fatal
              ? `${doc.model.fileName}: ${s.summary.fatal}`
              : undefined;
  }

  private element(doc: KhoDocument, node: TreeNodeDto): TreeElement {
    let m = this.memo.get(doc.key);
    if (!m) {
      m = new Map();
      this.memo.set(doc.key, m);
    }
    const known = m.get(node.id);
    if (known) return known;
    const el: TreeElement = { doc, node };
    m.set(node.id, el);
    return el;
  }

  getTreeItem(el: TreeElement): vscode.TreeItem {
    const n = el.node;
    const item = new vscode.TreeItem(
      n.label,
      n.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `${el.doc.key}|${n.id}`;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = contextValue(el);
    if (n.icon) {
      const color =
        n.severity === 'error'
          ? new vscode.ThemeColor('problemsErrorIcon.foreground')
          : n.severity === 'warning'
            ? new vscode.ThemeColor('problemsWarningIcon.foreground')
            : undefined;
      item.iconPath = new vscode.ThemeIcon(n.icon, color);
    }
    if (n.kind === 'section' && n.id === 'fdt') item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
    // A click on a problem shows what it is about (the offending block, range, client item...).
    if (n.kind === 'problem') item.command = { command: REVEAL_PROBLEM, title: 'Reveal Problem', arguments: [el] };
    return item;
  }

  async getChildren(el?: TreeElement): Promise<TreeElement[]> {
    const doc = el?.doc ?? this.registry.active;
    if (!doc || doc.model.state.status !== 'ready') return [];
    try {
      const nodes = await doc.model.children(el ? el.node.id : null, maxItemsPerGroup());
      return nodes.map((n) => this.element(doc, n));
    } catch (e) {
      void vscode.window.showErrorMessage(
        `KHO: cannot list ${el ? el.node.label : 'the dump'}: ${(e as Error).message}`,
      );
      return [];
    }
  }

  async getParent(el: TreeElement): Promise<TreeElement | undefined> {
    const pid = el.node.parentId;
    if (pid === null) return undefined;
    return this.byId(el.doc, pid);
  }

  /** The element for an id, asking the worker when this id was never listed. */
  async byId(doc: KhoDocument, id: string): Promise<TreeElement | undefined> {
    const known = this.memo.get(doc.key)?.get(id);
    if (known) return known;
    const node = await doc.model.node(id, maxItemsPerGroup());
    return node ? this.element(doc, node) : undefined;
  }

  /** Reveals (selects, focuses) the item at the end of `path` (ids root → leaf). */
  async revealPath(
    doc: KhoDocument,
    path: readonly string[],
    opts: { focus?: boolean } = {},
  ): Promise<TreeElement | undefined> {
    if (path.length === 0) return undefined;
    if (this.registry.active !== doc) this.registry.setActive(doc, this.registry.activeEditorIsKho);
    // Materialise the chain top-down so every getParent answer is memoised.
    let leaf: TreeElement | undefined;
    for (const id of path) leaf = await this.byId(doc, id);
    if (leaf && this.view) await this.view.reveal(leaf, { select: true, focus: opts.focus ?? false, expand: false });
    return leaf;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}
