// kexec-metadata as a builder (docs/kho-format.md §4.6): the 73-byte packed struct, placed by the dump builder.

import { KEXEC_METADATA_SUBNODE, KEXEC_METADATA_VERSION } from '../layout';
import { encodeKexecMetadata } from './encode';
import type { BuiltClient } from './memory';

export interface KexecMetadataSpec {
  previousRelease: string;
  kexecCount: number;
  version?: number;
  name?: string;
}

export function buildKexecMetadata(spec: KexecMetadataSpec): BuiltClient {
  const bytes = encodeKexecMetadata({
    version: spec.version ?? KEXEC_METADATA_VERSION,
    previousRelease: spec.previousRelease,
    kexecCount: spec.kexecCount,
  });
  return { name: spec.name ?? KEXEC_METADATA_SUBNODE, bytes, size: bytes.length };
}
