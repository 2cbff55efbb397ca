// KHO: Show as DTS — an FDT (the KHO root, a client's sub-FDT) rendered as device-tree source in a
// read-only virtual document `kho-dts:/<name>.dts?doc=…&node=…`, asked from the worker each time.

import * as vscode from 'vscode';
import type { DocumentRegistry } from '../registry';
import type { Services } from '../services';
import { docFor, isTreeElement } from './targets';

export const DTS_SCHEME = 'kho-dts';

export class DtsContentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly registry: DocumentRegistry) {
    // A re-decode may change the text: refresh the open DTS documents of that dump.
    this.sub = registry.onDidChangeState((doc) => {
      if (doc.model.state.status !== 'ready') return;
      for (const d of vscode.workspace.textDocuments) {
        if (d.uri.scheme === DTS_SCHEME && new URLSearchParams(d.uri.query).get('doc') === doc.key)
          this.changed.fire(d.uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const doc = this.registry.get(q.get('doc') ?? '');
    if (!doc) return '// The dump this came from is no longer open in KHO Inspector.\n';
    try {
      await doc.model.whenDecoded();
      const r = await doc.model.dts(q.get('node') ?? '');
      return r?.text ?? '// Nothing to render: this item holds no FDT.\n';
    } catch (e) {
      return `// Cannot render: ${(e as Error).message}\n`;
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

export async function showDts(s: Services, arg?: unknown): Promise<vscode.Uri | undefined> {
  const el = isTreeElement(arg) ? arg : arg === undefined ? s.treeView.selection[0] : undefined;
  const o =
    !el && typeof arg === 'object' && arg !== null ? (arg as { uri?: vscode.Uri | string; id?: unknown }) : undefined;
  const doc = el?.doc ?? docFor(s, o?.uri);
  const id = el?.node.id ?? (typeof o?.id === 'string' ? o.id : 'fdt');
  if (!doc) {
    void vscode.window.showInformationMessage('KHO: open a dump first (KHO: Open Dump...).');
    return undefined;
  }
  await doc.model.whenDecoded();
  const r = await doc.model.dts(id);
  if (!r) {
    void vscode.window.showInformationMessage(`KHO: ${el?.node.label ?? id} holds no FDT to show as DTS.`);
    return undefined;
  }
  const name = r.name.replace(/[^\w.-]+/g, '_') || 'fdt';
  const uri = vscode.Uri.from({
    scheme: DTS_SCHEME,
    path: `/${name}.dts`,
    query: new URLSearchParams({ doc: doc.key, node: id }).toString(),
  });
  let text = await vscode.workspace.openTextDocument(uri);
  if (text.languageId !== 'dts' && (await vscode.languages.getLanguages()).includes('dts')) {
    text = await vscode.languages.setTextDocumentLanguage(text, 'dts');
  }
  await vscode.window.showTextDocument(text, { preview: true });
  return uri;
}
