// DTS-like text for an FDT blob, for people: like `dtc -O dts`, except that the CPU-native values
// KHO and its clients store (docs/kho-format.md §2.3, §4.2-4.5) are shown decoded and labelled instead of as
// byte-swapped big-endian cells. Problems found while reading appear as comments; never throws.
// It knows KHO's and its clients' properties, so it lives with the KHO model; fdt/ stays generic.

import type { Diagnostic } from '../diagnostics';
import { FDT_MAGIC, getProp, parseFdt, propStrings, type Fdt, type FdtNode, type FdtProperty } from '../fdt/reader';
import { hexBytes, readU32BE, readU32LE, readU64LE } from '../util/bytes';
import { hex } from '../util/hex';
import { parseKhoFdt } from './fdtModel';

export interface RenderDtsOptions {
  /**
   * Decode KHO's native-endian root/subnode properties: true = always, false = never (not even the
   * client formats), undefined = when the root compatible starts with "kho-v".
   */
  khoNative?: boolean;
  /**
   * Reads `size` bytes of a sub-blob at a physical address (undefined when not in the dump). When
   * given, each KHO subnode's blob is appended as its own section, rendered as DTS if it is an FDT.
   */
  subBlob?: (phys: bigint, size: number) => Uint8Array | undefined;
  /** Physical address of the blob, for diagnostics. */
  baseAddress?: bigint | null;
  /** Page size for the KHO model's checks (default 4096). */
  pageSize?: number;
}

/** Largest sub-blob we ask for: client FDTs are a page or a few. */
const MAX_SUB_BLOB = 1 << 20;

