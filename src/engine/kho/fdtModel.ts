// The KHO root FDT (docs/kho-format.md §2.1-2.4): root `compatible` "kho-vN", `preserved-memory-map`, and one
// level of client subnodes carrying `preserved-data` (`fdt` in kho-v1) and, from kho-v3, `blob-size`.
// All u64 values are CPU-native (little-endian), not the FDT's big-endian (docs/kho-format.md §2.3).

import { diag, type Diagnostic, type DiagnosticCode, type SeverityOf } from '../diagnostics';
import { getProp, parseFdt, propStrings, type FdtNode, type FdtProperty } from '../fdt/reader';
import { readU64LE } from '../util/bytes';
import { str, u64le, writeFdt, type FdtNodeSpec, type FdtPropertySpec } from '../fdt/writer';
import { hex } from '../util/hex';
import type { KhoFdt, KhoSubnode } from './khoFdt';

/** Newest KHO ABI version this tool knows. */
export const KHO_LATEST_KNOWN_VERSION = 4;

export const KHO_PROP_MEMORY_MAP = 'preserved-memory-map';
export const KHO_PROP_PRESERVED_DATA = 'preserved-data';
export const KHO_PROP_V1_FDT = 'fdt';
export const KHO_PROP_BLOB_SIZE = 'blob-size';

export interface ParseKhoFdtOptions {
  /** Page size of the sending kernel: the root FDT must fit in one page. Default 4096. */
  pageSize?: number;
}

/** Splits "kho-v3" / "kho-v4+vmalloc-v1" into version and extra text; null when not "kho-v<digits>". */
export function parseKhoCompatible(s: string): { version: number; extra: string } | null {
  const m = /^kho-v([0-9]+)/.exec(s);
  if (!m) return null;
  return { version: Number(m[1]), extra: s.slice(m[0].length) };
}

/** Name of the subnode property holding the blob address for an ABI version. */
export function subtreePropName(version: number): string {
  return version <= 1 ? KHO_PROP_V1_FDT : KHO_PROP_PRESERVED_DATA;
}

/**
 * Parses a KHO root FDT. Never throws: FDT-level problems come back as `fdt-*` diagnostics and
 * KHO-level ones as `kho-fdt-*`. `address` is the blob's physical address in a dump, if known.
 */
