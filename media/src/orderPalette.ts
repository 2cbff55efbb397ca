// Fixed map colours per theme kind: one colour per block order, plus RAM and tracker pages.
// Pure (no DOM): the unit tests check every pair of colours by CIEDE2000 in every theme.
//
// Theme colour variables cannot be used for orders: light themes give several charts/terminal
// colours the same value, so orders shared colours. These sets were chosen for the largest
// smallest pairwise CIEDE2000 distance among colours of chroma >= 30 within a lightness band that
// stands out from the theme's background, away from its RAM grey and its text colour; the first
// entries (the most common low orders) are the farthest apart.

export type ThemeKind = 'light' | 'dark' | 'highContrast' | 'highContrastLight';
export const THEME_KINDS: readonly ThemeKind[] = ['light', 'dark', 'highContrast', 'highContrastLight'];

export interface MapThemeColors {
  /** The default editor background of the theme kind (the tests measure against it). */
  background: string;
  /** RAM not preserved: a grey between background and text. */
  ram: string;
  /** Tracker node pages (and client blob rings): the text colour. */
  node: string;
  /** orders[n] is order n's colour; enough for order 0 to MAX_PAGE_ORDER of 64 KiB pages (13). */
  orders: readonly string[];
}

export const MAP_THEMES: Readonly<Record<ThemeKind, MapThemeColors>> = {
  light: {
    background: '#ffffff',
    ram: '#c8c8c8',
    node: '#3b3b3b',
    orders: [
      '#0000d2',
      '#78c300',
      '#ff5a0f',
      '#00b4ff',
      '#004b1e',
      '#ff78ff',
      '#692d00',
      '#876900',
      '#2d9687',
      '#691e4b',
      '#006996',
      '#ff1e69',
      '#e1a54b',
      '#8769a5',
    ],
  },
  dark: {
    background: '#1f1f1f',
    ram: '#474747',
    node: '#cccccc',
    orders: [
      '#0069d2',
      '#e1f000',
      '#a55a2d',
      '#00f0ff',
      '#ffc3ff',
      '#3c783c',
      '#d20087',
      '#a58700',
      '#00d278',
      '#b469ff',
      '#87b4ff',
      '#008796',
      '#ffc396',
      '#ff7887',
    ],
  },
  highContrast: {
    background: '#000000',
    ram: '#5a5a5a',
    node: '#ffffff',
    orders: [
      '#0078e1',
      '#e1ff00',
      '#ff6900',
      '#ff2db4',
      '#2d875a',
      '#87f0ff',
      '#e1c3ff',
      '#a58700',
      '#3cf0a5',
      '#ffd296',
      '#e19696',
      '#1e96a5',
      '#964bff',
      '#f0003c',
    ],
  },
  highContrastLight: {
    background: '#ffffff',
    ram: '#b4b4b4',
    node: '#292929',
    orders: [
      '#0000b4',
      '#69a500',
      '#e15a1e',
      '#00a5f0',
      '#c378ff',
      '#4b3c00',
      '#5a1e3c',
      '#005a3c',
      '#a57800',
      '#00a596',
      '#005a87',
      '#d27887',
      '#c30f96',
      '#960000',
    ],
  },
};

/** The theme kind from the webview body's classes (VS Code sets vscode-light, vscode-dark, ...). */
export function themeKindOf(bodyClasses: string): ThemeKind {
  const has = (c: string): boolean => new RegExp(`(^|\\s)${c}(\\s|$)`).test(bodyClasses);
  if (has('vscode-high-contrast-light')) return 'highContrastLight';
  if (has('vscode-high-contrast')) return 'highContrast';
  if (has('vscode-light')) return 'light';
  return 'dark';
}

export interface OrderStyle {
  color: string;
  /** True when the order is beyond the palette (only a corrupt tree has one): draw its number too. */
  numbered: boolean;
}

/** How order `order` is drawn in `theme`. */
export function orderStyle(theme: MapThemeColors, order: number): OrderStyle {
  const n = theme.orders.length;
  return { color: theme.orders[((order % n) + n) % n], numbered: order >= n || order < 0 };
}
