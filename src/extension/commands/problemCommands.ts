// KHO: Reveal Problem — from a problem item (click, context menu) to what it is about: the offending
// block, range, node page, client item or scratch area, selected in the tree and outlined in the map.

import * as vscode from 'vscode';
import type { RangeDto } from '../../protocol/model';
import type { KhoDocument } from '../document/khoDocument';
import { VIEW_TYPE } from '../editor/khoEditorProvider';
import type { Services } from '../services';
import { maxItemsPerGroup } from '../settings';
import { docFor, isTreeElement } from './targets';

export interface RevealProblemResult {
  /** The problem item's id. */
  problem: string;
  /** Id of the tree item revealed, or null when nothing in the tree holds the address. */
  revealed: string | null;
  what: string;
  span: RangeDto | null;
}

/** Outlines [start, end) in the document's map, opening its editor when no panel shows it. */
export async function showInMap(s: Services, doc: KhoDocument, span: RangeDto, label: string): Promise<boolean> {
  let panel = s.registry.panel(doc);
  if (!panel) {
    await vscode.commands.executeCommand('vscode.openWith', doc.uri, VIEW_TYPE, {
      preserveFocus: true,
      preview: false,
    });
    panel = s.registry.panel(doc);
  }
  panel?.highlight({ start: span.start, end: span.end, label });
  return panel !== undefined;
}

/** Arguments: a problem tree element, or { uri?, id } with a problem item id ("problems/error!0"). */
function problemArg(s: Services, arg: unknown): { doc: KhoDocument; id: string } | undefined {
  if (isTreeElement(arg)) return arg.node.kind === 'problem' ? { doc: arg.doc, id: arg.node.id } : undefined;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string') {
    const o = arg as { uri?: vscode.Uri | string; id: string };
    const doc = docFor(s, o.uri);
    return doc ? { doc, id: o.id } : undefined;
  }
  const sel = s.treeView.selection[0];
  return arg === undefined && sel?.node.kind === 'problem' ? { doc: sel.doc, id: sel.node.id } : undefined;
}

export async function revealProblem(s: Services, arg?: unknown): Promise<RevealProblemResult | undefined> {
  const p = problemArg(s, arg);
  if (!p) {
    void vscode.window.showInformationMessage('KHO: select a problem under "Problems" in the KHO State view.');
    return undefined;
  }
  await p.doc.model.whenDecoded();
  const t = await p.doc.model.revealTarget(p.id, maxItemsPerGroup());
  if (!t) {
    void vscode.window.showWarningMessage(`KHO: no problem "${p.id}" in ${p.doc.model.fileName}.`);
    return undefined;
  }
  const problem = await s.tree.byId(p.doc, p.id);
  const code = problem?.node.code ?? '';
  if (t.span) await showInMap(s, p.doc, t.span, `${code}: ${t.what}`);
  let revealed: string | null = null;
  if (t.path.length > 0) revealed = (await s.tree.revealPath(p.doc, t.path, { focus: true }))?.node.id ?? null;
  if (!revealed || !s.status.say(p.doc, `${code} → ${t.what}`)) {
    s.status.clearResult();
    void vscode.window.showInformationMessage(`KHO: ${code}: ${t.what}.`);
  }
  return { problem: p.id, revealed, what: t.what, span: t.span };
}
