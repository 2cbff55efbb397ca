// The extension's log: the "KHO Inspector" output channel (View > Output), also written to the
// extension host's log folder. For what happened behind the UI (hot-exit restores, reloads) when a
// user or a test needs to know why.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The log channel, created on first use (disposed with the extension's subscriptions). */
export function khoLog(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('KHO Inspector', { log: true });
  return channel;
}
