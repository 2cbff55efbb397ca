// The one argument parser and its tables: unknown options, missing values, repeated options, the
// old spellings (with their notes) and --help listing every option of every table.
import assert from 'node:assert/strict';
import { parseCommandLine, UsageError, type Request } from '../../../src/cli/args';
import { COMMANDS, globalHelp } from '../../../src/cli/commandTable';
import { commandHelp, commandOptions } from '../../../src/cli/parser';

/** `command`: the command the error names (null: none, the command itself was wrong). */
function refused(argv: string[], re: RegExp, command: string | null = argv[0]): void {
  assert.throws(
    () => parseCommandLine(argv),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `${argv.join(' ')}: ${String(e)}`);
      assert.match(e.message, re, argv.join(' '));
      assert.doesNotMatch(e.message, /\n/, 'one line');
      assert.equal(e.command ?? null, command);
      return true;
    },
  );
}

function parsed(argv: string[]): { req: Request; notes: string[] } {
  const notes: string[] = [];
  return { req: parseCommandLine(argv, (n) => notes.push(n)), notes };
}

function editOf(argv: string[]) {
  const { req } = parsed(argv);
  assert.ok('edits' in req, `${argv.join(' ')} is an edit or export`);
  return req;
}

describe('kho-inspect argument parser', () => {
  it('an unknown option is named, and so are the commands that take it', () => {
    refused(['decode', 'x', '--bogus'], /^unknown option --bogus \(--help lists the options\)$/);
    refused(['edit', 'x', '-q'], /^unknown option -q /);
    refused(['diff', 'a', 'b', '--json'], /^--json is for check, not diff$/);
    refused(['fdt', 'x', '--fdt', 'f'], /^--fdt is for decode, check, edit and export, not fdt$/);
    refused(['export', 'x', '--in-place'], /^--in-place is for edit, not export$/);
    refused(['edit', 'x', '--report-format', 'csv'], /^--report-format is for export, not edit$/);
    refused(['--summary'], /^--summary is for decode and diff/, null);
    refused(['frobnicate', 'x'], /^unknown command "frobnicate"/, null);
    refused([], /^no command given$/, null);
  });

  it('a missing value says what was expected; an option is not taken as a value', () => {
    refused(['decode', 'x', '--fdt'], /^--fdt needs a value \(FILE\)$/);
    refused(['decode', 'x', '--page-size'], /^--page-size needs a value \(4096\|16384\|65536\)$/);
    refused(['decode', 'x', '--fdt', '--summary'], /^--fdt needs a value \(FILE\), not the option "--summary"/);
    refused(['edit', 'x', '--in-place', '--add'], /^--add needs a value \(PHYS\[:ORDER\]\)$/);
    refused(['edit', 'x', '--in-place', '-o'], /^-o needs a value \(OUT_IMAGE\)$/);
    refused(['decode', 'x', '--summary=yes'], /^--summary takes no value \(got "yes"\)$/);
    const inline = parsed(['decode', 'x', '--fdt=-odd-name', '--base=0x1000']).req;
    assert.ok(inline.command === 'decode');
    assert.deepEqual([inline.fdtFile, inline.base], ['-odd-name', 0x1000n]);
  });

  it('a value outside the choices names the choices', () => {
    refused(['decode', 'x', '--format', 'vmdk'], /^--format: "vmdk" is not auto, raw, elf or kdump$/);
    refused(
      ['edit', 'x', '--add', '0x1000', '-o', 'y', '--out-format', 'kdump'],
      /^--out-format: "kdump" is not same, raw or elf$/,
    );
    refused(['export', 'x', '--report-format', 'xml'], /^--report-format: "xml" is not json, csv or dts$/);
    refused(
      ['export', 'x', '--format', 'xml'],
      /^--format: "xml" is not auto, raw, elf or kdump \(for --report-format: json\|csv\|dts\)$/,
    );
  });

  it('repeatable options keep every value in the order given; others may be given once', () => {
    const e = editOf([
      'edit',
      'x',
      '--add',
      '0x3000',
      '--remove',
      '0x9000:1',
      '--add',
      '0x1000:2',
      '--add=0x2000',
      '--remove',
      '0x5000',
      '--add-range',
      '0x20000-0x30000',
      '--add-range',
      '0x10000-0x18000',
      '--in-place',
    ]);
    assert.deepEqual(e.edits, [
      {
        kind: 'unpreserveBlocks',
        blocks: [
          { phys: '0x9000', order: 1 },
          { phys: '0x5000', order: 0 },
        ],
      },
      {
        kind: 'preserveBlocks',
        blocks: [
          { phys: '0x3000', order: 0 },
          { phys: '0x1000', order: 2 },
          { phys: '0x2000', order: 0 },
        ],
      },
      { kind: 'preserveRange', start: '0x20000', end: '0x30000' },
      { kind: 'preserveRange', start: '0x10000', end: '0x18000' },
    ]);
    const numa = parsed(['check', 'x', '--numa', '1:0x80000000-0x100000000', '--numa', '0:0x0-0x80000000']).req;
    assert.ok(numa.command === 'check');
    assert.deepEqual(
      numa.numa?.map((r) => r.node),
      [1, 0],
    );
    refused(['decode', 'x', '--base', '0x1000', '--base', '0x2000'], /^--base given twice \(it takes one ADDR\)$/);
    refused(['edit', 'x', '--add', '0x1000', '-o', 'a', '--output', 'b'], /^--output given twice/);
    refused(['decode', 'x', 'y'], /^unexpected argument "y"$/);
  });

  it('--format is the image format everywhere; export reports take --report-format', () => {
    for (const command of ['decode', 'check', 'fdt', 'edit', 'export']) {
      const extra = command === 'edit' ? ['--add', '0x1000', '--in-place'] : [];
      const { req, notes } = parsed([command, 'x', '--format', 'elf', ...extra]);
      const image = 'edits' in req ? req.image : req;
      assert.ok('format' in image && image.format === 'elf', command);
      assert.deepEqual(notes, [], command);
    }
    const { req, notes } = parsed(['export', 'x', '--report-format', 'csv', '--format', 'raw']);
    assert.ok('edits' in req);
    assert.deepEqual([req.reportFormat, req.image.format], ['csv', 'raw']);
    assert.deepEqual(notes, []);
  });

  it('the old spellings of export still work, each with a one-line note', () => {
    const report = parsed(['export', 'x', '--format', 'dts']);
    assert.ok('edits' in report.req);
    assert.deepEqual([report.req.reportFormat, report.req.image.format], ['dts', 'auto']);
    assert.deepEqual(report.notes, ['export --format dts is deprecated: use --report-format dts']);
    const image = parsed(['export', 'x', '--image-format', 'elf', '--format=csv']);
    assert.ok('edits' in image.req);
    assert.deepEqual([image.req.reportFormat, image.req.image.format], ['csv', 'elf']);
    assert.deepEqual(image.notes, [
      'export --image-format is deprecated: use --format',
      'export --format csv is deprecated: use --report-format csv',
    ]);
    refused(['export', 'x', '--format', 'csv', '--report-format', 'json'], /^--report-format given twice/);
    refused(['export', 'x', '--image-format', 'raw', '--format', 'elf'], /^--format given twice/);
    refused(['edit', 'x', '--add', '0x1000', '--in-place', '--image-format', 'raw'], /^unknown option --image-format/);
  });

  it('--help lists every option of a command, from its table', () => {
    for (const cmd of COMMANDS) {
      const { req } = parsed([cmd.name, '--help']);
      assert.deepEqual(req, { command: 'help', topic: cmd.name });
      assert.deepEqual(parsed(['--help', cmd.name]).req, req);
      const help = commandHelp(cmd);
      assert.ok(help.startsWith(`usage: kho-inspect ${cmd.name} `), cmd.name);
      for (const o of commandOptions(cmd)) {
        assert.match(
          help,
          new RegExp(`^ {2}(-${o.short}, )?--${o.name}${o.value ? ` \\S` : ' '}`, 'm'),
          `${cmd.name} --${o.name}`,
        );
      }
      for (const old of cmd.oldSpellings ?? [])
        assert.ok(help.includes(`--${old.spelling}`), `${cmd.name} --${old.spelling}`);
    }
    assert.deepEqual(parsed(['-h']).req, { command: 'help', topic: undefined });
    assert.deepEqual(parsed(['--version']).req, { command: 'version' });
  });

  it('kho-inspect --help lists every command and every option', () => {
    const help = globalHelp();
    for (const cmd of COMMANDS) {
      assert.match(help, new RegExp(`^ {2}kho-inspect ${cmd.name} `, 'm'));
      for (const o of commandOptions(cmd))
        assert.match(help, new RegExp(`^ {2}(-\\w, )?--${o.name}\\b`, 'm'), `--${o.name}`);
    }
    assert.match(help, /^ {2}--version/m);
    assert.match(help, /--format json\|csv\|dts \(use --report-format\)/);
  });
});
