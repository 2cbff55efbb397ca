// KHO: Compare with... — two dumps compared in the "KHO Compare" view: only in LEFT / only in RIGHT
// (by order and by range) and changed clients, from the comparison's worker one level at a time;
// Go to Physical Address there says on which side(s) an address is preserved; when LEFT is the
// sender's state, pages the receiver is missing are errors in Problems (against RIGHT).

import * as path from 'path';
import * as vscode from 'vscode';
import { hex, humanSize, parseAddress } from '../../engine/util/hex';
import type { CompareLookupDto, CompareSummaryDto } from '../../protocol/compare';
import type { MapExtentsDto, TreeNodeDto } from '../../protocol/model';
import { toVscodeDiagnostic } from '../diagnostics';
import type { Pairing } from '../document/pairing';
import type { KhoEditorProvider } from '../editor/khoEditorProvider';
import type { EngineStarter } from '../engineHost/engineSession';
import type { DocumentRegistry } from '../registry';
import { maxItemsPerGroup, SECTION } from '../settings';
import { ComparePanel } from './comparePanel';
import { Comparison } from './comparison';
import { addressOrAsk } from '../commands/targets';

export const COMPARE_VIEW_ID = 'khoInspector.compare';
const COMPARING = 'khoInspector.comparing';
const SELECTED = 'khoInspector.compareSelected';

export interface CompareElement {
  readonly node: TreeNodeDto;
}

