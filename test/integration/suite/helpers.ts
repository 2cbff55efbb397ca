// Shared by the extension-host tests: the sample, the API, and the engine's own decoding of the
// same files (expectations are computed, not hard-coded).

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { openImage } from '../../../src/engine/image/open';
import { decodeDump, type DecodeResult } from '../../../src/engine/decode';
import type { Diagnostic } from '../../../src/engine/diagnostics';
import { FileByteSource } from '../../../src/node/fileByteSource';
import type { KhoInspectorApi } from '../../../src/extension/api';

export const EXTENSION_ID = 'kho-inspector.kho-inspector';
export const VIEW_TYPE = 'khoInspector.dump';

export async function api(): Promise<KhoInspectorApi> {
  const ext = vscode.extensions.getExtension<KhoInspectorApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export interface Sample {
  pairing: vscode.Uri;
  dir: string;
  image: string;
  fdt: string | null;
  base: bigint;
  pageSize: number;
  format: 'auto' | 'raw' | 'elf';
}

/** The sample the runner put in the workspace ($KHO_SAMPLE_PAIRING), read from its *.kho.json. */
export function sample(): Sample {
  const file =
    process.env.KHO_SAMPLE_PAIRING ??
    path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', 'sample.kho.json');
  assert.ok(fs.existsSync(file), `no sample pairing at ${file}`);
  const dir = path.dirname(file);
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    image: string;
    fdt: string | null;
    base?: string;
    pageSize?: number;
    format?: 'auto' | 'raw' | 'elf';
  };
  return {
    pairing: vscode.Uri.file(file),
    dir,
    image: path.resolve(dir, j.image),
    fdt: j.fdt ? path.resolve(dir, j.fdt) : null,
    base: BigInt(j.base ?? '0x0'),
    pageSize: j.pageSize ?? 4096,
    format: j.format ?? 'auto',
  };
}

export interface EngineView {
  result: DecodeResult;
  openDiagnostics: Diagnostic[];
}

/** Decodes image + FDT with the engine directly, as the worker should. */
export async function engineDecode(
  image: string,
  fdt: string | null,
  base: bigint,
  pageSize: number,
  format: 'auto' | 'raw' | 'elf' = 'auto',
): Promise<EngineView> {
  const src = FileByteSource.open(image);
  try {
    const opened = openImage(src, { format, base });
    assert.ok(opened.memory, opened.error ?? 'image did not open');
    const result = await decodeDump(opened.memory, {
      pageSize: pageSize as 4096,
      fdtBytes: fdt ? new Uint8Array(fs.readFileSync(fdt)) : undefined,
    });
    return { result, openDiagnostics: opened.diagnostics };
  } finally {
    src.close();
  }
}

export async function openInKho(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
}

export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

const tempDirs: string[] = [];

/** A fresh temporary folder, removed by removeTempDirs() (call it in suiteTeardown). */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** The sample's pairing, image and FDT copied into a fresh temporary folder (tests that write files), decoded by the engine. */
export async function sampleCopy(
  prefix: string,
): Promise<{ pairing: vscode.Uri; image: string; fdt: string; engine: EngineView }> {
  const s = sample();
  const dir = tempDir(prefix);
  for (const f of [s.pairing.fsPath, s.image, s.fdt!]) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  const image = path.join(dir, path.basename(s.image)),
    fdt = path.join(dir, path.basename(s.fdt!));
  return {
    pairing: vscode.Uri.file(path.join(dir, path.basename(s.pairing.fsPath))),
    image,
    fdt,
    engine: await engineDecode(image, fdt, s.base, s.pageSize, s.format),
  };
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The open tab of `uri` in the KHO editor (to read its dirty state). */
export function tabOf(uri: vscode.Uri): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs)
      if (t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString()) return t;
  }
  return undefined;
}

/** Waits for what VS Code updates asynchronously (tab state, decode after an edit), up to 20 s. */
export async function until(what: string, f: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}
