import assert from 'node:assert/strict';
import { radixGeometry, PAGE_SIZES } from '../../../src/engine/kho/geometry';
import { MAP_THEMES, THEME_KINDS, orderStyle, themeKindOf } from '../../../media/src/orderPalette';
import { ciede2000, deltaE, parseHex, srgbToLab } from '../../support/ciede2000';

/** Smallest CIEDE2000 distance between two order colours that still reads as two colours at a glance. */
const MIN_ORDER_DISTANCE = 20;
/** Order colours against the background, RAM grey and text colour of the theme. */
const MIN_BACKGROUND_DISTANCE = 30;
const MIN_GREY_DISTANCE = 18;

describe('CIEDE2000', () => {
  // Pairs and expected differences from the test data published with the formula (Sharma, Wu and Dalal 2005, table 1).
  const published: [number[], number[], number][] = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, 3.1571, -77.2803], [50, 0, -82.7485], 2.8615],
    [[50, 2.8361, -74.02], [50, 0, -82.7485], 3.4412],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.5, 0], [73, 25, -18], 27.1492],
    [[50, 2.5, 0], [61, -5, 29], 22.8977],
    [[50, 2.5, 0], [56, -27, -3], 31.903],
    [[50, 2.5, 0], [58, 24, 15], 19.4535],
    [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
    [[2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082],
  ];
  it('matches the published test data to four decimals, both ways round', () => {
    for (const [x, y, want] of published) {
      const a = { L: x[0], a: x[1], b: x[2] },
        b = { L: y[0], a: y[1], b: y[2] };
      assert.ok(Math.abs(ciede2000(a, b) - want) < 5e-5, `${JSON.stringify([x, y])}: ${ciede2000(a, b)} != ${want}`);
      assert.ok(Math.abs(ciede2000(b, a) - want) < 5e-5, `${JSON.stringify([y, x])}: reversed`);
    }
  });
  it('converts sRGB white, black and red to their CIELAB values', () => {
    const near = (got: number, want: number): boolean => Math.abs(got - want) < 0.05;
    const w = srgbToLab([255, 255, 255]),
      k = srgbToLab([0, 0, 0]),
      r = srgbToLab(parseHex('#ff0000'));
    assert.ok(near(w.L, 100) && near(w.a, 0) && near(w.b, 0), JSON.stringify(w));
    assert.ok(near(k.L, 0) && near(k.a, 0) && near(k.b, 0), JSON.stringify(k));
    assert.ok(near(r.L, 53.24) && near(r.a, 80.09) && near(r.b, 67.2), JSON.stringify(r));
  });
});

describe('map order palette', () => {
  const maxOrder = Math.max(...PAGE_SIZES.map((p) => radixGeometry(p).maxPageOrder));

  for (const kind of THEME_KINDS) {
    const theme = MAP_THEMES[kind];
    it(`${kind}: a colour of its own for every order up to ${maxOrder}, pairwise CIEDE2000 >= ${MIN_ORDER_DISTANCE}`, () => {
      assert.ok(theme.orders.length > maxOrder, `${theme.orders.length} colours for orders 0..${maxOrder}`);
      let closest = { d: Infinity, pair: '' };
      for (let i = 0; i <= maxOrder; i++) {
        for (let j = i + 1; j <= maxOrder; j++) {
          const d = deltaE(orderStyle(theme, i).color, orderStyle(theme, j).color);
          if (d < closest.d) closest = { d, pair: `orders ${i} (${theme.orders[i]}) and ${j} (${theme.orders[j]})` };
        }
      }
      assert.ok(closest.d >= MIN_ORDER_DISTANCE, `${kind}: ${closest.pair} are only ${closest.d.toFixed(1)} apart`);
      for (let o = 0; o <= maxOrder; o++)
        assert.equal(orderStyle(theme, o).numbered, false, `order ${o} needs no number`);
    });
    it(`${kind}: order colours stand out from the background, the RAM grey and tracker pages`, () => {
      for (const [i, c] of theme.orders.entries()) {
        assert.ok(
          deltaE(c, theme.background) >= MIN_BACKGROUND_DISTANCE,
          `order ${i} ${c} vs background ${theme.background}: ${deltaE(c, theme.background).toFixed(1)}`,
        );
        assert.ok(
          deltaE(c, theme.ram) >= MIN_GREY_DISTANCE,
          `order ${i} ${c} vs RAM ${theme.ram}: ${deltaE(c, theme.ram).toFixed(1)}`,
        );
        assert.ok(
          deltaE(c, theme.node) >= MIN_GREY_DISTANCE,
          `order ${i} ${c} vs tracker ${theme.node}: ${deltaE(c, theme.node).toFixed(1)}`,
        );
      }
      assert.ok(deltaE(theme.ram, theme.background) >= 10, `RAM ${theme.ram} vs background`);
      assert.ok(deltaE(theme.node, theme.ram) >= MIN_BACKGROUND_DISTANCE, `tracker ${theme.node} vs RAM ${theme.ram}`);
    });
  }

  it('an order beyond the palette (a corrupt tree) reuses a colour and is numbered', () => {
    const theme = MAP_THEMES.light;
    const n = theme.orders.length;
    assert.deepEqual(orderStyle(theme, n), { color: theme.orders[0], numbered: true });
    assert.deepEqual(orderStyle(theme, n + 3), { color: theme.orders[3], numbered: true });
  });

  it('picks the theme kind from the webview body classes', () => {
    assert.equal(themeKindOf('vscode-light'), 'light');
    assert.equal(themeKindOf('vscode-dark'), 'dark');
    assert.equal(themeKindOf('vscode-high-contrast'), 'highContrast');
    assert.equal(themeKindOf('vscode-high-contrast vscode-high-contrast-light'), 'highContrastLight');
    assert.equal(themeKindOf('vscode-high-contrast-light'), 'highContrastLight');
    assert.equal(themeKindOf('vscode-lightish'), 'dark');
    assert.equal(themeKindOf(''), 'dark');
  });
});
