// KHO: Open Dump..., Open with KHO Inspector, and the pickers that complete a pairing.

import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoDocument } from '../document/khoDocument';
import { debugfsPartner, siblingKhoFdts, type Pairing } from '../document/pairing';
import type { DecodeMode } from '../document/pairingStore';
import { VIEW_TYPE } from '../editor/khoEditorProvider';
import type { Services } from '../services';
import { pairingDefaults } from '../settings';
import { askHandoff } from './decodeMode';

const IMAGE_FILTERS = { 'Memory dumps': ['img', 'raw', 'bin', 'elf', 'core', 'kdump', 'vmcore'], 'All files': ['*'] };
const FDT_FILTERS = { 'KHO FDT blobs': ['dtb', 'fdt'], 'All files': ['*'] };

export interface OpenDumpArgs {
  image: vscode.Uri | string;
  /** A file, or null / "image" to find the FDT in the image. Omitted: ask (or a sibling). */
  fdt?: vscode.Uri | string | null;
  base?: string;
  pageSize?: number;
  format?: 'auto' | 'raw' | 'elf';
  /** debugfs scratch_phys / scratch_len files (scratchLen defaults to the file next to scratchPhys). */
  scratchPhys?: vscode.Uri | string;
  scratchLen?: vscode.Uri | string;
  /** x86 setup_data address (list head or the SETUP_KEXEC_KHO record). */
  setupData?: string;
  /** Decode a 16 KiB tree at the pre-fix depth. */
  preFix16k?: boolean;
}

function toPath(u: vscode.Uri | string): string {
  return typeof u === 'string' ? (u.startsWith('file:') ? vscode.Uri.parse(u).fsPath : path.resolve(u)) : u.fsPath;
}

async function pickFile(title: string, filters: Record<string, string[]>, near?: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    filters,
    canSelectMany: false,
    openLabel: 'Open',
    defaultUri: near ? vscode.Uri.file(path.dirname(near)) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** Asks which FDT goes with an image: a sibling kho-v FDT, "find in image", or a file. */
async function askFdt(image: string): Promise<string | null | undefined> {
  type Item = vscode.QuickPickItem & { fdt: string | null | 'browse' };
  const siblings = await siblingKhoFdts(image);
  const items: Item[] = [
    ...siblings.map((f) => ({
      label: `$(file-binary) ${path.basename(f)}`,
      description: 'KHO FDT next to the image',
      fdt: f,
    })),
    { label: '$(search) Find in image', description: 'scan the image for a kho-v* FDT', fdt: null },
    { label: '$(folder-opened) Choose an FDT file…', description: 'debugfs kho/out/fdt or in/fdt', fdt: 'browse' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `KHO FDT for ${path.basename(image)}`,
    placeHolder: 'Where is the KHO FDT?',
  });
  if (!pick) return undefined;
  if (pick.fdt === 'browse') return pickFile('KHO FDT', FDT_FILTERS, image);
  return pick.fdt;
}

/** Opens (or re-pairs, when already open) the editor for an image with the given pairing. */
export async function openPaired(s: Services, p: Pairing): Promise<vscode.Uri | undefined> {
  const target = p.image ?? p.fdt;
  if (!target) return undefined;
  const uri = vscode.Uri.file(target);
  const open = s.registry.get(uri);
  // Re-pairing an open dump decodes it again: its unsaved edits go first (asked), or nothing changes.
  if (open && !(await s.editor.confirmReload(open))) return undefined;
  await s.pairings.remember(p);
  const mode: DecodeMode = {};
  if (p.scratchPhys !== undefined) {
    mode.scratchPhys = p.scratchPhys;
    mode.scratchLen = p.scratchLen ?? null;
  }
  if (p.setupData !== undefined) mode.setupData = p.setupData;
  if (p.preFix16k !== undefined) mode.preFix16k = p.preFix16k;
  // Remembered for the image however it is opened next (a *.kho.json naming it too).
  if (Object.keys(mode).length > 0) await s.pairings.setMode(p, mode);
  if (open) await s.editor.refresh(open, { ...p, how: 'remembered' });
  await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
  return uri;
}

export async function openDump(s: Services, args?: OpenDumpArgs): Promise<vscode.Uri | undefined> {
  const image = args ? toPath(args.image) : await pickFile('KHO: Open Dump — the memory image', IMAGE_FILTERS);
  if (!image) return undefined;
  let fdt: string | null | undefined;
  if (args && args.fdt !== undefined) fdt = args.fdt === null || args.fdt === 'image' ? null : toPath(args.fdt);
  else if (args) fdt = (await siblingKhoFdts(image))[0] ?? null;
  else fdt = await askFdt(image);
  if (fdt === undefined) return undefined;
  let mode: DecodeMode = {};
  if (args) {
    if (args.scratchPhys !== undefined) {
      const phys = toPath(args.scratchPhys);
      mode.scratchPhys = phys;
      mode.scratchLen =
        args.scratchLen !== undefined ? toPath(args.scratchLen) : ((await debugfsPartner(phys)) ?? null);
    }
    if (args.setupData !== undefined) mode.setupData = args.setupData;
    if (args.preFix16k !== undefined) mode.preFix16k = args.preFix16k;
  } else {
    // Optional: backing out of this step opens the dump without scratch areas.
    mode = (await askHandoff(image)) ?? {};
  }
  const d = pairingDefaults();
  return openPaired(s, {
    image,
    fdt,
    fdtAddress: null,
    base: args?.base ?? d.base,
    pageSize: args?.pageSize ?? d.pageSize,
    format: args?.format ?? 'auto',
    ...mode,
    how: 'picked',
  });
}

export async function openWithInspector(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showInformationMessage('Select a dump, FDT blob or *.kho.json file in the Explorer first.');
    return undefined;
  }
  await vscode.commands.executeCommand('vscode.openWith', target, VIEW_TYPE);
  return target;
}

export async function pickFdtFor(s: Services, doc: KhoDocument): Promise<void> {
  const image = doc.model.pairing.image;
  if (!image) return pickImageFor(s, doc);
  const fdt = await askFdt(image);
  if (fdt === undefined || !(await s.editor.confirmReload(doc))) return;
  const p: Pairing = { ...doc.model.pairing, fdt, fdtAddress: null, how: 'picked' };
  await s.pairings.remember(p);
  await s.editor.refresh(doc, p);
}

export async function pickImageFor(s: Services, doc: KhoDocument): Promise<void> {
  const image = await pickFile(
    `Image for ${doc.model.fileName}`,
    IMAGE_FILTERS,
    doc.model.pairing.fdt ?? doc.uri.fsPath,
  );
  if (!image || !(await s.editor.confirmReload(doc))) return;
  const p: Pairing = { ...doc.model.pairing, image, how: 'picked' };
  await s.pairings.remember(p);
  await s.editor.refresh(doc, p);
}
