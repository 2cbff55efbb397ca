// LUO state as a builder (docs/kho-format.md §4.3), in the FDT form (luo-v1: session header array, file arrays,
// FLB header) and the packed form (struct luo_ser with sessions and files in KHO block chains).
// Files whose compatible is memfd-v1/-v2 can carry a memfd built alongside.

import { str, u64le, writeFdt, type FdtNodeSpec } from '../../fdt/writer';
import {
  LUO_FILE_SER_SIZE,
  LUO_FLB_HEADER_SIZE,
  LUO_FLB_NODE,
  LUO_FLB_SER_SIZE,
  LUO_FLB_V1,
  LUO_PROP_FLB_HEADER,
  LUO_PROP_LIVEUPDATE_NUM,
  LUO_PROP_SESSION_HEADER,
  LUO_SESSION_NODE,
  LUO_SESSION_SER_SIZE,
  LUO_SESSION_V2,
  LUO_SUBNODE,
  MEMFD_V1,
} from '../layout';
import { buildBlockChain, type BuiltBlockChain } from './blocks';
import { concat, encodeLuoFileSer, encodeLuoFlbSer, encodeLuoSer, encodeLuoSessionSer } from './encode';
import { buildMemfd, type BuiltMemfd, type MemfdSpec } from './memfd';
import { orderFor, placeBytes, type BuildContext, type BuiltClient } from './memory';

export interface LuoFileSpec {
  /** Handler compatible: "memfd-v1", "memfd-v2", or anything (then `data` is used as is). */
  compatible: string;
  token: bigint;
  /** Handler-private data for non-memfd files (default 0). */
  data?: bigint;
  /** For memfd files: the memfd to build (its version follows the compatible). */
  memfd?: Omit<MemfdSpec, 'version'>;
}

export interface LuoSessionSpec {
  name: string;
  files: LuoFileSpec[];
}

export interface LuoFlbSpec {
  name: string;
  data: bigint;
  count: bigint;
}

export interface LuoSpec {
  liveupdateNumber: bigint;
  sessions: LuoSessionSpec[];
  flbs?: LuoFlbSpec[];
}

export interface BuiltLuoFile {
  compatible: string;
  token: bigint;
  data: bigint;
  memfd?: BuiltMemfd;
}

export interface BuiltLuoSession {
  name: string;
  /** The session's `files`: array address (FDT form) or first block (packed form); 0 when empty. */
  files: bigint;
  fileList: BuiltLuoFile[];
  /** Packed form: the file block chain. */
  chain?: BuiltBlockChain;
}

export interface BuiltLuo extends BuiltClient {
  /** FDT form: luo_session_header_ser address. */
  sessionHeader: bigint | null;
  /** Packed form: the session block chain. */
  sessionChain: BuiltBlockChain | null;
  /** luo_flb_header_ser address, or null without FLBs. */
  flbHeader: bigint | null;
  sessions: BuiltLuoSession[];
}

function buildFiles(ctx: BuildContext, files: LuoFileSpec[]): BuiltLuoFile[] {
  return files.map((f) => {
    if (!f.memfd) return { compatible: f.compatible, token: f.token, data: f.data ?? 0n };
    const memfd = buildMemfd(ctx, { ...f.memfd, version: f.compatible === MEMFD_V1 ? 1 : 2 });
    return { compatible: f.compatible, token: f.token, data: memfd.phys, memfd };
  });
}

function fileBytes(files: BuiltLuoFile[]): Uint8Array[] {
  return files.map((f) => encodeLuoFileSer(f));
}

/** struct luo_flb_header_ser {pgcnt, count} + entries, in its own preserved block. */
function buildFlbs(ctx: BuildContext, flbs: LuoFlbSpec[]): bigint {
  const bytes = LUO_FLB_HEADER_SIZE + flbs.length * LUO_FLB_SER_SIZE;
  const pgcnt = 2 ** orderFor(bytes, ctx.pageSize);
  return placeBytes(ctx, concat(u64le(BigInt(pgcnt), BigInt(flbs.length)), ...flbs.map((f) => encodeLuoFlbSer(f))));
}

