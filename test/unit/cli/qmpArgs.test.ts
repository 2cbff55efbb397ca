// kho-inspect decode|check --qmp SOCKET [--pause]: what the parser accepts and what it refuses.
import assert from 'node:assert/strict';
import { parseCommandLine, UsageError } from '../../../src/cli/args';

describe('kho-inspect --qmp arguments', () => {
  it('decode and check take --qmp instead of IMAGE, with --pause and the FDT options', () => {
    const d = parseCommandLine(['decode', '--qmp', '/run/g.qmp', '--fdt', 'kho.dtb', '--pause']);
    assert.equal(d.command, 'decode');
    if (d.command !== 'decode') return;
    assert.deepEqual([d.qmp, d.image, d.pause, d.fdtFile], ['/run/g.qmp', '', true, 'kho.dtb']);
    const c = parseCommandLine(['check', '--qmp', 'tcp:127.0.0.1:4444', '--json']);
    assert.ok(c.command === 'check' && c.qmp === 'tcp:127.0.0.1:4444' && c.pause === false && c.json);
  });

  it('refuses IMAGE with --qmp, --pause alone, fdt --qmp, and image-only options', () => {
    const refused = (argv: string[], re: RegExp) =>
      assert.throws(
        () => parseCommandLine(argv),
        (e: unknown) => e instanceof UsageError && re.test((e as Error).message),
      );
    refused(['decode', 'dump.elf', '--qmp', 'g.qmp'], /give IMAGE or --qmp SOCKET, not both/);
    refused(['decode', 'dump.elf', '--pause'], /--pause is for --qmp/);
    refused(['fdt', '--qmp', 'g.qmp'], /--qmp is for decode and check/);
    refused(['decode', '--qmp', 'g.qmp', '--base', '0x1000'], /--base and --format are for image files/);
    refused(['check', '--qmp', 'g.qmp', '--format', 'raw'], /--base and --format are for image files/);
    refused(['decode'], /IMAGE is required/);
  });
});
