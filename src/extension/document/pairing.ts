// Which image goes with which KHO FDT. VS Code picks editors by file name, so the opened file can
// be a `*.kho.json` pairing, an image or an FDT blob; the rest is found next to it. No vscode
// import: plain paths, so it runs in unit tests too.

import * as fs from 'fs';
import * as path from 'path';
import { MAX_FDT_BYTES, rootCompatible } from '../../engine/kho/locateFdt';
import { isPageSize } from '../../engine/kho/geometry';
import { hex, parseAddress } from '../../engine/util/hex';
import type { ImageFormatOption, NumaRangeJson } from '../../protocol/worker';

export type FileRole = 'pairing' | 'image' | 'fdt' | 'unknown';

export interface Pairing {
  /** Absolute path; null: the FDT is shown alone. */
  image: string | null;
  /** Absolute path; null with fdtAddress null: find it in the image. */
  fdt: string | null;
  fdtAddress: string | null;
  base: string;
  pageSize: number;
  format: ImageFormatOption;
  /** debugfs scratch_phys / scratch_len files (absolute paths): the scratch areas. */
  scratchPhys?: string | null;
  scratchLen?: string | null;
  /** x86: address of boot_params.hdr.setup_data or of the SETUP_KEXEC_KHO record. */
  setupData?: string | null;
  /** Decode a 16 KiB tree at the pre-d64b0372 depth (docs/kho-format.md §1.1). */
  preFix16k?: boolean;
  /** NUMA layout of the sending machine: the NUMA-span check, and range edits split at node boundaries. */
  numa?: NumaRangeJson[];
  /** A live QEMU guest's QMP socket (absolute unix path or tcp:HOST:PORT) instead of an image. */
  qmp?: string;
  /** Stop a running guest while reading it (and let it run again afterwards). */
  pauseWhileReading?: boolean;
  /** How the pairing was found, for the summary and the tests. */
  how: 'kho.json' | 'remembered' | 'sibling' | 'scan' | 'fdt-only' | 'picked';
}

export interface PairingDefaults {
  base: string;
  pageSize: number;
}

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

/** `"numa": [{ "node": 0, "start": "0x0", "end": "0x80000000" }, ...]`: undefined when absent, a reason when invalid. */
function parseNuma(v: unknown): NumaRangeJson[] | string | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = (why: string) => `"numa" must be a list of { "node": N, "start": "0x...", "end": "0x..." } with start < end: ${why}`;
  if (!Array.isArray(v)) return bad(`got ${JSON.stringify(v)}`);
  const out: NumaRangeJson[] = [];
  for (const [i, e] of v.entries()) {
    const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    const start = typeof r.start === 'string' ? parseAddress(r.start) : undefined;
    const end = typeof r.end === 'string' ? parseAddress(r.end) : undefined;
    if (typeof r.node !== 'number' || !Number.isInteger(r.node) || r.node < 0 || start === undefined || end === undefined || end <= start) {
      return bad(`entry ${i} is ${JSON.stringify(e)}`);
    }
    out.push({ node: r.node, start: hex(start), end: hex(end) });
  }
  return out;
}

