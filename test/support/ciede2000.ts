// Perceptual colour difference for the palette tests: sRGB -> CIELAB (D65) and the CIEDE2000
// formula as published by the CIE (CIE 142-2001; Sharma, Wu and Dalal, "The CIEDE2000
// color-difference formula", 2005), kL = kC = kH = 1.

export interface Lab {
  L: number;
  a: number;
  b: number;
}

const deg = (r: number): number => (r * 180) / Math.PI;
const rad = (d: number): number => (d * Math.PI) / 180;

/** '#rrggbb' -> [r, g, b] in 0..255. */
export function parseHex(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`not a #rrggbb colour: ${color}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/** sRGB (0..255) to CIELAB with the D65 white point. */
export function srgbToLab([r, g, b]: readonly number[]): Lab {
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const R = lin(r),
    G = lin(g),
    B = lin(b);
  const X = 0.4124564 * R + 0.3575761 * G + 0.1804375 * B;
  const Y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const Z = 0.0193339 * R + 0.119192 * G + 0.9503041 * B;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f(X / 0.95047),
    fy = f(Y / 1),
    fz = f(Z / 1.08883);
  return { L: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/** Hue angle in degrees, 0..360; 0 where a and b are both 0. */
function hueDeg(b: number, a: number): number {
  if (a === 0 && b === 0) return 0;
  const h = deg(Math.atan2(b, a));
  return h < 0 ? h + 360 : h;
}

/** CIEDE2000 colour difference between two CIELAB colours. */
export function ciede2000(x: Lab, y: Lab): number {
  // Step 1: a' stretched by G (depends on the mean chroma), C' and h'.
  const C1 = Math.hypot(x.a, x.b),
    C2 = Math.hypot(y.a, y.b);
  const Cbar7 = ((C1 + C2) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(Cbar7 / (Cbar7 + 25 ** 7)));
  const a1 = (1 + G) * x.a,
    a2 = (1 + G) * y.a;
  const Cp1 = Math.hypot(a1, x.b),
    Cp2 = Math.hypot(a2, y.b);
  const hp1 = hueDeg(x.b, a1),
    hp2 = hueDeg(y.b, a2);

  // Step 2: differences in lightness, chroma and hue.
  const dLp = y.L - x.L;
  const dCp = Cp2 - Cp1;
  let dhp = 0;
  if (Cp1 * Cp2 !== 0) {
    dhp = hp2 - hp1;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(Cp1 * Cp2) * Math.sin(rad(dhp / 2));

  // Step 3: weighting functions and the rotation term.
  const Lbarp = (x.L + y.L) / 2;
  const Cbarp = (Cp1 + Cp2) / 2;
  let hbarp = hp1 + hp2;
  if (Cp1 * Cp2 !== 0) {
    if (Math.abs(hp1 - hp2) <= 180) hbarp = (hp1 + hp2) / 2;
    else hbarp = hp1 + hp2 < 360 ? (hp1 + hp2 + 360) / 2 : (hp1 + hp2 - 360) / 2;
  }
  const T =
    1 -
    0.17 * Math.cos(rad(hbarp - 30)) +
    0.24 * Math.cos(rad(2 * hbarp)) +
    0.32 * Math.cos(rad(3 * hbarp + 6)) -
    0.2 * Math.cos(rad(4 * hbarp - 63));
  const dTheta = 30 * Math.exp(-(((hbarp - 275) / 25) ** 2));
  const Cbarp7 = Cbarp ** 7;
  const RC = 2 * Math.sqrt(Cbarp7 / (Cbarp7 + 25 ** 7));
  const SL = 1 + (0.015 * (Lbarp - 50) ** 2) / Math.sqrt(20 + (Lbarp - 50) ** 2);
  const SC = 1 + 0.045 * Cbarp;
  const SH = 1 + 0.015 * Cbarp * T;
  const RT = -Math.sin(rad(2 * dTheta)) * RC;

  const l = dLp / SL,
    c = dCp / SC,
    h = dHp / SH;
  return Math.sqrt(l * l + c * c + h * h + RT * c * h);
}

/** CIEDE2000 between two '#rrggbb' colours. */
export function deltaE(c1: string, c2: string): number {
  return ciede2000(srgbToLab(parseHex(c1)), srgbToLab(parseHex(c2)));
}
