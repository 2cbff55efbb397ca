// Recognises a dump's format by its signature and opens it as PhysMemory. Never throws.

import { Diagnostic, diag, type DiagnosticCode } from '../diagnostics';
import { ByteSource } from '../io/byteSource';
import { CachedByteSource, CacheOptions } from '../io/pageCache';
import { hex } from '../util/hex';
import { parseElfCore } from './elf';
import { indexFlattened } from './flattened';
import { parseKdump } from './kdump';
import { PhysMemory } from './physMemory';
import { RawImage } from './raw';

export type DetectedFormat = 'elf' | 'kdump' | 'flattened' | 'raw';

export interface OpenImageOptions {
  /** 'kdump' accepts both the seekable file and the makedumpfile flattened stream. */
  format?: 'auto' | 'raw' | 'elf' | 'kdump';
  /** Physical address of file offset 0 for raw images (default 0). */
  base?: bigint;
  /** Block cache in front of the source (default on); false when the caller already caches. */
  cache?: boolean | CacheOptions;
}

export interface OpenImageResult {
  memory: PhysMemory | null;
  diagnostics: Diagnostic[];
  /** Why the image could not be opened (memory is then null). */
  error: string | null;
}

function startsWith(head: Uint8Array, text: string): boolean {
  if (head.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** By signature: ELF "\x7fELF", kdump "KDUMP   " (or diskdump "DISKDUMP"), makedumpfile flattened stream; else raw. */
export function detectImageFormat(src: ByteSource): DetectedFormat {
  const head = new Uint8Array(Math.min(16, src.size));
  const n = head.length > 0 ? src.readInto(0, head) : 0;
  const h = head.subarray(0, n);
  if (startsWith(h, '\x7fELF')) return 'elf';
  if (startsWith(h, 'KDUMP   ') || startsWith(h, 'DISKDUMP')) return 'kdump';
  if (startsWith(h, 'makedumpfile')) return 'flattened';
  return 'raw';
}

export function openImage(src: ByteSource, opts: OpenImageOptions = {}): OpenImageResult {
  const diagnostics: Diagnostic[] = [];
  const failed = (error: string, code: DiagnosticCode): OpenImageResult => {
    diagnostics.push(diag('error', code, null, error));
    return { memory: null, diagnostics, error };
  };
  try {
    if (src.size === 0) return failed('image is empty (0 bytes)', 'image-empty');
    const source =
      opts.cache === false || src instanceof CachedByteSource
        ? src
        : new CachedByteSource(src, typeof opts.cache === 'object' ? opts.cache : {});
    const requested = opts.format ?? 'auto';
    const detected = detectImageFormat(source);
    const format = requested === 'auto' || (requested === 'kdump' && detected === 'flattened') ? detected : requested;

    if (format === 'kdump' || format === 'flattened') {
      if (opts.base !== undefined && opts.base !== 0n) {
        diagnostics.push(
          diag(
            'warning',
            'image-base-ignored',
            null,
            `base ${hex(opts.base)} ignored: a kdump-compressed dump maps memory by page frame number`,
          ),
        );
      }
      let kdumpSource: ByteSource = source;
      if (format === 'flattened') {
        const flat = indexFlattened(source);
        diagnostics.push(...flat.diagnostics);
        if (!flat.source) return { memory: null, diagnostics, error: flat.error };
        kdumpSource = flat.source;
      }
      const r = parseKdump(kdumpSource, { container: format === 'flattened' ? 'flattened' : 'seekable' });
      diagnostics.push(...r.diagnostics);
      return { memory: r.image, diagnostics, error: r.error };
    }
    if (format === 'elf') {
      if (opts.base !== undefined && opts.base !== 0n) {
        diagnostics.push(
          diag(
            'warning',
            'image-base-ignored',
            null,
            `base ${hex(opts.base)} ignored: an ELF core maps memory by its PT_LOAD p_paddr`,
          ),
        );
      }
      const r = parseElfCore(source);
      diagnostics.push(...r.diagnostics);
      return { memory: r.image, diagnostics, error: r.error };
    }
    const base = opts.base ?? 0n;
    if (base < 0n) return failed(`raw image base ${base} is negative`, 'image-bad-base');
    if (requested === 'auto') {
      diagnostics.push(
        diag(
          'info',
          'image-raw',
          null,
          `no ELF or kdump signature at offset 0x0: reading as a raw image with file offset 0 at physical ${hex(base)}`,
        ),
      );
    }
    return { memory: new RawImage(source, base), diagnostics, error: null };
  } catch (e) {
    // I/O failures of the source itself (permissions, vanished file) end up here.
    return failed(`cannot open image: ${e instanceof Error ? e.message : String(e)}`, 'image-io');
  }
}
