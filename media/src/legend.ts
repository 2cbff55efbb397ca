// Entries of the map's legend: a swatch drawn the way the map draws that class of cell (filled, a
// ring, hatched, or a hole) and its label. The dump editor and the compare editor share them.

import { MAP_SCRATCH_FLAG } from '../../src/protocol/model';
import { cellColor, cellName, isRing, type Palette } from './colors';
import { el } from './format';

/** One legend entry for cells of class `cls`; its tooltip is `title` (by default the class's name). */
export function legendItem(p: Palette, cls: number, label: string, title = cellName(cls)): HTMLElement {
  const sw = el('span', undefined, 'swatch');
  const color = cellColor(p, cls);
  if (cls === MAP_SCRATCH_FLAG) {
    sw.classList.add('hatch');
    sw.style.background = `repeating-linear-gradient(135deg, ${p.scratch} 0 1.5px, transparent 1.5px 4px)`;
  } else if (!color) sw.classList.add('hole');
  else if (isRing(cls)) {
    sw.classList.add('ring');
    sw.style.borderColor = color;
  } else sw.style.backgroundColor = color;
  const span = el('span', undefined, 'legend-item');
  span.title = title;
  span.append(sw, document.createTextNode(label));
  return span;
}
