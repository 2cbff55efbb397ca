// Validating reader for flattened device tree blobs (DTB versions 16 and 17, and later versions
// that declare themselves backward compatible with 17). Layout facts: Devicetree Specification,
// chapter 5 "Flattened Devicetree (DTB) Format". Hostile input never throws and never makes the
// reader do more than a linear amount of work (see FdtParseResult.work and fdtWorkBound).

import { DiagnosticCap } from '../diagnosticCap';
import { diag, type Diagnostic, type DiagnosticCode, type SeverityOf } from '../diagnostics';
import { readU32BE, readU32LE, readU64BE, readU64LE } from '../util/bytes';
import { hex } from '../util/hex';
import { utf8Decode } from './utf8';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

/** Header bytes of version 16 (no size_dt_struct) and of version 17+. */
export const FDT_V16_HEADER_SIZE = 36;
export const FDT_V17_HEADER_SIZE = 40;
/** Newest version whose layout we know; later ones are read if last_comp_version <= this. */
export const FDT_LAST_KNOWN_VERSION = 17;
/** Nesting limit, as libfdt's FDT_MAX_DEPTH: real trees are a handful of levels deep. */
export const FDT_MAX_DEPTH = 64;
/** Longest node or property name we accept (the DT spec allows 31 characters; be generous). */
export const FDT_MAX_NAME = 1024;

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  /** Absent (null) in version 16 headers. */
  sizeDtStruct: number | null;
  /** 36 for version 16, 40 for 17 and later. */
  headerSize: number;
}

export interface FdtProperty {
  name: string;
  /** A copy of the value bytes (independent of the parsed buffer). */
  value: Uint8Array;
  /** Blob offset of the FDT_PROP token. */
  offset: number;
}

export interface FdtNode {
  /** Unit name ("memblock", "memory@0"); "" for the root. */
  name: string;
  /** Full path: "/" for the root, "/a/b" below it. */
  path: string;
  /** Blob offset of the FDT_BEGIN_NODE token. */
  offset: number;
  properties: FdtProperty[];
  children: FdtNode[];
}

export interface FdtReserveEntry {
  address: bigint;
  size: bigint;
}

export interface Fdt {
  header: FdtHeader;
  reserveMap: FdtReserveEntry[];
  root: FdtNode;
}

export interface FdtParseResult {
  /**
   * The tree, or null when not even the header and the root node could be read. Non-null does not
   * mean valid: after an error in the token stream it holds what was read up to that point.
   * The blob is well-formed exactly when no diagnostic has severity "error".
   */
  fdt: Fdt | null;
  diagnostics: Diagnostic[];
  /** Loop iterations and bytes scanned; always <= fdtWorkBound(bytes.length). For fuzz tests. */
  work: number;
}

/** Upper bound of FdtParseResult.work for a blob of n bytes: linear in n. */
export function fdtWorkBound(n: number): number {
  // tokens (n/4) + node-name bytes (n) + reserve entries (n/16) + one capped scan per property (n/12).
  return 2 * n + Math.ceil(n / 12) * (FDT_MAX_NAME + 2) + 64;
}

// ---------------------------------------------------------------------------------------------
// Cheap header check for scanners

function headerSizeFor(version: number): number {
  return version >= 17 ? FDT_V17_HEADER_SIZE : FDT_V16_HEADER_SIZE;
}

function versionSupported(version: number, lastComp: number): boolean {
  return version >= 16 && (version <= FDT_LAST_KNOWN_VERSION || lastComp <= FDT_LAST_KNOWN_VERSION);
}

/**
 * True when the first bytes of a candidate (at least 40) hold a plausible FDT header: magic,
 * supported version, totalsize >= header, blocks inside totalsize and aligned. For scanning a dump
 * page by page; parseFdt does the full validation.
 */
