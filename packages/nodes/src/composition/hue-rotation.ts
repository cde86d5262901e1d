/**
 * InvokeAI's `invokeai_img_hue_adjust_plus` (hue rotated in HSV, Okhsl, Okhsv, Oklch or CIE LCh, optionally keeping
 * CIE L*) and `invokeai_ealightness` (the equivalent-achromatic-lightness channel of an image).
 */
import type { RawImage } from "@atelier/core";
import { getChannelByName, putAlpha } from "../image-ops/channel-ops.js";
import { hsvToRgb, rgbToHsv } from "../image-ops/color-spaces.js";
import { hasAlpha, type MutableRawImage } from "../image-ops/image-buffers.js";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { labBytes, rgbFromLabBytes, tensorByte } from "./layer-blend.js";
import {
  equivalentAchromaticLightness,
  linearFromOklab,
  linearFromSrgb,
  okhslFromSrgb,
  okhsvFromSrgb,
  oklabFromLinear,
  oklabFromOklch,
  oklchFromOklab,
  srgbFromLinearClipped,
  srgbFromOkhsl,
  srgbFromOkhsv,
  type Triple,
} from "./ok-color.js";

/** InvokeAI's HUE_COLOR_SPACES. */
export const HUE_COLOR_SPACES = [
  "HSV / HSL / RGB",
  "Okhsl",
  "Okhsv",
  "*Oklch / Oklab",
  "*LCh / CIELab",
  "*UPLab (w/CIELab_to_UPLab.icc)",
] as const;
/** One hue colour space. */
export type HueColorSpace = (typeof HUE_COLOR_SPACES)[number];

/** The options of a hue rotation. */
export interface HueRotation {
  readonly space: HueColorSpace;
  readonly degrees: number;
  readonly preserveLightness: boolean;
  readonly okAdaptiveGamut: number;
  readonly okHighPrecision: boolean;
}

const f32 = Math.fround;
const unit = (byte: number) => f32(byte / 255);