export function parseKhoFdt(bytes: Uint8Array, address?: bigint | null, options: ParseKhoFdtOptions = {}): KhoFdt {
  const base = address ?? null;
  const pageSize = options.pageSize ?? 4096;
  const parsed = parseFdt(bytes, base);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const result: KhoFdt = {
    compatible: null,
    version: null,
    preservedMemoryMap: null,
    subnodes: [],
    totalSize: parsed.fdt?.header.totalSize ?? 0,
    diagnostics,
  };
  const fdt = parsed.fdt;
  if (!fdt) return result;

  // Diagnostics about a property or node carry its physical address when the blob's is known.
  const report: Report = (severity, code, offset, message) => {
    const where = base === null ? `offset ${hex(offset)}` : `${hex(base + BigInt(offset))}`;
    diagnostics.push(
      diag(severity, code, base === null ? null : base + BigInt(offset), `KHO FDT ${where}: ${message}`),
    );
  };

  if (fdt.header.totalSize > pageSize) {
    report(
      'warning',
      'kho-fdt-too-large',
      4,
      `totalsize ${hex(fdt.header.totalSize)} exceeds one ${hex(pageSize)}-byte page; the kernel passes exactly one page to the next kernel`,
    );
  }

  const root = fdt.root;
  const compat = getProp(root, 'compatible');
  let version: number | null = null;
  if (!compat) {
    report('error', 'kho-fdt-no-compatible', root.offset, 'root node has no "compatible"; expected "kho-vN"');
  } else {
    const list = propStrings(compat);
    if (!list || list.some((s) => s === '')) {
      report(
        'error',
        'kho-fdt-bad-compatible',
        compat.offset,
        `root "compatible" (${compat.value.length} bytes) is not a NUL-terminated string; expected "kho-vN"`,
      );
    } else {
      const idx = list.findIndex((s) => parseKhoCompatible(s) !== null);
      result.compatible = list[idx < 0 ? 0 : idx];
      const parsedCompat = idx < 0 ? null : parseKhoCompatible(list[idx]);
      if (!parsedCompat) {
        report(
          'error',
          'kho-fdt-not-kho',
          compat.offset,
          `root compatible is ${JSON.stringify(list.join('", "'))}; expected "kho-v" followed by a version number`,
        );
      } else {
        version = parsedCompat.version;
        if (version < 1 || version > KHO_LATEST_KNOWN_VERSION) {
          report(
            'warning',
            'kho-fdt-unknown-version',
            compat.offset,
            `unknown KHO ABI version ${version} ("${result.compatible}"); known versions are 1 to ${KHO_LATEST_KNOWN_VERSION}, read as kho-v${version < 1 ? 1 : KHO_LATEST_KNOWN_VERSION}`,
          );
        }
        if (parsedCompat.extra !== '') {
          report(
            'info',
            'kho-fdt-compatible-extra',
            compat.offset,
            `root compatible "${result.compatible}" has text after "kho-v${version}": ${JSON.stringify(parsedCompat.extra)} (composite compatible?)`,
          );
        }
        const others = list.filter((_, i) => i !== idx);
        if (others.length > 0) {
          report(
            'info',
            'kho-fdt-compatible-extra',
            compat.offset,
            `root compatible lists further strings ${others.map((s) => JSON.stringify(s)).join(', ')}`,
          );
        }
      }
    }
  }
  result.version = version;
  // Unknown later versions are read with the newest rules we know; unknown older ones like kho-v1.
  const rules = version === null ? null : Math.min(Math.max(version, 1), KHO_LATEST_KNOWN_VERSION);

  const mm = getProp(root, KHO_PROP_MEMORY_MAP);
  if (!mm) {
    report(
      'error',
      'kho-fdt-no-memory-map',
      root.offset,
      `root node has no "${KHO_PROP_MEMORY_MAP}"; expected a u64 physical address (the next kernel disables KHO revival)`,
    );
  } else if (mm.value.length !== 8) {
    report(
      'error',
      'kho-fdt-bad-memory-map',
      mm.offset,
      `"${KHO_PROP_MEMORY_MAP}" is ${mm.value.length} bytes; expected 8 (a native-endian u64; the next kernel disables KHO revival)`,
    );
  } else {
    const v = readU64LE(mm.value, 0);
    result.preservedMemoryMap = v;
    if (v === 0n) {
      if (rules === 1) {
        report(
          'warning',
          'kho-fdt-memory-map-zero',
          mm.offset,
          `"${KHO_PROP_MEMORY_MAP}" is 0: kho-v1 state not finalized (no chunk list serialized; a v6.19+ next kernel disables KHO revival)`,
        );
      } else {
        report(
          'error',
          'kho-fdt-memory-map-zero',
          mm.offset,
          `"${KHO_PROP_MEMORY_MAP}" is 0; expected the radix tree root's physical address (the next kernel disables KHO revival)`,
        );
      }
    }
  }
  for (const p of root.properties) {
    if (p.name !== 'compatible' && p.name !== KHO_PROP_MEMORY_MAP) {
      report(
        'info',
        'kho-fdt-extra-property',
        p.offset,
        `root has an unexpected property "${p.name}" (${p.value.length} bytes)`,
      );
    }
  }

  const seen = new Set<string>();
  for (const node of root.children) {
    if (seen.has(node.name)) {
      report(
        'error',
        'kho-fdt-duplicate-subnode',
        node.offset,
        `subnode "${node.name}" appears more than once; the kernel rejects duplicate names and finds only the first`,
      );
    }
    seen.add(node.name);
    result.subnodes.push(readSubnode(node, rules, report));
  }
  return result;
}

type Report = <C extends DiagnosticCode>(severity: SeverityOf<C>, code: C, offset: number, message: string) => void;

