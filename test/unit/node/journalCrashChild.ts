// Child process for the interruption tests: opens a dump, applies edits, then saves in place or
// exports, and SIGKILLs itself at the step it is told (argv[2] is a JSON config).
import type { Edit } from '../../../src/engine/edit/edits';
import type { PageSize } from '../../../src/engine/kho/geometry';
import { exportFiles } from '../../../src/node/exportFiles';
import { saveInPlace } from '../../../src/node/saveInPlace';
import { openFiles } from '../edit/helpers';

export interface CrashConfig {
  mode: 'save' | 'export';
  image: string;
  /** FDT file, or the FDT's address in the image (hex). */
  fdt: { file: string } | { address: string };
  pageSize: PageSize;
  edits: Edit[];
  nodeRegion: { start: string; end: string };
  /** save: a SaveStep; export: 'mid-export' (half the image written). */
  crashAt: string;
  out?: string;
  fdtOut?: string;
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('still alive after SIGKILL');
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2]) as CrashConfig;
  const fdt = 'file' in c.fdt ? c.fdt : { address: BigInt(c.fdt.address) };
  const { model } = await openFiles(c.image, fdt, c.pageSize, {
    nodeRegion: { start: BigInt(c.nodeRegion.start), end: BigInt(c.nodeRegion.end) },
  });
  const r = model.apply({ kind: 'batch', edits: c.edits });
  if (!r.ok) {
    process.stderr.write(`edit refused: ${r.reason}\n`);
    process.exit(3);
  }
  if (c.mode === 'save') {
    saveInPlace(
      model,
      { image: c.image, fdt: 'file' in c.fdt ? c.fdt.file : null },
      {
        onStep: (s) => {
          if (s === c.crashAt) die();
        },
      },
    );
  } else {
    exportFiles(model, {
      source: c.image,
      imageOut: c.out,
      fdtOut: c.fdtOut,
      onBlock: (done, total) => {
        if (c.crashAt === 'mid-export' && done >= total / 2) die();
      },
    });
  }
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exit(4);
});
