// Work started from an event handler or a notification that nobody awaits. `void` alone would turn
// its failure into an unhandled rejection nobody sees; here it is shown and logged (with its stack,
// in the extension host's log).
import * as vscode from 'vscode';

/** Runs `work` without waiting for it; a failure becomes an error notification naming `what`. */
export function inBackground(work: PromiseLike<unknown>, what: string): void {
  Promise.resolve(work).catch((e: unknown) => {
    console.error(`KHO: ${what} failed:`, e);
    void vscode.window.showErrorMessage(`KHO: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  });
}
