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
    const ranges = s.image.ranges
      .slice(0, 4)
      .map((r) => `[${r.start}, ${r.end})`)
      .join(', ');
    row(facts, 'Image', `${basename(s.image.path)} · ${s.image.format}`, 'kho-image');
    const k = s.image.kdump;
    if (k) {
      const container = k.container === 'flattened' ? 'makedumpfile flattened stream' : 'seekable file';
      const pages = k.compression.length ? `${k.compression.join(' + ')} pages` : 'no pages';
      row(
        facts,
        'Dump format',
        `kdump-compressed (${k.signature}, header v${k.headerVersion}, ${container}) · ${pages} · block size ${humanSize(k.blockSize)}` +
          ` · VMCOREINFO ${k.vmcoreinfo ? 'present' : 'absent'}${k.release ? ` · Linux ${k.release}` : ''}${k.dumpLevel !== null ? ` · dump level ${k.dumpLevel}` : ''}`,
        'kho-dump-format',
      );
      const packed = k.compression.filter((c) => c !== 'raw');
      if (packed.length > 0) {
        row(
          facts,
          'Hex Editor',
          `not available for compressed pages: the file holds them ${packed.join('/')}-compressed, not as the bytes of the page (pages stored raw still open)`,
          'kho-hex-note',
        );
      }
    }
    row(
      facts,
      'RAM in dump',
      `${s.image.human} in ${s.image.rangeCount} range${s.image.rangeCount === 1 ? '' : 's'}: ${ranges}${s.image.rangeCount > 4 ? ', …' : ''}`,
      'kho-ram',
    );
  } else {
    row(facts, 'Image', 'none: the FDT is shown alone', 'kho-image');
  }
  if (s.fdt) {
    const where = s.fdt.source === 'image' ? `in the image at ${s.fdt.address}` : `file ${basename(s.fdt.path ?? '')}`;
    row(
      facts,
      'KHO FDT',
      `${where} · ${s.fdt.totalSize} bytes${s.fdt.candidates.length > 1 ? ` · ${s.fdt.candidates.length} candidates` : ''}`,
      'kho-fdt',
    );
    row(
      facts,
      s.fdt.version === 1 ? 'First chunk' : 'Memory map root',
      s.fdt.preservedMemoryMap ?? 'missing',
      'kho-map-root',
    );
    if (s.fdt.subnodes.length > 0) {
      row(
        facts,
        'Clients',
        s.fdt.subnodes
          .map(
            (n) =>
              `${n.name} @ ${n.preservedData ?? '?'}${n.blobSize ? ` (${humanSize(BigInt(n.blobSize))})` : ''}${n.summary ? `: ${n.summary}` : ''}`,
          )
          .join('; '),
        'kho-clients',
      );
    }
  }
  if (s.tracker) {
    const prefix = s.decodeMode?.preFix16k ? ' (pre-fix 16 KiB depth)' : '';
    row(
      facts,
      'Tracker',
      `${s.tracker.kind === 'radix' ? `radix tree, depth ${s.tracker.depth}${prefix}` : 'kho-v1 chunk list'} · ${s.tracker.nodePages.toLocaleString('en-US')} node pages`,
      'kho-tracker',
    );
  }
  if (s.scratch) {
    const from =
      s.scratch.source === 'debugfs'
        ? 'debugfs scratch_phys / scratch_len'
        : s.scratch.source === 'setup_data'
          ? 'the x86 setup_data hand-off'
          : s.scratch.source === 'address'
            ? 'the scratch array in memory'
            : s.scratch.source;
    row(
      facts,
      'Scratch areas',
      `${s.scratch.areas} area${s.scratch.areas === 1 ? '' : 's'} · ${s.scratch.human} · from ${from}${s.scratch.array ? ` (array at ${s.scratch.array.start})` : ''}`,
      'kho-scratch',
    );
  }
  if (s.handoff) {
    const h = s.handoff;
    row(
      facts,
      'Hand-off',
      h.record
        ? `x86 setup_data from ${h.head}: SETUP_KEXEC_KHO at ${h.record} · FDT ${h.fdtAddress} · scratch array ${h.scratchAddress} (${h.scratchSize} bytes)`
        : `x86 setup_data from ${h.head}: no SETUP_KEXEC_KHO record in ${h.records} record${h.records === 1 ? '' : 's'}`,
      'kho-handoff',
    );
  }
  row(
    facts,
    'Preserved',
    `${s.preserved.blocks.toLocaleString('en-US')} blocks · ${s.preserved.human} · ${s.preserved.ranges.toLocaleString('en-US')} ranges`,
    'kho-preserved',
  );
  const p = s.problems;
  const n = (k: number, noun: string): string => `${k} ${noun}${k === 1 ? '' : 's'}`;
  row(
    facts,
    'Problems',
    p.total === 0
      ? 'none'
      : `${n(p.errors, 'error')}, ${n(p.warnings, 'warning')}, ${n(p.infos, 'note')} (see the Problems panel and the tree)`,
    'kho-problems',
  );
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
      tr.append(
        swCell,
        el('td', String(o.order)),
        el('td', o.count.toLocaleString('en-US')),
        el('td', humanSize(BigInt(s.pageSize) << BigInt(o.order))),
        el('td', o.human),
      );
      t.append(tr);
    }
    root.append(t);
  }
}
