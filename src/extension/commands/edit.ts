// Editing commands: KHO: Preserve Range..., Unpreserve, Add Client Blob..., Remove Client and
// Export.... Each takes its input as an argument (tests, menus) or asks for it; a refused edit is
// shown with the engine's explanation and returned as { ok: false, reason }.

import * as path from 'path';
import * as vscode from 'vscode';
import { hex, parseAddress } from '../../engine/util/hex';
import type { EditJson, ExportParams, ReportFormatOption } from '../../protocol/editing';
import type { LookupDto } from '../../protocol/model';
import { editingFor, type EditResultDto } from '../document/editing';
import { khoLog } from '../log';
import type { KhoDocument } from '../document/khoDocument';
import type { Services } from '../services';
import { maxItemsPerGroup } from '../settings';
import { docFor, isTreeElement, mapTarget, type MapTarget } from './targets';

/** Optional document for every command argument object. */
interface WithUri {
  uri?: vscode.Uri | string;
}

function refused(reason: string): EditResultDto {
  khoLog().warn(`edit refused: ${reason}`);
  void vscode.window.showErrorMessage(`KHO: edit refused: ${reason}`);
  return { ok: false, reason };
}

async function run(doc: KhoDocument | undefined, edit: EditJson | string): Promise<EditResultDto> {
  if (!doc) return refused('no KHO dump is open');
  if (typeof edit === 'string') return refused(edit);
  const editing = editingFor(doc);
  if (!editing) return refused(`${doc.model.fileName} is not open for editing`);
  try {
    const r = await editing.apply(edit);
    if (r.ok) khoLog().info(`${doc.model.fileName}: ${r.label}`);
    return r.ok ? r : refused(r.reason);
  } catch (e) {
    return refused((e as Error).message);
  }
}

function num(text: string, what: string): bigint | string {
  const v = parseAddress(text.trim());
  return v === undefined ? `${what}: "${text.trim()}" is not an address (0x… hex or decimal)` : v;
}

/** "START-END" → a range, "PHYS[:ORDER]" → one block (order 0 by default). */
export function parseRangeInput(
  text: string,
): { start: bigint; end: bigint } | { phys: bigint; order: number } | string {
  const t = text.trim();
  const dash = t.indexOf('-');
  if (dash > 0) {
    const start = num(t.slice(0, dash), 'start'),
      end = num(t.slice(dash + 1), 'end');
    if (typeof start === 'string') return start;
    if (typeof end === 'string') return end;
    if (end <= start) return `the range ${hex(start)}-${hex(end)} is empty (END must be above START)`;
    return { start, end };
  }
  const [p, o] = t.split(':');
  const phys = num(p, 'address');
  if (typeof phys === 'string') return phys;
  if (o === undefined) return { phys, order: 0 };
  const order = Number(o.trim());
  if (!/^\d+$/.test(o.trim())) return `order: "${o.trim()}" is not a number`;
  return { phys, order };
}

/**
 * Why `doc` cannot be edited, told before asking for input or looking anything up. Until the dump
 * is decoded only a missing document counts unless `undecoded` says so (run() waits for the decode).
 */
function refusalBeforeAsking(doc: KhoDocument | undefined, undecoded = false): string | undefined {
  if (!doc) return 'no KHO dump is open';
  const editing = editingFor(doc);
  if (!editing) return `${doc.model.fileName} is not open for editing`;
  if (!doc.model.summary && !undecoded) return undefined;
  const why = editing.readOnlyReason();
  return why ? `${doc.model.fileName} is read-only: ${why}` : undefined;
}

/** Why the map's menu (or Delete key) cannot edit (the map is only there once decoded). */
function mapRefusal(m: MapTarget): string | undefined {
  return refusalBeforeAsking(m.doc, true);
}

/** What is at a map cell's address (the lookup the tree selection uses), or why it is unknown. */
async function lookupAt(m: MapTarget): Promise<LookupDto | string> {
  if (!m.doc) return 'no KHO dump is open';
  try {
    await m.doc.model.whenDecoded();
    return await m.doc.model.lookup(m.address, maxItemsPerGroup());
  } catch (e) {
    return (e as Error).message;
  }
}

/** The map's Unpreserve: the block at the cell's address, else every block inside a cell wider than a page. */
async function unpreserveAt(m: MapTarget): Promise<EditJson | string> {
  const l = await lookupAt(m);
  if (typeof l === 'string') return l;
  if (l.block) return { kind: 'unpreserveBlock', phys: l.block.phys, order: l.block.order };
  const page = BigInt(m.doc?.model.summary?.pageSize ?? 4096);
  if (BigInt(m.end) - BigInt(m.address) > page) return { kind: 'unpreserveRange', start: m.address, end: m.end };
  return `nothing is preserved at ${m.address}`;
}

