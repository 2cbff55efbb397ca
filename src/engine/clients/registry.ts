// Client data behind each KHO FDT subnode (docs/kho-format.md §4): follow `preserved-data` / `fdt` (+ `blob-size`),
// recognise the format (an FDT by its root compatible, a packed struct by its leading compatible or
// the subnode name), decode it, and list every physical range it occupies. Never throws.

import { internalError } from '../diagnostics';
import { renderDts } from '../kho/dts';
import { FDT_MAGIC, getProp, parseFdt, propStrings } from '../fdt/reader';
import { asciiBytes, hexBytes, readU32BE } from '../util/bytes';
import { PhysReadError, type PhysMemory } from '../image/physMemory';
import type { KhoFdt, KhoSubnode } from '../kho/khoFdt';
import { hex } from '../util/hex';
import type { ClientBody } from './body';
import { DecodeContext, field } from './context';
import { decodeKexecMetadata } from './kexecMetadata';
import {
  KEXEC_METADATA_SUBNODE,
  LUO_FDT_COMPAT_PREFIX,
  LUO_SUBNODE,
  MEMBLOCK_COMPATIBLE,
  MEMBLOCK_SUBNODE,
  TEST_KHO_COMPATIBLE,
  TEST_KHO_SUBNODE,
} from './layout';
import { decodeLuoFdt, decodeLuoPacked, looksLikeLuoSer } from './luo';
import { decodeMemblock } from './memblock';
import { decodeTestKho } from './testKho';
import { DEFAULT_CLIENT_LIMITS, type ClientDecode, type ClientKind, type DecodeClientsOptions } from './types';

/** What each well-known subnode name is expected to hold. */
const EXPECTED_KINDS: Record<string, { kinds: ClientKind[]; what: string }> = {
  [MEMBLOCK_SUBNODE]: { kinds: ['memblock'], what: `a "${MEMBLOCK_COMPATIBLE}" FDT` },
  [LUO_SUBNODE]: { kinds: ['luo-fdt', 'luo-packed'], what: 'a "luo-vN" FDT or struct luo_ser' },
  [TEST_KHO_SUBNODE]: { kinds: ['test_kho'], what: `a "${TEST_KHO_COMPATIBLE}" FDT` },
  [KEXEC_METADATA_SUBNODE]: { kinds: ['kexec-metadata'], what: 'struct kho_kexec_metadata' },
};

/** Bytes of hex shown for an unknown blob. */
const RAW_PREVIEW = 64;
/** The FDT header's size: less than this cannot be an FDT. */
const FDT_HEADER = 40;

/** Decodes the data of every subnode of a KHO FDT, in FDT order. */
export function decodeClients(mem: PhysMemory, kho: KhoFdt, opts: DecodeClientsOptions = {}): ClientDecode[] {
  return kho.subnodes.map((s) => decodeClient(mem, s, opts));
}

/** Decodes one subnode's data. Never throws: problems are diagnostics in the result. */
export function decodeClient(mem: PhysMemory, sub: KhoSubnode, opts: DecodeClientsOptions = {}): ClientDecode {
  const pageSize = opts.pageSize ?? 4096;
  const ctx = new DecodeContext(mem, pageSize, { ...DEFAULT_CLIENT_LIMITS, ...opts.limits }, `client "${sub.name}"`);
  const out: ClientDecode = {
    subnode: sub.name,
    kind: 'missing',
    compatible: null,
    address: sub.preservedData ?? 0n,
    size: sub.blobSize,
    summary: '',
    fields: [],
    children: [],
    pages: [],
    dts: null,
    diagnostics: [],
  };
  try {
    decodeInto(ctx, sub, out);
  } catch (e) {
    // Defensive: every read above is checked; an engine bug must not hide the other clients.
    const at = e instanceof PhysReadError ? e.phys : out.address;
    ctx.adopt([internalError('client-internal-error', at, e)]);
  }
  out.pages = ctx.pages();
  out.diagnostics = ctx.diagnostics();
  return out;
}

