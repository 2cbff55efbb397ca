// A ByteSource over a file, read with positioned reads (pread): no whole-file buffers, works for
// sparse images far beyond 4 GiB since positions stay exact as numbers below 2^53; its holes are
// listed by fileDataExtents.ts.

import * as fs from 'fs';
import type { ByteSource, FileExtent } from '../engine/io/byteSource';
import { listDataExtents, type DataExtentsOptions } from './fileDataExtents';

export class FileByteSource implements ByteSource {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly size: number,
  ) {
    this.fd = fd;
  }

  /** Opens read-only; throws the fs error (ENOENT, EACCES, EISDIR...) if the file cannot be read. */
  static open(path: string): FileByteSource {
    // open() of a FIFO blocks until a writer comes: look at the type first.
    const pre = fs.statSync(path);
    if (!pre.isFile()) throw new Error(`${path} is not a regular file`);
    const fd = fs.openSync(path, 'r');
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      return new FileByteSource(path, fd, st.size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  readInto(offset: number, dest: Uint8Array): number {
    if (this.fd === null) throw new Error(`read from closed file ${this.path}`);
    if (offset >= this.size || dest.length === 0) return 0;
    const want = Math.min(dest.length, this.size - offset);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(this.fd, dest, got, want - got, offset + got);
      if (n === 0) break; // the file shrank under us
      got += n;
    }
    return got;
  }

  /** The file's data extents from the OS (holes skipped by scans); undefined when it cannot say. */
  dataExtents(opts?: DataExtentsOptions): Promise<readonly FileExtent[] | undefined> {
    if (this.fd === null) return Promise.reject(new Error(`read from closed file ${this.path}`));
    return listDataExtents(this.fd, this.size, opts);
  }

  get closed(): boolean {
    return this.fd === null;
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    fs.closeSync(fd);
  }
}
