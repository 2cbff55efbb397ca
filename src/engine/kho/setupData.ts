// The x86 KHO hand-off (docs/kho-format.md §2.6): boot_params carries a singly linked list of `struct setup_data`
// {u64 next; u32 type; u32 len; u8 data[len]} records; kexec_file_load links a SETUP_KEXEC_KHO (10)
// record at its head whose data is `struct kho_data` {u64 fdt_addr, fdt_size, scratch_addr,
// scratch_size} (packed, little-endian). Walking is bounded and cycle-safe; never throws.
// The values are checked against the rest of the hand-off in checks/handoff.ts.

import { diag, type Diagnostic } from '../diagnostics';
import type { PhysMemory } from '../image/physMemory';
import { readU64LE } from '../util/bytes';
import { hex } from '../util/hex';

export const SETUP_KEXEC_KHO = 10;
/** Flag on `type`: the data is a `struct setup_indirect` pointing elsewhere. */
export const SETUP_INDIRECT = 0x80000000;
export const SETUP_DATA_HEADER_SIZE = 16;
/** sizeof(struct kho_data). */
export const KHO_DATA_SIZE = 32;
/** Records followed before giving up (real lists hold a handful). */
export const MAX_SETUP_DATA_RECORDS = 256;

const TYPE_NAMES = [
  'SETUP_NONE',
  'SETUP_E820_EXT',
  'SETUP_DTB',
  'SETUP_PCI',
  'SETUP_EFI',
  'SETUP_APPLE_PROPERTIES',
  'SETUP_JAILHOUSE',
  'SETUP_CC_BLOB',
  'SETUP_IMA',
  'SETUP_RNG_SEED',
  'SETUP_KEXEC_KHO',
];

/** "SETUP_KEXEC_KHO", "SETUP_INDIRECT|SETUP_PCI", or "type 0x2a". */
export function setupDataTypeName(type: number): string {
  const base = type & ~SETUP_INDIRECT;
  const name = TYPE_NAMES[base] ?? `type ${hex(base)}`;
  return (type & SETUP_INDIRECT) !== 0 ? `SETUP_INDIRECT|${name}` : name;
}

export interface SetupDataRecord {
  /** Physical address of the record header. */
  address: bigint;
  next: bigint;
  type: number;
  /** Bytes of data after the 16-byte header. */
  len: number;
}

export interface KhoData {
  fdtAddress: bigint;
  fdtSize: bigint;
  scratchAddress: bigint;
  scratchSize: bigint;
}

export interface SetupDataHandoff {
  kind: 'x86-setup-data';
  /** Where the walk started (boot_params.hdr.setup_data, or the KHO record itself). */
  head: bigint;
  /** Records visited, in list order (the whole list unless it is broken or too long). */
  chain: SetupDataRecord[];
  /** The first SETUP_KEXEC_KHO record, or null. */
  record: SetupDataRecord | null;
  /** Its decoded kho_data, or null when there is no record or it is too short. */
  kho: KhoData | null;
  diagnostics: Diagnostic[];
}

/** The record header at `address`, or undefined when the 16 bytes are not in the dump. */
export function readSetupDataRecord(mem: PhysMemory, address: bigint): SetupDataRecord | undefined {
  if (!mem.contains(address, SETUP_DATA_HEADER_SIZE)) return undefined;
  const h = mem.read(address, SETUP_DATA_HEADER_SIZE);
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return { address, next: readU64LE(h, 0), type: dv.getUint32(8, true), len: dv.getUint32(12, true) };
}

