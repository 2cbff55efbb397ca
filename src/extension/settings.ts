// The extension's settings (package.json contributes.configuration), read fresh each time.

import * as vscode from 'vscode';
import { isPageSize } from '../engine/kho/geometry';
import { hex, parseAddress } from '../engine/util/hex';
import type { PairingDefaults } from './document/pairing';

export const SECTION = 'khoInspector';

export function pairingDefaults(): PairingDefaults {
  const c = vscode.workspace.getConfiguration(SECTION);
  const ps = c.get<number>('defaultPageSize', 4096);
  const base = parseAddress(c.get<string>('defaultBaseAddress', '0x0'));
  return { pageSize: isPageSize(ps) ? ps : 4096, base: hex(base ?? 0n) };
}

export function maxItemsPerGroup(): number {
  const n = vscode.workspace.getConfiguration(SECTION).get<number>('maxItemsPerGroup', 1000);
  return Number.isInteger(n) && n >= 10 ? Math.min(n, 100000) : 1000;
}
