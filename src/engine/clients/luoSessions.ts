// LUO sessions, files and FLBs (docs/kho-format.md §4.3), shared by the FDT form and the packed form: the records
// are the same, only how they are chained differs (contiguous arrays behind a count, or KHO blocks).

import { hex } from '../util/hex';
import { walkKhoBlocks } from './blocks';
import { field, item, ItemList, type DecodeContext } from './context';
import {
  LUO_COMPAT_LEN,
  LUO_FILE_SER_SIZE,
  LUO_FLB_HEADER_SIZE,
  LUO_FLB_SER_SIZE,
  LUO_SESSION_HEADER_SIZE,
  LUO_SESSION_NAME_LEN,
  LUO_SESSION_SER_SIZE,
  MEMFD_V1,
  MEMFD_V2,
  readCString,
} from './layout';
import { readU64LE } from '../util/bytes';
import { decodeMemfd } from './memfd';
import type { ClientItem } from './types';

/** How sessions and files are chained: contiguous arrays (FDT form) or KHO blocks (packed form). */
export type LuoChainForm = 'array' | 'blocks';

export interface LuoStats {
  sessions: number;
  files: number;
  flbs: number;
}

/** Largest array read in one piece; longer arrays are read window by window. */
const WINDOW = 64 * 1024;

/**
 * Calls `fn` for each of `count` entries of a contiguous array at `pa` (reading 64 KiB at a time).
 * Records the array as occupied. Returns false when part of it could not be read.
 */
function forEachArrayEntry(
  ctx: DecodeContext,
  pa: bigint,
  entrySize: number,
  count: number,
  what: string,
  occupied: string,
  fn: (entry: Uint8Array, index: number, at: bigint) => void,
): boolean {
  ctx.occupy(pa, BigInt(count) * BigInt(entrySize), occupied);
  const perWindow = Math.max(1, Math.floor(WINDOW / entrySize));
  for (let i = 0; i < count; i += perWindow) {
    const n = Math.min(perWindow, count - i);
    const at = pa + BigInt(i * entrySize);
    if (!ctx.spend(n, at)) return false;
    const b = ctx.read(at, n * entrySize, what, 'the next kernel reads these entries');
    if (!b) return false;
    for (let k = 0; k < n; k++) fn(b.subarray(k * entrySize, (k + 1) * entrySize), i + k, at + BigInt(k * entrySize));
  }
  return true;
}

/** A u64 count from the dump as a loop bound, capped (with a report) at limits.maxEntries. */
function boundedCount(ctx: DecodeContext, count: bigint, at: bigint, what: string): number {
  if (count > BigInt(ctx.limits.maxEntries)) {
    ctx.report(
      'error',
      'luo-count-too-big',
      at,
      `${what}: count ${count} is implausibly large; only the first ${ctx.limits.maxEntries} entries are read (the next kernel would read far past the preserved block)`,
    );
    return ctx.limits.maxEntries;
  }
  return Number(count);
}

/** Decodes one struct luo_file_ser. */
export function decodeLuoFile(
  ctx: DecodeContext,
  e: Uint8Array,
  at: bigint,
  index: number,
  owner: string,
  stats: LuoStats,
): ClientItem {
  stats.files++;
  const compat = readCString(e, 0, LUO_COMPAT_LEN);
  const data = readU64LE(e, LUO_COMPAT_LEN),
    token = readU64LE(e, LUO_COMPAT_LEN + 8);
  const label = `${owner} file ${index}`;
  const out = item('file', `file ${index}: ${compat.text || '(no compatible)'}`, at, BigInt(LUO_FILE_SER_SIZE), [
    field('compatible', compat.text),
    field('data', hex(data)),
    field('token', hex(token)),
  ]);
  if (!compat.terminated) {
    ctx.report(
      'error',
      'luo-bad-file-compatible',
      at,
      `${label}: luo_file_ser compatible is not NUL-terminated within ${LUO_COMPAT_LEN} bytes; the next kernel finds no handler for it`,
    );
  } else if (compat.text === '') {
    ctx.report(
      'error',
      'luo-bad-file-compatible',
      at,
      `${label}: luo_file_ser compatible is empty; the next kernel finds no handler for it`,
    );
  } else if (compat.text === MEMFD_V1 || compat.text === MEMFD_V2) {
    out.children.push(decodeMemfd(ctx, data, compat.text === MEMFD_V1 ? 1 : 2, label));
  } else {
    ctx.report(
      'info',
      'luo-unknown-file-handler',
      at,
      `${label}: file handler "${compat.text}" is not one this tool decodes; its data (${hex(data)}) is shown raw, and the next kernel restores it only if a handler with this compatible is registered`,
    );
  }
  return out;
}

