// This process's peak resident set size in KiB. On Linux it is VmHWM of /proc/self/status: the
// peak of this process image alone. getrusage's maxRSS (the fallback elsewhere) survives execve, so
// a child spawned by a large parent would report the parent's size.
import fs from 'node:fs';

export function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS;
}