function apply(out: ClientDecode, kind: ClientKind, body: ClientBody): void {
  out.kind = kind;
  out.summary = body.summary;
  out.fields.push(...body.fields);
  out.children.push(...body.children);
}

function decodeInto(ctx: DecodeContext, sub: KhoSubnode, out: ClientDecode): void {
  const pa = sub.preservedData;
  if (pa === null || pa === 0n) {
    out.summary = 'no blob address';
    return;
  }
  out.fields.push(
    field('address', hex(pa)),
    field('blob-size', sub.blobSize === null ? '(not recorded)' : sub.blobSize.toString()),
  );
  if (sub.blobSize === 0n) {
    out.kind = 'raw';
    out.summary = 'empty blob (blob-size 0)';
    return;
  }
  const headLen = Number(sub.blobSize !== null && sub.blobSize < ctx.page ? sub.blobSize : ctx.page);
  const head = readHead(ctx, pa, headLen);
  if (!head) {
    out.kind = 'raw';
    out.summary = 'blob not in the dump';
    ctx.report(
      'warning',
      'client-blob-not-in-dump',
      pa,
      `the blob at ${hex(pa)} is not in the dump (outside RAM, or left out of the dump); the next kernel reads it through phys_to_virt`,
    );
    if (sub.blobSize !== null) ctx.occupy(pa, sub.blobSize, 'client blob');
    checkExpected(ctx, sub, out);
    return;
  }
  if (head.length >= 4 && readU32BE(head, 0) === FDT_MAGIC) decodeFdtBlob(ctx, sub, pa, head, out);
  else if (looksLikeLuoSer(head)) {
    const body = decodeLuoPacked(ctx, head, pa, sub.blobSize);
    apply(out, 'luo-packed', body);
    out.compatible = body.compatible;
    out.size ??= BigInt(body.structSize);
    ctx.occupy(pa, out.size, 'client blob');
  } else if (sub.name === KEXEC_METADATA_SUBNODE) {
    apply(out, 'kexec-metadata', decodeKexecMetadata(ctx, head, pa, sub.blobSize));
    ctx.occupy(pa, sub.blobSize ?? BigInt(Math.min(head.length, 73)), 'client blob');
  } else {
    decodeRaw(ctx, sub, pa, head, out);
  }
  checkExpected(ctx, sub, out);
}

/** Up to `len` bytes at `pa`, fewer when the dump ends sooner (at least 1), else null. */
function readHead(ctx: DecodeContext, pa: bigint, len: number): Uint8Array | null {
  if (ctx.inDump(pa, len)) return ctx.mem.read(pa, len);
  // The blob may run off the end of a dump range: take what is there, in halving steps.
  for (let n = len >> 1; n >= 1; n >>= 1) if (ctx.inDump(pa, n)) return ctx.mem.read(pa, n);
  return null;
}

