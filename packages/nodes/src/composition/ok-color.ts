/**
 * Colour spaces of InvokeAI's composition nodes (`backend/image_util/composition.py`, `color_conversion.py`), per
 * pixel in double precision: sRGB transfer, Oklab/Oklch, Björn Ottosson's Okhsv and Okhsl (with the Halley steps
 * InvokeAI exposes as `steps`), adaptive gamut clipping, CSS-style HSL, and the Helmholtz–Kohlrausch
 * "equivalent achromatic lightness". Hues are in degrees wherever InvokeAI's tensors hold degrees.
 */

/** Three channel values. */
export type Triple = [number, number, number];

const SRGB_THRESHOLD = 0.0404482362771082;

/** sRGB (0..1) → linear light. */
export function linearFromSrgb(v: number): number {
  // exp/log is markedly faster than a general power in V8 and equal to it within a few ulps.
  return v <= SRGB_THRESHOLD ? v / 12.92 : Math.exp(2.4 * Math.log((v + 0.055) / 1.055));
}

/** Linear light → sRGB, clamped to 0..1 first (InvokeAI's `srgb_from_linear_srgb` without gamut clipping). */
export function srgbFromLinear(v: number): number {
  const c = Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v));
  if (c < SRGB_THRESHOLD / 12.92) return c * 12.92;
  // c^(1/2.4) = (c^(1/12))^5, with roots that are much cheaper than a general power.
  const r = Math.cbrt(Math.sqrt(Math.sqrt(c)));
  return 1.055 * (r * r * r * r * r) - 0.055;
}

