// The streamed writers (decode, check, export) reproduce, byte for byte, what the CLI printed before
// its output was streamed: the JSON contract, check text and JSON, the ranges CSV and the DTS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { GOLDEN_DIR, goldenRuns } from './goldenDumps';

describe('streamed CLI output: byte-identical to the golden outputs', function () {
  this.timeout(120_000);
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const runs = goldenRuns(dir);

  for (const [name, args] of runs) {
    it(`${name} (kho-inspect ${args[0]})`, () => {
      const r = runCli(args);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      const expected = fs.readFileSync(path.join(GOLDEN_DIR, name), 'utf8');
      assert.ok(expected.length > 100, `golden ${name} is implausibly short`);
      assert.equal(r.stdout.split(dir).join('DIR'), expected);
    });
  }
});
