// The physical memory map: a canvas of cells, each `bpc` bytes (a power of two, at least a page),
// in rows of a power-of-two number of cells so row starts are round addresses. Cells come from
// the worker (mapTiles) for the visible window only; addresses are bigint throughout.

import type { MapCellFigures, MapExtentsDto, MapTilesDto, MapTilesRequest } from '../../src/protocol/model';
import { MAP_PRESERVED, MAP_TRACKER_NODE, MAX_MAP_CELLS } from '../../src/protocol/model';
import { fillPx, describeCellFigures } from './cellDensity';
import { baseClass, cellColor, cellName, inScratch, isNumbered, isRing, readPalette, type Palette } from './colors';
import { hex, humanSize } from './format';
import type { MapCell } from './mapContext';

export interface MapViewState {
  top: string;
  bpc: string;
  cursor: string;
}

export interface MapHost {
  tiles(req: MapTilesRequest): Promise<MapTilesDto>;
  select(address: bigint): void;
  status(text: string): void;
  persist(state: MapViewState): void;
  drawn(cells: number): void;
  /** VS Code is about to open the context menu on `cell`: set its context now (it is read synchronously). */
  menu(cell: MapCell): void;
  /** Delete / Backspace on the cursor cell. */
  remove(cell: MapCell): void;
}

const MIN_CELL_PX = 8;
/** Room above the first row so its address label is not clipped. */
const PAD_TOP = 6;
const MAX_BPC = 1n << 63n;

function alignDown(a: bigint, to: bigint): bigint {
  return a - (a % to);
}
function pow2AtLeast(v: bigint): bigint {
  let p = 1n;
  while (p < v && p < MAX_BPC) p <<= 1n;
  return p;
}

