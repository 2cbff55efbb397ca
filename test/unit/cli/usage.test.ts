// The bundled CLI's side of the parser: a usage error is one line then the command's usage (exit
// 64), --help prints the command's table (exit 0), and export's old --format spelling prints the
// same report as --report-format with one deprecation line on stderr.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { Prng } from '../../support/prng';
import { makeDump, writeFiles } from '../edit/helpers';

describe('kho-inspect usage errors, help and old spellings', function () {
  this.timeout(60_000);
  const dir = tempDir('kho-cli-usage-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a usage error is one line naming the option, then the usage line of its command', () => {
    const r = runCli(['decode', 'dump.raw', '--fdt']);
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    const [first, second] = r.stderr.split('\n');
    assert.equal(first, 'kho-inspect: decode: --fdt needs a value (FILE)');
    assert.match(second, /^usage: kho-inspect decode \(IMAGE \| --qmp SOCKET\) \[options\]$/);
    const unknown = runCli(['frobnicate']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /^kho-inspect: unknown command "frobnicate".*\nusage:\n {2}kho-inspect decode /);
  });

  it("COMMAND --help prints that command's options and exits 0", () => {
    const r = runCli(['edit', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: kho-inspect edit IMAGE \[options\]\n/);
    assert.match(r.stdout, /^ {2}--add-range START-END /m);
    assert.match(r.stdout, /^ {2}-o, --output OUT_IMAGE /m);
    assert.equal(r.stderr, '');
  });

  it('export --format csv|dts still prints the report, with one deprecation line', () => {
    const f = writeFiles(dir, 'd', makeDump(new Prng(11), 3, 4096), 'raw');
    for (const format of ['csv', 'dts']) {
      const now = runCli(['export', f.image, '--fdt', f.fdt, '--report-format', format]);
      assert.equal(now.code, 0, now.stderr);
      assert.equal(now.stderr, '');
      const old = runCli(['export', f.image, '--fdt', f.fdt, '--format', format]);
      assert.equal(old.code, 0, old.stderr);
      assert.ok(now.stdout.length > 100, 'a report');
      assert.equal(old.stdout, now.stdout);
      assert.equal(old.stderr, `kho-inspect: export --format ${format} is deprecated: use --report-format ${format}\n`);
    }
  });
});
