// Entry point: registers the custom editor, the tree, the commands, diagnostics and the status
// bar item, and returns the API integration tests use.

import * as vscode from 'vscode';
import { createApi, type KhoInspectorApi } from './api';
import { attachQemu, type AttachQemuArgs } from './commands/attachQemu';
import { addClient, exportDump, preserveRange, removeClient, unpreserve } from './commands/edit';
import { goToAddress, showLookup } from './commands/goToAddress';
import { decodePreFix16k, offerHint, setHandoff, type HandoffArgs } from './commands/decodeMode';
import { DTS_SCHEME, DtsContentProvider, showDts } from './commands/dtsDocuments';
import { copyAddress, hexEditorInstalled, openInHexEditor, refresh, revealInMap } from './commands/itemCommands';
import { openDump, openWithInspector, pickFdtFor, pickImageFor, type OpenDumpArgs } from './commands/openDump';
import { revealProblem } from './commands/problemCommands';
import { CompareView } from './compare/compareView';
import { DiagnosticsPublisher } from './diagnostics';
import { BackupIndex, JsonFileStore } from '../node/backupIndex';
import { PairingStore } from './document/pairingStore';
import { workerStarter } from './engineHost/engineSession';
import { KhoEditorProvider, VIEW_TYPE } from './editor/khoEditorProvider';
import { DocumentRegistry } from './registry';
import type { Services } from './services';
import { maxItemsPerGroup } from './settings';
import { StatusItem } from './status';
import { KhoTreeProvider, TREE_VIEW_ID, type TreeElement } from './tree/khoTreeProvider';

export type { KhoInspectorApi } from './api';

export function activate(context: vscode.ExtensionContext): KhoInspectorApi {
  const registry = new DocumentRegistry();
  const pairings = new PairingStore(context.workspaceState);
  const startWorker = workerStarter(context.asAbsolutePath('dist/decodeWorker.js'));
  const editor = new KhoEditorProvider(
    context.extensionUri,
    registry,
    pairings,
    startWorker,
    new BackupIndex(
      new JsonFileStore(vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'backups.json').fsPath),
    ),
  );
  const tree = new KhoTreeProvider(registry);
  const treeView = vscode.window.createTreeView<TreeElement>(TREE_VIEW_ID, {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  tree.attach(treeView);
  const status = new StatusItem(registry);
  const dtsProvider = new DtsContentProvider(registry);
  const compare = new CompareView(context.extensionUri, editor, registry, startWorker);
  const s: Services = { context, registry, pairings, tree, treeView, editor, status, compare };

  editor.setHooks({
    select: async (doc, address) => {
      const l = await doc.model.lookup(address, maxItemsPerGroup());
      await showLookup(s, doc, l);
      return l;
    },
    action: async (doc, action) => {
      if (action === 'pickFdt') await pickFdtFor(s, doc);
      else if (action === 'pickImage') await pickImageFor(s, doc);
      else if (action === 'preFix16k' || action === 'fixedDepth')
        await decodePreFix16k(s, doc.uri, action === 'preFix16k');
      else await editor.refresh(doc);
    },
    hint: (doc, hint) => offerHint(s, doc, hint),
    // The Delete key on the map runs the command its context menu offers, with the same argument.
    mapCommand: async (_doc, command, context) => {
      await vscode.commands.executeCommand(`khoInspector.${command}`, context);
    },
  });

  const updateHexContext = (): void => {
    void vscode.commands.executeCommand('setContext', 'khoInspector.hexEditorInstalled', hexEditorInstalled());
  };
  updateHexContext();

  context.subscriptions.push(
    registry,
    tree,
    treeView,
    status,
    new DiagnosticsPublisher(registry),
    compare,
    ...compare.commands(),
    vscode.window.registerCustomEditorProvider(VIEW_TYPE, editor, {
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: false,
    }),
    // Tree selection → highlight in the map.
    treeView.onDidChangeSelection((e) => {
      const el = e.selection[0];
      if (!el?.node.address) return;
      const end = el.node.end ?? el.node.address;
      registry.panel(el.doc)?.highlight({ start: el.node.address, end, label: el.node.label });
    }),
    vscode.extensions.onDidChange(updateHexContext),
    vscode.commands.registerCommand('khoInspector.openDump', (args?: OpenDumpArgs) => openDump(s, args)),
    vscode.commands.registerCommand('khoInspector.attachQemu', (args?: AttachQemuArgs) => attachQemu(s, args)),
    vscode.commands.registerCommand('khoInspector.openWithInspector', (uri?: vscode.Uri) => openWithInspector(uri)),
    // From editor/title menus the first argument is the editor's URI; from tests, an address.
    vscode.commands.registerCommand('khoInspector.goToAddress', (a?: unknown, uri?: vscode.Uri | string) =>
      a instanceof vscode.Uri ? goToAddress(s, undefined, a) : goToAddress(s, a, uri),
    ),
    vscode.commands.registerCommand('khoInspector.copyAddress', (arg?: unknown) => copyAddress(s, arg)),
    vscode.commands.registerCommand('khoInspector.revealInMap', (arg?: unknown) => revealInMap(s, arg)),
    vscode.commands.registerCommand('khoInspector.openInHexEditor', (arg?: unknown) => openInHexEditor(s, arg)),
    vscode.commands.registerCommand('khoInspector.refresh', (arg?: unknown) => refresh(s, arg)),
    vscode.commands.registerCommand('khoInspector.preserveRange', (arg?: unknown) => preserveRange(s, arg)),
    vscode.commands.registerCommand('khoInspector.unpreserve', (arg?: unknown) => unpreserve(s, arg)),
    vscode.commands.registerCommand('khoInspector.addClient', (arg?: unknown) => addClient(s, arg)),
    vscode.commands.registerCommand('khoInspector.removeClient', (arg?: unknown) => removeClient(s, arg)),
    vscode.commands.registerCommand('khoInspector.export', (arg?: unknown) => exportDump(s, arg)),
    vscode.commands.registerCommand('khoInspector.revealProblem', (arg?: unknown) => revealProblem(s, arg)),
    vscode.commands.registerCommand('khoInspector.showDts', (arg?: unknown) => showDts(s, arg)),
    vscode.commands.registerCommand('khoInspector.decodePreFix16k', (uri?: unknown, enable?: unknown) =>
      decodePreFix16k(s, uri instanceof vscode.Uri || typeof uri === 'string' ? uri : undefined, enable),
    ),
    vscode.commands.registerCommand('khoInspector.setHandoff', (args?: HandoffArgs | vscode.Uri) =>
      setHandoff(s, args),
    ),
    vscode.workspace.registerTextDocumentContentProvider(DTS_SCHEME, dtsProvider),
    dtsProvider,
  );
  return createApi(s);
}

export function deactivate(): void {
  // Documents dispose their workers when VS Code disposes them.
}
