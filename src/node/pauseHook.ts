// A test hook for the interleaving tests: KHO_INSPECT_PAUSE_AT="STEP:FILE" makes a save in place,
// on reaching STEP, create FILE and wait until FILE is deleted. A test so stops a writer at a known
// point of its save (lock taken, journal written, image patched, ...) and runs another program
// against the files meanwhile. Unset (always, outside tests), it costs nothing.

import * as fs from 'node:fs';
import type { SaveStep } from './journal';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function pauseHookFromEnv(env: NodeJS.ProcessEnv = process.env): ((step: SaveStep) => void) | undefined {
  const spec = env.KHO_INSPECT_PAUSE_AT;
  const m = spec ? /^([a-z-]+):(.+)$/.exec(spec) : null;
  if (!m) return undefined;
  const [, at, file] = m;
  return (step) => {
    if (step !== at) return;
    fs.writeFileSync(file, `${process.pid} ${step}\n`);
    while (fs.existsSync(file)) Atomics.wait(sleeper, 0, 0, 10);
  };
}