/** Decodes one struct luo_session_ser and the files it names. */
export function decodeLuoSession(
  ctx: DecodeContext,
  e: Uint8Array,
  at: bigint,
  index: number,
  form: LuoChainForm,
  stats: LuoStats,
): ClientItem {
  stats.sessions++;
  const name = readCString(e, 0, LUO_SESSION_NAME_LEN);
  const files = readU64LE(e, LUO_SESSION_NAME_LEN),
    count = readU64LE(e, LUO_SESSION_NAME_LEN + 8);
  const label = `session ${index} "${name.text}"`;
  const out = item('session', `session "${name.text}"`, at, BigInt(LUO_SESSION_SER_SIZE), [
    field('name', name.text),
    field('files', hex(files)),
    field('count', count.toString()),
  ]);
  if (!name.terminated) {
    ctx.report(
      'warning',
      'luo-bad-session-name',
      at,
      `${label}: session name is not NUL-terminated within ${LUO_SESSION_NAME_LEN} bytes; the next kernel truncates it`,
    );
  }
  const list = new ItemList(ctx.limits.maxListItems, 'files');
  if (form === 'array') {
    if (count > 0n && files === 0n) {
      ctx.report(
        'error',
        'luo-null-pointer',
        at + BigInt(LUO_SESSION_NAME_LEN),
        `${label}: ${count} files but the file array address is 0; the next kernel dereferences it`,
      );
    } else if (count > 0n) {
      const n = boundedCount(ctx, count, at + BigInt(LUO_SESSION_NAME_LEN + 8), `${label} file array`);
      forEachArrayEntry(
        ctx,
        files,
        LUO_FILE_SER_SIZE,
        n,
        `${label}: luo_file_ser array`,
        'LUO file array',
        (f, i, fa) => {
          list.push(decodeLuoFile(ctx, f, fa, i, label, stats));
        },
      );
    }
  } else {
    const walk = walkKhoBlocks(ctx, files, LUO_FILE_SER_SIZE, `${label} files`, 'file blocks');
    out.children.push(walk.item);
    if (walk.complete && walk.announced !== count) {
      ctx.report(
        'warning',
        'luo-count-mismatch',
        at + BigInt(LUO_SESSION_NAME_LEN + 8),
        `${label}: session count says ${count} files but its block chain holds ${walk.announced}`,
      );
    }
    walk.entries.forEach((f, i) => {
      list.push(decodeLuoFile(ctx, f.bytes, f.phys, i, label, stats));
    });
  }
  out.children.push(item('files', `files (${count})`, files === 0n ? null : files, null, [], list.done()));
  return out;
}

/** FDT form: struct luo_session_header_ser {u64 count} followed by `count` luo_session_ser. */
export function decodeLuoSessionArray(
  ctx: DecodeContext,
  pa: bigint,
  fileForm: LuoChainForm,
  stats: LuoStats,
): ClientItem {
  const out = item('sessions', 'sessions (luo_session_header_ser)', pa, null);
  if (pa === 0n) {
    ctx.report('error', 'luo-null-pointer', null, 'LUO session header address is 0; the next kernel dereferences it');
    return out;
  }
  const h = ctx.read(
    pa,
    LUO_SESSION_HEADER_SIZE,
    'LUO session header',
    'the next kernel reads the session count from it',
  );
  if (!h) return out;
  const count = readU64LE(h, 0);
  out.fields.push(field('count', count.toString()));
  out.size = BigInt(LUO_SESSION_HEADER_SIZE) + count * BigInt(LUO_SESSION_SER_SIZE);
  ctx.occupy(pa, BigInt(LUO_SESSION_HEADER_SIZE), 'LUO session header');
  const n = boundedCount(ctx, count, pa, 'LUO session header');
  const list = new ItemList(ctx.limits.maxListItems, 'sessions');
  forEachArrayEntry(
    ctx,
    pa + BigInt(LUO_SESSION_HEADER_SIZE),
    LUO_SESSION_SER_SIZE,
    n,
    'LUO luo_session_ser array',
    'LUO session header',
    (e, i, at) => {
      list.push(decodeLuoSession(ctx, e, at, i, fileForm, stats));
    },
  );
  out.children = list.done();
  return out;
}

