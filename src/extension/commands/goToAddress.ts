// KHO: Go to Physical Address... — reveals the preserved block or range holding an address in
// the tree and the map, or says that it is not preserved and whether it lies in the dump.

import * as vscode from 'vscode';
import { hex } from '../../engine/util/hex';
import type { LookupDto } from '../../protocol/model';
import type { KhoDocument } from '../document/khoDocument';
import { khoLog } from '../log';
import type { Services } from '../services';
import { maxItemsPerGroup } from '../settings';
import { addressOrAsk, docFor } from './targets';

export interface GoToResult {
  lookup: LookupDto;
  /** What the user was told. */
  message: string;
  /** Id of the tree item revealed, if any. */
  revealed: string | null;
}

export function describeLookup(l: LookupDto): string {
  if (l.block)
    return `${l.address} is in preserved block ${l.block.phys} (order ${l.block.order}, up to ${l.block.end})`;
  if (l.range) return `${l.address} is in preserved range [${l.range.start}, ${l.range.end})`;
  if (l.nodePage)
    return `${l.address} is not preserved: it is a tracker node page (level ${l.nodePage.level}) at ${l.nodePage.phys}`;
  const blob = l.blob ? `; it lies in ${l.blob.name} [${l.blob.start}, ${l.blob.end})` : '';
  const scratch = l.scratch ? `; it lies in scratch area [${l.scratch.start}, ${l.scratch.end})` : '';
  return `${l.address} is not preserved (${l.inDump ? 'in the dump' : 'not in the dump'})${blob}${scratch}`;
}

/** Shows a lookup in the tree and the map. */
export async function showLookup(
  s: Services,
  doc: KhoDocument,
  l: LookupDto,
  opts: { focusTree?: boolean } = {},
): Promise<string | null> {
  // Preserved memory first; else what else holds the address (a client structure, a scratch area).
  const path = l.paths.block ?? l.paths.range ?? l.paths.nodePage ?? l.paths.client ?? l.paths.scratch;
  const span = l.block
    ? { start: l.block.phys, end: l.block.end }
    : l.range
      ? l.range
      : l.nodePage
        ? { start: l.nodePage.phys, end: hex(BigInt(l.nodePage.phys) + BigInt(doc.model.summary?.pageSize ?? 4096)) }
        : l.scratch && !l.paths.client
          ? l.scratch
          : { start: l.address, end: hex(BigInt(l.address) + 1n) };
  s.registry.panel(doc)?.highlight({ ...span, label: describeLookup(l) });
  if (!path) return null;
  const el = await s.tree.revealPath(doc, path, { focus: opts.focusTree });
  return el?.node.id ?? null;
}

export async function goToAddress(
  s: Services,
  arg?: unknown,
  uri?: vscode.Uri | string,
): Promise<GoToResult | undefined> {
  const doc = docFor(s, uri);
  if (!doc) {
    void vscode.window.showWarningMessage('KHO: open a dump first (KHO: Open Dump...).');
    return undefined;
  }
  const address = await addressOrAsk(arg, {
    title: 'KHO: Go to Physical Address',
    prompt: `Physical address in ${doc.model.fileName} (hex 0x… or decimal; _ separators allowed)`,
  });
  if (address === undefined) return undefined;
  await doc.model.whenDecoded();
  const t0 = performance.now();
  const lookup = await doc.model.lookup(address, maxItemsPerGroup());
  const t1 = performance.now();
  const message = describeLookup(lookup);
  const revealed = await showLookup(s, doc, lookup, { focusTree: arg === undefined });
  khoLog().info(
    `go to ${address} in ${doc.model.fileName}: lookup ${(t1 - t0).toFixed(0)} ms, tree reveal ${(performance.now() - t1).toFixed(0)} ms`,
  );
  // In the status bar for this dump only (gone when another editor comes to front); else a notification.
  if (revealed && s.status.say(doc, message)) return { lookup, message, revealed };
  s.status.clearResult();
  void vscode.window.showInformationMessage(`KHO: ${message}`);
  return { lookup, message, revealed };
}
