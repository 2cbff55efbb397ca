// Tests choose the perl that lists a file's holes (src/node/fileDataExtents.ts) through KHO_INSPECT_PERL.

/** Runs `f` with KHO_INSPECT_PERL set to `perl` ('' = no perl), then puts the variable back. */
export async function withPerl<T>(perl: string, f: () => Promise<T>): Promise<T> {
  const saved = process.env.KHO_INSPECT_PERL;
  process.env.KHO_INSPECT_PERL = perl;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.KHO_INSPECT_PERL;
    else process.env.KHO_INSPECT_PERL = saved;
  }
}
