/**
 * InvokeAI's `invokeai_img_blend` (dwringer's Image Layer Blend): the upper layer fitted to the base, both taken
 * into a colour space, combined by a blend mode, brought back to linear sRGB (optionally gamut-clipped) and
 * alpha-composited over the base with opacity and an optional mask. Modes that InvokeAI computes on the lightness
 * channel only in polar spaces do so here too, and its quirks (Vivid Light converting twice in RGB spaces, EAL
 * lightness that is CIE L* up to rounding) are kept so that results match.
 */
import type { RawImage } from "@atelier/core";
import { convertMode } from "../image-ops/mode-conversion.js";
import { hsvToRgb, labToRgb, rgbToHsv, rgbToLab } from "../image-ops/color-spaces.js";
import type { MutableRawImage } from "../image-ops/image-buffers.js";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import { fitImage, padImage } from "../image-ops/layer-fit.js";
import { resizeImage } from "../image-ops/resample.js";
import {
  equivalentAchromaticLightness,
  gamutClip,
  hslFromSrgb,
  linearFromOklab,
  linearFromSrgb,
  okhslFromSrgb,
  okhsvFromSrgb,
  oklabFromLinear,
  oklabFromOklch,
  oklchFromOklab,
  srgbFromHsl,
  srgbFromLinearClipped,
  srgbFromOkhsl,
  srgbFromOkhsv,
  type Triple,
} from "./ok-color.js";

/** InvokeAI's BLEND_MODES. */
export const BLEND_MODES = [
  "Normal",
  "Lighten Only",
  "Darken Only",
  "Lighten Only (EAL)",
  "Darken Only (EAL)",
  "Hue",
  "Saturation",
  "Color",
  "Luminosity",
  "Linear Dodge (Add)",
  "Subtract",
  "Multiply",
  "Divide",
  "Screen",
  "Overlay",
  "Linear Burn",
  "Difference",
  "Hard Light",
  "Soft Light",
  "Vivid Light",
  "Linear Light",
  "Color Burn",
  "Color Dodge",
] as const;
/** One blend mode. */
export type BlendMode = (typeof BLEND_MODES)[number];

/** InvokeAI's BLEND_COLOR_SPACES. */
export const BLEND_COLOR_SPACES = [
  "RGB",
  "Linear RGB",
  "HSL (RGB)",
  "HSV (RGB)",
  "Okhsl",
  "Okhsv",
  "Oklch (Oklab)",
  "LCh (CIELab)",
] as const;
/** One blend colour space. */
export type BlendColorSpace = (typeof BLEND_COLOR_SPACES)[number];

type Space = "RGB" | "Linear" | "HSL" | "HSV" | "Okhsl" | "Okhsv" | "Oklch" | "LCh";

/** The options of a layer blend. */
export interface LayerBlendOptions {
  readonly blendMode: BlendMode;
  readonly colorSpace: BlendColorSpace;
  readonly opacity: number;
  readonly fitToWidth: boolean;
  readonly fitToHeight: boolean;
  readonly adaptiveGamut: number;
  readonly highPrecision: boolean;
}

const f32 = Math.fround;
/** torch's `mul(255).byte()` on a value in 0..1 (truncation; NaN as 0). */
export const tensorByte = (v: number): number =>
  Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, Math.trunc(f32(f32(v) * 255))));
const unit = (byte: number) => f32(byte / 255);

/**
 * Pillow's LAB bytes of an sRGB pixel as `getchannel()` returns them, which is what InvokeAI's tensors see:
 * L·255/100, a* + 128, b* + 128 (through the formula approximation of LittleCMS).
 */
export function labBytes(r: number, g: number, b: number): Triple {
  const out = new Uint8Array(3);
  rgbToLab(r, g, b, out, 0);
  // color-spaces.ts keeps a* and b* as two's-complement bytes (Pillow's internal storage); getchannel() offsets them.
  return [out[0], out[1] ^ 0x80, out[2] ^ 0x80];
}

/** sRGB bytes of Pillow LAB bytes (inverse of `labBytes`). */
export function rgbFromLabBytes(l: number, a: number, b: number): Triple {
  const out = new Uint8Array(3);
  labToRgb(l, a ^ 0x80, b ^ 0x80, out, 0);
  return [out[0], out[1], out[2]];
}

