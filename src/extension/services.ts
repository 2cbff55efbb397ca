// What commands, the editor provider and the API share.

import type * as vscode from 'vscode';
import type { PairingStore } from './document/pairingStore';
import type { DocumentRegistry } from './registry';
import type { StatusItem } from './status';
import type { KhoTreeProvider, TreeElement } from './tree/khoTreeProvider';
import type { KhoEditorProvider } from './editor/khoEditorProvider';
import type { CompareView } from './compare/compareView';

export interface Services {
  context: vscode.ExtensionContext;
  registry: DocumentRegistry;
  pairings: PairingStore;
  tree: KhoTreeProvider;
  treeView: vscode.TreeView<TreeElement>;
  editor: KhoEditorProvider;
  status: StatusItem;
  compare: CompareView;
}