/** Packed form: sessions in a KHO block chain. */
export function decodeLuoSessionBlocks(ctx: DecodeContext, first: bigint, stats: LuoStats): ClientItem {
  const walk = walkKhoBlocks(ctx, first, LUO_SESSION_SER_SIZE, 'LUO sessions', 'session blocks');
  const list = new ItemList(ctx.limits.maxListItems, 'sessions');
  walk.entries.forEach((e, i) => {
    list.push(decodeLuoSession(ctx, e.bytes, e.phys, i, 'blocks', stats));
  });
  return item(
    'sessions',
    `sessions (${walk.announced})`,
    first === 0n ? null : first,
    null,
    [field('blocks', walk.blocks.length)],
    [walk.item, ...list.done()],
  );
}

/** struct luo_flb_header_ser {u64 pgcnt; u64 count} followed by `count` luo_flb_ser. */
export function decodeLuoFlbs(ctx: DecodeContext, pa: bigint, stats: LuoStats): ClientItem {
  const out = item('flbs', 'FLBs (luo_flb_header_ser)', pa, null);
  if (pa === 0n) return out;
  const h = ctx.read(pa, LUO_FLB_HEADER_SIZE, 'LUO FLB header', 'the next kernel reads the FLB count from it');
  if (!h) return out;
  const pgcnt = readU64LE(h, 0),
    count = readU64LE(h, 8);
  out.fields.push(field('pgcnt', pgcnt.toString()), field('count', count.toString()));
  const room = pgcnt * ctx.page;
  const need = BigInt(LUO_FLB_HEADER_SIZE) + count * BigInt(LUO_FLB_SER_SIZE);
  out.size = room;
  if (pgcnt === 0n || pgcnt > BigInt(ctx.limits.maxEntries)) {
    ctx.report(
      'error',
      'luo-flb-bad-pgcnt',
      pa,
      `LUO FLB header at ${hex(pa)}: pgcnt = ${pgcnt}; expected the number of pages of the FLB block (at least 1)`,
    );
    ctx.occupy(pa, need < ctx.page ? ctx.page : need, 'LUO FLB header');
  } else {
    ctx.occupy(pa, room, 'LUO FLB header');
  }
  let n = boundedCount(ctx, count, pa + 8n, 'LUO FLB header');
  if (pgcnt > 0n && need > room) {
    ctx.report(
      'error',
      'luo-flb-count-too-big',
      pa + 8n,
      `LUO FLB header at ${hex(pa)}: ${count} entries need ${hex(need)} bytes but the block is ${pgcnt} page(s) (${hex(room)} bytes); the next kernel reads past the preserved block`,
    );
    n = Math.min(n, Number((room - BigInt(LUO_FLB_HEADER_SIZE)) / BigInt(LUO_FLB_SER_SIZE)));
  }
  const list = new ItemList(ctx.limits.maxListItems, 'FLBs');
  forEachArrayEntry(
    ctx,
    pa + BigInt(LUO_FLB_HEADER_SIZE),
    LUO_FLB_SER_SIZE,
    n,
    'LUO luo_flb_ser array',
    'LUO FLB header',
    (e, i, at) => {
      stats.flbs++;
      if (list.full) {
        list.skip();
        return;
      }
      const name = readCString(e, 0, LUO_COMPAT_LEN);
      if (!name.terminated) {
        ctx.report(
          'error',
          'luo-bad-flb-name',
          at,
          `LUO FLB ${i}: name is not NUL-terminated within ${LUO_COMPAT_LEN} bytes; the next kernel matches FLBs by this name`,
        );
      }
      list.push(
        item('flb', `FLB "${name.text}"`, at, BigInt(LUO_FLB_SER_SIZE), [
          field('name', name.text),
          field('data', hex(readU64LE(e, LUO_COMPAT_LEN))),
          field('count', readU64LE(e, LUO_COMPAT_LEN + 8).toString()),
        ]),
      );
    },
  );
  out.children = list.done();
  return out;
}
