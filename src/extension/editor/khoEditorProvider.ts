// The `khoInspector.dump` custom editor (editable; read-only where document/editing.ts says): resolves the pairing, starts the
// decode in a worker with a cancellable progress notification, and hosts the webview.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ProgressData } from '../../protocol/rpc';
import { DumpModel } from '../document/dumpModel';
import type { BackupIndex, FoundBackup } from '../../node/backupIndex';
import { DocumentEditing, editingFor, recoverLeftoverJournal, type EditEvent } from '../document/editing';
import { KhoDocument } from '../document/khoDocument';
import { fileRole, resolvePairing, type Pairing } from '../document/pairing';
import type { PairingStore } from '../document/pairingStore';
import type { EngineStarter } from '../engineHost/engineSession';
import type { DocumentRegistry } from '../registry';
import { pairingDefaults } from '../settings';
import { inBackground } from '../background';
import { khoLog } from '../log';
import { localResourceRoots, webviewHtml } from './webviewHtml';
import { WebviewController, type WebviewHooks } from './webviewController';

export const VIEW_TYPE = 'khoInspector.dump';

/** Unsaved edits when a dump is about to be decoded again: ask (modal), discard them, or keep them and cancel. */
export type UnsavedEdits = 'ask' | 'discard' | 'cancel';

function tabOf(uri: vscode.Uri): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs)
      if (t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString()) return t;
  }
  return undefined;
}

/** The file behind a backup id (VS Code's backup URI). */
function backupPath(id: string): string {
  return vscode.Uri.parse(id).fsPath;
}

/** A small text file's content, or undefined when it cannot be read. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A pairing that opens nothing: the document shows why it could not be resolved. */
function emptyPairing(): Pairing {
  const d = pairingDefaults();
  return {
    image: null,
    fdt: null,
    fdtAddress: null,
    base: d.base,
    pageSize: d.pageSize,
    format: 'auto',
    how: 'picked',
  };
}

export async function chooseFdt(image: string, candidates: readonly string[]): Promise<string | null | undefined> {
  type Item = vscode.QuickPickItem & { fdt: string | null };
  const items: Item[] = [
    ...candidates.map((c) => ({ label: path.basename(c), description: path.dirname(c), fdt: c })),
    { label: '$(search) Find the FDT in the image', description: 'scan for a kho-v* FDT', fdt: null },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `KHO FDT for ${path.basename(image)}`,
    placeHolder: 'Which KHO FDT goes with this image?',
  });
  return pick ? pick.fdt : undefined;
}

