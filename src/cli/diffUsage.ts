// Usage text of kho-inspect diff (its own module so args.ts can show it without a cycle).

export const DIFF_USAGE = `  kho-inspect diff LEFT RIGHT [--summary]`;

export const DIFF_HELP = `diff compares two KHO states; LEFT and RIGHT are each an image (its FDT found as decode finds it)
or a *.kho.json pairing file (image, FDT and options). It prints one JSON object: blocks and pages preserved
on one side only, clients (FDT subnodes) only on one side or changed; --summary leaves out the block lists.
Exit 0 = the same blocks and clients, 1 = they differ, 2 = a side could not be decoded, 64 = bad usage.`;