/** Pillow's HSV bytes of an sRGB pixel. */
function hsvBytes(r: number, g: number, b: number): Triple {
  const out = new Uint8Array(3);
  rgbToHsv(r, g, b, out, 0);
  return [out[0], out[1], out[2]];
}

function rgbFromHsvBytes(h: number, s: number, v: number): Triple {
  const out = new Uint8Array(3);
  hsvToRgb(h, s, v, out, 0);
  return [out[0], out[1], out[2]];
}

/** `scale_and_pad_or_crop_to_base`: stretch, pad (letterbox) or crop-fit the layer to the base's size. */
export function fitLayerToBase(layer: RawImage, base: RawImage, fitToWidth: boolean, fitToHeight: boolean): RawImage {
  const aspectBase = base.width / base.height;
  const aspectLayer = layer.width / layer.height;
  if (fitToWidth && fitToHeight) return resizeImage(layer, base.width, base.height, "bicubic");
  if ((fitToWidth && aspectBase < aspectLayer) || (fitToHeight && aspectLayer <= aspectBase)) {
    const channels = layer.data.length / (layer.width * layer.height);
    return padImage(layer, base.width, base.height, new Array<number>(channels).fill(0));
  }
  if ((fitToWidth && aspectLayer <= aspectBase) || (fitToHeight && aspectBase < aspectLayer)) {
    return fitImage(layer, base.width, base.height);
  }
  return layer;
}

interface SpaceInfo {
  readonly lightness: number | null;
  readonly saturation: number | null;
  readonly hue: number | null;
  readonly period: number | null;
}

const SPACE_INFO: Readonly<Record<Space, SpaceInfo>> = {
  RGB: { lightness: null, saturation: null, hue: null, period: null },
  Linear: { lightness: null, saturation: null, hue: null, period: null },
  HSL: { lightness: 2, saturation: 1, hue: 0, period: 360 },
  HSV: { lightness: 2, saturation: 1, hue: 0, period: 360 },
  Okhsl: { lightness: 2, saturation: 1, hue: 0, period: 360 },
  Okhsv: { lightness: 2, saturation: 1, hue: 0, period: 360 },
  Oklch: { lightness: 0, saturation: 1, hue: 2, period: 360 },
  LCh: { lightness: 0, saturation: 1, hue: 2, period: 2 * Math.PI },
};

/** One pixel of a layer in every representation the blend may need. */
interface PixelViews {
  readonly bytes: Triple;
  readonly srgb: Triple;
}

/** The pixel in the blend's colour space. */
function toSpace(space: Space, p: PixelViews, steps: number): Triple {
  const [r, g, b] = p.srgb;
  switch (space) {
    case "RGB":
      return [r, g, b];
    case "Linear":
      return [LINEAR_OF_BYTE[p.bytes[0]], LINEAR_OF_BYTE[p.bytes[1]], LINEAR_OF_BYTE[p.bytes[2]]];
    case "HSL":
      return hslFromSrgb(p.srgb);
    case "HSV": {
      const [h, s, v] = hsvBytes(...p.bytes);
      return [f32(unit(h) * 360), unit(s), unit(v)];
    }
    case "Okhsl":
      return okhslFromSrgb(p.srgb, steps);
    case "Okhsv":
      return okhsvFromSrgb(p.srgb, steps);
    case "Oklch":
      return oklchFromOklab(
        oklabFromLinear([LINEAR_OF_BYTE[p.bytes[0]], LINEAR_OF_BYTE[p.bytes[1]], LINEAR_OF_BYTE[p.bytes[2]]]),
      );
    case "LCh":
      return lchOf(p.bytes);
  }
}

/** CIE L (0..1), C and h (radians) of a pixel from Pillow's LAB bytes, as InvokeAI builds its LCh tensor. */
function lchOf(bytes: Triple): Triple {
  const [l, a, b] = labBytes(...bytes);
  const an = f32(unit(a) * 2 - 1);
  const bn = f32(unit(b) * 2 - 1);
  return [unit(l), Math.hypot(an, bn), Math.atan2(bn, an)];
}

const lin = (s: Triple): Triple => [linearFromSrgb(s[0]), linearFromSrgb(s[1]), linearFromSrgb(s[2])];
/** Linear light of each sRGB byte value (as float32 0..1 first, like InvokeAI's tensors). */
const LINEAR_OF_BYTE = Float64Array.from({ length: 256 }, (_, i) => linearFromSrgb(unit(i)));

