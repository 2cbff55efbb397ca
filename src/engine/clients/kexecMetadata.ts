// kexec-metadata (docs/kho-format.md §4.6, kho-v3+): packed struct kho_kexec_metadata {u32 version = 1;
// char previous_release[65]; u32 kexec_count} (73 bytes). The next kernel ignores it unless the
// blob holds at least 4 bytes, version is 1 and the blob is at least the struct's size.

import { hex } from '../util/hex';
import { field, type DecodeContext } from './context';
import { KEXEC_METADATA_RELEASE_LEN, KEXEC_METADATA_SIZE, KEXEC_METADATA_VERSION, readCString } from './layout';
import { readU32LE } from '../util/bytes';
import type { ClientBody } from './body';

/** `head` holds the blob's first bytes (as many as the blob and the dump have, up to a page). */
export function decodeKexecMetadata(
  ctx: DecodeContext,
  head: Uint8Array,
  pa: bigint,
  blobSize: bigint | null,
): ClientBody {
  const size = blobSize ?? BigInt(head.length);
  const fields = [field('blob size', size.toString())];
  if (size < 4n || head.length < 4) {
    ctx.report(
      'warning',
      'kexec-metadata-truncated',
      pa,
      `kexec-metadata blob is ${size} bytes; expected ${KEXEC_METADATA_SIZE} (the next kernel ignores it)`,
    );
    return { summary: 'kexec-metadata: truncated', fields, children: [] };
  }
  const version = readU32LE(head, 0);
  fields.push(field('version', version));
  if (version !== KEXEC_METADATA_VERSION) {
    ctx.report(
      'warning',
      'kexec-metadata-bad-version',
      pa,
      `kexec-metadata version is ${version} (${hex(version)}); expected ${KEXEC_METADATA_VERSION} (the next kernel ignores the metadata)`,
    );
    return { summary: `kexec-metadata: unknown version ${version}`, fields, children: [] };
  }
  if (size < BigInt(KEXEC_METADATA_SIZE) || head.length < KEXEC_METADATA_SIZE) {
    ctx.report(
      'warning',
      'kexec-metadata-truncated',
      pa,
      `kexec-metadata blob is ${size < BigInt(head.length) ? size : head.length} bytes; version 1 needs ${KEXEC_METADATA_SIZE} (the next kernel ignores it)`,
    );
    return { summary: 'kexec-metadata: truncated', fields, children: [] };
  }
  const release = readCString(head, 4, KEXEC_METADATA_RELEASE_LEN);
  const count = readU32LE(head, 4 + KEXEC_METADATA_RELEASE_LEN);
  fields.push(field('previous_release', release.text), field('kexec_count', count));
  if (!release.terminated) {
    ctx.report(
      'warning',
      'kexec-metadata-bad-release',
      pa + 4n,
      `kexec-metadata previous_release is not NUL-terminated within ${KEXEC_METADATA_RELEASE_LEN} bytes; the next kernel prints garbage after it`,
    );
  }
  if (blobSize !== null && blobSize > BigInt(KEXEC_METADATA_SIZE)) {
    ctx.report(
      'info',
      'kexec-metadata-extra',
      pa,
      `kexec-metadata blob is ${blobSize} bytes, more than the ${KEXEC_METADATA_SIZE}-byte version 1 struct (a newer sender?)`,
    );
  }
  return { summary: `previous kernel ${release.text || '(empty)'}, kexec #${count}`, fields, children: [] };
}
