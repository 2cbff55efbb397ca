// The summary above the map: ABI, page size, image, FDT, tracker, totals per order, problems.
// Built with textContent only: nothing from the dump is ever parsed as HTML.

import type { SummaryDto } from '../../src/protocol/model';
import { MAP_PRESERVED } from '../../src/protocol/model';
import { cellColor, type Palette } from './colors';
import { el, humanSize } from './format';

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function row(table: HTMLTableElement, label: string, value: string, id?: string): void {
  const tr = el('tr');
  tr.append(el('th', label));
  const td = el('td', value);
  if (id) td.id = id;
  tr.append(td);
  table.append(tr);
}

export function renderSummary(root: HTMLElement, s: SummaryDto, palette: Palette): void {
  root.replaceChildren();
  const facts = el('table', undefined, 'facts');
  row(facts, 'ABI', s.fdt ? s.fdt.abi : 'no KHO FDT', 'kho-abi');
  row(facts, 'Page size', humanSize(s.pageSize), 'kho-page-size');
  if (s.image.path) {
    const ranges = s.image.ranges.slice(0, 4).map((r) => `[${r.start}, ${r.end})`).join(', ');
    row(facts, 'Image', `${basename(s.image.path)} · ${s.image.format}`, 'kho-image');
    row(facts, 'RAM in dump', `${s.image.human} in ${s.image.rangeCount} range${s.image.rangeCount === 1 ? '' : 's'}: ${ranges}${s.image.rangeCount > 4 ? ', …' : ''}`, 'kho-ram');
  } else {
    row(facts, 'Image', 'none: the FDT is shown alone', 'kho-image');
  }
  if (s.fdt) {
    const where = s.fdt.source === 'image' ? `in the image at ${s.fdt.address}` : `file ${basename(s.fdt.path ?? '')}`;
    row(facts, 'KHO FDT', `${where} · ${s.fdt.totalSize} bytes${s.fdt.candidates.length > 1 ? ` · ${s.fdt.candidates.length} candidates` : ''}`, 'kho-fdt');
    row(facts, s.fdt.version === 1 ? 'First chunk' : 'Memory map root', s.fdt.preservedMemoryMap ?? 'missing', 'kho-map-root');
    if (s.fdt.subnodes.length > 0) {
      row(facts, 'Clients', s.fdt.subnodes.map((n) => `${n.name} @ ${n.preservedData ?? '?'}${n.blobSize ? ` (${humanSize(BigInt(n.blobSize))})` : ''}`).join(', '), 'kho-clients');
    }
  }
  if (s.tracker) {
    row(facts, 'Tracker', `${s.tracker.kind === 'radix' ? `radix tree, depth ${s.tracker.depth}` : 'kho-v1 chunk list'} · ${s.tracker.nodePages.toLocaleString('en-US')} node pages`, 'kho-tracker');
  }
  row(facts, 'Preserved', `${s.preserved.blocks.toLocaleString('en-US')} blocks · ${s.preserved.human} · ${s.preserved.ranges.toLocaleString('en-US')} ranges`, 'kho-preserved');
  const p = s.problems;
  row(facts, 'Problems', p.total === 0 ? 'none' : `${p.errors} errors, ${p.warnings} warnings, ${p.infos} notes (see the Problems panel)`, 'kho-problems');
  if (s.fatal) row(facts, 'Not decoded', s.fatal, 'kho-fatal');
  root.append(facts);

  if (s.preserved.byOrder.length > 0) {
    const t = el('table', undefined, 'orders');
    t.id = 'kho-orders';
    const head = el('tr');
    for (const h of ['', 'Order', 'Blocks', 'Each', 'Total']) head.append(el('th', h));
    t.append(head);
    for (const o of s.preserved.byOrder) {
      const tr = el('tr');
      const sw = el('span', undefined, 'swatch');
      sw.style.backgroundColor = cellColor(palette, MAP_PRESERVED + o.order) ?? 'transparent';
      const swCell = el('td');
      swCell.append(sw);
      tr.append(swCell, el('td', String(o.order)), el('td', o.count.toLocaleString('en-US')),
        el('td', humanSize(BigInt(s.pageSize) << BigInt(o.order))), el('td', o.human));
      t.append(tr);
    }
    root.append(t);
  }
}