export function fdtHeaderLooksValid(first: Uint8Array): boolean {
  if (first.length < FDT_V16_HEADER_SIZE || readU32BE(first, 0) !== FDT_MAGIC) return false;
  const total = readU32BE(first, 4);
  const offStruct = readU32BE(first, 8);
  const offStrings = readU32BE(first, 12);
  const offRsv = readU32BE(first, 16);
  const version = readU32BE(first, 20);
  const lastComp = readU32BE(first, 24);
  const sizeStrings = readU32BE(first, 32);
  if (!versionSupported(version, lastComp)) return false;
  const hs = headerSizeFor(version);
  if (first.length < hs || total < hs) return false;
  if (offStruct < hs || offStruct >= total || offStruct % 4 !== 0) return false;
  if (offRsv < hs || offRsv + 16 > total || offRsv % 8 !== 0) return false;
  if (offStrings < hs || offStrings + sizeStrings > total) return false;
  if (version >= 17 && offStruct + readU32BE(first, 36) > total) return false;
  return true;
}

/** totalsize of a plausible FDT header (see fdtHeaderLooksValid), else null. */
export function fdtTotalSize(first: Uint8Array): number | null {
  return fdtHeaderLooksValid(first) ? readU32BE(first, 4) : null;
}

// ---------------------------------------------------------------------------------------------
// The parser

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

interface Extent {
  what: string;
  start: number;
  end: number;
}
/** Strings block: `start` = blob offset, `end` = end of the readable part, `size` = declared size. */
interface StringsBlock {
  start: number;
  end: number;
  size: number;
}

/** At most this many diagnostics per code; a hostile blob could otherwise produce thousands. */
const MAX_REPORTS_PER_CODE = 50;

class Parser {
  private readonly findings = new DiagnosticCap({ per: 'code', max: MAX_REPORTS_PER_CODE }, (overflows) =>
    overflows.map((o) =>
      diag('info', 'fdt-suppressed', null, `${o.dropped} further "${o.code}" diagnostics not shown`),
    ),
  );
  work = 0;
  private readonly stringCache = new Map<number, string | null>();

  constructor(
    private readonly b: Uint8Array,
    private readonly base: bigint | null,
  ) {}

  at(off: number): string {
    return this.base === null ? `at offset ${hex(off)}` : `at ${hex(this.base)}+${hex(off)}`;
  }

