// Choices that change how a dump decodes, remembered for its image: the 16 KiB pre-fix tree depth
// (KHO: Decode as a Pre-fix 16 KiB Tree), and the scratch areas / x86 hand-off (KHO: Scratch Areas
// and Hand-off...: debugfs scratch_phys + scratch_len files, or a setup_data address).

import * as path from 'path';
import * as vscode from 'vscode';
import { hex, parseAddress } from '../../engine/util/hex';
import type { DecodeHintDto } from '../../protocol/model';
import type { KhoDocument } from '../document/khoDocument';
import { debugfsPartner, type Pairing } from '../document/pairing';
import type { DecodeMode } from '../document/pairingStore';
import type { Services } from '../services';
import { docFor } from './targets';

function toPath(u: vscode.Uri | string): string {
  return typeof u === 'string' ? (u.startsWith('file:') ? vscode.Uri.parse(u).fsPath : path.resolve(u)) : u.fsPath;
}

/** Re-decodes with the new choices and remembers them for the dump's image; undefined if the user keeps unsaved edits. */
export async function applyMode(s: Services, doc: KhoDocument, patch: DecodeMode): Promise<Pairing | undefined> {
  if (!(await s.editor.confirmReload(doc))) return undefined;
  const p: Pairing = { ...doc.model.pairing, ...patch };
  await s.pairings.setMode(p, patch);
  await s.editor.refresh(doc, p);
  return p;
}

/** `khoInspector.decodePreFix16k` (uri?, enable = true): decode at the pre-fix 16 KiB depth, or back. */
export async function decodePreFix16k(s: Services, uri?: unknown, enable?: unknown): Promise<boolean> {
  const doc = docFor(s, uri instanceof vscode.Uri || typeof uri === 'string' ? uri : undefined);
  if (!doc) {
    void vscode.window.showInformationMessage('KHO: open a dump first (KHO: Open Dump...).');
    return false;
  }
  if (!(await applyMode(s, doc, { preFix16k: enable === undefined ? true : enable === true }))) return false;
  return doc.model.state.status === 'ready';
}

/** Offers the re-decode a finding suggests (notification with one button). */
export async function offerHint(s: Services, doc: KhoDocument, hint: DecodeHintDto): Promise<void> {
  const why = hint.preFix16k
    ? 'this 16 KiB tree decodes cleanly only at the pre-fix depth 4: a kernel from before d64b0372 wrote it.'
    : 'this tree decodes cleanly at the fixed 16 KiB depth 5, not at the pre-fix depth.';
  const pick = await vscode.window.showWarningMessage(`KHO: ${doc.model.fileName}: ${why}`, hint.label);
  if (pick === hint.label) await applyMode(s, doc, { preFix16k: hint.preFix16k });
}

export interface HandoffArgs {
  uri?: vscode.Uri | string;
  scratchPhys?: vscode.Uri | string | null;
  scratchLen?: vscode.Uri | string | null;
  setupData?: string | null;
}

/** Asks where the scratch areas come from; undefined when the user backs out. */
export async function askHandoff(near?: string): Promise<DecodeMode | undefined> {
  type Item = vscode.QuickPickItem & { pick: 'none' | 'debugfs' | 'setup' };
  const pick = await vscode.window.showQuickPick<Item>(
    [
      { label: '$(dash) No scratch areas', description: 'decode the tree and clients only', pick: 'none' },
      {
        label: '$(files) debugfs scratch_phys and scratch_len…',
        description: 'files copied from /sys/kernel/debug/kho/…',
        pick: 'debugfs',
      },
      {
        label: '$(symbol-numeric) x86 setup_data address…',
        description: 'boot_params.hdr.setup_data or the SETUP_KEXEC_KHO record',
        pick: 'setup',
      },
    ],
    { title: 'KHO: scratch areas and hand-off (optional)', placeHolder: 'Where do the scratch areas come from?' },
  );
  if (!pick) return undefined;
  if (pick.pick === 'none') return { scratchPhys: null, scratchLen: null, setupData: null };
  if (pick.pick === 'setup') {
    const text = await vscode.window.showInputBox({
      title: 'KHO: x86 setup_data address',
      prompt: 'Physical address of the setup_data list head or of the SETUP_KEXEC_KHO record',
      placeHolder: '0x…',
      validateInput: (t) => (parseAddress(t) !== undefined ? undefined : 'Not an address: use 0x… hex or decimal'),
    });
    return text ? { setupData: hex(parseAddress(text)!), scratchPhys: null, scratchLen: null } : undefined;
  }
  const dir = near ? vscode.Uri.file(path.dirname(near)) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const phys = await vscode.window.showOpenDialog({
    title: 'KHO: debugfs scratch_phys (or bootmem_phys)',
    defaultUri: dir,
    canSelectMany: false,
  });
  if (!phys?.[0]) return undefined;
  let len = await debugfsPartner(phys[0].fsPath);
  if (!len) {
    const picked = await vscode.window.showOpenDialog({
      title: 'KHO: debugfs scratch_len (or bootmem_len)',
      defaultUri: vscode.Uri.file(path.dirname(phys[0].fsPath)),
      canSelectMany: false,
    });
    len = picked?.[0]?.fsPath;
  }
  return len ? { scratchPhys: phys[0].fsPath, scratchLen: len, setupData: null } : undefined;
}

/** `khoInspector.setHandoff`: with { uri?, scratchPhys, scratchLen } / { setupData } it applies them; without, it asks. */
export async function setHandoff(s: Services, args?: HandoffArgs | vscode.Uri): Promise<Pairing | undefined> {
  const a: HandoffArgs = args instanceof vscode.Uri ? { uri: args } : (args ?? {});
  const doc = docFor(s, a.uri);
  if (!doc) {
    void vscode.window.showInformationMessage('KHO: open a dump first (KHO: Open Dump...).');
    return undefined;
  }
  let mode: DecodeMode | undefined;
  if (a.scratchPhys !== undefined || a.setupData !== undefined) {
    const setup = a.setupData ? parseAddress(a.setupData) : undefined;
    if (a.setupData && setup === undefined) {
      void vscode.window.showErrorMessage(`KHO: "${a.setupData}" is not an address.`);
      return undefined;
    }
    mode = {
      scratchPhys: a.scratchPhys ? toPath(a.scratchPhys) : null,
      scratchLen: a.scratchLen
        ? toPath(a.scratchLen)
        : a.scratchPhys
          ? ((await debugfsPartner(toPath(a.scratchPhys))) ?? null)
          : null,
      setupData: setup === undefined ? null : hex(setup),
    };
  } else {
    mode = await askHandoff(doc.model.pairing.image ?? doc.uri.fsPath);
  }
  if (!mode) return undefined;
  return applyMode(s, doc, mode);
}
