// Which image goes with which KHO FDT. VS Code picks editors by file name, so the opened file can
// be a `*.kho.json` pairing, an image or an FDT blob; the rest is found next to it. No vscode
// import: plain paths, so it runs in unit tests too.

import * as fs from 'fs';
import * as path from 'path';
import { MAX_FDT_BYTES, rootCompatible } from '../../engine/kho/locateFdt';
import { parseKhoJson, type Pairing, type PairingDefaults } from '../../node/pairingFile';

export type FileRole = 'pairing' | 'image' | 'fdt' | 'unknown';

export { parseKhoJson, type Pairing, type PairingDefaults } from '../../node/pairingFile';

const IMAGE_NAME = /(\.(img|raw|bin|elf|core|kdump)$|^vmcore)/i;
const FDT_NAME = /(\.(dtb|fdt)$|^fdt$)/i;
const PAIRING_NAME = /\.kho\.json$/i;

/** The manifest's file name patterns, as a regex for menus' `when` clauses. */
export const OPENABLE_NAME = /(\.kho\.json$|\.(img|raw|bin|elf|core|kdump|dtb|fdt)$|^vmcore|^fdt$)/i;

export function fileRole(filePath: string): FileRole {
  const name = path.basename(filePath);
  if (PAIRING_NAME.test(name)) return 'pairing';
  if (FDT_NAME.test(name)) return 'fdt';
  if (IMAGE_NAME.test(name)) return 'image';
  return 'unknown';
}

/** The debugfs file that pairs with a scratch_phys (bootmem_phys) file: scratch_len (bootmem_len), if it exists. */
export async function debugfsPartner(physFile: string): Promise<string | undefined> {
  const name = path.basename(physFile);
  const partner = name.replace(/(scratch|bootmem)_phys/, '$1_len');
  if (partner === name) return undefined;
  const p = path.join(path.dirname(physFile), partner);
  try {
    return (await fs.promises.stat(p)).isFile() ? p : undefined;
  } catch {
    return undefined;
  }
}

/** The root compatible of an FDT file when it starts with "kho-v" (cheap: reads at most 1 MiB). */
export async function khoFdtCompatible(filePath: string): Promise<string | undefined> {
  try {
    const st = await fs.promises.stat(filePath);
    if (!st.isFile() || st.size < 40 || st.size > MAX_FDT_BYTES) return undefined;
    const c = rootCompatible(new Uint8Array(await fs.promises.readFile(filePath)));
    return c?.startsWith('kho-v') ? c : undefined;
  } catch {
    return undefined;
  }
}

async function siblings(dir: string): Promise<string[]> {
  try {
    return (await fs.promises.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** `*.kho.json` files next to `file` that name it as their image or FDT. */
async function pairingsNaming(file: string, defaults: PairingDefaults): Promise<Pairing[]> {
  const out: Pairing[] = [];
  for (const f of await siblings(path.dirname(file))) {
    if (!PAIRING_NAME.test(path.basename(f))) continue;
    try {
      const p = parseKhoJson(await fs.promises.readFile(f, 'utf8'), path.dirname(f), defaults);
      if (typeof p !== 'string' && (p.image === file || p.fdt === file)) out.push(p);
    } catch {
      /* unreadable: not ours to report */
    }
  }
  return out;
}

function stem(p: string): string {
  return path.basename(p).replace(/\.[^.]*$/, '');
}

/** Sibling FDT blobs with a kho-v root, the one sharing the image's stem first. */
export async function siblingKhoFdts(image: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of await siblings(path.dirname(image))) {
    if (f !== image && FDT_NAME.test(path.basename(f)) && (await khoFdtCompatible(f))) found.push(f);
  }
  return found.sort((a, b) => Number(stem(b) === stem(image)) - Number(stem(a) === stem(image)));
}

export type Resolution =
  | { kind: 'ok'; pairing: Pairing }
  /** Several sibling FDTs qualify: the caller asks which (or "find in image"). */
  | { kind: 'chooseFdt'; image: string; candidates: string[]; defaults: PairingDefaults }
  | { kind: 'error'; message: string };

/**
 * Finds the pairing for an opened file: a `*.kho.json` names everything; an image takes a
 * remembered pairing, a `*.kho.json` naming it, one sibling kho-v FDT, or else "find in image";
 * an FDT takes a remembered pairing, a `*.kho.json` naming it, a single sibling image, or else
 * is shown alone.
 */
export async function resolvePairing(
  file: string,
  defaults: PairingDefaults,
  remembered?: (image: string) => Pairing | undefined,
  rememberedForFdt?: (fdt: string) => Pairing | undefined,
): Promise<Resolution> {
  const role = fileRole(file);
  if (role === 'pairing') {
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (e) {
      return { kind: 'error', message: `cannot read ${path.basename(file)}: ${(e as Error).message}` };
    }
    const p = parseKhoJson(text, path.dirname(file), defaults);
    return typeof p === 'string'
      ? { kind: 'error', message: `${path.basename(file)}: ${p}` }
      : { kind: 'ok', pairing: p };
  }
  const base: Omit<Pairing, 'image' | 'fdt' | 'how'> = {
    fdtAddress: null,
    base: defaults.base,
    pageSize: defaults.pageSize,
    format: 'auto',
  };
  const looksLikeFdt = role === 'fdt' || (role === 'unknown' && (await khoFdtCompatible(file)) !== undefined);
  if (looksLikeFdt) {
    const r = rememberedForFdt?.(file);
    if (r) return { kind: 'ok', pairing: r };
    const named = await pairingsNaming(file, defaults);
    const withImage = named.find((p) => p.fdt === file && p.image !== null);
    if (withImage) return { kind: 'ok', pairing: withImage };
    const images = (await siblings(path.dirname(file))).filter((f) => IMAGE_NAME.test(path.basename(f)));
    if (images.length === 1) return { kind: 'ok', pairing: { ...base, image: images[0], fdt: file, how: 'sibling' } };
    return { kind: 'ok', pairing: { ...base, image: null, fdt: file, how: 'fdt-only' } };
  }
  const r = remembered?.(file);
  if (r) return { kind: 'ok', pairing: { ...r, image: file, how: 'remembered' } };
  const named = (await pairingsNaming(file, defaults)).find((p) => p.image === file);
  if (named) return { kind: 'ok', pairing: named };
  const fdts = await siblingKhoFdts(file);
  if (fdts.length === 1 || (fdts.length > 1 && stem(fdts[0]) === stem(file))) {
    return { kind: 'ok', pairing: { ...base, image: file, fdt: fdts[0], how: 'sibling' } };
  }
  if (fdts.length > 1) return { kind: 'chooseFdt', image: file, candidates: fdts, defaults };
  return { kind: 'ok', pairing: { ...base, image: file, fdt: null, how: 'scan' } };
}
