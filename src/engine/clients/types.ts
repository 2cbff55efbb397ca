// What the client decoders produce (docs/kho-format.md §4): plain data with bigint addresses, so the CLI can print
// it as JSON and the extension can show it as a tree. One ClientDecode per KHO FDT subnode.

import type { Diagnostic } from '../diagnostics';

/** How a subnode's blob was recognised. */
export type ClientKind =
  | 'memblock' // FDT "memblock-v1" (§4.2)
  | 'luo-fdt' // FDT "luo-v1" / "luo-v2"+"luo-abi-header" (§4.3a)
  | 'luo-packed' // struct luo_ser "luo-vN" (§4.3b)
  | 'test_kho' // FDT "kho-test-v1" (§4.5)
  | 'kexec-metadata' // struct kho_kexec_metadata (§4.6)
  | 'fdt' // any other FDT: rendered, not interpreted
  | 'raw' // not recognised: first bytes in hex
  | 'missing'; // the subnode names no blob address (the KHO FDT model already reported why)

export interface ClientField {
  name: string;
  /** Display text; addresses and 64-bit values as lower-case 0x hex. */
  value: string;
}

/** A physical range a structure occupies or references as preserved data (docs/kho-format.md §6 item 7). */
export interface ClientPage {
  phys: bigint;
  size: bigint;
  /** What lies there: "LUO session header", "memfd folio", "vmalloc chunk"... */
  what: string;
}

/** A decoded piece of a client's data: a region, session, file, folio, chunk, block... */
export interface ClientItem {
  /** "region", "session", "file", "memfd", "folio", "vmalloc", "chunk", "piece", "block", "flb", "more"... */
  kind: string;
  /** Short display text: `session "vm0"`, `folio 3`. */
  label: string;
  address: bigint | null;
  size: bigint | null;
  fields: ClientField[];
  children: ClientItem[];
}

export interface ClientDecode {
  /** The KHO FDT subnode name ("LUO", "memblock"...). */
  subnode: string;
  kind: ClientKind;
  /** Root compatible of an FDT blob, or the compatible of a packed struct; null when none. */
  compatible: string | null;
  /** The blob's physical address (`preserved-data` / `fdt`); 0 for kind "missing". */
  address: bigint;
  /** `blob-size` when recorded, else the size found (FDT totalsize, struct size); null when unknown. */
  size: bigint | null;
  /** One line for people: "2 reserve_mem regions", "LUO luo-v1: 1 session, 1 file". */
  summary: string;
  fields: ClientField[];
  children: ClientItem[];
  /** The blob and everything it references that the next kernel expects preserved, coalesced. */
  pages: ClientPage[];
  /** DTS text of an FDT blob (null for packed structs and unreadable blobs). */
  dts: string | null;
  diagnostics: Diagnostic[];
}

/** Caps that bound the work and output of one client's decode (hostile dumps stay cheap). */
export interface ClientLimits {
  /** Items listed per list (sessions, files, folios, pieces...); the rest is summarised. */
  maxListItems: number;
  /** Chunks followed in one kho_vmalloc chain. */
  maxVmallocChunks: number;
  /** Array or chain entries read per structure (folio descriptors, block entries...). */
  maxEntries: number;
  /** Page records kept per client after coalescing. */
  maxPages: number;
  /** Folio bytes read to verify the test_kho checksum. */
  maxChecksumBytes: number;
  /** Largest FDT blob read (client FDTs are a page or a few). */
  maxBlobBytes: number;
  /** Diagnostics kept per code per client. */
  maxReportsPerCode: number;
  /** Entries (records, pieces, blocks) processed per client in all, however they are chained. */
  maxWork: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  maxListItems: 512,
  maxVmallocChunks: 1 << 16,
  maxEntries: 1 << 22,
  maxPages: 1 << 16,
  maxChecksumBytes: 64 << 20,
  maxBlobBytes: 1 << 20,
  maxReportsPerCode: 20,
  maxWork: 1 << 23,
};

export interface DecodeClientsOptions {
  /** Page size of the sending kernel (default 4096). */
  pageSize?: number;
  limits?: Partial<ClientLimits>;
}
