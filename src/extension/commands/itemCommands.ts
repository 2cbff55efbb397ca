// Actions on a tree item (or an address): copy it, reveal it in the map, open its bytes in the
// Hex Editor; and refresh.

import * as vscode from 'vscode';
import { VIEW_TYPE, type UnsavedEdits } from '../editor/khoEditorProvider';
import type { Services } from '../services';
import { inBackground } from '../background';
import { maxItemsPerGroup } from '../settings';
import { docFor, isTreeElement, memoryTarget } from './targets';

export const HEX_EDITOR_ID = 'ms-vscode.hexeditor';
export const HEX_EDITOR_VIEW = 'hexEditor.hexedit';

export function hexEditorInstalled(): boolean {
  return vscode.extensions.getExtension(HEX_EDITOR_ID) !== undefined;
}

export async function copyAddress(s: Services, arg?: unknown): Promise<string | undefined> {
  const t = memoryTarget(s, arg);
  if (!t) {
    void vscode.window.showInformationMessage('KHO: select a tree item with an address to copy.');
    return undefined;
  }
  await vscode.env.clipboard.writeText(t.start);
  vscode.window.setStatusBarMessage(`Copied ${t.start}`, 3000);
  return t.start;
}

export async function revealInMap(s: Services, arg?: unknown): Promise<boolean> {
  const t = memoryTarget(s, arg);
  if (!t) {
    void vscode.window.showInformationMessage('KHO: select a tree item with an address to show in the map.');
    return false;
  }
  let panel = s.registry.panel(t.doc);
  if (!panel) {
    await vscode.commands.executeCommand('vscode.openWith', t.doc.uri, VIEW_TYPE);
    panel = s.registry.panel(t.doc);
  } else {
    panel.panel.reveal(undefined, true);
  }
  panel?.highlight({ start: t.start, end: t.end, label: t.label });
  return panel !== undefined;
}

export interface HexEditorResult {
  opened: boolean;
  uri?: string;
  fileOffset?: number;
  reason?: string;
}

export async function openInHexEditor(s: Services, arg?: unknown): Promise<HexEditorResult> {
  const t = memoryTarget(s, arg);
  if (!t) return { opened: false, reason: 'no address selected' };
  const image = t.doc.model.pairing.image;
  if (!image) return { opened: false, reason: 'no image is open, only the FDT' };
  const lookup = await t.doc.model.lookup(t.start, maxItemsPerGroup());
  if (lookup.fileOffset === null) {
    const reason = lookup.hexUnavailable
      ? `cannot open ${t.start} in the Hex Editor: ${lookup.hexUnavailable}`
      : `${t.start} is not stored verbatim in ${t.doc.model.fileName} (${lookup.inDump ? 'compressed format' : 'not in the dump'})`;
    void vscode.window.showInformationMessage(`KHO: ${reason}.`);
    return { opened: false, reason };
  }
  const uri = vscode.Uri.file(image).with({ query: `baseAddress=0x${lookup.fileOffset.toString(16)}` });
  if (!hexEditorInstalled()) {
    const reason = `the Hex Editor (${HEX_EDITOR_ID}) is not installed`;
    inBackground(
      vscode.window
        .showInformationMessage(
          `KHO: ${t.start} is at file offset 0x${lookup.fileOffset.toString(16)}; ${reason}.`,
          'Show Extension',
        )
        .then((pick) => pick && vscode.commands.executeCommand('workbench.extensions.search', HEX_EDITOR_ID)),
      'showing the Hex Editor extension',
    );
    return { opened: false, uri: uri.toString(), fileOffset: lookup.fileOffset, reason };
  }
  await vscode.commands.executeCommand('vscode.openWith', uri, HEX_EDITOR_VIEW);
  return { opened: true, uri: uri.toString(), fileOffset: lookup.fileOffset };
}

export interface RefreshArgs {
  uri?: vscode.Uri | string;
  unsaved?: UnsavedEdits;
}

/**
 * KHO: Refresh: decodes again from disk. Unsaved edits are discarded first, after a modal question
 * ({ unsaved: 'discard' | 'cancel' } answers it, for tests and keybindings). False when not decoded or kept.
 */
export async function refresh(s: Services, arg?: unknown): Promise<boolean> {
  const o: RefreshArgs =
    typeof arg === 'object' && arg !== null && !isTreeElement(arg) && !(arg instanceof vscode.Uri)
      ? (arg as RefreshArgs)
      : {};
  const doc = isTreeElement(arg)
    ? arg.doc
    : docFor(s, arg instanceof vscode.Uri || typeof arg === 'string' ? arg : o.uri);
  if (!doc) return false;
  const unsaved = o.unsaved === 'discard' || o.unsaved === 'cancel' ? o.unsaved : 'ask';
  if (!(await s.editor.refresh(doc, undefined, unsaved))) return false;
  return doc.model.state.status === 'ready';
}
