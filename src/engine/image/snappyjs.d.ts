// snappyjs ships no type declarations; only the two functions the engine uses.
declare module 'snappyjs' {
  /** Raw (unframed) snappy block -> bytes; throws when the stream is invalid or longer than maxLength. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}