export interface LuoFdtOptions {
  name?: string;
  /** Root compatible (default "luo-v1"). */
  compatible?: string;
  /** luo-session node compatible (default "luo-session-v2"). */
  sessionCompatible?: string;
}

/** The FDT form (v6.19-v7.1). */
export function buildLuoFdt(ctx: BuildContext, spec: LuoSpec, opts: LuoFdtOptions = {}): BuiltLuo {
  const sessions: BuiltLuoSession[] = spec.sessions.map((s) => {
    const fileList = buildFiles(ctx, s.files);
    const files = fileList.length ? placeBytes(ctx, concat(...fileBytes(fileList))) : 0n;
    return { name: s.name, files, fileList };
  });
  const header = concat(
    u64le(BigInt(sessions.length)),
    ...sessions.map((s) => encodeLuoSessionSer({ name: s.name, files: s.files, count: BigInt(s.fileList.length) })),
  );
  const sessionHeader = placeBytes(ctx, header);
  const flbHeader = spec.flbs ? buildFlbs(ctx, spec.flbs) : null;
  const children: FdtNodeSpec[] = [
    {
      name: LUO_SESSION_NODE,
      children: [],
      properties: [
        { name: 'compatible', value: str(opts.sessionCompatible ?? LUO_SESSION_V2) },
        { name: LUO_PROP_SESSION_HEADER, value: u64le(sessionHeader) },
      ],
    },
  ];
  if (flbHeader !== null) {
    children.push({
      name: LUO_FLB_NODE,
      children: [],
      properties: [
        { name: 'compatible', value: str(LUO_FLB_V1) },
        { name: LUO_PROP_FLB_HEADER, value: u64le(flbHeader) },
      ],
    });
  }
  const bytes = writeFdt({
    name: '',
    children,
    properties: [
      { name: 'compatible', value: str(opts.compatible ?? 'luo-v1') },
      { name: LUO_PROP_LIVEUPDATE_NUM, value: u64le(spec.liveupdateNumber) },
    ],
  });
  return {
    name: opts.name ?? LUO_SUBNODE,
    bytes,
    size: ctx.pageSize,
    sessionHeader,
    sessionChain: null,
    flbHeader,
    sessions,
  };
}

export interface LuoPackedOptions {
  name?: string;
  /** struct luo_ser compatible (default "luo-v3"). */
  compatible?: string;
  /** Entries per block in the session and file chains (default: as many as fit). */
  perBlock?: number;
}

/** The packed form (v7.2-era struct luo_ser). */
export function buildLuoPacked(ctx: BuildContext, spec: LuoSpec, opts: LuoPackedOptions = {}): BuiltLuo {
  const sessions: BuiltLuoSession[] = spec.sessions.map((s) => {
    const fileList = buildFiles(ctx, s.files);
    const chain = buildBlockChain(ctx, LUO_FILE_SER_SIZE, fileBytes(fileList), opts.perBlock);
    return { name: s.name, files: chain.first, fileList, chain };
  });
  const sessionChain = buildBlockChain(
    ctx,
    LUO_SESSION_SER_SIZE,
    sessions.map((s) => encodeLuoSessionSer({ name: s.name, files: s.files, count: BigInt(s.fileList.length) })),
    opts.perBlock,
  );
  const flbHeader = spec.flbs ? buildFlbs(ctx, spec.flbs) : null;
  const bytes = encodeLuoSer({
    compatible: opts.compatible ?? 'luo-v3',
    liveupdateNum: spec.liveupdateNumber,
    sessionsPa: sessionChain.first,
    flbsPa: flbHeader ?? 0n,
  });
  return {
    name: opts.name ?? LUO_SUBNODE,
    bytes,
    size: bytes.length,
    sessionHeader: null,
    sessionChain,
    flbHeader,
    sessions,
  };
}