export class KhoEditorProvider implements vscode.CustomEditorProvider<KhoDocument> {
  private hooks: WebviewHooks | undefined;
  private readonly changes = new vscode.EventEmitter<EditEvent>();
  /** Edits (document/editing.ts) become VS Code undo steps and the dirty state. */
  readonly onDidChangeCustomDocument = this.changes.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: DocumentRegistry,
    private readonly pairings: PairingStore,
    private readonly startEngine: EngineStarter,
    private readonly backups: BackupIndex,
  ) {}

  setHooks(hooks: WebviewHooks): void {
    this.hooks = hooks;
  }

  /** Pairing for a file per the rules of document/pairing.ts; asks when several FDTs qualify. */
  async resolve(filePath: string): Promise<Pairing | string> {
    const r = await resolvePairing(
      filePath,
      pairingDefaults(),
      (img) => this.pairings.get(img),
      (fdt) => this.pairings.byFdt(fdt),
    );
    if (r.kind === 'error') return r.message;
    // Decode choices made for this image (pre-fix depth, scratch files, setup_data) apply however it is opened.
    if (r.kind === 'ok') return this.pairings.withMode(r.pairing);
    const fdt = await chooseFdt(r.image, r.candidates);
    const d = r.defaults;
    return this.pairings.withMode({
      image: r.image,
      fdt: fdt ?? null,
      fdtAddress: null,
      base: d.base,
      pageSize: d.pageSize,
      format: 'auto',
      how: fdt ? 'picked' : 'scan',
    });
  }

  async openCustomDocument(uri: vscode.Uri, openContext?: vscode.CustomDocumentOpenContext): Promise<KhoDocument> {
    if (uri.scheme !== 'file') {
      throw new Error(
        `KHO Inspector reads dumps page by page from local files; "${uri.scheme}:" resources are not supported yet`,
      );
    }
    const began = performance.now();
    // The *.kho.json's text as resolved: its watcher below decodes again only when it changes.
    const seen = fileRole(uri.fsPath) === 'pairing' ? await readText(uri.fsPath) : undefined;
    const resolved = await this.resolve(uri.fsPath);
    const model = new DumpModel(uri.fsPath, typeof resolved === 'string' ? emptyPairing() : resolved, this.startEngine);
    const doc = new KhoDocument(uri, model);
    const editing = new DocumentEditing(doc, (e) => this.changes.fire(e), this.backups);
    // VS Code passes the backup when it restores the tab through its backup tracker. After a reload
    // or a crash it may instead reopen the tab with no id or the id of a deleted backup, or not
    // reopen it at all (see node/backupIndex.ts): then the backup we indexed is restored, and said so.
    const restored = openContext?.backupId ? await editing.restoreFrom(openContext.backupId, { quiet: true }) : false;
    khoLog().info(
      `open ${uri.fsPath}: backup from VS Code ${openContext?.backupId ?? 'none'}${openContext?.backupId ? (restored ? ' (read)' : ' (unreadable)') : ''}; tab ${tabOf(uri) ? (tabOf(uri)?.isDirty ? 'dirty' : 'clean') : 'not shown yet'}`,
    );
    if (!restored) {
      const found = await this.backups.lookup(uri.fsPath, backupPath);
      if (found)
        khoLog().info(
          `open ${uri.fsPath}: indexed backup ${found.file} (${found.edits} edits${found.imageChanged ? ', image changed since' : ''})`,
        );
      if (found && !found.imageChanged) {
        // Hot exit as VS Code would have done it: the edits come back (dirty, one undo step), and
        // the message says so and offers to discard them.
        if (await editing.restoreFrom(found.entry.backup, { markDirty: true }))
          inBackground(this.announceRestore(doc, found), `the restored edits of ${doc.model.fileName}`);
      } else if (found) {
        inBackground(this.refuseBackup(doc, found), `the backup of ${doc.model.fileName}`);
      } else if (openContext?.backupId) {
        void vscode.window.showWarningMessage(
          `KHO: the backup of ${path.basename(uri.fsPath)}'s unsaved edits is gone; the dump opens as it is on disk`,
        );
      }
    }
    if (typeof resolved !== 'string' && resolved.image) await recoverLeftoverJournal(resolved.image);
    this.registry.add(doc);
    if (typeof resolved !== 'string' && resolved.image) this.watchDisk(doc, [resolved.image, resolved.fdt]);
    if (fileRole(uri.fsPath) === 'pairing') this.watchPairing(doc, seen);
    if (typeof resolved === 'string') model.fail(resolved);
    else void this.decode(doc);
    khoLog().info(`open ${uri.fsPath}: document ready for its editor in ${(performance.now() - began).toFixed(0)} ms`);
    return doc;
  }

  /**
   * Another program writing the dump's files while it is open (as VS Code does for text files):
   * the user is asked whether to reload it; "Keep" keeps the view (a save is then refused, the
   * files having changed since they were read) and is not asked again until the next reload.
   */
  private watchDisk(doc: KhoDocument, files: (string | null | undefined)[]): void {
    let timer: NodeJS.Timeout | undefined;
    const check = async () => {
      if (this.diskPrompted.has(doc)) return;
      const change = await editingFor(doc)
        ?.diskChange()
        .catch(() => null);
      if (!change || this.diskPrompted.has(doc)) return;
      this.diskPrompted.add(doc);
      this.diskChanges.push({ uri: doc.uri.toString(), change });
      const n =
        (await editingFor(doc)
          ?.unsavedEdits()
          .catch(() => 0)) ?? 0;
      const lose = n ? ` Reloading discards ${n} unsaved edit${n === 1 ? '' : 's'}.` : '';
      const pick = await vscode.window.showWarningMessage(
        `KHO: ${doc.model.fileName} changed on disk (${change}). Reload it?${lose}`,
        'Reload',
        'Keep',
      );
      if (pick === 'Reload') await this.refresh(doc, undefined, 'discard');
    };
    for (const f of files) {
      if (!f) continue;
      const w = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(path.dirname(f)), path.basename(f)),
        false,
        false,
        true,
      );
      const later = () => {
        clearTimeout(timer);
        timer = setTimeout(() => void check(), 300);
      };
      w.onDidChange(later);
      w.onDidCreate(later);
      doc.onDidDispose(() => {
        clearTimeout(timer);
        w.dispose();
      });
    }
  }

  /** Documents whose change on disk was already put to the user (until the next decode). */
  private readonly diskPrompted = new WeakSet<KhoDocument>();
  /** Changes on disk put to the user, oldest first (for the API). */
  readonly diskChanges: { uri: string; change: string }[] = [];

  /**
   * Editing the *.kho.json re-pairs and decodes again. Node's own watch on its folder (the file
   * may be replaced by a rename) is in place when this returns, before the first decode: VS Code's
   * file watcher starts a moment later in another process and missed writes made right after the
   * opening. Events can also arrive late for a write from before the opening: only a change of the
   * text since it was read (`seen`) decodes again.
   */
  private watchPairing(doc: KhoDocument, seen: string | undefined): void {
    const file = doc.uri.fsPath;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = async (): Promise<void> => {
      const now = await readText(file);
      khoLog().info(
        `${file} changed on disk: ${now === seen ? 'same text, nothing to do' : 'new text, decoding again'}`,
      );
      if (now === seen) return;
      seen = now;
      await this.refresh(doc);
    };
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name !== path.basename(file)) return;
        // A save is often several events (truncate, write, rename): one look once they settle.
        clearTimeout(timer);
        timer = setTimeout(() => inBackground(changed(), `reloading ${doc.model.fileName}`), 100);
      });
    } catch (e) {
      khoLog().warn(`cannot watch ${file} for changes: ${(e as Error).message}`);
      return;
    }
    watcher.on('error', (e) => khoLog().warn(`watching ${file} stopped: ${e.message}`));
    doc.onDidDispose(() => {
      clearTimeout(timer);
      watcher.close();
    });
  }

  /** A backup's edit count and time, as the messages about it say them. */
  private static describe(found: FoundBackup, name: string): string {
    const when = new Date(found.savedAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
    return `${found.edits} unsaved edit${found.edits === 1 ? '' : 's'} of ${name} from ${when}`;
  }

  /**
   * Says that a backup VS Code did not hand over (tab reopened without it, or no tab reopened
   * after a crash) was restored; "Discard Edits" drops the edits and deletes the backup.
   */
  private async announceRestore(doc: KhoDocument, found: FoundBackup): Promise<void> {
    const what = KhoEditorProvider.describe(found, doc.model.fileName);
    const discard = 'Discard Edits';
    const pick = await vscode.window.showInformationMessage(
      `KHO: restored ${what} from a backup (not saved yet).`,
      discard,
      'Keep',
    );
    if (pick !== discard) return;
    await this.backups.discard(doc.uri.fsPath, backupPath);
    editingFor(doc)?.dropPendingBackup();
    await this.revertInVsCode(doc);
  }

  /**
   * A backup written over an image that changed on disk since is not restored (its edits may not
   * apply to what is there now); it stays until the user discards it.
   */
  private async refuseBackup(doc: KhoDocument, found: FoundBackup): Promise<void> {
    const what = KhoEditorProvider.describe(found, doc.model.fileName);
    const discard = 'Discard Backup';
    const pick = await vscode.window.showWarningMessage(
      `KHO: a backup holds ${what}, but ${path.basename(found.entry.image)} changed on disk since; they are not restored.`,
      discard,
    );
    if (pick === discard) await this.backups.discard(doc.uri.fsPath, backupPath);
  }

  /** Decodes with a cancellable notification; failures end up in the document's state. */
  async decode(doc: KhoDocument): Promise<void> {
    this.diskPrompted.delete(doc);
    const name = doc.model.fileName;
    khoLog().info(`decode ${doc.uri.fsPath}: started`);
    try {
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `KHO: decoding ${name}`, cancellable: true },
        (progress, token) => {
          let lastStage = '',
            lastFraction = 0;
          const onProgress = (p: ProgressData): void => {
            const fraction = p.total ? Math.min(1, p.done / p.total) : 0;
            if (p.stage !== lastStage) {
              lastStage = p.stage;
              lastFraction = 0;
            }
            const increment = Math.max(0, (fraction - lastFraction) * 100);
            lastFraction = fraction;
            progress.report({
              message: p.total ? `${p.stage} (${Math.floor(fraction * 100)}%)` : p.stage,
              increment: p.total ? increment : undefined,
            });
          };
          return doc.model.decode({ token, onProgress });
        },
      );
      await editingFor(doc)
        ?.afterDecode()
        .catch((e: Error) => void vscode.window.showWarningMessage(`KHO: ${e.message}`));
      if (summary.fdt === null && doc.model.pairing.image !== null && doc.model.pairing.fdt === null) {
        inBackground(this.offerFdtPicker(doc, summary.fatal ?? 'no KHO FDT found in the image'), 'picking the FDT');
      }
      const hint = summary.hints?.[0];
      if (hint) inBackground(this.hooks?.hint?.(doc, hint) ?? Promise.resolve(), 'switching the decode mode');
      khoLog().info(`decode ${doc.uri.fsPath}: done${summary.fatal ? `, ${summary.fatal}` : ''}`);
    } catch (e) {
      khoLog().info(`decode ${doc.uri.fsPath}: ended without a result (${(e as Error).message})`);
      // The state says why (cancelled, unreadable file); the webview and the tree show it.
    }
  }

  private async offerFdtPicker(doc: KhoDocument, reason: string): Promise<void> {
    const pick = await vscode.window.showWarningMessage(`${doc.model.fileName}: ${reason}`, 'Pick FDT…');
    if (pick) await this.hooks?.action(doc, 'pickFdt');
  }

  /**
   * Before decoding again from disk (refresh, re-pairing): unsaved edits would be dropped by the
   * worker, so they are discarded first through VS Code's revert (dirty state and undo stack follow),
   * after asking. False when the user keeps them: nothing changes.
   */
  async confirmReload(doc: KhoDocument, unsaved: UnsavedEdits = 'ask'): Promise<boolean> {
    const editing = editingFor(doc);
    const n = editing ? await editing.unsavedEdits().catch(() => 0) : 0;
    if (n === 0) return true;
    if (unsaved === 'cancel') return false;
    if (unsaved === 'ask') {
      const discard = 'Discard and Reload';
      const pick = await vscode.window.showWarningMessage(
        `Discard ${n} unsaved edit${n === 1 ? '' : 's'} and reload from disk?`,
        { modal: true, detail: `${doc.model.fileName} is decoded again from the files on disk.` },
        discard,
      );
      if (pick !== discard) return false;
    }
    await this.revertInVsCode(doc);
    return true;
  }

  /** File: Revert File on the document's editor: VS Code calls revertCustomDocument and drops the unsaved undo steps. */
  private async revertInVsCode(doc: KhoDocument): Promise<void> {
    const tab = tabOf(doc.uri);
    if (tab) {
      // The revert command acts on the active editor: make it this one, where it is.
      await vscode.commands.executeCommand('vscode.openWith', doc.uri, VIEW_TYPE, {
        viewColumn: tab.group.viewColumn,
        preserveFocus: false,
      });
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    const editing = editingFor(doc);
    await editing?.idle();
    // No editor to revert (or VS Code found nothing dirty): revert the worker directly.
    if (editing && (await editing.unsavedEdits().catch(() => 0)) > 0) await editing.revert();
  }

  /** Re-resolves the pairing (the *.kho.json may have changed) and decodes again; false if the user kept unsaved edits. */
  async refresh(doc: KhoDocument, pairing?: Pairing, unsaved: UnsavedEdits = 'ask'): Promise<boolean> {
    if (!(await this.confirmReload(doc, unsaved))) return false;
    editingFor(doc)?.reloaded();
    const p = pairing ?? (await this.resolve(doc.uri.fsPath));
    if (typeof p === 'string') {
      doc.model.fail(p);
      return true;
    }
    doc.model.setPairing(p);
    await this.decode(doc);
    return true;
  }

  async saveCustomDocument(doc: KhoDocument): Promise<void> {
    const e = editingFor(doc);
    if (!e || e.readOnlyReason()) return;
    const message = await e.save();
    vscode.window.setStatusBarMessage(`KHO: saved ${doc.model.fileName}: ${message}`, 5000);
  }

  async saveCustomDocumentAs(doc: KhoDocument, destination: vscode.Uri): Promise<void> {
    const e = editingFor(doc);
    if (!e) throw new Error(`${doc.model.fileName} is not open for editing`);
    const message = await e.saveAs(destination.fsPath);
    vscode.window.setStatusBarMessage(`KHO: ${message}`, 5000);
  }

  async revertCustomDocument(doc: KhoDocument): Promise<void> {
    await editingFor(doc)?.revert();
  }

  backupCustomDocument(
    doc: KhoDocument,
    context: vscode.CustomDocumentBackupContext,
  ): Promise<vscode.CustomDocumentBackup> {
    const e = editingFor(doc);
    if (!e) return Promise.resolve({ id: context.destination.toString(), delete: () => undefined });
    return e.backup(context.destination);
  }

  resolveCustomEditor(doc: KhoDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = { enableScripts: true, localResourceRoots: localResourceRoots(this.extensionUri) };
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, doc.model.fileName);
    khoLog().info(`open ${doc.uri.fsPath}: webview page given to VS Code`);
    const controller = new WebviewController(
      panel,
      doc,
      this.hooks ?? {
        select: async () => null,
        action: async () => undefined,
      },
    );
    this.registry.setPanel(doc, controller);
    if (panel.active) this.registry.setActive(doc, true);
    const sub = panel.onDidChangeViewState(() => {
      if (panel.active) this.registry.setActive(doc, true);
      else this.registry.deactivate(doc);
    });
    panel.onDidDispose(() => {
      sub.dispose();
      controller.dispose();
      if (this.registry.panel(doc) === controller) this.registry.setPanel(doc, undefined);
      this.registry.deactivate(doc);
    });
  }
}
