// Preloaded into a CLI child (node -r): at exit, writes the process's peak RSS in KiB to fd 3.
import fs from 'node:fs';
import { peakRssKiB } from '../../src/node/peakRss';

process.on('exit', () => {
  try {
    fs.writeSync(3, String(peakRssKiB()));
  } catch {
    /* no fd 3 */
  }
});
