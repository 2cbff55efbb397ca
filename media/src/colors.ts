// Map colours from the theme's --vscode-* variables (re-read when the theme changes).

import {
  MAP_CLIENT_BLOB, MAP_COMPARE_BOTH, MAP_COMPARE_ONLY_LEFT, MAP_COMPARE_ONLY_RIGHT, MAP_NOT_IN_DUMP, MAP_PRESERVED, MAP_RAM, MAP_SCRATCH_FLAG,
  MAP_TRACKER_NODE,
} from '../../src/protocol/model';

// Neighbouring orders get clearly different hues; 0-10 cover every 4 KiB page order. Tracker
// pages are drawn in the text colour and client blobs as rings, so no order colour is confused
// with them.
const ORDER_VARS = [
  '--vscode-charts-blue', '--vscode-charts-green', '--vscode-charts-orange', '--vscode-charts-red',
  '--vscode-terminal-ansiCyan', '--vscode-charts-purple', '--vscode-terminal-ansiBrightGreen',
  '--vscode-terminal-ansiBlue', '--vscode-charts-yellow', '--vscode-terminal-ansiBrightMagenta',
  '--vscode-terminal-ansiBrightCyan', '--vscode-terminal-ansiGreen', '--vscode-terminal-ansiYellow', '--vscode-terminal-ansiRed',
];
const ORDER_FALLBACK = ['#3794ff', '#89d185', '#d18616', '#f14c4c', '#11a8cd', '#b180d7', '#23d18b', '#2472c8', '#cca700', '#d670d6', '#29b8db', '#0dbc79', '#e5e510', '#cd3131'];

export interface Palette {
  background: string;
  foreground: string;
  muted: string;
  ram: string;
  node: string;
  blob: string;
  /** Scratch areas: diagonal hatching over whatever else the cell shows. */
  scratch: string;
  focus: string;
  cursor: string;
  font: string;
  orders: string[];
  /** Comparison maps: preserved on both sides, only in LEFT (missing on the right), only in RIGHT. */
  compare: { both: string; onlyLeft: string; onlyRight: string };
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): Palette {
  const st = getComputedStyle(document.documentElement);
  return {
    background: cssVar(st, '--vscode-editor-background', '#1e1e1e'),
    foreground: cssVar(st, '--vscode-editor-foreground', '#cccccc'),
    muted: cssVar(st, '--vscode-editorLineNumber-foreground', '#858585'),
    ram: cssVar(st, '--vscode-scrollbarSlider-background', 'rgba(121,121,121,0.4)'),
    // Tracker pages in the text colour: the strongest contrast, unlike any order.
    node: cssVar(st, '--vscode-editor-foreground', '#cccccc'),
    blob: cssVar(st, '--vscode-editor-foreground', '#cccccc'),
    scratch: cssVar(st, '--vscode-editorWarning-foreground', '#cca700'),
    focus: cssVar(st, '--vscode-focusBorder', '#007fd4'),
    cursor: cssVar(st, '--vscode-editorCursor-foreground', '#aeafad'),
    font: cssVar(st, '--vscode-editor-font-family', 'monospace'),
    orders: ORDER_VARS.map((v, i) => cssVar(st, v, ORDER_FALLBACK[i])),
    // Diff colours as the theme gives them (removed / added), and the charts' blue for common pages.
    compare: {
      both: cssVar(st, '--vscode-charts-blue', '#3794ff'),
      onlyLeft: cssVar(st, '--vscode-gitDecoration-deletedResourceForeground', '#f14c4c'),
      onlyRight: cssVar(st, '--vscode-gitDecoration-addedResourceForeground', '#89d185'),
    },
  };
}

/** The cell's class without the scratch flag. */
export function baseClass(cls: number): number {
  return cls & ~MAP_SCRATCH_FLAG;
}

export function inScratch(cls: number): boolean {
  return (cls & MAP_SCRATCH_FLAG) !== 0;
}

/** Client blobs are drawn as rings (stroke), everything else filled. */
export function isRing(cls: number): boolean {
  return baseClass(cls) === MAP_CLIENT_BLOB;
}

export function cellColor(p: Palette, cls: number): string | null {
  cls = baseClass(cls);
  if (cls === MAP_NOT_IN_DUMP) return null;
  if (cls === MAP_RAM) return p.ram;
  if (cls === MAP_TRACKER_NODE) return p.node;
  if (cls === MAP_CLIENT_BLOB) return p.blob;
  if (cls === MAP_COMPARE_BOTH) return p.compare.both;
  if (cls === MAP_COMPARE_ONLY_LEFT) return p.compare.onlyLeft;
  if (cls === MAP_COMPARE_ONLY_RIGHT) return p.compare.onlyRight;
  return p.orders[(cls - MAP_PRESERVED) % p.orders.length];
}

export function cellName(cls: number): string {
  if (inScratch(cls)) return `${cellName(baseClass(cls))}, in a scratch area`;
  if (cls === MAP_NOT_IN_DUMP) return 'not in the dump';
  if (cls === MAP_RAM) return 'RAM (not preserved)';
  if (cls === MAP_TRACKER_NODE) return 'tracker node page';
  if (cls === MAP_CLIENT_BLOB) return 'client blob / KHO FDT';
  if (cls === MAP_COMPARE_BOTH) return 'preserved on both sides';
  if (cls === MAP_COMPARE_ONLY_LEFT) return 'preserved only in LEFT';
  if (cls === MAP_COMPARE_ONLY_RIGHT) return 'preserved only in RIGHT';
  return `preserved, order ${cls - MAP_PRESERVED}`;
}
