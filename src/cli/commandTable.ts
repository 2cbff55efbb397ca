// The command line of kho-inspect as data: each command's operands and option groups, read by
// parser.ts both to parse argv and to write --help.

import { REPORT_FORMATS } from '../engine/export/reports';
import {
  groupHelp,
  HELP_OPTION,
  oldSpellingsHelp,
  wrap,
  oneOf,
  usageLine,
  type CommandSpec,
  type OptionGroup,
} from './parser';

export const IMAGE_FORMATS = ['auto', 'raw', 'elf', 'kdump'] as const;
export const OUT_FORMATS = ['same', 'raw', 'elf'] as const;

const FDT_SOURCE: OptionGroup = {
  title: 'the KHO FDT (without these, found by a scan of the image)',
  options: [
    { name: 'fdt', value: 'FILE', help: 'the FDT from a file: debugfs kho/out/fdt before kexec, kho/in/fdt after' },
    { name: 'fdt-address', value: 'ADDR', help: 'the FDT at this physical address in the image' },
  ],
};

const IMAGE: OptionGroup = {
  title: 'the image',
  options: [
    { name: 'base', value: 'ADDR', help: "the physical address of a raw image's first byte (default 0)" },
    {
      name: 'format',
      value: 'FORMAT',
      choices: IMAGE_FORMATS,
      help: `the image format: ${oneOf(IMAGE_FORMATS)} (default auto)`,
    },
    {
      name: 'page-size',
      value: 'BYTES',
      choices: ['4096', '16384', '65536'],
      help: "the kernel's page size: 4096, 16384 or 65536 (default 4096)",
    },
    { name: 'pre-fix-16k', help: '16 KiB pages: the radix-tree depth of kernels before d64b0372' },
  ],
};

const HAND_OFF: OptionGroup = {
  title: 'the hand-off',
  options: [
    { name: 'scratch', value: 'ADDR:LEN', help: 'a struct kho_scratch array of LEN bytes at ADDR in the image' },
    { name: 'scratch-phys', value: 'FILE', help: 'debugfs kho/out/scratch_phys (or bootmem_phys); with --scratch-len' },
    { name: 'scratch-len', value: 'FILE', help: 'debugfs kho/out/scratch_len (or bootmem_len); with --scratch-phys' },
    {
      name: 'setup-data',
      value: 'ADDR',
      help: 'x86: the setup_data list head (or the SETUP_KEXEC_KHO record); gives the FDT address and the scratch array',
    },
    {
      name: 'max-page-order',
      value: 'N',
      help: "the sending kernel's MAX_PAGE_ORDER, 0-64 (default by page size: 10, 11, 13)",
    },
    {
      name: 'numa',
      value: 'NODE:START-END',
      multiple: true,
      help: "a NUMA node's memory range (repeat per range): the NUMA-span check, and --add-range splits blocks at node boundaries (v7.1+ kernels)",
    },
  ],
};

const LIVE: OptionGroup = {
  title: 'a live QEMU guest instead of IMAGE',
  options: [
    {
      name: 'qmp',
      value: 'SOCKET',
      help: 'read the guest through its QMP socket (unix PATH or tcp:HOST:PORT; QEMU on this machine), only the pages the decode needs, by pmemsave',
    },
    {
      name: 'pause',
      help: "stop a running guest while reading it and let it run again afterwards (a running guest's view may be torn)",
    },
  ],
};

const EDITS: OptionGroup = {
  title: 'edits (applied as one step, all or nothing)',
  options: [
    { name: 'add', value: 'PHYS[:ORDER]', multiple: true, help: 'preserve a block (order 0 when not given)' },
    { name: 'remove', value: 'PHYS[:ORDER]', multiple: true, help: 'unpreserve a block' },
    {
      name: 'add-range',
      value: 'START-END',
      multiple: true,
      help: 'preserve the pages of a range (END exclusive) in the fewest aligned blocks',
    },
    {
      name: 'remove-range',
      value: 'START-END',
      multiple: true,
      help: 'unpreserve the pages of a range (END exclusive)',
    },
    {
      name: 'add-client',
      value: 'NAME=PHYS[:SIZE]',
      multiple: true,
      help: 'add an FDT subnode whose preserved-data is PHYS (blob size SIZE)',
    },
    { name: 'remove-client', value: 'NAME', multiple: true, help: 'remove an FDT subnode' },
    {
      name: 'node-region',
      value: 'START-END',
      help: 'where new tracker pages may go when the scratch areas are unknown (they must be provably free)',
    },
    { name: 'compact', help: 'drop tracker nodes that an edit leaves empty' },
  ],
};

const EDIT_OUTPUT: OptionGroup = {
  title: 'where the edited dump goes (--in-place or -o)',
  options: [
    {
      name: 'in-place',
      help: 'patch only the changed pages of IMAGE (and the --fdt file) through the write-ahead journal IMAGE.kho-journal',
    },
    { name: 'output', short: 'o', value: 'OUT_IMAGE', help: 'write a new image (temporary name + rename)' },
    { name: 'fdt-out', value: 'FILE', help: 'with -o: the edited FDT, when it came from --fdt FILE' },
    {
      name: 'out-format',
      value: 'FORMAT',
      choices: OUT_FORMATS,
      help: `with -o: the new image's format: ${oneOf(OUT_FORMATS)} (default same)`,
    },
  ],
};

const REPORT: OptionGroup = {
  title: 'the report',
  options: [
    {
      name: 'report-format',
      value: 'FORMAT',
      choices: REPORT_FORMATS,
      help: `${oneOf(REPORT_FORMATS)}: the JSON contract (as decode), the preserved ranges, or the FDT as DTS (default json)`,
    },
    {
      name: 'output',
      short: 'o',
      value: 'FILE',
      help: 'write the report to FILE (temporary name + rename) instead of stdout',
    },
  ],
};