/** The hue of every pixel of `rgb` (RGB bytes) rotated in the chosen space; RGB bytes out. */
function rotate(rgb: Uint8Array, n: number, o: HueRotation, space: string): Uint8Array {
  const out = new Uint8Array(n * 3);
  const steps = o.okHighPrecision ? 3 : 1;
  const tmp = new Uint8Array(3);
  // The rotated colour depends on the input colour alone: each distinct colour is computed once.
  const done = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = i * 3;
    const [r, g, b] = [rgb[p], rgb[p + 1], rgb[p + 2]];
    const key = (r << 16) | (g << 8) | b;
    const known = done.get(key);
    if (known !== undefined) {
      out[p] = known >> 16;
      out[p + 1] = (known >> 8) & 0xff;
      out[p + 2] = known & 0xff;
      continue;
    }
    rotatePixel(r, g, b, p);
    done.set(key, (out[p] << 16) | (out[p + 1] << 8) | out[p + 2]);
  }
  return out;

  function rotatePixel(r: number, g: number, b: number, p: number): void {
    const srgb: Triple = [unit(r), unit(g), unit(b)];
    let result: Triple;
    switch (space) {
      case "hsv": {
        rgbToHsv(r, g, b, tmp, 0);
        const h = f32((((f32(unit(tmp[0]) * 360) + o.degrees) % 360) + 360) % 360) / 360;
        hsvToRgb(tensorByte(h), tensorByte(unit(tmp[1])), tensorByte(unit(tmp[2])), out, p);
        return;
      }
      case "okhsl": {
        const hsl = okhslFromSrgb(srgb, steps);
        hsl[0] = (((hsl[0] + o.degrees) % 360) + 360) % 360;
        result = srgbFromOkhsl(hsl, 0, steps);
        break;
      }
      case "okhsv": {
        const hsv = okhsvFromSrgb(srgb, steps);
        hsv[0] = (((hsv[0] + o.degrees) % 360) + 360) % 360;
        result = srgbFromOkhsv(hsv, 0, steps);
        break;
      }
      case "oklch": {
        const lch = oklchFromOklab(
          oklabFromLinear([linearFromSrgb(r / 255), linearFromSrgb(g / 255), linearFromSrgb(b / 255)]),
        );
        lch[2] = (((lch[2] + o.degrees) % 360) + 360) % 360;
        result = srgbFromLinearClipped(linearFromOklab(oklabFromOklch(lch)), o.okAdaptiveGamut, steps);
        break;
      }
      default: {
        // CIE LCh: rotate the (a*, b*) plane of Pillow's LAB bytes, scaled to -1..1 as InvokeAI's tensors hold them.
        const [l, a, bb] = labBytes(r, g, b);
        const an = f32(unit(a) * 2 - 1);
        const bn = f32(unit(bb) * 2 - 1);
        const c = Math.hypot(an, bn);
        let h = Math.atan2(bn, an) + (o.degrees / 180) * Math.PI;
        h = ((((h + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
        const back = rgbFromLabBytes(l, tensorByte((c * Math.cos(h) + 1) / 2), tensorByte((c * Math.sin(h) + 1) / 2));
        out.set(back, p);
        return;
      }
    }
    out[p] = tensorByte(result[0]);
    out[p + 1] = tensorByte(result[1]);
    out[p + 2] = tensorByte(result[2]);
  }
}

/**
 * invokeai_img_hue_adjust_plus: the image's hue rotated by `degrees` in the chosen space, CIE L* restored from the
 * input when asked, and the input's mode (L or RGB, with its alpha) restored.
 */
export function adjustHuePlus(image: RawImage, o: HueRotation): MutableRawImage {
  const space = o.space.split(" ")[0].toLowerCase().replace(/^\*/, "");
  if (space === "uplab") {
    // InvokeAI reads this space from an ICC profile shipped with it (CIELab_to_UPLab.icc); Atelier has no ICC engine.
    throw new ImageOperationError(
      "color_space_unsupported",
      `hue adjust: the UPLab space needs InvokeAI's CIELab_to_UPLab.icc profile, which Atelier does not ship; use "*LCh / CIELab"`,
      { field: "space", space: o.space },
    );
  }
  const rgb = convertMode(image, "RGB");
  const n = image.width * image.height;
  let rotated = rotate(rgb.data, n, o, space);
  if (o.preserveLightness && space !== "lch") {
    const keep = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const p = i * 3;
      const lOriginal = labBytes(rgb.data[p], rgb.data[p + 1], rgb.data[p + 2])[0];
      const [, a, b] = labBytes(rotated[p], rotated[p + 1], rotated[p + 2]);
      keep.set(rgbFromLabBytes(lOriginal, a, b), p);
    }
    rotated = keep;
  }
  const base = image.mode === "L" || image.mode === "LA" ? "L" : "RGB";
  const out = convertMode({ width: image.width, height: image.height, mode: "RGB", data: rotated }, base);
  return hasAlpha(image.mode) ? putAlpha(out, getChannelByName(image, "A")) : out;
}

/**
 * invokeai_ealightness: an L image of the equivalent achromatic lightness of the input, computed from Pillow's LAB
 * conversion as InvokeAI does (which, since its adjustment is one value for the whole image, is CIE L* up to float32
 * rounding).
 */
export function equivalentAchromaticLightnessImage(image: RawImage): MutableRawImage {
  const rgb = convertMode(image, "RGB");
  const n = image.width * image.height;
  const l = new Float64Array(n);
  const c = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [lb, ab, bb] = labBytes(rgb.data[i * 3], rgb.data[i * 3 + 1], rgb.data[i * 3 + 2]);
    const an = f32(unit(ab) * 2 - 1);
    const bn = f32(unit(bb) * 2 - 1);
    l[i] = unit(lb);
    c[i] = f32(Math.sqrt(f32(an * an + bn * bn)));
    h[i] = Math.atan2(bn, an);
  }
  const eal = equivalentAchromaticLightness(l, c, h);
  return { width: image.width, height: image.height, mode: "L", data: Uint8Array.from(eal, tensorByte) };
}