/** Linear sRGB → Oklab (cube roots keep the sign, as InvokeAI does for out-of-gamut values). */
export function oklabFromLinear([r, g, b]: Triple): Triple {
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

/** Oklab → linear sRGB (may leave 0..1). */
export function linearFromOklab([L, a, b]: Triple): Triple {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
}

/** Oklab → Oklch with hue in degrees (0..360). */
export function oklchFromOklab([L, a, b]: Triple): Triple {
  const h = (Math.atan2(b, a) * 180) / Math.PI;
  return [L, Math.hypot(a, b), ((h % 360) + 360) % 360];
}

/** Oklch (hue in degrees) → Oklab. */
export function oklabFromOklch([L, C, h]: Triple): Triple {
  const r = (h * Math.PI) / 180;
  return [L, C * Math.cos(r), C * Math.sin(r)];
}

// Ottosson's polynomial fits of the maximum saturation, one row per sRGB channel that clips first, and the rows of
// the LMS → linear sRGB matrix used to refine them. Kept flat so that the per-pixel code allocates nothing.
const SAT_K = [
  1.19086277, 1.76576728, 0.59662641, 0.75515197, 0.56771245, 0.73956515, -0.45954494, 0.08285427, 0.1254107,
  0.14503204, 1.35733652, -0.00915799, -1.1513021, -0.50559606, 0.00692167,
];
const LMS_TO_RGB = [
  4.0767416621, -3.3077115913, 0.2309699292, -1.2684380046, 2.6097574011, -0.3413193965, -0.0041960863, -0.7034186147,
  1.707614701,
];

/** The maximum saturation S = C/L of sRGB along the Oklab hue direction (a, b) (unit vector). */
function maxSaturation(a: number, b: number, steps: number): number {
  const row = -1.88170328 * a - 0.80936493 * b > 1 ? 0 : 1.81444104 * a - 1.19445276 * b > 1 ? 1 : 2;
  const k = row * 5;
  const wl = LMS_TO_RGB[row * 3];
  const wm = LMS_TO_RGB[row * 3 + 1];
  const ws = LMS_TO_RGB[row * 3 + 2];
  let S = SAT_K[k] + SAT_K[k + 1] * a + SAT_K[k + 2] * b + SAT_K[k + 3] * a * a + SAT_K[k + 4] * a * b;
  const kl = 0.3963377774 * a + 0.2158037573 * b;
  const km = -0.1055613458 * a - 0.0638541728 * b;
  const ks = -0.0894841775 * a - 1.291485548 * b;
  // Halley's method refines the polynomial estimate (InvokeAI: one step, or three with high precision).
  for (let i = 0; i < steps; i++) {
    const l_ = 1 + S * kl;
    const m_ = 1 + S * km;
    const s_ = 1 + S * ks;
    const f = wl * l_ * l_ * l_ + wm * m_ * m_ * m_ + ws * s_ * s_ * s_;
    const f1 = 3 * (wl * kl * l_ * l_ + wm * km * m_ * m_ + ws * ks * s_ * s_);
    const f2 = 6 * (wl * kl * kl * l_ + wm * km * km * m_ + ws * ks * ks * s_);
    S = S - (f * f1) / (f1 * f1 - 0.5 * f * f2);
  }
  return S;
}

/** The (L, C) cusp of the sRGB gamut along hue direction (a, b). */
export function findCusp(a: number, b: number, steps: number): [number, number] {
  const S = maxSaturation(a, b, steps);
  const rgb = linearFromOklab([1, S * a, S * b]);
  const L = Math.cbrt(1 / Math.max(rgb[0], rgb[1], rgb[2]));
  return [L, L * S];
}

/**
 * Where the line from (L0, 0) to (L1, C1) leaves the sRGB gamut along hue (a, b), as t in [0, 1]: the lower part by
 * a closed form, the upper part refined with Halley steps (InvokeAI's `find_gamut_intersection_tensor`).
 */
export function gamutIntersection(
  a: number,
  b: number,
  L1: number,
  C1: number,
  L0: number,
  steps: number,
  cusp: [number, number] = findCusp(a, b, steps),
): number {
  const [cL, cC] = cusp;
  const below = (L1 - L0) * cC - (cL - L0) * C1 <= 0;
  let t = below ? (cC * L0) / (C1 * cL + cC * (L0 - L1)) : (cC * (L0 - 1)) / (C1 * (cL - 1) + cC * (L0 - L1));
  if (below) return t;
  const dL = L1 - L0;
  const kl = 0.3963377774 * a + 0.2158037573 * b;
  const km = -0.1055613458 * a - 0.0638541728 * b;
  const ks = -0.0894841775 * a - 1.291485548 * b;
  const ldt = dL + C1 * kl;
  const mdt = dL + C1 * km;
  const sdt = dL + C1 * ks;
  for (let i = 0; i < steps; i++) {
    const L = L0 * (1 - t) + t * L1;
    const C = t * C1;
    const l_ = L + C * kl;
    const m_ = L + C * km;
    const s_ = L + C * ks;
    const l = l_ * l_ * l_;
    const m = m_ * m_ * m_;
    const s = s_ * s_ * s_;
    const l1 = 3 * ldt * l_ * l_;
    const m1 = 3 * mdt * m_ * m_;
    const s1 = 3 * sdt * s_ * s_;
    const l2 = 6 * ldt * ldt * l_;
    const m2 = 6 * mdt * mdt * m_;
    const s2 = 6 * sdt * sdt * s_;
    let best = Number.MAX_VALUE;
    for (let row = 0; row < 9; row += 3) {
      const w0 = LMS_TO_RGB[row];
      const w1 = LMS_TO_RGB[row + 1];
      const w2 = LMS_TO_RGB[row + 2];
      const v = w0 * l + w1 * m + w2 * s - 1;
      const v1 = w0 * l1 + w1 * m1 + w2 * s1;
      const v2 = w0 * l2 + w1 * m2 + w2 * s2;
      const u = v1 / (v1 * v1 - 0.5 * v * v2);
      const tv = u >= 0 ? -v * u : Number.MAX_VALUE;
      if (tv < best) best = tv;
    }
    t += best;
  }
  return t;
}

/**
 * Adaptive gamut clipping of one linear-sRGB colour (Ottosson's "adaptive L0, 0.5"): an out-of-gamut colour moves
 * toward a lightness anchor until it meets the gamut; `alpha` trades lightness for chroma. In-gamut colours stay.
 */
export function gamutClip(rgb: Triple, alpha: number, steps: number): Triple {
  const [r, g, b0] = rgb;
  if (r <= 1 && g <= 1 && b0 <= 1 && r >= 0 && g >= 0 && b0 >= 0) return rgb;
  const [L, a, b] = oklabFromLinear(rgb);
  const C = Math.max(Math.hypot(a, b), 0.00001);
  const ua = a / C;
  const ub = b / C;
  const Ld = L - 0.5;
  const e1 = 0.5 + Math.abs(Ld) + alpha * C;
  const L0 = 0.5 * (1 + Math.sign(Ld) * (e1 - Math.sqrt(e1 * e1 - 2 * Math.abs(Ld))));
  const t = gamutIntersection(ua, ub, L, C, L0, steps);
  const Lc = L0 * (1 - t) + t * L;
  const Cc = t * C;
  return linearFromOklab([Lc, Cc * ua, Cc * ub]);
}

/** Linear sRGB → sRGB, gamut-clipping first when `alpha` > 0 (InvokeAI's `srgb_from_linear_srgb(t, alpha, steps)`). */
export function srgbFromLinearClipped(rgb: Triple, alpha: number, steps: number): Triple {
  const clipped = alpha > 0 ? gamutClip(rgb, alpha, steps) : rgb;
  return [srgbFromLinear(clipped[0]), srgbFromLinear(clipped[1]), srgbFromLinear(clipped[2])];
}

const K1 = 0.206;
const K2 = 0.03;
const K3 = (1 + K1) / (1 + K2);

/** Ottosson's toe: Oklab L → a lightness estimate closer to CIELAB's. */
export function toe(x: number): number {
  return 0.5 * (K3 * x - K1 + Math.sqrt((K3 * x - K1) ** 2 + 4 * K2 * K3 * x));
}

/** Inverse of `toe`. */
export function toeInv(x: number): number {
  return (x * x + K1 * x) / (K3 * (x + K2));
}

function stMid(a: number, b: number): [number, number] {
  const S =
    0.11516993 +
    1 /
      (7.4477897 +
        4.1590124 * b +
        a *
          (-2.19557347 +
            1.75198401 * b +
            a * (-2.13704948 - 10.02301043 * b + a * (-4.24894561 + 5.38770819 * b + 4.69891013 * a))));
  const T =
    0.11239642 +
    1 /
      (1.6132032 -
        0.68124379 * b +
        a *
          (0.40370612 +
            0.90148123 * b +
            a * (-0.27087943 + 0.6122399 * b + a * (0.00299215 - 0.45399568 * b - 0.14661872 * a))));
  return [S, T];
}

function chromas(L: number, a: number, b: number, steps: number): [number, number, number] {
  const cusp = findCusp(a, b, steps);
  const Cmax = gamutIntersection(a, b, L, 1, L, steps, cusp);
  const Smax = cusp[1] / cusp[0];
  const Tmax = cusp[1] / (1 - cusp[0]);
  const k = Cmax / Math.min(L * Smax, (1 - L) * Tmax);
  const [Smid, Tmid] = stMid(a, b);
  const Ca = L * Smid;
  const Cb = (1 - L) * Tmid;
  const Cmid = 0.9 * k * Math.sqrt(Math.sqrt(1 / (1 / Ca ** 4 + 1 / Cb ** 4)));
  const Ca0 = L * 0.4;
  const Cb0 = (1 - L) * 0.8;
  const C0 = Math.sqrt(1 / (1 / Ca0 ** 2 + 1 / Cb0 ** 2));
  return [C0, Cmid, Cmax];
}

const finite01 = (v: number) => (Number.isNaN(v) ? 0 : Math.min(1, Math.max(0, v)));
const hueDegrees = (a: number, b: number) => {
  const unit = 0.5 + (0.5 * Math.atan2(-b, -a)) / Math.PI;
  return (((unit * 360) % 360) + 360) % 360;
};

/** sRGB (0..1) → Okhsl (hue in degrees, s and l in 0..1; NaNs from grey become 0). */
export function okhslFromSrgb(rgb: Triple, steps: number): Triple {
  const [L, a, b] = oklabFromLinear([linearFromSrgb(rgb[0]), linearFromSrgb(rgb[1]), linearFromSrgb(rgb[2])]);
  const C = Math.hypot(a, b);
  const h = C === 0 ? 0 : hueDegrees(a, b);
  if (C === 0) return [h, 0, finite01(toe(L))];
  const [C0, Cmid, Cmax] = chromas(L, a / C, b / C, steps);
  let s: number;
  if (C < Cmid) {
    const k1 = 0.8 * C0;
    const k2 = 1 - k1 / Cmid;
    s = 0.8 * (C / (k1 + k2 * C));
  } else {
    const k1 = (0.2 * Cmid * Cmid * 1.25 * 1.25) / C0;
    const k2 = 1 - k1 / (Cmax - Cmid);
    s = 0.8 + 0.2 * ((C - Cmid) / (k1 + k2 * (C - Cmid)));
  }
  return [Number.isNaN(h) ? 0 : h, finite01(s), finite01(toe(L))];
}

/** Okhsl (hue in degrees) → sRGB 0..1, gamut-clipped with `alpha` (even 0) like InvokeAI's `srgb_from_okhsl`. */
export function srgbFromOkhsl([hDeg, sIn, lIn]: Triple, alpha: number, steps: number): Triple {
  const s = finite01(sIn);
  const l = finite01(lIn);
  if (l === 1) return [1, 1, 1];
  if (l === 0) return [0, 0, 0];
  const h = ((((hDeg % 360) + 360) % 360) / 360) * 2 * Math.PI;
  const a = Math.cos(h);
  const b = Math.sin(h);
  const L = toeInv(l);
  const [C0, Cmid, Cmax] = chromas(L, a, b, steps);
  let C: number;
  if (s < 0.8) {
    const t = 1.25 * s;
    const k1 = 0.8 * C0;
    const k2 = 1 - k1 / Cmid;
    C = (t * k1) / (1 - k2 * t);
  } else {
    const t = (s - 0.8) / 0.2;
    const k1 = (0.2 * Cmid * Cmid * 1.25 * 1.25) / C0;
    const k2 = 1 - k1 / (Cmax - Cmid);
    C = Cmid + (t * k1) / (1 - k2 * t);
  }
  return srgbOfOkResult(linearFromOklab([L, C * a, C * b]), alpha, steps);
}

/** The end of InvokeAI's `srgb_from_okhsl`/`_okhsv`: gamut-clipped even at alpha 0, transferred, NaNs as 0. */
function srgbOfOkResult(linear: Triple, alpha: number, steps: number): Triple {
  const clipped = gamutClip(linear, alpha, steps);
  return [
    finite01(srgbFromLinear(clipped[0])),
    finite01(srgbFromLinear(clipped[1])),
    finite01(srgbFromLinear(clipped[2])),
  ];
}

/** sRGB (0..1) → Okhsv (hue in degrees, s and v in 0..1). */
export function okhsvFromSrgb(rgb: Triple, steps: number): Triple {
  const [L0, a, b] = oklabFromLinear([linearFromSrgb(rgb[0]), linearFromSrgb(rgb[1]), linearFromSrgb(rgb[2])]);
  const C0 = Math.hypot(a, b);
  if (C0 === 0 || L0 === 0) return [0, 0, finite01(toe(L0))];
  const ua = a / C0;
  const ub = b / C0;
  const h = hueDegrees(a, b);
  const [cL, cC] = findCusp(ua, ub, steps);
  const Smax = cC / cL;
  const Tmax = cC / (1 - cL);
  const S0 = 0.5;
  const k = 1 - S0 / Smax;
  const t = Tmax / (C0 + L0 * Tmax);
  const Lv = t * L0;
  const Cv = t * C0;
  const Lvt = toeInv(Lv);
  const Cvt = (Cv * Lvt) / Lv;
  const scale = linearFromOklab([Lvt, ua * Cvt, ub * Cvt]);
  const scaleL = Math.cbrt(1 / Math.max(scale[0], scale[1], scale[2], 0));
  const L = L0 / scaleL;
  const Lr = toe(L);
  const v = Lr / Lv;
  const s = ((S0 + Tmax) * Cv) / (Tmax * S0 + Tmax * k * Cv);
  return [h, finite01(s), finite01(v)];
}

/** Okhsv (hue in degrees) → sRGB 0..1, gamut-clipped with `alpha` (even 0) like InvokeAI's `srgb_from_okhsv`. */
export function srgbFromOkhsv([hDeg, sIn, vIn]: Triple, alpha: number, steps: number): Triple {
  const s = finite01(sIn);
  const v = finite01(vIn);
  if (v === 0) return [0, 0, 0];
  const h = ((((hDeg % 360) + 360) % 360) / 360) * 2 * Math.PI;
  const a = Math.cos(h);
  const b = Math.sin(h);
  const [cL, cC] = findCusp(a, b, steps);
  const Smax = cC / cL;
  const Tmax = cC / (1 - cL);
  const S0 = 0.5;
  const k = 1 - S0 / Smax;
  const denom = S0 + Tmax - Tmax * k * s;
  const Lv = 1 - (s * S0) / denom;
  const Cv = (s * Tmax * S0) / denom;
  let L = v * Lv;
  let C = v * Cv;
  const Lvt = toeInv(Lv);
  const Cvt = (Cv * Lvt) / Lv;
  const Lnew = toeInv(L);
  C = (C * Lnew) / L;
  L = Lnew;
  const scale = linearFromOklab([Lvt, a * Cvt, b * Cvt]);
  const scaleL = Math.cbrt(1 / Math.max(scale[0], scale[1], scale[2], 0));
  L *= scaleL;
  C *= scaleL;
  return srgbOfOkResult(linearFromOklab([L, C * a, C * b]), alpha, steps);
}

/** sRGB (0..1) → HSL with hue in degrees (Python colorsys' rgb_to_hls, reordered as H, S, L). */
export function hslFromSrgb([r, g, b]: Triple): Triple {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  // In float32 like InvokeAI's tensors: modes that compare lightness must see the same ties.
  const l = Math.fround(Math.fround(max + min) / 2);
  if (max === min) return [0, 0, l];
  const range = max - min;
  const s = l < 0.5 ? range / (max + min) : range / (2 - max - min);
  const rc = (max - r) / range;
  const gc = (max - g) / range;
  const bc = (max - b) / range;
  const h = r === max ? bc - gc : g === max ? 2 + rc - bc : 4 + gc - rc;
  return [((((h / 6) % 1) + 1) % 1) * 360, s, l];
}

function hueChannel(m1: number, m2: number, hue: number): number {
  const h = ((hue % 1) + 1) % 1;
  if (h < 1 / 6) return m1 + (m2 - m1) * h * 6;
  if (h < 0.5) return m2;
  if (h < 2 / 3) return m1 + (m2 - m1) * (2 / 3 - h) * 6;
  return m1;
}

/** HSL (hue in degrees) → sRGB (colorsys' hls_to_rgb, on saturation and lightness clamped to 0..1). */
export function srgbFromHsl([hDeg, sIn, lIn]: Triple): Triple {
  // InvokeAI clamps saturation and lightness first (blend results may leave 0..1).
  const s = Math.min(1, Math.max(0, sIn));
  const l = Math.min(1, Math.max(0, lIn));
  if (s === 0) return [l, l, l];
  const h = hDeg / 360;
  const m2 = l <= 0.5 ? l * (1 + s) : l + s - l * s;
  const m1 = 2 * l - m2;
  return [hueChannel(m1, m2, h + 1 / 3), hueChannel(m1, m2, h), hueChannel(m1, m2, h - 1 / 3)];
}

/**
 * InvokeAI's `equivalent_achromatic_lightness` over whole planes of CIE L (0..1), C and h (radians): the
 * Helmholtz–Kohlrausch adjustment is summed over the image (a tensordot over both axes), so it shifts every pixel
 * equally and the normalisation takes it out again; what remains is L up to float32 rounding, reproduced here.
 */
export function equivalentAchromaticLightness(l: Float64Array, c: Float64Array, h: Float64Array): Float32Array {
  const f32 = Math.fround;
  let adjustment = 0;
  for (let i = 0; i < l.length; i++) {
    const hm90 = ((((h[i] - Math.PI / 2 + 3 * Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
    const fBy = 0.1644 * Math.abs(Math.sin(hm90 / 2)) + 0.0603;
    const fR = h[i] >= -Math.PI / 2 && h[i] <= Math.PI / 2 ? 0.1307 * Math.abs(Math.cos(h[i])) + 0.006 : 0;
    adjustment += (fBy + fR) * c[i];
  }
  const adj = f32(adjustment);
  const span = f32(f32(1 + adj) - adj);
  const out = new Float32Array(l.length);
  for (let i = 0; i < l.length; i++) out[i] = f32(f32(f32(f32(l[i]) + adj) - adj) / span);
  return out;
}