/** The map's Remove Client: the client subnode whose blob holds the cell's address. */
async function clientAt(m: MapTarget): Promise<string | { error: string }> {
  const l = await lookupAt(m);
  if (typeof l === 'string') return { error: l };
  const subnodes = m.doc?.model.summary?.fdt?.subnodes.map((c) => c.name) ?? [];
  if (!l.blob) return { error: `no client blob at ${m.address}` };
  if (!subnodes.includes(l.blob.name)) return { error: `${m.address} is in ${l.blob.name}, not in a client blob` };
  return l.blob.name;
}

function rangeArg(arg: unknown): { text?: string; uri?: vscode.Uri | string } {
  if (typeof arg === 'string') return { text: arg };
  if (typeof arg === 'object' && arg !== null && !isTreeElement(arg)) {
    const o = arg as WithUri & { range?: string };
    return { text: o.range, uri: o.uri };
  }
  return {};
}

export async function preserveRange(s: Services, arg?: unknown): Promise<EditResultDto | undefined> {
  // From the map: the page at the cell, offered in the input box to confirm or widen.
  const m = mapTarget(s, arg);
  const a = m ? { uri: m.doc?.uri } : rangeArg(arg);
  const doc = m ? m.doc : docFor(s, a.uri);
  const given = 'text' in a ? a.text : undefined;
  const no = m ? mapRefusal(m) : given === undefined ? refusalBeforeAsking(doc) : undefined;
  if (no) return refused(no);
  const page = BigInt(doc?.model.summary?.pageSize ?? 4096);
  const value = m ? `${m.address}-${hex(BigInt(m.address) + page)}` : undefined;
  const text =
    given ??
    (await askRange({
      title: 'KHO: Preserve Range',
      prompt: 'START-END (page-aligned, END exclusive) or PHYS[:ORDER]',
      placeHolder: '0x100000-0x140000 or 0x200000:2',
      value,
    }));
  if (text === undefined) return undefined;
  return run(doc, rangeEdit(text, 'preserve'));
}

/** Asks for START-END or PHYS[:ORDER], refusing anything else as it is typed. */
function askRange(box: { title: string; prompt: string; placeHolder?: string; value?: string }) {
  return vscode.window.showInputBox({
    ...box,
    validateInput: (v) => {
      const r = parseRangeInput(v);
      return typeof r === 'string' ? r : undefined;
    },
  });
}

/** The edit for START-END (a range) or PHYS[:ORDER] (one block), or why the text is neither. */
function rangeEdit(text: string, how: 'preserve' | 'unpreserve'): EditJson | string {
  const r = parseRangeInput(text);
  if (typeof r === 'string') return r;
  if ('start' in r)
    return {
      kind: how === 'preserve' ? 'preserveRange' : 'unpreserveRange',
      start: hex(r.start),
      end: hex(r.end),
    };
  return { kind: how === 'preserve' ? 'preserveBlock' : 'unpreserveBlock', phys: hex(r.phys), order: r.order };
}

export async function unpreserve(s: Services, arg?: unknown): Promise<EditResultDto | undefined> {
  const m = mapTarget(s, arg);
  if (m) return run(m.doc, mapRefusal(m) ?? (await unpreserveAt(m)));
  const el = isTreeElement(arg)
    ? arg
    : arg === undefined && isTreeElement(s.treeView.selection[0])
      ? s.treeView.selection[0]
      : undefined;
  if (el) {
    const { address, end, kind } = el.node;
    if (!address || !end || (kind !== 'block' && kind !== 'range'))
      return refused(`"${el.node.label}" is not a preserved block or range`);
    return run(el.doc, { kind: 'unpreserveRange', start: address, end });
  }
  const a = rangeArg(arg);
  if (a.text === undefined && typeof arg === 'object' && arg !== null && 'address' in arg)
    a.text = String((arg as { address: unknown }).address);
  const doc = docFor(s, a.uri);
  const no = a.text === undefined ? refusalBeforeAsking(doc) : undefined;
  if (no) return refused(no);
  const text =
    a.text ??
    (await askRange({
      title: 'KHO: Unpreserve',
      prompt: 'START-END (every preserved block inside) or PHYS[:ORDER] (one block)',
    }));
  if (text === undefined) return undefined;
  return run(doc, rangeEdit(text, 'unpreserve'));
}

