// Where a file holds data, as opposed to holes: asked of the OS with lseek(SEEK_DATA) and
// lseek(SEEK_HOLE). Node has no such call (fs has no lseek at all), so a few lines of perl make the
// calls on the file's own descriptor and print "start end" lines. Without perl, on an OS not listed
// below, or when the file system cannot say, the answer is "unknown" and callers read the whole file.

import { spawn } from 'child_process';
import * as fs from 'fs';
import { constants as osConstants } from 'os';
import type { FileExtent } from '../engine/io/byteSource';
import { CancelledError, type LongRunning } from '../engine/util/cancel';

/** lseek whence values for data and holes (not in Node's constants; macOS numbers them the other way). */
const WHENCE: Partial<Record<NodeJS.Platform, { data: number; hole: number }>> = {
  linux: { data: 3, hole: 4 },
  android: { data: 3, hole: 4 },
  freebsd: { data: 3, hole: 4 },
  sunos: { data: 3, hole: 4 },
  darwin: { data: 4, hole: 3 },
};

// On fd 3: from offset 0, the next data (SEEK_DATA), then the hole after it (SEEK_HOLE), one
// "start end" line each, then END. ENXIO from SEEK_DATA means no data after the offset. Any other
// failure (EINVAL: the file system cannot tell), or a hole where data was just found, prints "E errno"
// and stops: the rest is then unknown.
const SCRIPT = `
my ($data, $hole, $enxio, $size) = @ARGV;
open(my $f, '<&=', 3) or do { print "E 0\\n"; exit 0 };
my $o = 0;
while ($o < $size) {
  my $d = sysseek($f, $o, $data);
  if (!defined $d) { last if $! == $enxio; print "E ", $! + 0, "\\n"; exit 0 }
  my $h = sysseek($f, $d, $hole);
  if (!defined $h) { print "E ", $! + 0, "\\n"; exit 0 }
  if ($h <= $d) { print "E 0\\n"; exit 0 }
  print $d + 0, " ", $h + 0, "\\n";
  $o = $h;
}
print "END\\n";
`;

export interface DataExtentsOptions extends LongRunning {
  /** Longest the listing may take (ms, default 10 s); beyond it the rest of the file counts as data. */
  timeLimitMs?: number;
  /** Most extents kept (default 16384): nearby extents are merged, the holes between them read. */
  maxExtents?: number;
}

const DEFAULT_TIME_LIMIT_MS = 10_000;
const DEFAULT_MAX_EXTENTS = 16_384;
/** Holes shorter than this are read rather than skipped: one more read costs more than the bytes. */
const MIN_SKIPPED_HOLE = 64 * 1024;
const MAX_LINE = 64;

/** The perl to run: KHO_INSPECT_PERL when set (empty: never run one), else `perl` from PATH. */
function perlCommand(): string | undefined {
  const p = process.env.KHO_INSPECT_PERL;
  return p === undefined ? 'perl' : p === '' ? undefined : p;
}

/** Extents in order, merged across holes shorter than `gap`, the gap growing so no more than `max` are kept. */
class ExtentList {
  readonly list: FileExtent[] = [];
  private gap = MIN_SKIPPED_HOLE;

  constructor(private readonly max: number) {}

  get end(): number {
    return this.list.length ? this.list[this.list.length - 1].end : 0;
  }

  add(start: number, end: number): void {
    const last = this.list[this.list.length - 1];
    if (last && start - last.end < this.gap) last.end = Math.max(last.end, end);
    else this.list.push({ start, end });
    while (this.list.length > this.max) this.coarsen();
  }

  private coarsen(): void {
    this.gap *= 4;
    const merged: FileExtent[] = [];
    for (const e of this.list) {
      const last = merged[merged.length - 1];
      if (last && e.start - last.end < this.gap) last.end = e.end;
      else merged.push(e);
    }
    this.list.splice(0, this.list.length, ...merged);
  }
}

/**
 * The data extents of the open regular file `fd` of `size` bytes, sorted and disjoint; undefined when
 * they cannot be known. A listing cut short (time limit, error part-way) counts the rest as data.
 * Throws CancelledError when `opts.token` asks (the perl process is ended).
 */
export function listDataExtents(
  fd: number,
  size: number,
  opts: DataExtentsOptions = {},
): Promise<readonly FileExtent[] | undefined> {
  if (opts.token?.isCancellationRequested) return Promise.reject(new CancelledError());
  const whence = WHENCE[process.platform];
  if (!whence) return Promise.resolve(undefined);
  const st = fs.fstatSync(fd);
  if (!st.isFile()) return Promise.resolve(undefined);
  // Not one block allocated: the file is all hole.
  if (size === 0 || st.blocks === 0) return Promise.resolve([]);
  const perl = perlCommand();
  if (perl === undefined) return Promise.resolve(undefined);

  const extents = new ExtentList(opts.maxExtents ?? DEFAULT_MAX_EXTENTS);
  const enxio = osConstants.errno.ENXIO;
  return new Promise((resolve, reject) => {
    let settled = false,
      complete = false,
      broken = false,
      pending = '';
    const child = spawn(perl, ['-e', SCRIPT, String(whence.data), String(whence.hole), String(enxio), String(size)], {
      stdio: ['ignore', 'pipe', 'ignore', fd],
    });
    const poll = setInterval(() => {
      if (opts.token?.isCancellationRequested) finish(new CancelledError());
    }, 50);
    const timer = setTimeout(() => finish(known()), opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
    const finish = (result: readonly FileExtent[] | undefined | Error): void => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    /** What is known when the listing stops: its extents, and the unlisted rest as data. */
    const known = (): readonly FileExtent[] | undefined => {
      if (complete) return extents.list;
      if (extents.list.length === 0) return undefined;
      if (extents.end < size) extents.add(extents.end, size);
      return extents.list;
    };
    const line = (text: string): void => {
      if (complete || broken) return;
      if (text === 'END') {
        complete = true;
        return;
      }
      const m = /^(\d+) (\d+)$/.exec(text);
      const start = m ? Number(m[1]) : NaN,
        end = m ? Math.min(Number(m[2]), size) : NaN;
      // "E errno", or anything not in order: stop believing the listing here.
      if (!m || !(start >= extents.end && end > start && start < size)) {
        broken = true;
        return;
      }
      extents.add(start, end);
    };
    child.on('error', () => finish(known())); // no perl: unknown
    child.on('close', () => finish(known()));
    const out = child.stdout;
    if (out === null) return finish(undefined);
    out.setEncoding('latin1');
    out.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        line(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      if (pending.length > MAX_LINE) {
        broken = true;
        pending = '';
      }
      if (complete || broken) finish(known());
    });
  });
}
