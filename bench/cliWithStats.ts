// Runs the bundled CLI in this process and reports its peak RSS and wall time on fd 3 as JSON,
// so the benchmark measures exactly what a user runs (stdout goes wherever the caller sends it).
// KHO_BENCH_CLI names another bundled CLI (e.g. one built from an earlier commit) to compare with.
import fs from 'node:fs';
import path from 'node:path';
import { peakRssKiB } from '../src/node/peakRss';

const t0 = process.hrtime.bigint();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cli = require(
  process.env.KHO_BENCH_CLI ? path.resolve(process.env.KHO_BENCH_CLI) : path.resolve(__dirname, '../../dist/cli.js'),
) as { main(argv: string[]): Promise<number> };
cli
  .main(process.argv.slice(2))
  .then((code) => {
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const stats = { code, wallMs, maxRssKiB: peakRssKiB() };
    fs.writeSync(3, JSON.stringify(stats) + '\n');
    process.exitCode = code;
  })
  .catch((e: unknown) => {
    // The CLI itself turns bad input into exit codes; reaching here is a bug in it: say so and fail.
    console.error(e);
    process.exitCode = 70;
  });
