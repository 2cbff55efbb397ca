// Public surface of the engine, for the CLI, the Node worker and tests.
export * from './diagnostics';
export * from './util/hex';
export * from './util/cancel';
export * from './io/byteSource';
export * from './image/physMemory';
export * from './kho/geometry';
export * from './kho/tracker';
