// Usage text of kho-inspect edit / export (its own module so args.ts can show it without a cycle).

export const EDIT_USAGE = `  kho-inspect edit IMAGE [image options as for decode] [--add PHYS[:ORDER]]... [--remove PHYS[:ORDER]]...
                  [--add-range START-END]... [--remove-range START-END]... [--add-client NAME=PHYS[:SIZE]]...
                  [--remove-client NAME]... [--node-region START-END] [--compact]
                  (--in-place | -o OUT_IMAGE [--fdt-out FILE] [--out-format same|raw|elf])
  kho-inspect export IMAGE [image options, --image-format auto|raw|elf] [edit options] [--format json|csv|dts] [-o FILE]`;

export const EDIT_HELP = `edit applies the edits as one step (all or nothing) and writes the result: --in-place patches only
the changed pages of IMAGE (and the --fdt file) through a write-ahead journal IMAGE.kho-journal, which the
next open of IMAGE rolls back if the save was interrupted; -o writes new files (temporary name + rename).
New tracker pages must be provably free: give --node-region when the scratch areas are unknown.
It prints one JSON line saying what was written; exit 0 = written, 1 = written but the result decodes with
errors, 2 = could not edit or write, 64 = bad usage. export prints a report of the (edited) dump.`;