/** Parses a `*.kho.json` (paths relative to its folder); returns a reason string when invalid. */
export function parseKhoJson(text: string, dir: string, defaults: PairingDefaults): Pairing | string {
  let j: unknown;
  try { j = JSON.parse(text); } catch (e) { return `not valid JSON: ${(e as Error).message}`; }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return 'expected a JSON object like {"image": "dump.raw", "fdt": "kho.dtb"}';
  const o = j as Record<string, unknown>;
  const str = (k: string): string | null | undefined | Error => {
    const v = o[k];
    if (v === undefined || v === null) return v as null | undefined;
    return typeof v === 'string' ? v : new Error(`"${k}" must be a string`);
  };
  const image = str('image'), fdt = str('fdt'), fdtAddress = str('fdtAddress'), format = str('format');
  const scratchPhys = str('scratchPhys'), scratchLen = str('scratchLen'), setupData = str('setupData'), qmp = str('qmp');
  for (const v of [image, fdt, fdtAddress, format, scratchPhys, scratchLen, setupData, qmp]) if (v instanceof Error) return v.message;
  if (qmp && image) return 'give "image" (a dump) or "qmp" (a live QEMU guest\'s QMP socket), not both';
  if (o.pauseWhileReading !== undefined && typeof o.pauseWhileReading !== 'boolean') return `"pauseWhileReading" must be true or false, got ${JSON.stringify(o.pauseWhileReading)}`;
  if (!scratchPhys !== !scratchLen) return '"scratchPhys" and "scratchLen" (the debugfs scratch_phys and scratch_len files) go together';
  let setup: string | undefined;
  if (typeof setupData === 'string') {
    const a = parseAddress(setupData);
    if (a === undefined) return `"setupData" must be an address (boot_params.hdr.setup_data or the SETUP_KEXEC_KHO record), got ${JSON.stringify(setupData)}`;
    setup = hex(a);
  }
  const numa = parseNuma(o.numa);
  if (typeof numa === 'string') return numa;
  if (o.preFix16k !== undefined && typeof o.preFix16k !== 'boolean') return `"preFix16k" must be true or false, got ${JSON.stringify(o.preFix16k)}`;
  if (!image && !fdt && !qmp) return '"image" (the dump), "qmp" (a live QEMU guest\'s QMP socket) or "fdt" (the KHO FDT blob) is required';
  let base = defaults.base;
  if (o.base !== undefined) {
    const b = typeof o.base === 'string' ? parseAddress(o.base) : typeof o.base === 'number' && Number.isSafeInteger(o.base) && o.base >= 0 ? BigInt(o.base) : undefined;
    if (b === undefined) return `"base" must be an address like "0x80000000", got ${JSON.stringify(o.base)}`;
    base = hex(b);
  }
  let pageSize = defaults.pageSize;
  if (o.pageSize !== undefined) {
    if (typeof o.pageSize !== 'number' || !isPageSize(o.pageSize)) return `"pageSize" must be 4096, 16384 or 65536, got ${JSON.stringify(o.pageSize)}`;
    pageSize = o.pageSize;
  }
  const fmt = (format ?? 'auto') as string;
  if (fmt !== 'auto' && fmt !== 'raw' && fmt !== 'elf') return `"format" must be "auto", "raw" or "elf", got ${JSON.stringify(fmt)}`;
  let addr: string | null = null;
  if (typeof fdtAddress === 'string') {
    const a = parseAddress(fdtAddress);
    if (a === undefined) return `"fdtAddress" must be an address, got ${JSON.stringify(fdtAddress)}`;
    addr = hex(a);
  }
  return {
    image: typeof image === 'string' ? path.resolve(dir, image) : null,
    fdt: typeof fdt === 'string' ? path.resolve(dir, fdt) : null,
    fdtAddress: addr, base, pageSize, format: fmt,
    // Optional keys only when given, so a plain pairing stays the same object.
    ...(typeof scratchPhys === 'string' && typeof scratchLen === 'string' ? { scratchPhys: path.resolve(dir, scratchPhys), scratchLen: path.resolve(dir, scratchLen) } : {}),
    ...(setup ? { setupData: setup } : {}),
    ...(typeof o.preFix16k === 'boolean' ? { preFix16k: o.preFix16k } : {}),
    ...(numa ? { numa } : {}),
    // A unix socket path is relative to the pairing's folder like the other files; tcp:HOST:PORT is kept.
    ...(typeof qmp === 'string' ? { qmp: qmp.startsWith('tcp:') ? qmp : path.resolve(dir, qmp.replace(/^unix:/, '')) } : {}),
    ...(typeof o.pauseWhileReading === 'boolean' ? { pauseWhileReading: o.pauseWhileReading } : {}),
    how: 'kho.json',
  };
}

/** The debugfs file that pairs with a scratch_phys (bootmem_phys) file: scratch_len (bootmem_len), if it exists. */
export async function debugfsPartner(physFile: string): Promise<string | undefined> {
  const name = path.basename(physFile);
  const partner = name.replace(/(scratch|bootmem)_phys/, '$1_len');
  if (partner === name) return undefined;
  const p = path.join(path.dirname(physFile), partner);
  try { return (await fs.promises.stat(p)).isFile() ? p : undefined; } catch { return undefined; }
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
    return (await fs.promises.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(dir, e.name)).sort();
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
    } catch { /* unreadable: not ours to report */ }
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
  file: string, defaults: PairingDefaults,
  remembered?: (image: string) => Pairing | undefined,
  rememberedForFdt?: (fdt: string) => Pairing | undefined,
): Promise<Resolution> {
  const role = fileRole(file);
  if (role === 'pairing') {
    let text: string;
    try { text = await fs.promises.readFile(file, 'utf8'); } catch (e) { return { kind: 'error', message: `cannot read ${path.basename(file)}: ${(e as Error).message}` }; }
    const p = parseKhoJson(text, path.dirname(file), defaults);
    return typeof p === 'string' ? { kind: 'error', message: `${path.basename(file)}: ${p}` } : { kind: 'ok', pairing: p };
  }
  const base: Omit<Pairing, 'image' | 'fdt' | 'how'> = { fdtAddress: null, base: defaults.base, pageSize: defaults.pageSize, format: 'auto' };
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
