// Guest bytes from the monitor's `xp /Nbx` listing, as QEMU 7.2 prints it.
import * as assert from 'assert';
import { parseXpBytes, readByMonitor, XP_CHUNK } from '../../../src/node/qmp/monitorRead';

const LISTING =
  '0000000001000000: 0x41 0x42 0x43 0x44 0x45 0x46 0x47 0x48\r\n0000000001000008: 0x49 0x4a 0x4b 0x4c 0x4d 0x4e 0x4f 0x50\r\n0000000001000010: 0x51 0x52 0x53 0x54\r\n';

describe('node/qmp/monitorRead: xp listings', () => {
  it('parses the bytes at their addresses', () => {
    const dest = new Uint8Array(20);
    assert.strictEqual(parseXpBytes(LISTING, 0x1000000, dest), null);
    assert.strictEqual(Buffer.from(dest).toString('latin1'), 'ABCDEFGHIJKLMNOPQRST');
  });

  it('says why for unreadable memory, a short listing, or lines out of place', () => {
    assert.match(
      parseXpBytes('0000000300000000: Cannot access memory\r\n', 0x300000000, new Uint8Array(2))!,
      /Cannot access memory/,
    );
    assert.match(parseXpBytes(LISTING, 0x1000000, new Uint8Array(24))!, /listed 20 of 24 bytes/);
    assert.match(parseXpBytes(LISTING, 0x1000008, new Uint8Array(20))!, /unexpected address 0000000001000000/);
    assert.match(parseXpBytes('unknown command: xp\r\n', 0, new Uint8Array(1))!, /unexpected monitor output/);
  });

  it('reads in XP_CHUNK pieces, each at its own address', () => {
    const asked: string[] = [];
    const dest = new Uint8Array(XP_CHUNK + 16);
    const hmp = (line: string): string => {
      asked.push(line);
      const m = /^xp \/([0-9]+)bx 0x([0-9a-f]+)$/.exec(line)!;
      const n = Number(m[1]),
        at = parseInt(m[2], 16);
      const out: string[] = [];
      for (let i = 0; i < n; i += 8) {
        const bytes = Array.from(
          { length: Math.min(8, n - i) },
          (_, k) => '0x' + ((at + i + k) & 0xff).toString(16).padStart(2, '0'),
        );
        out.push(`${(at + i).toString(16).padStart(16, '0')}: ${bytes.join(' ')}`);
      }
      return out.join('\r\n') + '\r\n';
    };
    assert.strictEqual(readByMonitor(hmp, 0x2000, dest), null);
    assert.deepStrictEqual(asked, [`xp /${XP_CHUNK}bx 0x2000`, `xp /16bx 0x${(0x2000 + XP_CHUNK).toString(16)}`]);
    for (let i = 0; i < dest.length; i++) assert.strictEqual(dest[i], (0x2000 + i) & 0xff);
  });
});
