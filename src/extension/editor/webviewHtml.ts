// The custom editor's HTML shell: strict CSP with a per-load nonce, assets only from dist/ and
// media/, no inline styles or data. The script (media/src → dist/webview.js) fills it in.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** The page shell; `bundle` is the script that fills it in (the dump editor's, or a comparison's). */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  fileName: string,
  bundle = 'webview.js',
): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', bundle));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'main.css'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}">
<title>KHO Inspector: ${escapeHtml(fileName)}</title>
</head>
<body>
<main>
  <header class="title">
    <h1 id="kho-title">KHO Inspector</h1>
    <span id="kho-file">${escapeHtml(fileName)}</span>
  </header>
  <p id="kho-status" role="status">Decoding…</p>
  <div id="kho-actions" class="actions"></div>
  <section id="kho-summary" aria-label="Summary" hidden></section>
  <section id="kho-map-section" aria-label="Physical memory map" hidden>
    <div class="map-toolbar">
      <button id="zoom-out" type="button" title="Zoom out (-)">−</button>
      <button id="zoom-in" type="button" title="Zoom in (+)">+</button>
      <button id="zoom-fit" type="button" title="Show everything (0)">Fit</button>
      <span id="map-scale"></span>
      <span id="map-cursor" aria-live="polite"></span>
    </div>
    <div class="map-frame"><canvas id="memory-map" tabindex="0" role="img"
      data-vscode-context='{"webviewSection":"map","preventDefaultContextMenuItems":true}'
      aria-label="Map of physical memory. Arrows move, plus and minus zoom, Enter selects in the tree, Shift+F10 opens the menu of the cell, Delete unpreserves it."></canvas></div>
    <div id="map-legend" class="legend"></div>
  </section>
</main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
