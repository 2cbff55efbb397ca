// Guest memory through the human monitor's `xp /Nbx ADDR`: text, slow (about 2 ms per KiB), but it
// needs no file on QEMU's side, so it works where pmemsave's files cannot be seen (QEMU on another
// machine behind tcp:HOST:PORT, or in another mount namespace).

/** Bytes per xp command: 4 KiB prints as ~25 KB of text. */
export const XP_CHUNK = 4096;

/**
 * Parses `xp /Nbx` output for N = dest.length bytes at `start` into dest; returns why not on
 * anything else ("Cannot access memory", a short or malformed listing).
 */
export function parseXpBytes(text: string, start: number, dest: Uint8Array): string | null {
  let filled = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([0-9a-f]+):\s*(.*)$/.exec(line);
    if (!m) return `unexpected monitor output ${JSON.stringify(line.slice(0, 60))}`;
    const at = parseInt(m[1], 16) - start;
    const values = m[2].match(/0x[0-9a-f]{2}\b/g);
    if (!values) return `${m[1]}: ${m[2].slice(0, 60)}`;
    if (at !== filled || at + values.length > dest.length) return `unexpected address ${m[1]} in the monitor's listing`;
    for (const v of values) dest[filled++] = parseInt(v.slice(2), 16);
  }
  return filled === dest.length ? null : `the monitor listed ${filled} of ${dest.length} bytes`;
}

/** Reads dest.length bytes at `start` with `xp`, XP_CHUNK at a time; returns why not, or null. */
export function readByMonitor(hmp: (commandLine: string) => string, start: number, dest: Uint8Array): string | null {
  for (let done = 0; done < dest.length; done += XP_CHUNK) {
    const n = Math.min(XP_CHUNK, dest.length - done);
    const at = start + done;
    const why = parseXpBytes(hmp(`xp /${n}bx 0x${at.toString(16)}`), at, dest.subarray(done, done + n));
    if (why) return `xp at 0x${at.toString(16)}: ${why}`;
  }
  return null;
}