export function renderDts(bytes: Uint8Array, opts: RenderDtsOptions = {}): string {
  const lines: string[] = [];
  try {
    renderBlob(bytes, opts, lines, true);
  } catch (e) {
    // Defensive: the reader never throws, but a caller's subBlob callback might.
    lines.push(`// rendering stopped: ${sanitize(e instanceof Error ? e.message : String(e))}`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

type Decoder = (p: FdtProperty) => { text: string; comment: string } | null;

interface Context {
  khoRoot: boolean;
  clients: boolean;
  rootCompat: string;
}

function renderBlob(bytes: Uint8Array, opts: RenderDtsOptions, lines: string[], top: boolean): void {
  const base = opts.baseAddress ?? null;
  const parsed = parseFdt(bytes, base);
  const fdt = parsed.fdt;
  lines.push('/dts-v1/;');
  let diagnostics: Diagnostic[] = parsed.diagnostics;
  const rootCompat = fdt ? firstString(getProp(fdt.root, 'compatible')) : '';
  const khoRoot = opts.khoNative === true || (opts.khoNative === undefined && rootCompat.startsWith('kho-v'));
  if (fdt) {
    const h = fdt.header;
    lines.push(
      `// FDT version ${h.version} (last_comp_version ${h.lastCompVersion}), totalsize ${hex(h.totalSize)}, boot_cpuid_phys ${hex(h.bootCpuidPhys)}`,
    );
  }
  if (fdt && khoRoot && top) {
    const kho = parseKhoFdt(bytes, base, { pageSize: opts.pageSize });
    diagnostics = kho.diagnostics; // the FDT's own diagnostics followed by the KHO model's
    lines.push('// KHO: u64 values marked "native-endian" are shown decoded (little-endian), not as dtc cells');
  }
  for (const d of diagnostics) lines.push(`// ${d.severity} ${d.code}: ${sanitize(d.message)}`);
  if (!fdt) {
    lines.push('// nothing more could be read');
    return;
  }
  for (const r of fdt.reserveMap) lines.push(`/memreserve/ ${hex16(r.address)} ${hex16(r.size)};`);
  lines.push('');
  const ctx: Context = { khoRoot, clients: opts.khoNative !== false, rootCompat };
  renderNode(fdt.root, 0, ctx, lines);
  if (top && khoRoot && opts.subBlob) renderSubBlobs(fdt, opts.subBlob, lines);
}

function renderNode(node: FdtNode, depth: number, ctx: Context, lines: string[]): void {
  const ind = '\t'.repeat(depth);
  lines.push(`${ind}${depth === 0 ? '/' : sanitize(node.name)} {`);
  const nodeCompat = propStrings(getProp(node, 'compatible') ?? new Uint8Array()) ?? [];
  for (const p of node.properties) {
    const decoder = decoderFor(ctx, node, depth, nodeCompat, p.name);
    const decoded = decoder ? decoder(p) : null;
    const name = sanitize(p.name);
    if (decoded) {
      lines.push(`${ind}\t${name} = ${decoded.text}; // ${decoded.comment}`);
    } else if (decoder) {
      lines.push(
        `${ind}\t${formatGeneric(name, p.value)} // unexpected length ${p.value.length} for a native-endian value`,
      );
    } else {
      lines.push(`${ind}\t${formatGeneric(name, p.value)}`);
    }
  }
  for (const c of node.children) {
    lines.push('');
    renderNode(c, depth + 1, ctx, lines);
  }
  lines.push(`${ind}};`);
}

// Which properties hold native-endian values (docs/kho-format.md §2.1, §4.2, §4.3, §4.5).
function decoderFor(ctx: Context, node: FdtNode, depth: number, nodeCompat: string[], name: string): Decoder | null {
  if (ctx.khoRoot) {
    if (depth === 0 && name === 'preserved-memory-map') return nativeU64;
    if (depth === 1 && (name === 'preserved-data' || name === 'fdt' || name === 'blob-size')) return nativeU64;
  }
  if (!ctx.clients) return null;
  if (nodeCompat.includes('reserve-mem-v1') && (name === 'start' || name === 'size')) return nativeU64;
  if (ctx.rootCompat.startsWith('luo-')) {
    if (depth === 0 && name === 'liveupdate-number') return nativeU64;
    if (name === 'luo-session-header' || name === 'luo-flb-header') return nativeU64;
  }
  if (ctx.rootCompat.startsWith('kho-test-')) {
    if (name === 'magic' || name === 'nr_folios' || name === 'csum') return nativeU32;
    if (name === 'folios_info') return khoVmalloc;
  }
  return null;
}

const nativeU64: Decoder = (p) => {
  if (p.value.length !== 8) return null;
  return {
    text: `/bits/ 64 <${hex(readU64LE(p.value, 0))}>`,
    comment: `native-endian u64 (dtc shows ${cells(p.value)})`,
  };
};

const nativeU32: Decoder = (p) => {
  if (p.value.length !== 4) return null;
  return { text: `<${hex(readU32LE(p.value, 0))}>`, comment: `native-endian u32 (dtc shows ${cells(p.value)})` };
};

// struct kho_vmalloc: u64 first, u32 total_pages, u16 flags, u16 order (docs/kho-format.md §4.1).
const khoVmalloc: Decoder = (p) => {
  const v = p.value;
  if (v.length !== 16) return null;
  const flags = v[12] | (v[13] << 8);
  const names = [flags & 1 ? 'ALLOC' : '', flags & 2 ? 'HUGE_VMAP' : '', flags & ~3 ? 'unknown bits' : ''].filter(
    Boolean,
  );
  return {
    text: bytesLiteral(v),
    comment: `struct kho_vmalloc: first ${hex(readU64LE(v, 0))}, total_pages ${readU32LE(v, 8)}, flags ${hex(flags)}${names.length ? ` (${names.join(', ')})` : ''}, order ${v[14] | (v[15] << 8)}`,
  };
};

function renderSubBlobs(fdt: Fdt, read: NonNullable<RenderDtsOptions['subBlob']>, lines: string[]): void {
  for (const node of fdt.root.children) {
    const data = getProp(node, 'preserved-data') ?? getProp(node, 'fdt');
    if (!data || data.value.length !== 8) continue;
    const phys = readU64LE(data.value, 0);
    const sizeProp = getProp(node, 'blob-size');
    const blobSize = sizeProp && sizeProp.value.length === 8 ? readU64LE(sizeProp.value, 0) : null;
    lines.push('');
    lines.push(
      `// ==== /${sanitize(node.name)}: ${data.name} ${hex(phys)}${blobSize === null ? '' : `, blob-size ${hex(blobSize)}`} ====`,
    );
    let size = blobSize === null ? 4096 : Number(blobSize < BigInt(MAX_SUB_BLOB) ? blobSize : BigInt(MAX_SUB_BLOB));
    if (blobSize !== null && blobSize > BigInt(MAX_SUB_BLOB))
      lines.push(`// showing the first ${hex(MAX_SUB_BLOB)} bytes`);
    if (size === 0) {
      lines.push('// empty blob');
      continue;
    }
    let blob = read(phys, size);
    if (!blob) {
      lines.push('// blob not readable in the dump');
      continue;
    }
    const isFdt = blob.length >= 8 && readU32BE(blob, 0) === FDT_MAGIC;
    if (isFdt && blobSize === null) {
      // kho-v1 records no size: the FDT's own totalsize says how much to read.
      const total = readU32BE(blob, 4);
      if (total > blob.length && total <= MAX_SUB_BLOB) {
        size = total;
        blob = read(phys, size) ?? blob;
      }
    }
    if (!isFdt) {
      const head = blob.subarray(0, 16);
      const ascii = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`// not an FDT: ${hex(blob.length)} bytes, first bytes ${bytesLiteral(head)} "${ascii}"`);
      continue;
    }
    renderBlob(blob, { baseAddress: phys }, lines, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Generic value formatting, following dtc's guesses: strings, 32-bit cells, or bytes.

function formatGeneric(name: string, v: Uint8Array): string {
  if (v.length === 0) return `${name};`;
  const strs = printableStrings(v);
  if (strs) return `${name} = ${strs.map((s) => `"${s}"`).join(', ')};`;
  if (v.length % 4 === 0) return `${name} = ${cells(v)};`;
  return `${name} = ${bytesLiteral(v)};`;
}

function cells(v: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i + 4 <= v.length; i += 4) out.push('0x' + readU32BE(v, i).toString(16).padStart(2, '0'));
  return `<${out.join(' ')}>`;
}

function bytesLiteral(v: Uint8Array): string {
  return `[${hexBytes(v)}]`;
}

const STRING_ESCAPES: Record<number, string> = {
  7: '\\a',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
};

/**
 * Escaped strings if the value reads as text the way dtc guesses it (NUL-terminated, printable
 * ASCII or \a\t\n\v\f\r, at most half NULs), and has no empty strings; else null.
 */
function printableStrings(v: Uint8Array): string[] | null {
  if (v[v.length - 1] !== 0) return null;
  const out: string[] = [];
  let cur = '';
  let nuls = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === 0) {
      if (cur === '') return null;
      out.push(cur);
      cur = '';
      nuls++;
    } else if (c >= 0x20 && c < 0x7f) {
      cur += STRING_ESCAPES[c] ?? String.fromCharCode(c);
    } else if (STRING_ESCAPES[c] !== undefined) {
      cur += STRING_ESCAPES[c];
    } else {
      return null;
    }
  }
  return nuls <= v.length - nuls ? out : null;
}

function firstString(p: FdtProperty | undefined): string {
  return (p && propStrings(p)?.[0]) ?? '';
}

function hex16(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
}

/** Keeps a name or message on one line and free of control characters. */
function sanitize(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