/** Back from the blend's colour space to linear sRGB (InvokeAI's `reassembly_function`). */
function reassemble(space: Space, t: Triple, alpha: number, steps: number): Triple {
  switch (space) {
    case "RGB":
      return lin(t);
    case "Linear":
      return t;
    case "HSL":
      return lin(srgbFromHsl(t));
    case "HSV": {
      const clamp = (v: number) => Math.min(1, Math.max(0, v));
      const rgb = rgbFromHsvBytes(
        tensorByte(f32(f32(((t[0] % 360) + 360) % 360) / 360)),
        tensorByte(clamp(t[1])),
        tensorByte(clamp(t[2])),
      );
      return lin([unit(rgb[0]), unit(rgb[1]), unit(rgb[2])]);
    }
    case "Okhsl":
      return lin(srgbFromOkhsl(t, alpha, steps));
    case "Okhsv":
      return lin(srgbFromOkhsv(t, alpha, steps));
    case "Oklch":
      return linearFromOklab(oklabFromOklch(t));
    case "LCh": {
      const clamp = (v: number) => Math.min(1, Math.max(0, v));
      const rgb = rgbFromLabBytes(
        tensorByte(clamp(t[0])),
        tensorByte(clamp((t[1] * Math.cos(t[2]) + 1) / 2)),
        tensorByte(clamp((t[1] * Math.sin(t[2]) + 1) / 2)),
      );
      return lin([unit(rgb[0]), unit(rgb[1]), unit(rgb[2])]);
    }
  }
}

type Blend = (u: Triple, l: Triple, i: number) => Triple;

// Results are rounded to float32 like InvokeAI's tensors, so values that land on a byte boundary truncate alike.
const map3 = (u: Triple, l: Triple, f: (x: number, y: number) => number): Triple => [
  f32(f(u[0], l[0])),
  f32(f(u[1], l[1])),
  f32(f(u[2], l[2])),
];

/** Applies `f` to every channel, or only to the lightness channel (the rest from `keep`) in polar spaces. */
function onLightness(info: SpaceInfo, u: Triple, l: Triple, keep: Triple, f: (x: number, y: number) => number): Triple {
  if (info.lightness === null) return map3(u, l, f);
  const out: Triple = [...keep];
  out[info.lightness] = f(u[info.lightness], l[info.lightness]);
  return out;
}

function wrapHue(info: SpaceInfo, t: Triple): Triple {
  if (info.hue === null || info.period === null) return t;
  const out: Triple = [...t];
  out[info.hue] = f32(((out[info.hue] % info.period) + info.period) % info.period);
  return out;
}

