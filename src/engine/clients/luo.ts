// LUO, the Live Update Orchestrator (docs/kho-format.md §4.3), in its two shapes:
//  (a) FDT form: root "luo-v1" with `liveupdate-number`, a `luo-session` node whose
//      `luo-session-header` points at {count, luo_session_ser[count]}, and an optional `luo-flb` node;
//      the intermediate "luo-v2"/"luo-v3" FDTs instead carry `luo-abi-header` -> struct luo_ser.
//  (b) packed form: the blob is struct luo_ser {char compatible[ALIGN(len+1, 8)]; u64 liveupdate_num;
//      u64 sessions_pa; u64 flbs_pa} with sessions and their files in KHO block chains.

import { getProp, propStrings, type FdtNode } from '../fdt/reader';
import { hexBytes, readU64LE } from '../util/bytes';
import { hex } from '../util/hex';
import { field, item, type DecodeContext } from './context';
import {
  align8,
  LUO_FLB_NODE,
  LUO_FLB_V1,
  LUO_LATEST_KNOWN_VERSION,
  LUO_PROP_ABI_HEADER,
  LUO_PROP_FLB_HEADER,
  LUO_PROP_LIVEUPDATE_NUM,
  LUO_PROP_SESSION_HEADER,
  LUO_SER_MAX_COMPAT,
  LUO_SER_TAIL_SIZE,
  LUO_SESSION_NODE,
  LUO_SESSION_V1,
  LUO_SESSION_V2,
  readCString,
} from './layout';
import {
  decodeLuoFlbs,
  decodeLuoSessionArray,
  decodeLuoSessionBlocks,
  type LuoChainForm,
  type LuoStats,
} from './luoSessions';
import type { ClientBody } from './body';
import type { ClientField, ClientItem } from './types';

