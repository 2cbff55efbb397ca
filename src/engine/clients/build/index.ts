// Client structure builders (docs/kho-format.md §4): for tests, fixtures and the bundled sample.

export {
  allocBlock,
  buildContext,
  orderFor,
  placeBytes,
  RecordingWriter,
  type BuildContext,
  type BuiltClient,
  type ClientWriter,
} from './memory';
export * from './encode';
export { buildVmalloc, type BuiltVmalloc, type VmallocOptions } from './vmalloc';
export { buildBlockChain, type BuiltBlockChain } from './blocks';
export { buildMemfd, type BuiltMemfd, type MemfdFolioSpec, type MemfdSpec } from './memfd';
export {
  buildLuoFdt,
  buildLuoPacked,
  type BuiltLuo,
  type BuiltLuoFile,
  type BuiltLuoSession,
  type LuoFdtOptions,
  type LuoFileSpec,
  type LuoFlbSpec,
  type LuoPackedOptions,
  type LuoSessionSpec,
  type LuoSpec,
} from './luo';
export { buildMemblock, type BuiltMemblock, type MemblockRegionSpec } from './memblock';
export { buildTestKho, onesComplementAdd32, type BuiltTestKho, type TestKhoSpec } from './testKho';
export { buildKexecMetadata, type KexecMetadataSpec } from './kexecMetadata';
export { ClientStage, type ClientStageOptions } from './stage';
export { sampleClients, type SampleClientsOptions } from './sample';