function readSubnode(node: FdtNode, rules: number | null, report: Report): KhoSubnode {
  const sub: KhoSubnode = {
    name: node.name,
    preservedData: null,
    blobSize: null,
    properties: node.properties.map((p) => ({ name: p.name, value: p.value })),
  };
  const label = `subnode "${node.name}"`;
  const u64 = (
    p: FdtProperty,
    severity: SeverityOf<'kho-fdt-bad-subnode-prop'>,
    consequence: string,
  ): bigint | null => {
    if (p.value.length === 8) return readU64LE(p.value, 0);
    report(
      severity,
      'kho-fdt-bad-subnode-prop',
      p.offset,
      `${label}: "${p.name}" is ${p.value.length} bytes; expected 8 (a native-endian u64)${consequence}`,
    );
    return null;
  };

  // Blob address: `fdt` in kho-v1, `preserved-data` from kho-v2; either when the version is unknown.
  const wanted = rules === null ? [KHO_PROP_PRESERVED_DATA, KHO_PROP_V1_FDT] : [subtreePropName(rules)];
  const dataProp = wanted.map((n) => getProp(node, n)).find((p) => p !== undefined);
  if (dataProp) {
    sub.preservedData = u64(dataProp, 'error', '; the next kernel cannot retrieve this subnode');
    if (sub.preservedData === 0n) {
      report(
        'warning',
        'kho-fdt-subnode-data-zero',
        dataProp.offset,
        `${label}: "${dataProp.name}" is 0; expected the blob's physical address`,
      );
    }
  } else {
    const other = rules === null ? undefined : getProp(node, rules <= 1 ? KHO_PROP_PRESERVED_DATA : KHO_PROP_V1_FDT);
    const hint = other ? ` (it has "${other.name}", which kho-v${rules} does not use)` : '';
    report(
      'error',
      'kho-fdt-subnode-no-data',
      node.offset,
      `${label} has no "${wanted.join('" or "')}"${hint}; expected a u64 physical address of the client's blob`,
    );
  }

  const sizeProp = getProp(node, KHO_PROP_BLOB_SIZE);
  const broken = '; the next kernel rejects this subnode: broken KHO subnode';
  if (rules !== null && rules >= 3) {
    if (!sizeProp) {
      report(
        'error',
        'kho-fdt-subnode-no-blob-size',
        node.offset,
        `${label} has no "${KHO_PROP_BLOB_SIZE}"; expected a u64 byte count${broken}`,
      );
    } else {
      sub.blobSize = u64(sizeProp, 'error', broken);
      if (sub.blobSize === 0n)
        report('warning', 'kho-fdt-subnode-blob-size-zero', sizeProp.offset, `${label}: "${KHO_PROP_BLOB_SIZE}" is 0`);
    }
  } else if (sizeProp) {
    sub.blobSize = u64(sizeProp, 'warning', '');
    if (rules !== null) {
      report(
        'info',
        'kho-fdt-unexpected-blob-size',
        sizeProp.offset,
        `${label} has "${KHO_PROP_BLOB_SIZE}", which kho-v${rules} does not define (it appeared in kho-v3)`,
      );
    }
  }
  if (node.children.length > 0) {
    report(
      'info',
      'kho-fdt-nested-subnode',
      node.children[0].offset,
      `${label} has ${node.children.length} child node(s); KHO uses only one level of subnodes`,
    );
  }
  return sub;
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface KhoFdtSubnodeSpec {
  name: string;
  /** Written as `fdt` (kho-v1) or `preserved-data` (kho-v2+), u64 little-endian. */
  preservedData: bigint;
  /** kho-v3+: `blob-size`, right after `preserved-data`. Leave undefined only to build a broken subnode. */
  blobSize?: bigint;
  /** Extra properties appended after the standard ones (for crafting unusual FDTs). */
  extra?: FdtPropertySpec[];
}

export interface KhoFdtSpec {
  version: number;
  /** Defaults to "kho-v<version>". */
  compatible?: string;
  preservedMemoryMap: bigint;
  subnodes: KhoFdtSubnodeSpec[];
}

/** Writes a KHO root FDT the way the kernel lays it out (all u64 values little-endian). */
export function buildKhoFdt(spec: KhoFdtSpec): Uint8Array {
  const root: FdtNodeSpec = {
    name: '',
    properties: [
      { name: 'compatible', value: str(spec.compatible ?? `kho-v${spec.version}`) },
      { name: KHO_PROP_MEMORY_MAP, value: u64le(spec.preservedMemoryMap) },
    ],
    children: spec.subnodes.map((s) => {
      const properties: FdtPropertySpec[] = [{ name: subtreePropName(spec.version), value: u64le(s.preservedData) }];
      if (spec.version >= 3 && s.blobSize !== undefined)
        properties.push({ name: KHO_PROP_BLOB_SIZE, value: u64le(s.blobSize) });
      properties.push(...(s.extra ?? []));
      return { name: s.name, properties, children: [] };
    }),
  };
  return writeFdt(root);
}