  report<C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, off: number, message: string): void {
    const address = this.base === null ? null : this.base + BigInt(off);
    this.findings.add(severity, code, address, `FDT ${this.at(off)}: ${message}`);
  }

  /** What was reported, then one `fdt-suppressed` line per code that hit the limit. */
  diagnostics(): Diagnostic[] {
    return this.findings.list();
  }

  run(): Fdt | null {
    const b = this.b;
    if (b.length < 4) {
      this.report(
        'error',
        'fdt-truncated',
        0,
        `blob is ${b.length} bytes; expected at least a ${FDT_V17_HEADER_SIZE}-byte header`,
      );
      return null;
    }
    const magic = readU32BE(b, 0);
    if (magic !== FDT_MAGIC) {
      const swapped = readU32LE(b, 0) === FDT_MAGIC ? ' (byte-swapped: the header must be big-endian)' : '';
      this.report('error', 'fdt-bad-magic', 0, `magic is ${hex(magic)}${swapped}; expected 0xd00dfeed`);
      return null;
    }
    if (b.length < 28) {
      this.report(
        'error',
        'fdt-truncated',
        0,
        `blob is ${b.length} bytes; expected at least a ${FDT_V16_HEADER_SIZE}-byte header`,
      );
      return null;
    }
    const version = readU32BE(b, 20);
    const lastComp = readU32BE(b, 24);
    if (!versionSupported(version, lastComp)) {
      const why =
        version < 16
          ? `version ${version} is older than 16; expected version 16 or 17`
          : `version ${version} with last_comp_version ${lastComp}; expected last_comp_version <= ${FDT_LAST_KNOWN_VERSION} to read it as version 17`;
      this.report('error', 'fdt-bad-version', 20, why);
      return null;
    }
    if (version > FDT_LAST_KNOWN_VERSION) {
      this.report(
        'info',
        'fdt-newer-version',
        20,
        `version ${version} (last_comp_version ${lastComp}) is read as version ${FDT_LAST_KNOWN_VERSION}`,
      );
    }
    if (lastComp > version) {
      this.report('warning', 'fdt-bad-version', 24, `last_comp_version ${lastComp} is greater than version ${version}`);
    }
    const hs = headerSizeFor(version);
    if (b.length < hs) {
      this.report('error', 'fdt-truncated', 0, `blob is ${b.length} bytes; a version ${version} header needs ${hs}`);
      return null;
    }
    const header: FdtHeader = {
      magic,
      totalSize: readU32BE(b, 4),
      offDtStruct: readU32BE(b, 8),
      offDtStrings: readU32BE(b, 12),
      offMemRsvmap: readU32BE(b, 16),
      version,
      lastCompVersion: lastComp,
      bootCpuidPhys: readU32BE(b, 28),
      sizeDtStrings: readU32BE(b, 32),
      sizeDtStruct: version >= 17 ? readU32BE(b, 36) : null,
      headerSize: hs,
    };
    const total = header.totalSize;
    if (total < hs) {
      this.report('error', 'fdt-bad-header', 4, `totalsize ${hex(total)} is smaller than the ${hs}-byte header`);
      return null;
    }
    if (total > b.length) {
      this.report(
        'error',
        'fdt-truncated',
        4,
        `totalsize is ${hex(total)} but only ${hex(b.length)} bytes are available`,
      );
    }
    const limit = Math.min(total, b.length);

    // Structure block: fatal when it does not start inside the blob.
    const sOff = header.offDtStruct;
    if (sOff < hs || sOff >= limit) {
      this.report(
        'error',
        'fdt-bad-block',
        8,
        `off_dt_struct ${hex(sOff)} is outside [${hex(hs)}, ${hex(limit)}); expected the structure block inside the blob after the header`,
      );
      return null;
    }
    if (sOff % 4 !== 0) {
      this.report('error', 'fdt-misaligned', 8, `off_dt_struct ${hex(sOff)} is not 4-byte aligned`);
    }
    let structEnd = limit; // version 16: the block ends at FDT_END, bounded by the blob
    if (header.sizeDtStruct !== null) {
      const declaredEnd = sOff + header.sizeDtStruct;
      if (declaredEnd > total) {
        this.report(
          'error',
          'fdt-bad-block',
          36,
          `structure block [${hex(sOff)}, ${hex(declaredEnd)}) extends past totalsize ${hex(total)}`,
        );
      }
      structEnd = Math.min(declaredEnd, limit);
    }

    // Strings block: clipped to what is there; bad offsets into it are reported per property.
    const strOff = header.offDtStrings;
    const strDeclaredEnd = strOff + header.sizeDtStrings;
    if (strOff < hs || strDeclaredEnd > total) {
      this.report(
        'error',
        'fdt-bad-block',
        12,
        `strings block [${hex(strOff)}, ${hex(strDeclaredEnd)}) is outside [${hex(hs)}, ${hex(total)})`,
      );
    }

    const reserveMap = this.readReserveMap(header, limit);
    const strings: StringsBlock = { start: strOff, end: Math.min(strDeclaredEnd, limit), size: header.sizeDtStrings };
    const { root, end } = this.readStruct(sOff, structEnd, header.sizeDtStruct !== null, strings);

    // Overlap checks use the extents actually found (the reserve map's terminator included).
    const extents: Extent[] = [
      { what: 'structure block', start: sOff, end: Math.max(end, sOff + (header.sizeDtStruct ?? 0)) },
    ];
    if (header.sizeDtStrings > 0) extents.push({ what: 'strings block', start: strOff, end: strDeclaredEnd });
    if (reserveMap.extent) extents.push(reserveMap.extent);
    for (let i = 0; i < extents.length; i++) {
      for (let j = i + 1; j < extents.length; j++) {
        const x = extents[i],
          y = extents[j];
        if (x.start < y.end && y.start < x.end) {
          this.report(
            'error',
            'fdt-overlap',
            Math.max(x.start, y.start),
            `${x.what} [${hex(x.start)}, ${hex(x.end)}) overlaps ${y.what} [${hex(y.start)}, ${hex(y.end)}); expected disjoint blocks`,
          );
        }
      }
    }
    if (!root) return null;
    return { header, reserveMap: reserveMap.entries, root };
  }

  private readReserveMap(h: FdtHeader, limit: number): { entries: FdtReserveEntry[]; extent: Extent | null } {
    const off = h.offMemRsvmap;
    const entries: FdtReserveEntry[] = [];
    if (off < h.headerSize || off >= h.totalSize) {
      this.report(
        'error',
        'fdt-bad-block',
        16,
        `off_mem_rsvmap ${hex(off)} is outside [${hex(h.headerSize)}, ${hex(h.totalSize)})`,
      );
      return { entries, extent: null };
    }
    if (off % 8 !== 0) {
      this.report('error', 'fdt-misaligned', 16, `off_mem_rsvmap ${hex(off)} is not 8-byte aligned`);
    }
    for (let p = off; ; p += 16) {
      this.work++;
      if (p + 16 > limit) {
        this.report(
          'error',
          'fdt-bad-rsvmap',
          p,
          `memory reservation block starting at ${hex(off)} has ${entries.length} entries and no (0, 0) terminator before the end of the blob at ${hex(limit)}`,
        );
        return { entries, extent: { what: 'memory reservation block', start: off, end: limit } };
      }
      const address = readU64BE(this.b, p),
        size = readU64BE(this.b, p + 8);
      // The spec's terminator is (0, 0); libfdt and dtc stop at any size 0, and so do we.
      if (size === 0n) {
        if (address !== 0n) {
          this.report(
            'warning',
            'fdt-bad-rsvmap',
            p,
            `reservation entry with address ${hex(address)} and size 0 ends the list; expected a (0, 0) terminator`,
          );
        }
        return { entries, extent: { what: 'memory reservation block', start: off, end: p + 16 } };
      }
      entries.push({ address, size });
    }
  }

  /** Name of the strings-block entry at `nameOff`, or null (reported) when it is not a valid string. */
  private stringAt(nameOff: number, strings: StringsBlock, propOff: number): string | null {
    const cached = this.stringCache.get(nameOff);
    if (cached !== undefined) {
      if (cached === null)
        this.reportBadString(nameOff, propOff, 'is not a NUL-terminated name inside the strings block');
      return cached;
    }
    let result: string | null = null;
    let why = '';
    if (nameOff >= strings.size) {
      why = `is outside the strings block (size ${hex(strings.size)})`;
    } else if (strings.start + nameOff >= strings.end) {
      why = `points past the end of the available bytes at ${hex(strings.end)}`;
    } else {
      const s = strings.start + nameOff;
      const stop = Math.min(strings.end, s + FDT_MAX_NAME + 1);
      let p = s;
      while (p < stop && this.b[p] !== 0) {
        p++;
        this.work++;
      }
      if (p >= stop) {
        why =
          p >= strings.end
            ? 'runs to the end of the strings block without a NUL terminator'
            : `names a string longer than ${FDT_MAX_NAME} bytes`;
      } else if (p === s) {
        why = 'names an empty string; expected a property name';
      } else {
        result = utf8Decode(this.b, s, p);
      }
    }
    this.stringCache.set(nameOff, result);
    if (result === null) this.reportBadString(nameOff, propOff, why);
    return result;
  }

  private reportBadString(nameOff: number, propOff: number, why: string): void {
    this.report('error', 'fdt-bad-string-offset', propOff + 8, `property name offset ${hex(nameOff)} ${why}`);
  }

  private readStruct(
    start: number,
    end: number,
    sized: boolean,
    strings: StringsBlock,
  ): { root: FdtNode | null; end: number } {
    const b = this.b;
    const stack: FdtNode[] = [];
    const childNames: Set<string>[] = [];
    const propNames: Set<string>[] = [];
    let root: FdtNode | null = null;
    let p = start;
    // Tokens are 4-byte aligned relative to the block start (as libfdt reads a misaligned block).
    const pad = (x: number): number => start + align4(x - start);
    for (;;) {
      this.work++;
      if (p + 4 > end) {
        this.report(
          'error',
          'fdt-truncated',
          p,
          `structure block ends at ${hex(end)} without FDT_END${stack.length ? ` (${stack.length} node(s) still open)` : ''}`,
        );
        return { root, end: p };
      }
      const tokOff = p;
      const tok = readU32BE(b, p);
      p += 4;
      if (tok === FDT_NOP) continue;
      if (tok === FDT_BEGIN_NODE) {
        if (root && stack.length === 0) {
          this.report(
            'error',
            'fdt-unbalanced',
            tokOff,
            'FDT_BEGIN_NODE after the root node was closed; expected FDT_END',
          );
          return { root, end: p };
        }
        const nameStart = p;
        const stop = Math.min(end, p + FDT_MAX_NAME + 1);
        while (p < stop && b[p] !== 0) {
          p++;
          this.work++;
        }
        if (p >= stop) {
          const why =
            p >= end
              ? `runs past the structure block end ${hex(end)} without a NUL terminator`
              : `is longer than ${FDT_MAX_NAME} bytes`;
          this.report('error', p >= end ? 'fdt-truncated' : 'fdt-bad-name', nameStart, `node name ${why}`);
          return { root, end: p };
        }
        const name = utf8Decode(b, nameStart, p);
        p = pad(p + 1);
        if (stack.length >= FDT_MAX_DEPTH) {
          this.report('error', 'fdt-too-deep', tokOff, `node "${name}" is nested deeper than ${FDT_MAX_DEPTH} levels`);
          return { root, end: p };
        }
        const parent = stack[stack.length - 1];
        let node: FdtNode;
        if (!parent) {
          if (name !== '')
            this.report('warning', 'fdt-bad-name', nameStart, `root node is named "${name}"; expected an empty name`);
          node = { name, path: '/', offset: tokOff, properties: [], children: [] };
          root = node;
        } else {
          if (name === '') this.report('error', 'fdt-bad-name', nameStart, `empty node name under ${parent.path}`);
          const siblings = childNames[childNames.length - 1];
          if (siblings.has(name))
            this.report(
              'warning',
              'fdt-duplicate-node',
              tokOff,
              `node name "${name}" appears twice under ${parent.path}`,
            );
          siblings.add(name);
          node = {
            name,
            path: (parent.path === '/' ? '/' : parent.path + '/') + name,
            offset: tokOff,
            properties: [],
            children: [],
          };
          parent.children.push(node);
        }
        stack.push(node);
        childNames.push(new Set());
        propNames.push(new Set());
        if (p > end) {
          this.report('error', 'fdt-truncated', tokOff, `node "${name}" runs past the structure block end ${hex(end)}`);
          return { root, end: p };
        }
        continue;
      }
      if (tok === FDT_END_NODE) {
        if (stack.length === 0) {
          const code = root ? 'fdt-unbalanced' : 'fdt-no-root';
          this.report(
            'error',
            code,
            tokOff,
            root ? 'FDT_END_NODE with no open node' : 'FDT_END_NODE before the root node; expected FDT_BEGIN_NODE',
          );
          return { root, end: p };
        }
        stack.pop();
        childNames.pop();
        propNames.pop();
        continue;
      }
      if (tok === FDT_PROP) {
        const node = stack[stack.length - 1];
        if (!node) {
          const code = root ? 'fdt-unbalanced' : 'fdt-no-root';
          this.report(
            'error',
            code,
            tokOff,
            root ? 'FDT_PROP after the root node was closed' : 'FDT_PROP before the root node; expected FDT_BEGIN_NODE',
          );
          return { root, end: p };
        }
        if (p + 8 > end) {
          this.report(
            'error',
            'fdt-truncated',
            tokOff,
            `FDT_PROP header runs past the structure block end ${hex(end)}`,
          );
          return { root, end: p };
        }
        const len = readU32BE(b, p);
        const nameOff = readU32BE(b, p + 4);
        const valStart = p + 8;
        if (len > end - valStart) {
          this.report(
            'error',
            'fdt-bad-prop-len',
            tokOff + 4,
            `property length ${hex(len)} runs past the structure block end ${hex(end)}; at most ${hex(end - valStart)} bytes remain`,
          );
          return { root, end: p };
        }
        p = pad(valStart + len);
        const name = this.stringAt(nameOff, strings, tokOff);
        if (name === null) continue; // the structure is intact: keep reading
        if (node.children.length > 0) {
          this.report(
            'warning',
            'fdt-prop-after-node',
            tokOff,
            `property "${name}" of ${node.path} follows a child node; expected properties before subnodes`,
          );
        }
        const names = propNames[propNames.length - 1];
        if (names.has(name))
          this.report('warning', 'fdt-duplicate-prop', tokOff, `property "${name}" appears twice in ${node.path}`);
        names.add(name);
        node.properties.push({ name, value: b.slice(valStart, valStart + len), offset: tokOff });
        continue;
      }
      if (tok === FDT_END) {
        if (!root) {
          this.report('error', 'fdt-no-root', tokOff, 'FDT_END before any node; expected the root FDT_BEGIN_NODE');
        } else if (stack.length > 0) {
          this.report(
            'error',
            'fdt-unbalanced',
            tokOff,
            `FDT_END while ${stack.length} node(s) are open (innermost ${stack[stack.length - 1].path}); expected FDT_END_NODE`,
          );
        }
        if (sized && p < end) {
          this.report(
            'warning',
            'fdt-data-after-end',
            p,
            `${hex(end - p)} bytes follow FDT_END inside the structure block (size_dt_struct ends it at ${hex(end)})`,
          );
        }
        return { root, end: p };
      }
      const expected =
        root === null
          ? 'FDT_BEGIN_NODE'
          : stack.length === 0
            ? 'FDT_END or FDT_NOP'
            : 'FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP or FDT_NOP';
      this.report('error', 'fdt-bad-token', tokOff, `unknown token ${hex(tok)}; expected ${expected}`);
      return { root, end: p };
    }
  }
}