export async function addClient(s: Services, arg?: unknown): Promise<EditResultDto | undefined> {
  const o = (typeof arg === 'object' && arg !== null ? arg : {}) as WithUri & {
    name?: string;
    address?: string;
    size?: string;
  };
  const doc = docFor(s, o.uri);
  const no = o.name === undefined || o.address === undefined ? refusalBeforeAsking(doc) : undefined;
  if (no) return refused(no);
  const name =
    o.name ??
    (await vscode.window.showInputBox({
      title: 'KHO: Add Client Blob (1/3)',
      prompt: 'Subnode name',
      placeHolder: 'my-client',
    }));
  if (name === undefined) return undefined;
  const address =
    o.address ??
    (await vscode.window.showInputBox({
      title: 'KHO: Add Client Blob (2/3)',
      prompt: 'Physical address of the preserved data (preserved-data)',
    }));
  if (address === undefined) return undefined;
  const version = doc?.model.summary?.fdt?.version ?? null;
  const size =
    o.size ??
    (version !== null && version >= 3
      ? await vscode.window.showInputBox({
          title: 'KHO: Add Client Blob (3/3)',
          prompt: 'Blob size in bytes (blob-size)',
        })
      : '');
  if (size === undefined) return undefined;
  const data = num(address, 'address');
  if (typeof data === 'string') return refused(data);
  const edit: EditJson = { kind: 'addClient', name: name.trim(), preservedData: hex(data) };
  if (size.trim()) {
    const n = num(size, 'size');
    if (typeof n === 'string') return refused(n);
    edit.blobSize = hex(n);
  }
  return run(doc, edit);
}

export async function removeClient(s: Services, arg?: unknown): Promise<EditResultDto | undefined> {
  let doc: KhoDocument | undefined;
  let name: string | undefined;
  const m = mapTarget(s, arg);
  if (m) {
    const no = mapRefusal(m);
    if (no) return refused(no);
    const c = await clientAt(m);
    if (typeof c !== 'string') return refused(c.error);
    doc = m.doc;
    name = c;
  } else if (isTreeElement(arg)) {
    doc = arg.doc;
    name = arg.node.label;
  } else if (typeof arg === 'string') {
    doc = docFor(s);
    name = arg;
  } else if (typeof arg === 'object' && arg !== null) {
    const o = arg as WithUri & { name?: string };
    doc = docFor(s, o.uri);
    name = o.name;
  } else doc = docFor(s);
  if (name === undefined) {
    const clients = doc?.model.summary?.fdt?.subnodes.map((c) => c.name) ?? [];
    name = await vscode.window.showQuickPick(clients, {
      title: 'KHO: Remove Client',
      placeHolder: clients.length ? 'Which client subnode?' : 'no clients in this dump',
    });
    if (name === undefined) return undefined;
  }
  return run(doc, { kind: 'removeClient', name });
}

const REPORTS: Record<string, ReportFormatOption> = { '.json': 'json', '.csv': 'csv', '.dts': 'dts' };

/** KHO: Export...: a new image (+ FDT) or a report; with arguments { image?, fdt?, report?, format? }. */
export async function exportDump(s: Services, arg?: unknown): Promise<string | undefined> {
  const o = (typeof arg === 'object' && arg !== null ? arg : {}) as WithUri & {
    image?: string;
    fdt?: string;
    report?: string;
    format?: ExportParams['imageFormat'];
  };
  const doc = docFor(s, o.uri);
  const editing = doc && editingFor(doc);
  if (!doc || !editing) {
    void vscode.window.showErrorMessage('KHO: no KHO dump is open');
    return undefined;
  }
  let params: ExportParams;
  if (o.image || o.fdt || o.report) {
    const ext = o.report ? path.extname(o.report).toLowerCase() : '';
    params = {
      imageOut: o.image ?? null,
      fdtOut: o.fdt ?? null,
      imageFormat: o.format ?? 'same',
      report: o.report ? { format: REPORTS[ext] ?? 'json', path: o.report } : null,
    };
  } else {
    const target = await vscode.window.showSaveDialog({
      title: 'KHO: Export',
      saveLabel: 'Export',
      defaultUri: vscode.Uri.file(
        path.join(path.dirname(doc.uri.fsPath), `edited-${path.basename(doc.model.pairing.image ?? doc.uri.fsPath)}`),
      ),
      filters: {
        'Dump image (+ FDT .dtb beside it)': ['raw', 'img', 'bin', 'elf', 'core'],
        Report: ['json', 'csv', 'dts'],
      },
    });
    if (!target) return undefined;
    try {
      const m = await editing.saveAs(target.fsPath);
      void vscode.window.showInformationMessage(`KHO: ${m}`);
      return m;
    } catch (e) {
      void vscode.window.showErrorMessage(`KHO: export failed: ${(e as Error).message}`);
      return undefined;
    }
  }
  try {
    const m = await editing.export(params);
    void vscode.window.showInformationMessage(`KHO: ${m}`);
    return m;
  } catch (e) {
    void vscode.window.showErrorMessage(`KHO: export failed: ${(e as Error).message}`);
    throw e;
  }
}