function decodeFdtBlob(ctx: DecodeContext, sub: KhoSubnode, pa: bigint, head: Uint8Array, out: ClientDecode): void {
  const total = head.length >= 8 ? readU32BE(head, 4) : 0;
  if (sub.blobSize !== null && total > sub.blobSize && total >= FDT_HEADER) {
    ctx.report(
      'warning',
      'client-fdt-exceeds-blob',
      pa + 4n,
      `FDT totalsize ${hex(total)} exceeds blob-size ${hex(sub.blobSize)}; the bytes past blob-size are not necessarily preserved`,
    );
  }
  let bytes = head;
  const want = Math.min(total, ctx.limits.maxBlobBytes);
  if (want > head.length) {
    if (ctx.inDump(pa, want)) bytes = ctx.mem.read(pa, want);
    else
      ctx.report(
        'warning',
        'client-pointer-outside-dump',
        pa,
        `FDT [${hex(pa)}, ${hex(pa + BigInt(total))}) is not entirely in the dump; decoding the first ${hex(head.length)} bytes`,
      );
  }
  if (total > ctx.limits.maxBlobBytes) {
    ctx.report(
      'warning',
      'client-fdt-too-large',
      pa + 4n,
      `FDT totalsize ${hex(total)} is larger than the ${hex(ctx.limits.maxBlobBytes)} bytes read; client FDTs are a page or a few`,
    );
  }
  const parsed = parseFdt(bytes, pa);
  ctx.adopt(parsed.diagnostics);
  out.dts = renderDts(bytes, { baseAddress: pa, pageSize: ctx.pageSize });
  out.size ??= BigInt(total);
  ctx.occupy(pa, sub.blobSize ?? BigInt(total), 'client blob');
  const fdt = parsed.fdt;
  out.kind = 'fdt';
  if (!fdt) {
    out.summary = 'unreadable FDT';
    return;
  }
  const compatProp = getProp(fdt.root, 'compatible');
  const compat = compatProp ? (propStrings(compatProp)?.[0] ?? null) : null;
  out.compatible = compat;
  out.fields.push(field('compatible', compat ?? '(none)'), field('totalsize', hex(total)));
  if (compat === MEMBLOCK_COMPATIBLE) apply(out, 'memblock', decodeMemblock(ctx, fdt.root, pa));
  else if (compat !== null && compat.startsWith(LUO_FDT_COMPAT_PREFIX))
    apply(out, 'luo-fdt', decodeLuoFdt(ctx, fdt.root, pa));
  else if (compat === TEST_KHO_COMPATIBLE) apply(out, 'test_kho', decodeTestKho(ctx, fdt.root, pa));
  else {
    const nodes = countNodes(fdt.root);
    out.summary = `FDT ${compat === null ? 'without a compatible' : `"${compat}"`}, ${nodes} node${nodes === 1 ? '' : 's'}`;
    ctx.report(
      'info',
      'client-unknown-compatible',
      pa,
      `FDT root compatible ${compat === null ? 'is missing' : `"${compat}" is not one this tool decodes`}; shown as DTS only`,
    );
  }
}

function countNodes(n: { children: { children: unknown[] }[] }): number {
  let c = 1;
  for (const k of n.children) c += countNodes(k as typeof n);
  return c;
}

function decodeRaw(ctx: DecodeContext, sub: KhoSubnode, pa: bigint, head: Uint8Array, out: ClientDecode): void {
  const preview = head.subarray(0, RAW_PREVIEW);
  out.kind = 'raw';
  out.fields.push(field('first bytes', hexBytes(preview)), field('ascii', asciiBytes(preview)));
  out.summary = `unrecognised blob${sub.blobSize === null ? '' : ` of ${sub.blobSize} bytes`}`;
  ctx.occupy(pa, sub.blobSize ?? 1n, 'client blob');
  if (!EXPECTED_KINDS[sub.name]) {
    ctx.report(
      'info',
      'client-unknown-format',
      pa,
      `the blob is neither an FDT nor a known packed structure; shown raw (${sub.blobSize === null ? 'size not recorded' : `${sub.blobSize} bytes`})`,
    );
  }
}

/** A well-known subnode name holding something else is worth a warning. */
function checkExpected(ctx: DecodeContext, sub: KhoSubnode, out: ClientDecode): void {
  const exp = EXPECTED_KINDS[sub.name];
  if (!exp || exp.kinds.includes(out.kind) || out.summary === 'blob not in the dump') return;
  const preview = out.fields.find((f) => f.name === 'first bytes')?.value.slice(0, 23);
  const found =
    out.kind === 'raw'
      ? `unrecognised (first bytes ${preview ?? '?'})`
      : out.compatible !== null
        ? `${out.kind === 'luo-packed' ? 'struct' : 'FDT'} "${out.compatible}"`
        : `a ${out.kind} blob`;
  ctx.report(
    'warning',
    'client-format-mismatch',
    out.address,
    `subnode "${sub.name}" normally holds ${exp.what}, but its blob is ${found}; the next kernel's ${sub.name} code would reject it`,
  );
}

/** One line per client, for text output. */
export function clientHeadline(c: ClientDecode): string {
  return `${c.subnode}: ${c.kind}${c.compatible ? ` "${c.compatible}"` : ''} at ${hex(c.address)} - ${c.summary}`;
}