/**
 * Parses and validates a DTB. Never throws. `baseAddress`, when given (the blob's physical address
 * in a dump), makes messages say "at 0x124000+0x38" and sets each diagnostic's address.
 */
export function parseFdt(bytes: Uint8Array, baseAddress?: bigint | null): FdtParseResult {
  const parser = new Parser(bytes, baseAddress ?? null);
  let fdt: Fdt | null = null;
  try {
    fdt = parser.run();
  } catch (e) {
    // Defensive only: every path above is bounds-checked. Report rather than throw.
    parser.report('error', 'fdt-internal', 0, `reader failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { fdt, diagnostics: parser.diagnostics(), work: parser.work };
}

// ---------------------------------------------------------------------------------------------
// Tree helpers

/**
 * Node at `path` ("/", "/memblock", "/a/b"). A path component without a unit address matches a
 * node "name@unit" when no node is named exactly so (like libfdt).
 */
export function findNode(fdt: Fdt | FdtNode, path: string): FdtNode | undefined {
  let node: FdtNode | undefined = 'root' in fdt ? fdt.root : fdt;
  for (const part of path.split('/')) {
    if (part === '' || !node) continue;
    const kids: FdtNode[] = node.children;
    node =
      kids.find((c) => c.name === part) ??
      (part.includes('@') ? undefined : kids.find((c) => c.name.split('@')[0] === part));
  }
  return node;
}

export function getProp(node: FdtNode, name: string): FdtProperty | undefined {
  return node.properties.find((p) => p.name === name);
}

/** The value's strings if it is a list of NUL-terminated strings (each may be empty), else null. */
export function propStrings(p: FdtProperty | Uint8Array): string[] | null {
  const v = p instanceof Uint8Array ? p : p.value;
  if (v.length === 0 || v[v.length - 1] !== 0) return null;
  const out: string[] = [];
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) {
      out.push(utf8Decode(v, s, i));
      s = i + 1;
    }
  }
  return out;
}

/** The value as a single NUL-terminated string, else null. */
export function propString(p: FdtProperty | Uint8Array): string | null {
  const list = propStrings(p);
  return list && list.length === 1 ? list[0] : null;
}

/** Big-endian u32 value (length exactly 4), else null. */
export function propU32(p: FdtProperty): number | null {
  return p.value.length === 4 ? readU32BE(p.value, 0) : null;
}

/** Big-endian u64 value (length exactly 8), else null. */
export function propU64(p: FdtProperty): bigint | null {
  return p.value.length === 8 ? readU64BE(p.value, 0) : null;
}

/** Native-endian (little-endian) u64 value as KHO writes it (length exactly 8), else null. */
export function propU64LE(p: FdtProperty): bigint | null {
  return p.value.length === 8 ? readU64LE(p.value, 0) : null;
}
