// Resolving command arguments: tree elements from menus, strings and URIs from tests and
// keybindings, or the active document.

import * as vscode from 'vscode';
import { hex, parseAddress } from '../../engine/util/hex';
import type { MapContext } from '../../protocol/webview';
import type { KhoDocument } from '../document/khoDocument';
import type { Services } from '../services';
import type { TreeElement } from '../tree/khoTreeProvider';

export function isTreeElement(x: unknown): x is TreeElement {
  return typeof x === 'object' && x !== null && 'doc' in x && 'node' in x;
}

export function docFor(s: Services, uri?: vscode.Uri | string): KhoDocument | undefined {
  if (uri !== undefined) return s.registry.get(uri);
  return s.registry.active;
}

/** Address text ("0x1000", "4096", 4096, 4096n) as a normalised 0x string, or undefined. */
export function addressArg(a: unknown): string | undefined {
  if (typeof a === 'bigint') return a >= 0n ? hex(a) : undefined;
  if (typeof a === 'number') return Number.isSafeInteger(a) && a >= 0 ? hex(a) : undefined;
  if (typeof a === 'string') {
    const v = parseAddress(a);
    return v === undefined ? undefined : hex(v);
  }
  return undefined;
}

/**
 * The address a command was given (normalised 0x string), else asked for; undefined when the user
 * cancels or the given one is not an address (said in an error message).
 */
export async function addressOrAsk(arg: unknown, box: { title: string; prompt: string }): Promise<string | undefined> {
  const given = addressArg(arg);
  if (arg !== undefined) {
    if (given === undefined)
      void vscode.window.showErrorMessage(`KHO: "${String(arg)}" is not an address: use 0x… hex or decimal.`);
    return given;
  }
  const text = await vscode.window.showInputBox({
    ...box,
    placeHolder: '0x1_0000_0000',
    validateInput: (t) =>
      t.trim() === '' || parseAddress(t) !== undefined
        ? undefined
        : 'Not an address: use 0x… hex or decimal, below 2^64',
  });
  return text ? hex(parseAddress(text)!) : undefined;
}

/** A memory target: a tree element with an address, or { uri?, address, end? }. */
export interface MemoryTarget {
  doc: KhoDocument;
  start: string;
  end: string;
  label: string;
}

export function memoryTarget(s: Services, arg: unknown): MemoryTarget | undefined {
  const el = isTreeElement(arg)
    ? arg
    : isTreeElement(s.treeView.selection[0]) && arg === undefined
      ? s.treeView.selection[0]
      : undefined;
  if (el) {
    const start = el.node.address;
    if (start === undefined) return undefined;
    const pageSize = el.doc.model.summary?.pageSize ?? 4096;
    return { doc: el.doc, start, end: el.node.end ?? hex(BigInt(start) + BigInt(pageSize)), label: el.node.label };
  }
  if (typeof arg === 'object' && arg !== null && 'address' in arg) {
    const o = arg as { uri?: vscode.Uri | string; address: unknown; end?: unknown };
    const doc = docFor(s, o.uri);
    const start = addressArg(o.address);
    if (!doc || !start) return undefined;
    const pageSize = doc.model.summary?.pageSize ?? 4096;
    return { doc, start, end: addressArg(o.end) ?? hex(BigInt(start) + BigInt(pageSize)), label: start };
  }
  const start = addressArg(arg);
  const doc = docFor(s);
  if (!start || !doc) return undefined;
  return { doc, start, end: hex(BigInt(start) + BigInt(doc.model.summary?.pageSize ?? 4096)), label: start };
}

/** A cell of the map, from the webview's context menu or its Delete key (protocol MapContext). */
export interface MapTarget {
  doc: KhoDocument | undefined;
  address: string;
  end: string;
}

/**
 * The map's argument: VS Code passes the canvas's data-vscode-context (plus `webview`) as a plain
 * object, addresses as 0x strings. Undefined for any other argument.
 */
export function mapTarget(s: Services, arg: unknown): MapTarget | undefined {
  if (typeof arg !== 'object' || arg === null || (arg as { webviewSection?: unknown }).webviewSection !== 'map')
    return undefined;
  const o = arg as Partial<Record<keyof MapContext, unknown>>;
  const address = addressArg(o.address);
  if (address === undefined) return undefined;
  const doc = docFor(s, typeof o.uri === 'string' && o.uri ? o.uri : undefined);
  const pageSize = doc?.model.summary?.pageSize ?? (typeof o.pageSize === 'number' ? o.pageSize : 4096);
  const end = addressArg(o.end);
  return {
    doc,
    address,
    end: end !== undefined && BigInt(end) > BigInt(address) ? end : hex(BigInt(address) + BigInt(pageSize)),
  };
}