export class MemoryMap {
  private palette: Palette = readPalette();
  private spanStart = 0n;
  private spanEnd = 1n;
  private pageSize = 4096n;
  private top = 0n;
  private bpc = 4096n;
  private cursor = 0n;
  private cols = 64;
  private rows = 16;
  private cellPx = 12;
  private rulerPx = 120;
  private cached: { top: bigint; bpc: bigint; tile: MapCellFigures } | null = null;
  private wantKey = '';
  private seq = 0;
  private fetchFailed = false;
  private highlight: { start: bigint; end: bigint; label: string } | null = null;
  private frame = 0;
  /** A right button went down: the next trusted contextmenu event is the mouse's. */
  private rightDown = false;
  /** We opened the menu from the keyboard: swallow the browser's own menu for that key. */
  private keyMenu = false;
  draws = 0;
  cellsDrawn = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly host: MapHost,
  ) {
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    canvas.addEventListener('click', (e) => this.onClick(e));
    canvas.addEventListener('mousedown', (e) => {
      this.keyMenu = false;
      this.rightDown = e.button === 2;
    });
    canvas.addEventListener('contextmenu', (e) => this.onContextMenu(e));
    canvas.addEventListener('mousemove', (e) => this.onHover(e));
    canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener('focus', () => this.schedule());
    canvas.addEventListener('blur', () => this.schedule());
    new ResizeObserver(() => {
      this.layout();
      this.clamp();
      this.schedule();
    }).observe(canvas.parentElement ?? canvas);
    // VS Code swaps body classes on theme change: re-read the colours.
    new MutationObserver(() => {
      this.palette = readPalette();
      this.schedule();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  get rowBytes(): bigint {
    return this.bpc * BigInt(this.cols);
  }
  get viewCells(): number {
    return this.cols * this.rows;
  }

  setExtents(x: MapExtentsDto, restore?: MapViewState): void {
    this.spanStart = BigInt(x.span.start);
    this.spanEnd = BigInt(x.span.end) > this.spanStart ? BigInt(x.span.end) : this.spanStart + 1n;
    this.pageSize = BigInt(x.pageSize);
    this.cached = null;
    this.layout();
    if (restore) {
      this.bpc = BigInt(restore.bpc);
      this.top = BigInt(restore.top);
      this.cursor = BigInt(restore.cursor);
    } else {
      this.bpc = this.fitBpc();
      this.top = this.spanStart;
      this.cursor = this.spanStart;
    }
    this.clamp();
    this.schedule();
  }

  private layout(): void {
    const ctx = this.canvas.getContext('2d');
    const w = Math.max(200, this.canvas.clientWidth);
    const h = Math.max(120, this.canvas.clientHeight);
    if (ctx) {
      ctx.font = `11px ${this.palette.font}`;
      this.rulerPx = Math.ceil(ctx.measureText(hex(this.spanEnd) + '  ').width) + 8;
    }
    const avail = Math.max(MIN_CELL_PX * 8, w - this.rulerPx - 4);
    let cols = 8;
    while (cols * 2 * MIN_CELL_PX <= avail && cols * 2 <= 1024) cols *= 2;
    this.cols = cols;
    this.cellPx = Math.max(MIN_CELL_PX, Math.min(24, Math.floor(avail / cols)));
    this.rows = Math.max(1, Math.min(Math.floor((h - PAD_TOP) / this.cellPx), Math.floor(MAX_MAP_CELLS / cols)));
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
  }

  /** Smallest cell size that shows the whole span. */
  private fitBpc(): bigint {
    let bpc = this.pageSize;
    for (;;) {
      const row = bpc * BigInt(this.cols);
      const first = alignDown(this.spanStart, row);
      if (first + row * BigInt(this.rows) >= this.spanEnd || bpc >= MAX_BPC) return bpc;
      bpc <<= 1n;
    }
  }

  private clamp(): void {
    const maxBpc = this.fitBpc();
    if (this.bpc < this.pageSize) this.bpc = this.pageSize;
    if (this.bpc > maxBpc) this.bpc = maxBpc;
    this.bpc = pow2AtLeast(this.bpc);
    const row = this.rowBytes;
    const minTop = alignDown(this.spanStart, row);
    const lastRow = alignDown(this.spanEnd - 1n, row);
    const maxTop = lastRow - BigInt(this.rows - 1) * row > minTop ? lastRow - BigInt(this.rows - 1) * row : minTop;
    this.top = alignDown(this.top, row);
    if (this.top < minTop) this.top = minTop;
    if (this.top > maxTop) this.top = maxTop;
    if (this.cursor < this.spanStart) this.cursor = this.spanStart;
    if (this.cursor >= this.spanEnd) this.cursor = this.spanEnd - 1n;
    this.cursor = alignDown(this.cursor, this.bpc);
  }

  private ensureVisible(a: bigint): void {
    const row = this.rowBytes;
    const viewEnd = this.top + row * BigInt(this.rows);
    if (a < this.top) this.top = alignDown(a, row);
    else if (a >= viewEnd) this.top = alignDown(a, row) - BigInt(this.rows - 1) * row;
  }

  private zoom(zoomIn: boolean): void {
    const row = this.rowBytes;
    const screenRow = this.cursor >= this.top ? (this.cursor - this.top) / row : 0n;
    this.bpc = zoomIn ? this.bpc >> 1n : this.bpc << 1n;
    this.clamp();
    this.top = alignDown(this.cursor, this.rowBytes) - screenRow * this.rowBytes;
    this.clamp();
    this.changed();
  }

  fit(): void {
    this.bpc = this.fitBpc();
    this.top = this.spanStart;
    this.clamp();
    this.changed();
  }

  zoomIn(): void {
    this.zoom(true);
  }
  zoomOut(): void {
    this.zoom(false);
  }

  private moveCursor(delta: bigint): void {
    let c = this.cursor + delta;
    if (c < this.spanStart) c = this.spanStart;
    if (c >= this.spanEnd) c = this.spanEnd - 1n;
    this.cursor = alignDown(c, this.bpc);
    this.ensureVisible(this.cursor);
    this.clamp();
    this.changed();
    this.describe(this.cursor);
  }

  private onKey(e: KeyboardEvent): void {
    this.keyMenu = false;
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      // Handled here, not by the workbench or the browser: the menu opens on the cursor cell.
      e.preventDefault();
      e.stopPropagation();
      this.openMenuAtCursor();
      return;
    }
    if ((e.key === 'Delete' || e.key === 'Backspace') && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      e.stopPropagation();
      this.host.remove(this.cellInfo(this.cursor));
      return;
    }
    const row = this.rowBytes;
    const screen = row * BigInt(Math.max(1, this.rows - 1));
    const keys: Record<string, () => void> = {
      ArrowLeft: () => this.moveCursor(-this.bpc),
      ArrowRight: () => this.moveCursor(this.bpc),
      ArrowUp: () => this.moveCursor(-row),
      ArrowDown: () => this.moveCursor(row),
      PageUp: () => this.moveCursor(-screen),
      PageDown: () => this.moveCursor(screen),
      Home: () => this.moveCursor(this.spanStart - this.cursor),
      End: () => this.moveCursor(this.spanEnd - 1n - this.cursor),
      '+': () => this.zoomIn(),
      '=': () => this.zoomIn(),
      '-': () => this.zoomOut(),
      _: () => this.zoomOut(),
      '0': () => this.fit(),
      Enter: () => this.host.select(this.cursor),
      ' ': () => this.host.select(this.cursor),
    };
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  }

  private cellIndexAt(e: MouseEvent): number | undefined {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left - this.rulerPx,
      y = e.clientY - r.top - PAD_TOP;
    if (x < 0 || y < 0) return undefined;
    const c = Math.floor(x / this.cellPx),
      rr = Math.floor(y / this.cellPx);
    if (c >= this.cols || rr >= this.rows) return undefined;
    return rr * this.cols + c;
  }

  private addressOfCell(i: number): bigint {
    return this.top + BigInt(i) * this.bpc;
  }

  private onClick(e: MouseEvent): void {
    const i = this.cellIndexAt(e);
    if (i === undefined) return;
    const a = this.addressOfCell(i);
    if (a < this.spanStart || a >= this.spanEnd) return;
    this.canvas.focus();
    this.cursor = a;
    this.changed();
    this.host.select(a);
  }

  private cellInfo(a: bigint): MapCell {
    return { address: a, end: a + this.bpc, cls: this.cellAt(a) };
  }

  /** Right-click selects the cell under the pointer (as a click does), then the menu is about it. */
  private onContextMenu(e: MouseEvent): void {
    if (!e.isTrusted) return; // dispatched by openMenuAtCursor, context already set
    if (this.keyMenu) {
      this.keyMenu = false;
      e.preventDefault();
      return;
    }
    const i = this.rightDown ? this.cellIndexAt(e) : undefined;
    this.rightDown = false;
    if (i !== undefined) {
      const a = this.addressOfCell(i);
      if (a >= this.spanStart && a < this.spanEnd && a !== this.cursor) {
        this.canvas.focus();
        this.cursor = a;
        this.changed();
        this.host.select(a);
      }
    }
    this.host.menu(this.cellInfo(this.cursor));
  }

  /** Shift+F10 / the context-menu key: VS Code's webview menu, anchored on the cursor cell. */
  private openMenuAtCursor(): void {
    this.ensureVisible(this.cursor);
    this.clamp();
    this.changed();
    const i = Number((this.cursor - this.top) / this.bpc);
    const r = this.canvas.getBoundingClientRect();
    const x = r.left + this.rulerPx + ((i % this.cols) + 0.5) * this.cellPx;
    const y = r.top + PAD_TOP + (Math.floor(i / this.cols) + 0.5) * this.cellPx;
    this.host.menu(this.cellInfo(this.cursor));
    this.canvas.dispatchEvent(
      new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: x, clientY: y }),
    );
    this.keyMenu = true;
  }

  private onHover(e: MouseEvent): void {
    const i = this.cellIndexAt(e);
    if (i !== undefined) this.describe(this.addressOfCell(i));
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) {
      this.zoom(e.deltaY < 0);
      return;
    }
    const rows = BigInt(Math.sign(e.deltaY) * Math.max(1, Math.round(Math.abs(e.deltaY) / 40)));
    this.top += rows * this.rowBytes;
    this.clamp();
    this.changed();
  }

  /** Index of the cell at `a` in the fetched tile, if it is there for the current zoom. */
  private tileIndex(a: bigint): number | undefined {
    const c = this.cached;
    if (!c || c.bpc !== this.bpc || a < c.top) return undefined;
    const i = (a - c.top) / c.bpc;
    return i < BigInt(c.tile.cells.length) ? Number(i) : undefined;
  }

  private cellAt(a: bigint): number | undefined {
    const i = this.tileIndex(a);
    return i === undefined ? undefined : this.cached!.tile.cells[i];
  }

  /** The status line for the cell at `a`: its span, what it shows and, when it covers more than a page, the exact figures. */
  private describe(a: bigint): void {
    const i = this.tileIndex(a);
    const span = `${hex(a)} – ${hex(a + this.bpc)}`;
    if (i === undefined) {
      this.host.status(`${span}: …`);
      return;
    }
    const t = this.cached!.tile;
    let text = `${span}: ${cellName(t.cells[i])}`;
    if (this.bpc > this.pageSize || t.blocks[i] > 1) {
      text += ` · ${describeCellFigures({
        bytes: this.bpc,
        pageSize: Number(this.pageSize),
        preservedPages: t.preservedPages[i],
        blocks: t.blocks[i],
        minOrder: t.minOrder[i],
        maxOrder: t.maxOrder[i],
      })}`;
      if (t.nodePages[i] > 0)
        text += `, ${t.nodePages[i].toLocaleString('en-US')} tracker page${t.nodePages[i] === 1 ? '' : 's'}`;
    }
    this.host.status(text);
  }

  /** Highlights [start, end) and scrolls it into view if it is not visible (zoom unchanged). */
  setHighlight(start: bigint, end: bigint, label: string): void {
    this.highlight = { start, end: end > start ? end : start + 1n, label };
    const viewEnd = this.top + this.rowBytes * BigInt(this.rows);
    if (start < this.top || start >= viewEnd) {
      this.top = alignDown(start, this.rowBytes) - BigInt(Math.floor(this.rows / 3)) * this.rowBytes;
      if (this.top < 0n) this.top = 0n;
    }
    if (start >= this.spanStart && start < this.spanEnd) this.cursor = alignDown(start, this.bpc);
    this.clamp();
    this.changed();
  }

  get highlighted(): { start: bigint; end: bigint; label: string } | null {
    return this.highlight;
  }

  private changed(): void {
    this.host.persist({ top: hex(this.top), bpc: hex(this.bpc), cursor: hex(this.cursor) });
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
      this.fetch();
    });
  }

  private fetch(): void {
    const count = this.viewCells;
    const key = `${this.top}|${this.bpc}|${count}`;
    if (key === this.wantKey) return;
    this.wantKey = key;
    const seq = ++this.seq;
    const top = this.top,
      bpc = this.bpc;
    this.host.tiles({ start: hex(top), bytesPerCell: hex(bpc), count }).then(
      (t) => {
        if (seq !== this.seq) return;
        this.cached = { top, bpc, tile: t };
        // An earlier failed fetch left its message: the map is drawn now, so it no longer holds.
        if (this.fetchFailed) {
          this.fetchFailed = false;
          this.host.status('');
        }
        this.draw();
        // The first map with data, for the browser's performance tools (and the e2e figures).
        if (this.draws === 0) performance.mark('kho-map-drawn');
        this.draws++;
        this.cellsDrawn = t.cells.length;
        this.host.drawn(t.cells.length);
      },
      (e: Error) => {
        if (seq === this.seq) {
          this.wantKey = '';
          this.fetchFailed = true;
          this.host.status(`Map: ${e.message}`);
        }
      },
    );
  }

  /** Forces a new fetch (the dump was decoded again). */
  invalidate(): void {
    this.cached = null;
    this.wantKey = '';
    this.schedule();
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const p = this.palette;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const w = this.canvas.width / dpr,
      h = this.canvas.height / dpr;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, w, h);
    ctx.font = `11px ${p.font}`;
    ctx.textBaseline = 'middle';
    const cp = this.cellPx,
      row = this.rowBytes;
    const labelEvery = Math.max(1, Math.ceil(14 / cp));
    for (let r = 0; r < this.rows; r++) {
      const rowAddr = this.top + BigInt(r) * row;
      if (rowAddr >= this.spanEnd) break;
      const y = PAD_TOP + r * cp;
      if (r % labelEvery === 0) {
        ctx.fillStyle = p.muted;
        ctx.fillText(hex(rowAddr), 2, y + cp / 2);
      }
      for (let c = 0; c < this.cols; c++) {
        const a = rowAddr + BigInt(c) * this.bpc;
        if (a < this.spanStart || a >= this.spanEnd) continue;
        const i = this.tileIndex(a);
        if (i === undefined) continue;
        const cls = this.cached!.tile.cells[i];
        const color = cellColor(p, cls);
        const x = this.rulerPx + c * cp;
        if (color && isRing(cls)) {
          ctx.strokeStyle = color;
          ctx.lineWidth = 2;
          ctx.strokeRect(x + 1, y + 1, cp - 3, cp - 3);
        } else if (color) this.fillCell(ctx, x, y, cp - 1, cls, color, i);
        if (inScratch(cls)) this.hatch(ctx, x, y, cp - 1, p.scratch);
      }
    }
    if (this.highlight) this.outline(ctx, this.highlight.start, this.highlight.end, p.focus, 2);
    if (document.activeElement === this.canvas) this.outline(ctx, this.cursor, this.cursor + this.bpc, p.cursor, 1);
    document.getElementById('map-scale')!.textContent = `${humanSize(this.bpc)} per cell · ${humanSize(row)} per row`;
  }

  /**
   * Preserved and tracker cells fill from the bottom by the share of the cell they take (at least
   * a thin bar), over the RAM colour: a cell of many pages with few preserved stays mostly grey.
   * An order without a colour of its own also gets its number.
   */
  private fillCell(
    ctx: CanvasRenderingContext2D,
    x: number,
    y: number,
    size: number,
    cls: number,
    color: string,
    i: number,
  ): void {
    const t = this.cached!.tile;
    const base = baseClass(cls);
    const pages = base >= MAP_PRESERVED ? t.preservedPages[i] : base === MAP_TRACKER_NODE ? t.nodePages[i] : -1;
    const h = pages < 0 ? size : fillPx(pages * Number(this.pageSize), Number(this.bpc), size);
    if (h < size) {
      ctx.fillStyle = this.palette.ram;
      ctx.fillRect(x, y, size, size - h);
    }
    ctx.fillStyle = color;
    ctx.fillRect(x, y + size - h, size, h);
    if (isNumbered(this.palette, cls) && size >= 10) {
      ctx.fillStyle = this.palette.foreground;
      ctx.fillText(String(base - MAP_PRESERVED), x + 1, y + size / 2, size - 2);
    }
  }

  /** Scratch areas: diagonal lines over the cell, so what lies beneath stays visible. */
  private hatch(ctx: CanvasRenderingContext2D, x: number, y: number, size: number, color: string): void {
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, size, size);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let d = -size; d < size; d += 4) {
      ctx.moveTo(x + d, y + size);
      ctx.lineTo(x + d + size, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  /** Outlines the visible cells of [start, end), one rectangle per row. */
  private outline(ctx: CanvasRenderingContext2D, start: bigint, end: bigint, color: string, width: number): void {
    const viewEnd = this.top + this.rowBytes * BigInt(this.rows);
    if (end <= this.top || start >= viewEnd) return;
    const first = Number(((start > this.top ? start : this.top) - this.top) / this.bpc);
    const last = Number(((end < viewEnd ? end : viewEnd) - 1n - this.top) / this.bpc);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    const cp = this.cellPx;
    for (let r = Math.floor(first / this.cols); r <= Math.floor(last / this.cols); r++) {
      const c0 = r === Math.floor(first / this.cols) ? first % this.cols : 0;
      const c1 = r === Math.floor(last / this.cols) ? last % this.cols : this.cols - 1;
      ctx.strokeRect(this.rulerPx + c0 * cp - 0.5, PAD_TOP + r * cp - 0.5, (c1 - c0 + 1) * cp, cp);
    }
  }
}