/** Decodes the kho_data of a SETUP_KEXEC_KHO record; null (with a diagnostic) when unreadable. */
export function decodeKhoData(mem: PhysMemory, rec: SetupDataRecord, diagnostics: Diagnostic[]): KhoData | null {
  const data = rec.address + BigInt(SETUP_DATA_HEADER_SIZE);
  if (rec.len < KHO_DATA_SIZE) {
    diagnostics.push(
      diag(
        'error',
        'setup-data-kho-bad-len',
        rec.address,
        `SETUP_KEXEC_KHO record at ${hex(rec.address)}: len = ${rec.len}, but struct kho_data needs ${KHO_DATA_SIZE} bytes (setup_kho writes exactly ${KHO_DATA_SIZE}); the fields past len are not part of the record, so the FDT and scratch addresses cannot be trusted`,
      ),
    );
    return null;
  }
  if (rec.len > KHO_DATA_SIZE) {
    diagnostics.push(
      diag(
        'warning',
        'setup-data-kho-bad-len',
        rec.address,
        `SETUP_KEXEC_KHO record at ${hex(rec.address)}: len = ${rec.len}; setup_kho writes exactly ${KHO_DATA_SIZE} (struct kho_data); the first ${KHO_DATA_SIZE} bytes are decoded, the rest is ignored as the next kernel would`,
      ),
    );
  }
  if (!mem.contains(data, KHO_DATA_SIZE)) {
    diagnostics.push(
      diag(
        'error',
        'setup-data-outside-dump',
        data,
        `SETUP_KEXEC_KHO record at ${hex(rec.address)}: its kho_data at ${hex(data)} is not in the dump`,
      ),
    );
    return null;
  }
  const b = mem.read(data, KHO_DATA_SIZE);
  return {
    fdtAddress: readU64LE(b, 0),
    fdtSize: readU64LE(b, 8),
    scratchAddress: readU64LE(b, 16),
    scratchSize: readU64LE(b, 24),
  };
}

/**
 * Follows the setup_data list from `head` to the first SETUP_KEXEC_KHO record. `head` may be the
 * KHO record itself. Stops at next = 0, at a record outside the dump, at a cycle, or after
 * `maxRecords` records.
 */
export function walkSetupData(mem: PhysMemory, head: bigint, opts: { maxRecords?: number } = {}): SetupDataHandoff {
  const maxRecords = opts.maxRecords ?? MAX_SETUP_DATA_RECORDS;
  const out: SetupDataHandoff = { kind: 'x86-setup-data', head, chain: [], record: null, kho: null, diagnostics: [] };
  const seen = new Set<bigint>();
  let at = head;
  let from: SetupDataRecord | null = null;
  while (at !== 0n) {
    const via = from === null ? 'the given setup_data address' : `record ${hex(from.address)} next`;
    if (seen.has(at)) {
      out.diagnostics.push(
        diag(
          'error',
          'setup-data-cycle',
          from?.address ?? at,
          `${via} = ${hex(at)} points back at a record already in the list: a cycle (expected 0 to end the list); the next kernel's early setup_data parsing would walk it forever`,
        ),
      );
      break;
    }
    if (out.chain.length >= maxRecords) {
      out.diagnostics.push(
        diag(
          'warning',
          'setup-data-too-long',
          at,
          `stopped after ${maxRecords} setup_data records without reaching the end of the list (real lists hold a handful); the list is probably corrupt`,
        ),
      );
      break;
    }
    const rec = readSetupDataRecord(mem, at);
    if (!rec) {
      out.diagnostics.push(
        diag(
          'error',
          'setup-data-outside-dump',
          at,
          `${via} = ${hex(at)}: no setup_data header there (the 16 bytes are not in the dump); the next kernel maps it unchecked during early boot`,
        ),
      );
      break;
    }
    seen.add(at);
    out.chain.push(rec);
    if (rec.type === SETUP_KEXEC_KHO) {
      if (out.record === null) {
        out.record = rec;
        out.kho = decodeKhoData(mem, rec, out.diagnostics);
      } else {
        out.diagnostics.push(
          diag(
            'warning',
            'setup-data-duplicate-kho',
            rec.address,
            `a second SETUP_KEXEC_KHO record at ${hex(rec.address)} (the first is at ${hex(out.record.address)}); kexec links one; the next kernel's setup_data parser acts on every record of that type, so which hand-off it ends up with is uncertain`,
          ),
        );
        break;
      }
    }
    from = rec;
    at = rec.next;
  }
  if (out.record === null && !out.diagnostics.some((d) => d.severity === 'error')) {
    out.diagnostics.push(
      diag(
        'warning',
        'setup-data-no-kho',
        head,
        `the setup_data list from ${hex(head)} (${out.chain.length} record(s): ${out.chain.map((r) => setupDataTypeName(r.type)).join(', ') || 'none'}) has no SETUP_KEXEC_KHO (10) record; the next kernel gets no KHO hand-off and boots without reviving preserved memory`,
      ),
    );
  }
  return out;
}
