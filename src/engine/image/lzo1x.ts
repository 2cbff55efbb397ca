// LZO1X decompressor (what makedumpfile -l and QEMU kdump-lzo write, via liblzo2's lzo1x_1), written
// from the public description of the bitstream (Linux Documentation/staging/lzo.rst). Every read
// and write is bounds-checked: bad input is an Error, the output never exceeds `size`.
//
// The stream is a sequence of instructions. `state` is how many literals the previous instruction
// copied (0..3, or 4 for "4 or more"); it changes the meaning of the small codes 0..15:
//   first byte 18..21: 1..3 literals (state = n); 22..255: n - 17 literals (state 4); else a normal instruction
//   0..15, state 0:    literal run, length 3 + L (L = 0: 18 + 255 * zero bytes + next byte)
//   0..15, state 1..3: 2-byte match, distance (H << 2) + D + 1          (then S literals)
//   0..15, state 4:    3-byte match, distance (H << 2) + D + 2049       (then S literals)
//   16..31  0001HLLL:  match of 2 + L (L = 0: 9 + ...) bytes, distance 16384 + (H << 14) + D; D = 0, H = 0 ends the stream
//   32..63  001LLLLL:  match of 2 + L (L = 0: 33 + ...) bytes, distance D + 1 (LE16 = D << 2 | S)
//   64..255 01LDDDSS / 1LLDDDSS: match of 3 + L / 5 + L bytes, distance (H << 3) + D + 1
// where S (low 2 bits of the last distance byte) literals follow every match.

export class LzoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LzoError';
  }
}

/** Decompresses an LZO1X stream that must produce exactly `size` bytes. */
export function lzo1xDecompress(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const n = input.length;
  let ip = 0,
    op = 0;

  const need = (k: number) => {
    if (ip + k > n) throw new LzoError(`lzo data error (input overrun at byte ${ip})`);
  };
  const byte = () => {
    need(1);
    return input[ip++];
  };
  /** Length with the "zero bytes add 255, then a non-zero byte" extension. */
  const extended = (base: number) => {
    let len = base;
    for (;;) {
      const b = byte();
      if (b !== 0) return len + b;
      len += 255;
      if (len > size + 255) throw new LzoError(`lzo data error (length run at byte ${ip} exceeds the output)`);
    }
  };
  const literals = (len: number) => {
    need(len);
    if (op + len > size) throw new LzoError(`lzo data error (output overrun: ${op + len} > ${size} bytes)`);
    out.set(input.subarray(ip, ip + len), op);
    ip += len;
    op += len;
  };
  const match = (distance: number, len: number) => {
    if (distance > op)
      throw new LzoError(`lzo data error (match distance ${distance} at output byte ${op} reaches before the start)`);
    if (op + len > size) throw new LzoError(`lzo data error (output overrun: ${op + len} > ${size} bytes)`);
    // Byte by byte: the source may overlap what this copy writes (runs).
    for (let i = 0; i < len; i++, op++) out[op] = out[op - distance];
  };

  let state = 0;
  if (n === 0) throw new LzoError('lzo data error (empty input)');
  if (input[0] > 17) {
    const t = input[0] - 17;
    ip = 1;
    literals(t);
    state = t < 4 ? t : 4;
  }
  for (;;) {
    const t = byte();
    let s: number;
    if (t < 16) {
      if (state === 0) {
        literals(t === 0 ? extended(18) : t + 3);
        state = 4;
        continue;
      }
      const h = byte();
      s = t & 3;
      if (state === 4) match((h << 2) + ((t >> 2) & 3) + 2049, 3);
      else match((h << 2) + ((t >> 2) & 3) + 1, 2);
    } else if (t < 32) {
      const len = (t & 7) === 0 ? extended(9) : (t & 7) + 2;
      need(2);
      const v = input[ip] | (input[ip + 1] << 8);
      ip += 2;
      const d = v >> 2;
      s = v & 3;
      const distance = 16384 + ((t & 8) << 11) + d;
      if (distance === 16384) {
        if (op !== size) throw new LzoError(`lzo data error (stream ends after ${op} bytes, expected ${size})`);
        if (ip !== n) throw new LzoError(`lzo data error (${n - ip} bytes after the end-of-stream marker)`);
        return out;
      }
      match(distance, len);
    } else if (t < 64) {
      const len = (t & 31) === 0 ? extended(33) : (t & 31) + 2;
      need(2);
      const v = input[ip] | (input[ip + 1] << 8);
      ip += 2;
      s = v & 3;
      match((v >> 2) + 1, len);
    } else {
      const h = byte();
      const len = t >= 128 ? ((t >> 5) & 3) + 5 : ((t >> 5) & 1) + 3;
      s = t & 3;
      match((h << 3) + ((t >> 2) & 7) + 1, len);
    }
    if (s) literals(s);
    state = s;
  }
}
