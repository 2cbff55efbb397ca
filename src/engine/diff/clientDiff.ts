// Client differences between two KHO FDTs: subnodes matched by name; a client changed when its
// preserved-data address, its blob size or its blob's bytes differ.

import type { ClientDecode } from '../clients/types';
import { PhysReadError, type PhysMemory } from '../image/physMemory';
import type { KhoSubnode } from '../kho/khoFdt';

/** Bytes compared per read (bounded reads: a blob may be large). */
const COMPARE_CHUNK = 64 * 1024;

export type ClientChange = 'address' | 'size' | 'bytes';

export interface ClientSide {
  subnodes: readonly KhoSubnode[];
  /** The decoded clients (their found sizes stand in where `blob-size` is not recorded). */
  clients?: readonly ClientDecode[];
  memory: PhysMemory;
}

export interface ChangedClient {
  name: string;
  changes: ClientChange[];
}

export interface ClientDiff {
  /** Subnode names, sorted. */
  onlyLeft: string[];
  onlyRight: string[];
  changed: ChangedClient[];
}

interface Blob {
  address: bigint | null;
  size: bigint | null;
}

/** Each name's blob; a repeated name keeps its first subnode (the one a kernel's lookup finds). */
function blobsByName(side: ClientSide): Map<string, Blob> {
  const found = new Map<string, bigint | null>();
  for (const c of side.clients ?? []) if (!found.has(c.subnode)) found.set(c.subnode, c.size);
  const out = new Map<string, Blob>();
  for (const s of side.subnodes) {
    if (!out.has(s.name)) out.set(s.name, { address: s.preservedData, size: s.blobSize ?? found.get(s.name) ?? null });
  }
  return out;
}

/** Whole blob readable from memory? */
function readable(m: PhysMemory, b: Blob): boolean {
  return (
    b.address !== null &&
    b.size !== null &&
    b.size <= BigInt(Number.MAX_SAFE_INTEGER) &&
    m.contains(b.address, Number(b.size))
  );
}

function tryRead(m: PhysMemory, phys: bigint, n: number): Uint8Array | null {
  try {
    return m.read(phys, n);
  } catch (e) {
    if (e instanceof PhysReadError) return null;
    throw e;
  }
}

/** Same bytes on both sides (sizes equal). An unreadable blob equals only an unreadable one. */
function sameBytes(lm: PhysMemory, l: Blob, rm: PhysMemory, r: Blob): boolean {
  const lr = readable(lm, l),
    rr = readable(rm, r);
  if (!lr || !rr) return lr === rr;
  const size = Number(l.size);
  for (let off = 0; off < size; off += COMPARE_CHUNK) {
    const n = Math.min(COMPARE_CHUNK, size - off);
    const a = tryRead(lm, l.address! + BigInt(off), n),
      b = tryRead(rm, r.address! + BigInt(off), n);
    // A chunk that cannot be read (a damaged kdump page) equals only an unreadable one.
    if (a === null || b === null) {
      if (a !== b) return false;
      continue;
    }
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  }
  return true;
}

export function diffClients(left: ClientSide, right: ClientSide): ClientDiff {
  const l = blobsByName(left),
    r = blobsByName(right);
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const onlyLeft = [...l.keys()].filter((n) => !r.has(n)).sort(byName);
  const onlyRight = [...r.keys()].filter((n) => !l.has(n)).sort(byName);
  const changed: ChangedClient[] = [];
  for (const name of [...l.keys()].filter((n) => r.has(n)).sort(byName)) {
    const a = l.get(name)!,
      b = r.get(name)!;
    const changes: ClientChange[] = [];
    if (a.address !== b.address) changes.push('address');
    if (a.size !== b.size) changes.push('size');
    else if (!sameBytes(left.memory, a, right.memory, b)) changes.push('bytes');
    if (changes.length) changed.push({ name, changes });
  }
  return { onlyLeft, onlyRight, changed };
}