/** Blends one layer pair into linear sRGB; `clip` marks modes whose result InvokeAI passes through adaptive_clipped. */
function blendFor(
  mode: BlendMode,
  info: SpaceInfo,
  eal: { upper: Float32Array; lower: Float32Array } | null,
): { blend: Blend; clip: boolean; twice?: boolean } {
  switch (mode) {
    case "Normal":
      return { blend: (u) => u, clip: false };
    case "Multiply":
      return { blend: (u, l) => map3(u, l, (a, b) => b * a), clip: false };
    case "Screen":
      return { blend: (u, l) => map3(u, l, (a, b) => 1 - (1 - a) * (1 - b)), clip: false };
    case "Overlay":
    case "Hard Light": {
      const overlay = mode === "Overlay";
      return {
        blend: (u, l) =>
          onLightness(info, u, l, u, (a, b) => ((overlay ? b : a) < 0.5 ? 2 * b * a : 1 - 2 * (1 - b) * (1 - a))),
        clip: true,
      };
    }
    case "Soft Light":
      return {
        blend: (u, l) =>
          onLightness(info, u, l, l, (a, b) => {
            const g = b <= 0.25 ? ((16 * b - 12) * b + 4) * b : Math.sqrt(b);
            return a <= 0.5 ? b - (1 - b) * b * (1 - 2 * a) : b + (2 * a - 1) * (g - b);
          }),
        clip: true,
      };
    case "Linear Dodge (Add)":
      return {
        blend: (u, l) =>
          wrapHue(
            info,
            map3(u, l, (a, b) => b + a),
          ),
        clip: true,
      };
    case "Color Dodge":
      return {
        blend: (u, l) =>
          wrapHue(
            info,
            map3(u, l, (a, b) => b / (1 - a)),
          ),
        clip: true,
      };
    case "Divide":
      return {
        blend: (u, l) =>
          wrapHue(
            info,
            map3(u, l, (a, b) => b / a),
          ),
        clip: true,
      };
    case "Subtract":
      return {
        blend: (u, l) =>
          wrapHue(
            info,
            map3(u, l, (a, b) => b - a),
          ),
        clip: true,
      };
    case "Linear Burn":
      return { blend: (u, l) => onLightness(info, u, l, l, (a, b) => b + a - 1), clip: true };
    case "Color Burn":
      return { blend: (u, l) => map3(u, l, (a, b) => 1 - Math.min((1 - b) / a, 1)), clip: true };
    case "Vivid Light":
      return {
        blend: (u, l) => onLightness(info, u, l, l, (a, b) => (a < 0.5 ? (1 - (1 - b) / a) / 2 : b / (1 - a) / 2)),
        clip: true,
        // In RGB-like spaces InvokeAI reassembles (and clips) this mode's result twice.
        twice: info.lightness === null,
      };
    case "Linear Light":
      return { blend: (u, l) => onLightness(info, u, l, l, (a, b) => b + 2 * a - 1), clip: true };
    case "Difference":
      return { blend: (u, l) => map3(u, l, (a, b) => Math.abs(b - a)), clip: true };
    case "Darken Only":
    case "Lighten Only": {
      const darken = mode === "Darken Only";
      return {
        blend: (u, l) => {
          if (info.lightness === null) return map3(u, l, (a, b) => (darken ? Math.min(a, b) : Math.max(a, b)));
          const a = u[info.lightness];
          const b = l[info.lightness];
          return (darken ? a >= b : a < b) ? l : u;
        },
        clip: false,
      };
    }
    case "Hue":
    case "Saturation":
    case "Color":
    case "Luminosity": {
      const { lightness: li, saturation: si, hue: hi } = info as { lightness: number; saturation: number; hue: number };
      const fromLower: Record<string, number[]> = {
        Hue: [li, si],
        Saturation: [li, hi],
        Color: [li],
        Luminosity: [si, hi],
      };
      return {
        blend: (u, l) => {
          const out: Triple = [...u];
          for (const c of fromLower[mode]) out[c] = l[c];
          return out;
        },
        clip: false,
      };
    }
    case "Lighten Only (EAL)":
    case "Darken Only (EAL)": {
      const lighten = mode === "Lighten Only (EAL)";
      const { upper, lower } = eal!;
      return {
        blend: (u, l, i) => ((lighten ? upper[i] < lower[i] : upper[i] >= lower[i]) ? l : u),
        clip: false,
      };
    }
  }
}

/** The layer's pixels as sRGB bytes and 0..1 values, plus its alpha (1 where it has none, as InvokeAI reads RGBA only). */
function layerPixels(image: RawImage): { bytes: Uint8Array; alpha: Float32Array } {
  const rgb = image.mode === "RGB" ? image : convertMode(image, "RGB");
  const n = image.width * image.height;
  const alpha = new Float32Array(n).fill(1);
  if (image.mode === "RGBA") for (let i = 0; i < n; i++) alpha[i] = unit(image.data[i * 4 + 3]);
  return { bytes: rgb.data, alpha };
}

/** The EAL lightness planes of a layer (from its LCh). */
function ealOf(bytes: Uint8Array, n: number): Float32Array {
  const l = new Float64Array(n);
  const c = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    [l[i], c[i], h[i]] = lchOf([bytes[i * 3], bytes[i * 3 + 1], bytes[i * 3 + 2]]);
  }
  return equivalentAchromaticLightness(l, c, h);
}

/**
 * invokeai_img_blend: `upper` blended onto `base` (both any mode), with an optional L mask (white keeps the base).
 * The result has the base's mode.
 */