class CompareTreeProvider implements vscode.TreeDataProvider<CompareElement> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Elements by id, so reveal and getParent work (cleared with each comparison). */
  private memo = new Map<string, CompareElement>();

  constructor(private readonly current: () => Comparison | undefined) {}

  refresh(): void {
    this.memo = new Map();
    this.changed.fire();
  }

  getTreeItem(el: CompareElement): vscode.TreeItem {
    const n = el.node;
    const item = new vscode.TreeItem(
      n.label,
      n.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = n.id;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = `kho.${n.kind}${n.address !== undefined ? ' address' : ''}`;
    if (n.icon) item.iconPath = new vscode.ThemeIcon(n.icon);
    return item;
  }

  async getChildren(el?: CompareElement): Promise<CompareElement[]> {
    const c = this.current();
    if (!c) return [];
    try {
      const nodes = await c.children(el ? el.node.id : null, maxItemsPerGroup());
      return nodes.map((n) => {
        const known = this.memo.get(n.id);
        if (known) return known;
        const e = { node: n };
        this.memo.set(n.id, e);
        return e;
      });
    } catch (e) {
      void vscode.window.showErrorMessage(
        `KHO: cannot list ${el ? el.node.label : 'the comparison'}: ${(e as Error).message}`,
      );
      return [];
    }
  }

  known(id: string): CompareElement | undefined {
    return this.memo.get(id);
  }

  getParent(el: CompareElement): CompareElement | undefined {
    return el.node.parentId === null ? undefined : this.memo.get(el.node.parentId);
  }

  /** The element at the end of `ids` (root → leaf), listing each level on the way. */
  async elementAt(ids: readonly string[]): Promise<CompareElement | undefined> {
    let parent: CompareElement | undefined;
    for (const id of ids) {
      parent = (await this.getChildren(parent)).find((e) => e.node.id === id);
      if (!parent) return undefined;
    }
    return parent;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** One line for people about a comparison's outcome. */
export function describeComparison(s: CompareSummaryDto): string {
  if (s.same) return 'the same blocks and clients on both sides';
  const parts: string[] = [];
  const side = (n: number, bytes: string, where: string) => {
    if (n > 0)
      parts.push(
        `${n.toLocaleString('en-US')} block${n === 1 ? '' : 's'} (${humanSize(BigInt(bytes))} of pages) only in ${where}`,
      );
  };
  side(s.onlyLeftBlocks, s.onlyLeftBytes, 'LEFT');
  side(s.onlyRightBlocks, s.onlyRightBytes, 'RIGHT');
  const c = s.clients;
  if (c.onlyLeft.length) parts.push(`clients only in LEFT: ${c.onlyLeft.join(', ')}`);
  if (c.onlyRight.length) parts.push(`clients only in RIGHT: ${c.onlyRight.join(', ')}`);
  if (c.changed.length) parts.push(`changed clients: ${c.changed.map((x) => x.name).join(', ')}`);
  return parts.join('; ');
}

export class CompareView implements vscode.Disposable {
  private comparison: Comparison | undefined;
  private selected: vscode.Uri | undefined;
  private readonly tree = new CompareTreeProvider(() => this.comparison);
  private readonly view: vscode.TreeView<CompareElement>;
  private readonly problems = vscode.languages.createDiagnosticCollection('kho-compare');
  private rightUri: vscode.Uri | undefined;
  private panel: ComparePanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly editor: KhoEditorProvider,
    private readonly registry: DocumentRegistry,
    private readonly start: EngineStarter,
  ) {
    this.view = vscode.window.createTreeView(COMPARE_VIEW_ID, { treeDataProvider: this.tree, showCollapseAll: true });
  }

  get current(): Comparison | undefined {
    return this.comparison;
  }

  commands(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand('khoInspector.compareWith', (uri?: unknown, right?: unknown) =>
        this.compareWith(asUri(uri), asUri(right)),
      ),
      vscode.commands.registerCommand('khoInspector.selectForCompare', (uri?: unknown) => this.select(asUri(uri))),
      vscode.commands.registerCommand('khoInspector.compareWithSelected', (uri?: unknown) =>
        this.compareWithSelected(asUri(uri)),
      ),
      vscode.commands.registerCommand('khoInspector.compareGoToAddress', (address?: unknown) =>
        this.goToAddress(address),
      ),
    ];
  }

  /** LEFT: the given file, else the active dump, else asked; RIGHT: the given file, else asked. */
  async compareWith(left?: vscode.Uri, right?: vscode.Uri): Promise<CompareSummaryDto | undefined> {
    left ??=
      this.registry.active?.uri ?? (await pickFile("KHO: Compare — the LEFT state (e.g. the sender's, before kexec)"));
    if (!left) return undefined;
    right ??= await pickFile(
      `KHO: Compare ${path.basename(left.fsPath)} with... (the RIGHT state, e.g. the receiver's, after kexec)`,
    );
    if (!right) return undefined;
    return this.compare(left, right);
  }

  private async select(uri: vscode.Uri | undefined): Promise<void> {
    if (!uri) return;
    this.selected = uri;
    await vscode.commands.executeCommand('setContext', SELECTED, true);
    // Said once the menus offer "Compare KHO State with Selected" (the context key is set).
    vscode.window.setStatusBarMessage(
      `KHO: ${path.basename(uri.fsPath)} selected as LEFT; right-click another dump > Compare KHO State with Selected`,
      15000,
    );
  }

  private async compareWithSelected(uri: vscode.Uri | undefined): Promise<CompareSummaryDto | undefined> {
    if (!this.selected) {
      void vscode.window.showWarningMessage('KHO: first choose the LEFT state with "Select for KHO Compare".');
      return undefined;
    }
    return this.compareWith(this.selected, uri);
  }

  async compare(left: vscode.Uri, right: vscode.Uri): Promise<CompareSummaryDto | undefined> {
    const sides: { path: string; pairing: Pairing }[] = [];
    for (const [label, uri] of [
      ['LEFT', left],
      ['RIGHT', right],
    ] as const) {
      if (uri.scheme !== 'file') {
        void vscode.window.showErrorMessage(`KHO: ${label} ${uri.toString()}: only local files can be compared`);
        return undefined;
      }
      const pairing = await this.editor.resolve(uri.fsPath);
      if (typeof pairing === 'string') {
        void vscode.window.showErrorMessage(`KHO: ${label} ${path.basename(uri.fsPath)}: ${pairing}`);
        return undefined;
      }
      if (pairing.image === null) {
        void vscode.window.showErrorMessage(
          `KHO: ${label} ${path.basename(uri.fsPath)}: no image to compare (an FDT alone has no preserved-memory tracker)`,
        );
        return undefined;
      }
      sides.push({ path: uri.fsPath, pairing });
    }
    const leftIsSender = vscode.workspace.getConfiguration(SECTION).get<boolean>('compare.leftIsSender', true);
    let next: Comparison;
    try {
      next = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `KHO: comparing ${path.basename(left.fsPath)} with ${path.basename(right.fsPath)}`,
          cancellable: true,
        },
        (progress, token) =>
          Comparison.open(this.start, sides[0], sides[1], leftIsSender, {
            token,
            onProgress: (p) => progress.report({ message: p.stage }),
          }),
      );
    } catch (e) {
      void vscode.window.showErrorMessage(`KHO: cannot compare: ${(e as Error).message}`);
      return undefined;
    }
    let extents: MapExtentsDto;
    try {
      extents = await next.mapExtents();
    } catch (e) {
      next.dispose();
      void vscode.window.showErrorMessage(`KHO: cannot compare: ${(e as Error).message}`);
      return undefined;
    }
    this.panel?.dispose();
    this.comparison?.dispose();
    this.comparison = next;
    const text = `LEFT ${path.basename(left.fsPath)} · RIGHT ${path.basename(right.fsPath)}: ${describeComparison(next.summary)}`;
    const panel = new ComparePanel(this.extensionUri, next, extents, text, (address) =>
      this.selectOnMap(next, address),
    );
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.view.title = 'KHO Compare';
    this.view.description = next.title;
    this.view.message = text;
    this.tree.refresh();
    await vscode.commands.executeCommand('setContext', COMPARING, true);
    if (this.rightUri) this.problems.delete(this.rightUri);
    this.rightUri = right;
    this.problems.set(right, (await next.problems()).map(toVscodeDiagnostic));
    await vscode.commands.executeCommand(`${COMPARE_VIEW_ID}.focus`);
    return next.summary;
  }

  /** Says on which side(s) an address is preserved and reveals the range on one side only that holds it. */
  async goToAddress(arg?: unknown): Promise<CompareLookupDto | undefined> {
    const c = this.comparison;
    if (!c) {
      void vscode.window.showWarningMessage('KHO: compare two dumps first (KHO: Compare with...).');
      return undefined;
    }
    const address = await addressOrAsk(arg, {
      title: 'KHO: Go to Physical Address in the Comparison',
      prompt: `Physical address (${c.title}; hex 0x… or decimal)`,
    });
    if (address === undefined) return undefined;
    const l = await this.show(c, BigInt(address), { focus: arg === undefined });
    void vscode.window.showInformationMessage(`KHO: ${l.message}`);
    return l;
  }

  /** A click on the comparison's map: the same answer, in the map's status line. */
  private async selectOnMap(c: Comparison, address: string): Promise<CompareLookupDto | null> {
    const a = parseAddress(address);
    return c === this.comparison && a !== undefined ? this.show(c, a, { focus: false }) : null;
  }

  /** Looks an address up, reveals the range holding it in the view and highlights its page in the map. */
  private async show(c: Comparison, address: bigint, opts: { focus: boolean }): Promise<CompareLookupDto> {
    const l = await c.lookup(hex(address), maxItemsPerGroup());
    const el = l.path.length ? await this.tree.elementAt(l.path) : undefined;
    if (el) await this.view.reveal(el, { select: true, focus: opts.focus, expand: false });
    const page = BigInt(Math.min(c.summary.left.pageSize, c.summary.right.pageSize));
    const start = address - (address % page);
    this.panel?.highlight({ start: hex(start), end: hex(start + page), label: l.message });
    return l;
  }

  /** The comparison's map panel, while open. */
  get mapPanel(): ComparePanel | undefined {
    return this.panel;
  }

  /** Children of a compare tree node as the view shows them (for the API). */
  async children(id?: string): Promise<{ item: vscode.TreeItem; node: TreeNodeDto }[]> {
    // Items are known once listed: callers walk down from the top as the view does.
    const parent = id === undefined ? undefined : this.tree.known(id);
    if (id !== undefined && !parent) throw new Error(`no compare tree item "${id}" listed yet`);
    return (await this.tree.getChildren(parent)).map((e) => ({ item: this.tree.getTreeItem(e), node: e.node }));
  }

  selection(): string[] {
    return this.view.selection.map((e) => e.node.id);
  }

  dispose(): void {
    this.panel?.dispose();
    this.comparison?.dispose();
    this.view.dispose();
    this.tree.dispose();
    this.problems.dispose();
  }
}

function asUri(v: unknown): vscode.Uri | undefined {
  return v instanceof vscode.Uri ? v : typeof v === 'string' ? vscode.Uri.file(v) : undefined;
}

async function pickFile(title: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, openLabel: 'Compare' });
  return picked?.[0];
}