/** N of "luo-vN..." or null. */
export function luoVersion(compatible: string): number | null {
  const m = /^luo-v([0-9]+)/.exec(compatible);
  return m ? Number(m[1]) : null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function statsSummary(s: LuoStats): string {
  return `${plural(s.sessions, 'session')}, ${plural(s.files, 'file')}, ${plural(s.flbs, 'FLB')}`;
}

function firstCompat(node: FdtNode): string | null {
  const p = getProp(node, 'compatible');
  return p ? (propStrings(p)?.[0] ?? null) : null;
}

/** A native u64 property, or null after reporting why not. */
function u64Prop(ctx: DecodeContext, node: FdtNode, base: bigint, name: string, consequence: string): bigint | null {
  const p = getProp(node, name);
  if (p && p.value.length === 8) return readU64LE(p.value, 0);
  ctx.report(
    'error',
    'luo-bad-property',
    base + BigInt(p ? p.offset : node.offset),
    `LUO FDT ${node.path}: "${name}" is ${p ? `${p.value.length} bytes` : 'missing'}; expected a native-endian u64 (${consequence})`,
  );
  return null;
}

export function decodeLuoFdt(ctx: DecodeContext, root: FdtNode, base: bigint): ClientBody {
  const compat = firstCompat(root) ?? '';
  const version = luoVersion(compat);
  const stats: LuoStats = { sessions: 0, files: 0, flbs: 0 };
  const fields: ClientField[] = [];
  const children: ClientItem[] = [];
  if (version === null || version < 1 || version > 3) {
    ctx.report(
      'warning',
      'luo-unknown-version',
      base + BigInt(root.offset),
      `LUO FDT compatible "${compat}" is not a known FDT form (luo-v1 to luo-v3); decoded as the closest known form. Only the version in the next kernel's header is authoritative: a mismatch makes it refuse the LUO state`,
    );
  }
  const num = u64Prop(ctx, root, base, LUO_PROP_LIVEUPDATE_NUM, 'the next kernel rejects the LUO FDT');
  if (num !== null) fields.push(field('liveupdate-number', num.toString()));

  const abi = getProp(root, LUO_PROP_ABI_HEADER);
  if (abi) {
    // Intermediate revisions: the FDT only points at struct luo_ser (without its own compatible).
    const pa = u64Prop(ctx, root, base, LUO_PROP_ABI_HEADER, 'the next kernel cannot find struct luo_ser');
    if (pa !== null) {
      fields.push(field(LUO_PROP_ABI_HEADER, hex(pa)));
      const form: LuoChainForm = version !== null && version >= 3 ? 'blocks' : 'array';
      const ser = decodeLuoSerAt(ctx, pa, form, stats);
      if (ser) children.push(ser);
    }
    return { summary: `LUO ${compat} (luo_ser): ${statsSummary(stats)}`, fields, children };
  }

  const sessionNode = root.children.find((c) => c.name === LUO_SESSION_NODE);
  if (!sessionNode) {
    ctx.report(
      'error',
      'luo-missing-node',
      base + BigInt(root.offset),
      `LUO FDT has no "${LUO_SESSION_NODE}" node; the next kernel cannot restore any session`,
    );
  } else {
    const sc = firstCompat(sessionNode) ?? '';
    const at = base + BigInt(sessionNode.offset);
    if (sc === LUO_SESSION_V2) {
      const pa = u64Prop(ctx, sessionNode, base, LUO_PROP_SESSION_HEADER, 'the next kernel cannot find the sessions');
      if (pa !== null) children.push(decodeLuoSessionArray(ctx, pa, 'array', stats));
    } else if (sc === LUO_SESSION_V1) {
      const pa = getProp(sessionNode, LUO_PROP_SESSION_HEADER);
      ctx.report(
        'info',
        'luo-session-v1',
        at,
        `"${LUO_SESSION_V1}" is the v6.19 patch-series form (no per-session file sets, never merged); its session records are not decoded`,
      );
      children.push(
        item(
          'sessions',
          `sessions (${LUO_SESSION_V1}, not decoded)`,
          pa && pa.value.length === 8 ? readU64LE(pa.value, 0) : null,
          null,
        ),
      );
    } else {
      ctx.report(
        'error',
        'luo-unknown-version',
        at,
        `LUO "${LUO_SESSION_NODE}" compatible is "${sc}"; expected "${LUO_SESSION_V2}" (the next kernel refuses the sessions)`,
      );
    }
  }
  const flbNode = root.children.find((c) => c.name === LUO_FLB_NODE);
  if (flbNode) {
    const fc = firstCompat(flbNode) ?? '';
    if (fc !== LUO_FLB_V1) {
      ctx.report(
        'error',
        'luo-unknown-version',
        base + BigInt(flbNode.offset),
        `LUO "${LUO_FLB_NODE}" compatible is "${fc}"; expected "${LUO_FLB_V1}" (the next kernel refuses the FLBs)`,
      );
    } else {
      const pa = u64Prop(ctx, flbNode, base, LUO_PROP_FLB_HEADER, 'the next kernel cannot find the FLBs');
      if (pa !== null) children.push(decodeLuoFlbs(ctx, pa, stats));
    }
  }
  return { summary: `LUO ${compat}: ${statsSummary(stats)}`, fields, children };
}

/** struct luo_ser without a compatible (pointed to by `luo-abi-header`). */
function decodeLuoSerAt(ctx: DecodeContext, pa: bigint, form: LuoChainForm, stats: LuoStats): ClientItem | null {
  const b = ctx.read(pa, LUO_SER_TAIL_SIZE, 'LUO struct luo_ser', 'the next kernel reads the LUO state from it');
  if (!b) return null;
  ctx.occupy(pa, BigInt(LUO_SER_TAIL_SIZE), 'LUO luo_ser');
  const out = item('luo_ser', 'struct luo_ser', pa, BigInt(LUO_SER_TAIL_SIZE));
  out.fields = serFields(b, 0);
  out.children = serChildren(ctx, b, 0, form, stats);
  return out;
}

function serFields(b: Uint8Array, off: number): ClientField[] {
  return [
    field('liveupdate_num', readU64LE(b, off).toString()),
    field('sessions_pa', hex(readU64LE(b, off + 8))),
    field('flbs_pa', hex(readU64LE(b, off + 16))),
  ];
}

function serChildren(
  ctx: DecodeContext,
  b: Uint8Array,
  off: number,
  form: LuoChainForm,
  stats: LuoStats,
): ClientItem[] {
  const sessions = readU64LE(b, off + 8),
    flbs = readU64LE(b, off + 16);
  const out: ClientItem[] = [];
  if (form === 'blocks') out.push(decodeLuoSessionBlocks(ctx, sessions, stats));
  else if (sessions !== 0n) out.push(decodeLuoSessionArray(ctx, sessions, 'array', stats));
  if (flbs !== 0n) out.push(decodeLuoFlbs(ctx, flbs, stats));
  return out;
}

/** True when a non-FDT blob starts like a packed luo_ser ("luo-v<digit>"). */
export function looksLikeLuoSer(b: Uint8Array): boolean {
  return (
    b.length >= 6 &&
    b[0] === 0x6c &&
    b[1] === 0x75 &&
    b[2] === 0x6f &&
    b[3] === 0x2d &&
    b[4] === 0x76 &&
    b[5] >= 0x30 &&
    b[5] <= 0x39
  );
}

export interface LuoPackedBody extends ClientBody {
  compatible: string;
  /** sizeof(struct luo_ser) for this compatible. */
  structSize: number;
}

/**
 * The packed form. `head` holds the blob's first bytes (at least as many as are in the dump, up to a
 * page); `blobSize` is the subnode's `blob-size` when recorded.
 */
export function decodeLuoPacked(
  ctx: DecodeContext,
  head: Uint8Array,
  pa: bigint,
  blobSize: bigint | null,
): LuoPackedBody {
  const stats: LuoStats = { sessions: 0, files: 0, flbs: 0 };
  const c = readCString(head, 0, Math.min(LUO_SER_MAX_COMPAT, head.length));
  const compatible = c.text;
  const compatLen = align8(compatBytes(head, c.terminated));
  const structSize = compatLen + LUO_SER_TAIL_SIZE;
  const fields = [field('compatible', compatible)];
  const body: LuoPackedBody = { compatible, structSize, summary: '', fields, children: [] };
  if (!c.terminated) {
    ctx.report(
      'error',
      'luo-bad-compatible',
      pa,
      `LUO luo_ser compatible is not NUL-terminated within ${LUO_SER_MAX_COMPAT} bytes (starts ${hexBytes(head.subarray(0, 16))}); the next kernel refuses the LUO state`,
    );
    body.summary = `LUO luo_ser with an unreadable compatible`;
    return body;
  }
  const version = luoVersion(compatible);
  if (version === null || version < 3 || version > LUO_LATEST_KNOWN_VERSION) {
    ctx.report(
      'warning',
      'luo-unknown-version',
      pa,
      `LUO luo_ser compatible "${compatible}" is not a known packed version (luo-v3 to luo-v${LUO_LATEST_KNOWN_VERSION}); decoded with the newest layout known. Only the version in the next kernel's header is authoritative: a mismatch makes it panic`,
    );
  }
  if (blobSize !== null && blobSize < BigInt(structSize)) {
    ctx.report(
      'error',
      'client-blob-too-small',
      pa,
      `LUO blob-size ${blobSize} is smaller than struct luo_ser (${structSize} bytes for compatible "${compatible}"); the next kernel refuses the LUO state`,
    );
  }
  let b = head;
  if (b.length < structSize) {
    const full = ctx.read(pa, structSize, 'LUO struct luo_ser', 'the next kernel reads the LUO state from it');
    if (!full) {
      body.summary = `LUO ${compatible}: truncated struct luo_ser`;
      return body;
    }
    b = full;
  }
  fields.push(...serFields(b, compatLen));
  body.children = serChildren(ctx, b, compatLen, 'blocks', stats);
  body.summary = `LUO ${compatible} (packed): ${statsSummary(stats)}`;
  return body;
}

/** Bytes of the compatible including its NUL (what ALIGN(sizeof(...), 8) rounds). */
function compatBytes(head: Uint8Array, terminated: boolean): number {
  let n = 0;
  while (n < head.length && head[n] !== 0) n++;
  return terminated ? n + 1 : n;
}