export function blendLayers(
  upperIn: RawImage,
  base: RawImage,
  maskIn: RawImage | null,
  o: LayerBlendOptions,
): MutableRawImage {
  if (upperIn.width === 0 || upperIn.height === 0 || base.width === 0 || base.height === 0) {
    throw new ImageOperationError("empty_image", "image blend: the layers must not be empty", {});
  }
  const upper = fitLayerToBase(upperIn, base, o.fitToWidth, o.fitToHeight);
  const mask = maskIn === null ? null : fitLayerToBase(maskIn, base, o.fitToWidth, o.fitToHeight);
  for (const [what, img] of [
    ["layer_upper", upper],
    ["mask", mask],
  ] as const) {
    if (img !== null && (img.width !== base.width || img.height !== base.height)) {
      throw new ImageOperationError(
        "image_size_mismatch",
        `image blend: the ${what} is ${img.width}x${img.height} after fitting but the base is ${base.width}x${base.height}; enable fit_to_width or fit_to_height`,
        { field: what },
      );
    }
  }
  let space = o.colorSpace.split(" ")[0] as Space;
  if ((space === "RGB" || space === "Linear") && ["Hue", "Saturation", "Color", "Luminosity"].includes(o.blendMode)) {
    space = "HSL";
  }
  const info = SPACE_INFO[space];
  const steps = o.highPrecision ? 3 : 1;
  const n = base.width * base.height;
  const up = layerPixels(upper);
  const lo = layerPixels(base);
  const maskL = mask === null ? null : convertMode(mask, "L").data;
  const eal = o.blendMode.endsWith("(EAL)") ? { upper: ealOf(up.bytes, n), lower: ealOf(lo.bytes, n) } : null;
  const { blend, clip, twice } = blendFor(o.blendMode, info, eal);

  const adaptiveClipped = (rgb: Triple): Triple => {
    let t = rgb.map((v) => (Number.isNaN(v) ? Number.MAX_VALUE : v)) as Triple;
    if (o.adaptiveGamut > 0) {
      t = gamutClip(t, o.adaptiveGamut, steps).map((v) => (Number.isNaN(v) ? Number.MAX_VALUE : v)) as Triple;
    }
    return t.map((v) => Math.min(1, Math.max(0, v))) as Triple;
  };

  // Colour-space conversions depend on the colour alone: in the costly spaces each distinct colour of a layer is
  // converted once.
  const upperSpace = new Map<number, Triple>();
  const lowerSpace = new Map<number, Triple>();
  const memoise = space === "Okhsl" || space === "Okhsv" || space === "Oklch" || space === "LCh";
  const inSpace = (memo: Map<number, Triple>, p: PixelViews): Triple => {
    if (!memoise) return toSpace(space, p, steps);
    const key = (p.bytes[0] << 16) | (p.bytes[1] << 8) | p.bytes[2];
    let t = memo.get(key);
    if (t === undefined) {
      t = toSpace(space, p, steps);
      memo.set(key, t);
    }
    // Blend functions may write into their inputs' copies, never into the memoised triple itself.
    return [t[0], t[1], t[2]];
  };
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const ub: Triple = [up.bytes[i * 3], up.bytes[i * 3 + 1], up.bytes[i * 3 + 2]];
    const lb: Triple = [lo.bytes[i * 3], lo.bytes[i * 3 + 1], lo.bytes[i * 3 + 2]];
    const uView = { bytes: ub, srgb: [unit(ub[0]), unit(ub[1]), unit(ub[2])] as Triple };
    const lView = { bytes: lb, srgb: [unit(lb[0]), unit(lb[1]), unit(lb[2])] as Triple };
    const blended = blend(inSpace(upperSpace, uView), inSpace(lowerSpace, lView), i);
    let linear = reassemble(space, blended, o.adaptiveGamut, steps);
    if (clip) linear = adaptiveClipped(linear);
    if (twice) linear = adaptiveClipped(reassemble(space, linear, o.adaptiveGamut, steps));
    const srgb = srgbFromLinearClipped(linear, o.adaptiveGamut, steps);

    let au = up.alpha[i] * o.opacity;
    if (maskL !== null) au *= 1 - unit(maskL[i]);
    const al = lo.alpha[i];
    const a = au + al * (1 - au);
    for (let c = 0; c < 3; c++) {
      const v = Number.isNaN(srgb[c]) ? 0 : srgb[c];
      out[i * 4 + c] = tensorByte((v * au + lView.srgb[c] * al * (1 - au)) / a);
    }
    out[i * 4 + 3] = tensorByte(a);
  }
  const rgba: MutableRawImage = { width: base.width, height: base.height, mode: "RGBA", data: out };
  return base.mode === "RGBA" ? rgba : convertMode(rgba, base.mode);
}
