// KHO: Attach to QEMU Guest... in the real editor: a paused q35 guest (qemu-system-x86_64 -S) whose
// RAM holds the sample's pages, decoded over QMP to what the sample file decodes to; read-only,
// "live: QEMU, paused" in the status bar, KHO: Refresh reads again, and the guest stays paused.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { KhoInspectorApi } from '../../../src/extension/api';
import { SparsePages } from '../../../src/engine/image/sparsePages';
import { QmpClient } from '../../../src/node/qmp/qmpClient';
import { api, closeAllEditors, engineDecode, removeTempDirs, sample, tempDir, until } from './helpers';

const QEMU = '/usr/bin/qemu-system-x86_64';

/** The sample image's non-zero pages as loader devices (the image is sparse: a few dozen pages). */
function loaderArgs(image: string, base: bigint, dir: string): string[] {
  const bytes = fs.readFileSync(image);
  const mem = new SparsePages([{ start: base, end: base + BigInt(bytes.length) }]);
  for (let o = 0; o < bytes.length; o += 4096) {
    const page = bytes.subarray(o, o + 4096);
    if (page.some((b) => b !== 0)) mem.write(base + BigInt(o), page);
  }
  return mem.runs(0x10000n).flatMap((r) => {
    const file = path.join(dir, `load-${r.start.toString(16)}.bin`);
    fs.writeFileSync(file, r.bytes);
    return ['-device', `loader,file=${file},addr=0x${r.start.toString(16)},force-raw=on`];
  });
}

async function queryStatus(socket: string): Promise<{ status: string; running: boolean }> {
  const c = await QmpClient.connect(socket);
  try {
    return (await c.execute('query-status')) as { status: string; running: boolean };
  } finally {
    c.close();
  }
}

suite('Attach to a QEMU guest over QMP', function () {
  this.timeout(120_000);
  let a: KhoInspectorApi;
  let qemu: ChildProcess | undefined;
  let socket: string;

  suiteSetup(async () => {
    a = await api();
    assert.ok(
      fs.existsSync(QEMU),
      `${QEMU} not found: install Debian's qemu-system-x86 (this test must not be skipped)`,
    );
    const s = sample();
    const dir = tempDir('kho-qemu-attach-');
    socket = path.join(dir, 'guest.qmp');
    qemu = spawn(
      QEMU,
      [
        '-machine',
        'q35',
        '-m',
        '256M',
        '-S',
        '-nographic',
        '-nodefaults',
        '-display',
        'none',
        ...loaderArgs(s.image, s.base, dir),
        '-qmp',
        `unix:${socket},server=on,wait=off`,
      ],
      { stdio: 'ignore' },
    );
    await until("QEMU's QMP socket", () => fs.existsSync(socket));
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    if (qemu && qemu.exitCode === null) {
      const exited = new Promise((r) => qemu!.once('exit', r));
      qemu.kill('SIGKILL');
      await exited;
    }
    removeTempDirs();
  });

  test('opens the guest read-only, decoded as the sample file is, with "live: QEMU, paused"; Refresh reads again', async () => {
    const s = sample();
    const uri = await vscode.commands.executeCommand<vscode.Uri>('khoInspector.attachQemu', { socket });
    assert.ok(uri, 'the command opened a document');
    const summary = await a.waitForDecode(uri);
    const want = await engineDecode(s.image, s.fdt, s.base, s.pageSize, s.format);
    assert.strictEqual(summary.image.format, 'qmp');
    assert.strictEqual(summary.live?.state, 'paused');
    assert.strictEqual(summary.live?.address, socket);
    // The pairing names no FDT: it is found by scanning guest memory.
    assert.strictEqual(summary.fdt?.source, 'image');
    assert.strictEqual(summary.fdt?.abi, 'kho-v3');
    assert.strictEqual(summary.preserved.blocks, want.result.tracker!.blocks.count);
    await until('the status bar', () => /^\$\(vm\) live: QEMU, paused · kho-v/.test(a.statusText() ?? ''));

    const refused = await vscode.commands.executeCommand<{ ok: boolean; reason?: string } | undefined>(
      'khoInspector.preserveRange',
      { uri: uri.toString(), range: '0x100000-0x101000' },
    );
    assert.ok(!refused?.ok, 'a live guest is never written');

    await vscode.commands.executeCommand('khoInspector.refresh', uri);
    const again = await a.waitForDecode(uri);
    assert.strictEqual(again.preserved.blocks, summary.preserved.blocks);
    assert.deepStrictEqual(await queryStatus(socket), { status: 'prelaunch', singlestep: false, running: false });
  });

  test('a running guest read with "Pause While Reading" runs again afterwards; a *.kho.json names "qmp" relative to itself', async () => {
    const s = sample();
    const dir = tempDir('kho-qemu-running-');
    const running = path.join(dir, 'running.qmp');
    const q = spawn(
      QEMU,
      [
        '-machine',
        'q35',
        '-m',
        '256M',
        '-nographic',
        '-nodefaults',
        '-display',
        'none',
        ...loaderArgs(s.image, s.base, dir),
        '-qmp',
        `unix:${running},server=on,wait=off`,
      ],
      { stdio: 'ignore' },
    );
    try {
      await until("QEMU's QMP socket", () => fs.existsSync(running));
      assert.strictEqual((await queryStatus(running)).running, true);
      const uri = await vscode.commands.executeCommand<vscode.Uri>('khoInspector.attachQemu', {
        socket: running,
        whenRunning: 'pause',
      });
      const summary = await a.waitForDecode(uri!);
      assert.strictEqual(summary.live?.state, 'running (paused while read)');
      await until('the status bar', () => /live: QEMU, running \(paused while read\)/.test(a.statusText() ?? ''));
      assert.strictEqual((await queryStatus(running)).running, true, 'the guest runs again after the read');

      // The same guest through a pairing file of one's own, read while it runs: a torn-view warning.
      const pairing = vscode.Uri.file(path.join(dir, 'guest.kho.json'));
      fs.writeFileSync(pairing.fsPath, JSON.stringify({ qmp: 'running.qmp', fdt: path.basename(s.fdt!) }));
      fs.copyFileSync(s.fdt!, path.join(dir, path.basename(s.fdt!)));
      await vscode.commands.executeCommand('vscode.openWith', pairing, 'khoInspector.dump');
      const torn = await a.waitForDecode(pairing);
      assert.strictEqual(torn.live?.state, 'running');
      assert.strictEqual(torn.fdt?.source, 'file');
      assert.ok(torn.problems.warnings >= 1);
      const codes = () =>
        vscode.languages.getDiagnostics(pairing).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
      await until('the torn-view warning in Problems', () => codes().includes('qmp-running'));
    } finally {
      const exited = new Promise((r) => q.once('exit', r));
      q.kill('SIGKILL');
      await exited;
    }
  });
});
