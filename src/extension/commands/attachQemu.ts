// KHO: Attach to QEMU Guest...: asks for the QMP socket (remembered per workspace), reads the guest's
// run state without changing it, asks before reading a running guest, and opens the KHO editor on a
// pairing file `{"qmp": ...}` kept in the extension's workspace storage. KHO: Refresh reads again.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseQmpAddress, QmpClient } from '../../node/qmp/qmpClient';
import { VIEW_TYPE } from '../editor/khoEditorProvider';
import type { Services } from '../services';

const LAST_SOCKET = 'khoInspector.qmpSocket';
export const READ_RUNNING = 'Read While Running';
export const PAUSE_WHILE_READING = 'Pause While Reading';

export interface AttachQemuArgs {
  /** Skips the input box (tests, other extensions). */
  socket?: string;
  /** Skips the question for a running guest. */
  whenRunning?: 'read' | 'pause';
}

/** The pairing file that stands for a guest: one per socket, in the workspace's storage. */
export function livePairingPath(storageDir: string, socket: string): string {
  const name =
    socket
      .replace(/^unix:/, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^_+/, '')
      .slice(-80) || 'guest';
  return path.join(storageDir, 'qemu', `${name}.kho.json`);
}

async function runState(socket: string): Promise<{ status: string; running: boolean }> {
  const c = await QmpClient.connect(socket);
  try {
    return (await c.execute('query-status')) as { status: string; running: boolean };
  } finally {
    c.close();
  }
}

export async function attachQemu(s: Services, args: AttachQemuArgs = {}): Promise<vscode.Uri | undefined> {
  const state = s.context.workspaceState;
  const socket =
    args.socket ??
    (await vscode.window.showInputBox({
      title: 'KHO: Attach to QEMU Guest',
      prompt:
        "The guest's QMP socket: a unix socket path or tcp:HOST:PORT (QEMU started with -qmp unix:PATH,server=on,wait=off)",
      value: state.get<string>(LAST_SOCKET) ?? '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseQmpAddress(v.trim());
          return null;
        } catch (e) {
          return (e as Error).message;
        }
      },
    }));
  if (!socket?.trim()) return undefined;
  const address = socket.trim().startsWith('tcp:') ? socket.trim() : path.resolve(socket.trim().replace(/^unix:/, ''));
  await state.update(LAST_SOCKET, address);

  let st: { status: string; running: boolean };
  try {
    st = await runState(address);
  } catch (e) {
    void vscode.window.showErrorMessage(`KHO: ${(e as Error).message}`);
    return undefined;
  }
  let pause = false;
  if (st.running) {
    const pick =
      args.whenRunning === 'read'
        ? READ_RUNNING
        : args.whenRunning === 'pause'
          ? PAUSE_WHILE_READING
          : await vscode.window.showWarningMessage(
              `The QEMU guest at ${address} is running.`,
              {
                modal: true,
                detail:
                  'Read while it runs: pages read at different moments may not fit together (a torn view). ' +
                  'Pause while reading: the guest is stopped during the read and runs again afterwards.',
              },
              READ_RUNNING,
              PAUSE_WHILE_READING,
            );
    if (!pick) return undefined;
    pause = pick === PAUSE_WHILE_READING;
  }

  const storage = (s.context.storageUri ?? s.context.globalStorageUri).fsPath;
  const file = livePairingPath(storage, address);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const text = JSON.stringify({ qmp: address, pauseWhileReading: pause }, null, 1) + '\n';
  const before = await fs.promises.readFile(file, 'utf8').catch(() => '');
  if (before !== text) await fs.promises.writeFile(file, text);
  const uri = vscode.Uri.file(file);
  const open = s.registry.all().find((d) => d.uri.fsPath === file);
  // Already open: the file watcher re-reads the pairing; show it and read the guest again.
  if (open) await s.editor.refresh(open, undefined, 'discard');
  await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
  return uri;
}