const EXIT_STATUS =
  'Exit 0 = decoded, no errors; 1 = decoded with error diagnostics; 2 = could not decode; 64 = bad usage.';

/** What decode and check read: an image (or a live guest), its FDT and the hand-off. */
const DUMP_INPUTS = [FDT_SOURCE, IMAGE, HAND_OFF, LIVE];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'decode',
    operands: ['IMAGE'],
    synopsis: '(IMAGE | --qmp SOCKET)',
    description: `decode prints one JSON object (README "CLI contract"): the image, the FDT, the tracker, the preserved blocks and ranges, the diagnostics. ${EXIT_STATUS}`,
    groups: [
      ...DUMP_INPUTS,
      {
        title: 'output',
        options: [{ name: 'summary', help: "leave out the preserved-block list and the tracker's node pages" }],
      },
    ],
  },
  {
    name: 'check',
    operands: ['IMAGE'],
    synopsis: '(IMAGE | --qmp SOCKET)',
    description: `check runs every invariant check and prints one line per finding ("severity code address: message") and a summary line. ${EXIT_STATUS}`,
    groups: [
      ...DUMP_INPUTS,
      {
        title: 'output',
        options: [
          { name: 'json', help: 'print {"diagnostics": [...], "counts": {...}, "fatal": ...} instead of lines' },
        ],
      },
    ],
  },
  {
    name: 'fdt',
    operands: ['FILE|IMAGE'],
    description:
      'fdt prints a DTS-like rendering of the KHO FDT with native-endian u64 values decoded. FILE is the FDT itself when it starts with the FDT magic; otherwise it is an image, and the FDT is found in it as decode finds it. Exit 0 = printed, 2 = no FDT, 64 = bad usage.',
    groups: [
      {
        title: 'the image and its FDT',
        options: [
          { name: 'fdt-address', value: 'ADDR', help: 'the FDT at this physical address in IMAGE' },
          {
            name: 'setup-data',
            value: 'ADDR',
            help: 'x86: the setup_data list head (or the SETUP_KEXEC_KHO record), which gives the FDT address',
          },
          ...IMAGE.options,
        ],
      },
    ],
  },
  {
    name: 'edit',
    operands: ['IMAGE'],
    description:
      'edit applies the edits as one step (all or nothing) and writes the result: --in-place patches only the changed pages of IMAGE (and the --fdt file) through a write-ahead journal IMAGE.kho-journal, which the next open of IMAGE rolls back if the save was interrupted; -o writes new files (temporary name + rename). New tracker pages must be provably free: give --node-region when the scratch areas are unknown. It prints one JSON line saying what was written; exit 0 = written, 1 = written but the result decodes with errors, 2 = could not edit or write, 64 = bad usage.',
    groups: [FDT_SOURCE, IMAGE, HAND_OFF, EDITS, EDIT_OUTPUT],
  },
  {
    name: 'export',
    operands: ['IMAGE'],
    description: `export prints a report of the dump, edited in memory when edits are given (IMAGE is never written). ${EXIT_STATUS}`,
    groups: [FDT_SOURCE, IMAGE, HAND_OFF, EDITS, REPORT],
    oldSpellings: [
      { spelling: 'format', values: REPORT_FORMATS, use: 'report-format' },
      { spelling: 'image-format', use: 'format' },
    ],
  },
  {
    name: 'diff',
    operands: ['LEFT', 'RIGHT'],
    description:
      'diff compares two KHO states; LEFT and RIGHT are each an image (its FDT found as decode finds it) or a *.kho.json pairing file (image, FDT and options). It prints one JSON object: blocks and pages preserved on one side only, clients (FDT subnodes) only on one side or changed. Exit 0 = the same blocks and clients, 1 = they differ, 2 = a side could not be decoded, 64 = bad usage.',
    groups: [{ title: 'output', options: [{ name: 'summary', help: 'leave out the block lists' }] }],
  },
];

/** kho-inspect itself, before any command: --help [COMMAND] and --version. */
export const GLOBAL: CommandSpec = {
  name: 'kho-inspect',
  operands: ['COMMAND'],
  description: '',
  groups: [{ title: 'kho-inspect', options: [{ name: 'version', help: 'the version' }] }],
};

/** `kho-inspect --help`: every command's usage and what it does, then each option group once. */
export function globalHelp(): string {
  const usage = [
    'usage:',
    ...COMMANDS.map((c) => `  ${usageLine(c)}`),
    '  kho-inspect COMMAND --help',
    '  kho-inspect --help | --version',
  ];
  const groups: OptionGroup[] = [];
  for (const c of COMMANDS)
    for (const g of c.groups) if (!groups.some((h) => h.title === g.title && h.options === g.options)) groups.push(g);
  const takers = (g: OptionGroup) =>
    COMMANDS.filter((c) => c.groups.some((h) => h.options === g.options)).map((c) => c.name);
  return [
    usage.join('\n'),
    ...COMMANDS.map((c) => wrap(c.description, 0)),
    ...groups.map((g) => groupHelp(`${g.title} (${takers(g).join(', ')})`, g.options)),
    ...COMMANDS.map(oldSpellingsHelp).filter((p) => p),
    groupHelp('kho-inspect', [
      {
        ...HELP_OPTION,
        value: undefined,
        help: "this help; kho-inspect COMMAND --help (or --help COMMAND): one command's",
      },
      ...GLOBAL.groups[0].options,
    ]),
  ].join('\n\n');
}
