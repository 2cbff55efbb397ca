// Map colours: the theme's --vscode-* variables for the frame, orderPalette.ts for what cells hold
// (re-read when the theme changes).

import {
  MAP_CLIENT_BLOB,
  MAP_COMPARE_BOTH,
  MAP_COMPARE_ONLY_LEFT,
  MAP_COMPARE_ONLY_RIGHT,
  MAP_NOT_IN_DUMP,
  MAP_PRESERVED,
  MAP_RAM,
  MAP_SCRATCH_FLAG,
  MAP_TRACKER_NODE,
} from '../../src/protocol/model';
import { MAP_THEMES, orderStyle, themeKindOf, type MapThemeColors } from './orderPalette';

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
  /** The theme's order colours, RAM and tracker-page colours (orderPalette.ts). */
  theme: MapThemeColors;
  /** Comparison maps: preserved on both sides, only in LEFT (missing on the right), only in RIGHT. */
  compare: { both: string; onlyLeft: string; onlyRight: string };
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): Palette {
  const st = getComputedStyle(document.documentElement);
  const theme = MAP_THEMES[themeKindOf(document.body.className)];
  return {
    background: cssVar(st, '--vscode-editor-background', theme.background),
    foreground: cssVar(st, '--vscode-editor-foreground', theme.node),
    muted: cssVar(st, '--vscode-editorLineNumber-foreground', '#858585'),
    // RAM, tracker pages and orders from one fixed set per theme kind, tested to be distinct.
    ram: theme.ram,
    node: theme.node,
    blob: theme.node,
    scratch: cssVar(st, '--vscode-editorWarning-foreground', '#cca700'),
    focus: cssVar(st, '--vscode-focusBorder', '#007fd4'),
    cursor: cssVar(st, '--vscode-editorCursor-foreground', '#aeafad'),
    font: cssVar(st, '--vscode-editor-font-family', 'monospace'),
    theme,
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
  return orderStyle(p.theme, cls - MAP_PRESERVED).color;
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

/** True when a preserved cell's order has no colour of its own: the map writes the number. */
export function isNumbered(p: Palette, cls: number): boolean {
  cls = baseClass(cls);
  return cls >= MAP_PRESERVED && orderStyle(p.theme, cls - MAP_PRESERVED).numbered;
}
