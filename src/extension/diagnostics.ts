// Engine diagnostics in the Problems panel, against the file the user opened. The message
// always names the address; the engine's code is the diagnostic code.

import * as vscode from 'vscode';
import type { DiagnosticCode } from '../engine/diagnosticCodes';
import type { DiagnosticDto } from '../protocol/model';
import type { KhoDocument } from './document/khoDocument';
import type { DocumentRegistry } from './registry';

/** More than this many would only flood the panel; the tree's Problems section pages the rest. */
const MAX_DIAGNOSTICS = 1000;

export function toVscodeDiagnostic(d: DiagnosticDto): vscode.Diagnostic {
  const message = d.address !== null && !d.message.includes(d.address) ? `${d.address}: ${d.message}` : d.message;
  const severity =
    d.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : d.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const diag = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), message, severity);
  diag.code = d.code;
  diag.source = 'KHO';
  return diag;
}

export class DiagnosticsPublisher implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('kho');
  private readonly subs: vscode.Disposable[] = [];

  constructor(registry: DocumentRegistry) {
    this.subs.push(
      registry.onDidChangeState((doc) => void this.publish(doc)),
      registry.onDidOpen((doc) => doc.onDidDispose(() => this.collection.delete(doc.uri))),
    );
  }

  async publish(doc: KhoDocument): Promise<void> {
    const s = doc.model.state;
    if (s.status === 'decoding') return;
    if (s.status !== 'ready') {
      const d =
        s.status === 'failed' && !s.cancelled
          ? [
              toVscodeDiagnostic({
                severity: 'error',
                code: 'open-failed' satisfies DiagnosticCode,
                address: null,
                message: s.message,
              }),
            ]
          : [];
      this.collection.set(doc.uri, d);
      return;
    }
    const out: vscode.Diagnostic[] = [];
    if (s.summary.fatal)
      out.push(
        toVscodeDiagnostic({
          severity: 'error',
          code: 'decode-fatal' satisfies DiagnosticCode,
          address: null,
          message: s.summary.fatal,
        }),
      );
    try {
      for (let start = 0; out.length < MAX_DIAGNOSTICS;) {
        const page = await doc.model.diagnostics(start, Math.min(500, MAX_DIAGNOSTICS - out.length));
        out.push(...page.items.map(toVscodeDiagnostic));
        start += page.items.length;
        if (page.items.length === 0 || start >= page.total) break;
      }
    } catch {
      return; // re-decoding or closed: the next state change publishes again
    }
    if (doc.model.state === s) this.collection.set(doc.uri, out);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.collection.dispose();
  }
}
