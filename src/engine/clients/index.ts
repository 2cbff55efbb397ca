// Client data decoding (docs/kho-format.md §4): the public surface. decodeClients is the entry point; the format
// decoders and walkers are exported for the checker and for tests.

export { decodeClients, decodeClient, clientHeadline } from './registry';
export type {
  ClientDecode,
  ClientField,
  ClientItem,
  ClientKind,
  ClientLimits,
  ClientPage,
  DecodeClientsOptions,
} from './types';
export { DEFAULT_CLIENT_LIMITS } from './types';
export { DecodeContext } from './context';
export { walkVmalloc, forEachVmallocEntry, parseVmallocDesc, type KhoVmallocDesc, type VmallocWalk } from './vmalloc';
export { walkKhoBlocks, type BlockChainWalk, type BlockEntry } from './blocks';
export { decodeFolioSer, type MemfdFolio } from './memfd';
export { csumResidue } from './testKho';
export * as clientLayout from './layout';
