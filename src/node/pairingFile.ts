// The `*.kho.json` pairing file: which image goes with which KHO FDT, with the decode options.
// Plain paths, no vscode: the CLI's diff and the extension both read pairings through this.

import * as path from 'path';
import { isPageSize } from '../engine/kho/geometry';
import { hex, parseAddress } from '../engine/util/hex';
import type { ImageFormatOption, NumaRangeJson } from '../protocol/worker';

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

/** `"numa": [{ "node": 0, "start": "0x0", "end": "0x80000000" }, ...]`: undefined when absent, a reason when invalid. */
function parseNuma(v: unknown): NumaRangeJson[] | string | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = (why: string) =>
    `"numa" must be a list of { "node": N, "start": "0x...", "end": "0x..." } with start < end: ${why}`;
  if (!Array.isArray(v)) return bad(`got ${JSON.stringify(v)}`);
  const out: NumaRangeJson[] = [];
  for (const [i, e] of v.entries()) {
    const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    const start = typeof r.start === 'string' ? parseAddress(r.start) : undefined;
    const end = typeof r.end === 'string' ? parseAddress(r.end) : undefined;
    if (
      typeof r.node !== 'number' ||
      !Number.isInteger(r.node) ||
      r.node < 0 ||
      start === undefined ||
      end === undefined ||
      end <= start
    ) {
      return bad(`entry ${i} is ${JSON.stringify(e)}`);
    }
    out.push({ node: r.node, start: hex(start), end: hex(end) });
  }
  return out;
}

/** Parses a `*.kho.json` (paths relative to its folder); returns a reason string when invalid. */
export function parseKhoJson(text: string, dir: string, defaults: PairingDefaults): Pairing | string {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    return 'expected a JSON object like {"image": "dump.raw", "fdt": "kho.dtb"}';
  const o = j as Record<string, unknown>;
  const str = (k: string): string | null | undefined | Error => {
    const v = o[k];
    if (v === undefined || v === null) return v as null | undefined;
    return typeof v === 'string' ? v : new Error(`"${k}" must be a string`);
  };
  const image = str('image'),
    fdt = str('fdt'),
    fdtAddress = str('fdtAddress'),
    format = str('format');
  const scratchPhys = str('scratchPhys'),
    scratchLen = str('scratchLen'),
    setupData = str('setupData'),
    qmp = str('qmp');
  for (const v of [image, fdt, fdtAddress, format, scratchPhys, scratchLen, setupData, qmp])
    if (v instanceof Error) return v.message;
  if (qmp && image) return 'give "image" (a dump) or "qmp" (a live QEMU guest\'s QMP socket), not both';
  if (o.pauseWhileReading !== undefined && typeof o.pauseWhileReading !== 'boolean')
    return `"pauseWhileReading" must be true or false, got ${JSON.stringify(o.pauseWhileReading)}`;
  if (!scratchPhys !== !scratchLen)
    return '"scratchPhys" and "scratchLen" (the debugfs scratch_phys and scratch_len files) go together';
  let setup: string | undefined;
  if (typeof setupData === 'string') {
    const a = parseAddress(setupData);
    if (a === undefined)
      return `"setupData" must be an address (boot_params.hdr.setup_data or the SETUP_KEXEC_KHO record), got ${JSON.stringify(setupData)}`;
    setup = hex(a);
  }
  const numa = parseNuma(o.numa);
  if (typeof numa === 'string') return numa;
  if (o.preFix16k !== undefined && typeof o.preFix16k !== 'boolean')
    return `"preFix16k" must be true or false, got ${JSON.stringify(o.preFix16k)}`;
  if (!image && !fdt && !qmp)
    return '"image" (the dump), "qmp" (a live QEMU guest\'s QMP socket) or "fdt" (the KHO FDT blob) is required';
  let base = defaults.base;
  if (o.base !== undefined) {
    const b =
      typeof o.base === 'string'
        ? parseAddress(o.base)
        : typeof o.base === 'number' && Number.isSafeInteger(o.base) && o.base >= 0
          ? BigInt(o.base)
          : undefined;
    if (b === undefined) return `"base" must be an address like "0x80000000", got ${JSON.stringify(o.base)}`;
    base = hex(b);
  }
  let pageSize = defaults.pageSize;
  if (o.pageSize !== undefined) {
    if (typeof o.pageSize !== 'number' || !isPageSize(o.pageSize))
      return `"pageSize" must be 4096, 16384 or 65536, got ${JSON.stringify(o.pageSize)}`;
    pageSize = o.pageSize;
  }
  const fmt = (format ?? 'auto') as string;
  if (fmt !== 'auto' && fmt !== 'raw' && fmt !== 'elf')
    return `"format" must be "auto", "raw" or "elf", got ${JSON.stringify(fmt)}`;
  let addr: string | null = null;
  if (typeof fdtAddress === 'string') {
    const a = parseAddress(fdtAddress);
    if (a === undefined) return `"fdtAddress" must be an address, got ${JSON.stringify(fdtAddress)}`;
    addr = hex(a);
  }
  return {
    image: typeof image === 'string' ? path.resolve(dir, image) : null,
    fdt: typeof fdt === 'string' ? path.resolve(dir, fdt) : null,
    fdtAddress: addr,
    base,
    pageSize,
    format: fmt,
    // Optional keys only when given, so a plain pairing stays the same object.
    ...(typeof scratchPhys === 'string' && typeof scratchLen === 'string'
      ? { scratchPhys: path.resolve(dir, scratchPhys), scratchLen: path.resolve(dir, scratchLen) }
      : {}),
    ...(setup ? { setupData: setup } : {}),
    ...(typeof o.preFix16k === 'boolean' ? { preFix16k: o.preFix16k } : {}),
    ...(numa ? { numa } : {}),
    // A unix socket path is relative to the pairing's folder like the other files; tcp:HOST:PORT is kept.
    ...(typeof qmp === 'string'
      ? { qmp: qmp.startsWith('tcp:') ? qmp : path.resolve(dir, qmp.replace(/^unix:/, '')) }
      : {}),
    ...(typeof o.pauseWhileReading === 'boolean' ? { pauseWhileReading: o.pauseWhileReading } : {}),
    how: 'kho.json',
  };
}
