import { describe, expect, it } from "vitest";
import type { ImageMode, RawImage } from "@atelier/core";
import { resizeImage, type ResampleMode } from "../../src/image-ops/resample.js";
import { boxBlur, gaussianBlur } from "../../src/image-ops/box-blur.js";
import { convertMode } from "../../src/image-ops/mode-conversion.js";
import { cropImage, pasteImage } from "../../src/image-ops/crop-paste.js";
import { differenceImages, invertImage, multiplyImages, screenImages } from "../../src/image-ops/point-ops.js";
import { colorSpaceToRgba, toColorSpace } from "../../src/image-ops/color-spaces.js";
import { extractChannel } from "../../src/image-ops/image-buffers.js";
import { checkCase, loadManifest, type ReferenceOp } from "../support/reference-images.js";

const asRgb = (p: { width: number; height: number; data: Uint8Array }): RawImage => ({
  width: p.width,
  height: p.height,
  mode: "RGB",
  data: p.data,
});

const OPS: Record<string, ReferenceOp> = {
  resize: ([im], p) => resizeImage(im, p.width as number, p.height as number, p.resample_mode as ResampleMode),
  gaussian_blur: ([im], p) => gaussianBlur(im, p.radius as number),
  box_blur: ([im], p) => boxBlur(im, p.radius as number),
  convert: ([im], p) => convertMode(im, p.mode as ImageMode),
  crop: ([im], p) => {
    const [l, t, r, b] = p.box as number[];
    return cropImage(im, l, t, r, b);
  },
  paste: ([base, src, mask], p) => pasteImage(base, src, p.x as number, p.y as number, mask),
  multiply: ([a, b]) => multiplyImages(a, b),
  screen: ([a, b]) => screenImages(a, b),
  difference: ([a, b]) => differenceImages(a, b),
  invert: ([im]) => invertImage(im),
  hsv_round_trip: ([im]) => convertMode(colorSpaceToRgba(toColorSpace(im, "HSV")), "RGB"),
  to_hsv: ([im]) => asRgb(toColorSpace(im, "HSV")),
  to_cmyk_k: ([im]) => {
    const cmyk = toColorSpace(im, "CMYK");
    return extractChannel({ width: cmyk.width, height: cmyk.height, mode: "RGBA", data: cmyk.data }, 3);
  },
  to_ycbcr: ([im]) => asRgb(toColorSpace(im, "YCbCr")),
  to_lab: ([im]) => {
    const lab = toColorSpace(im, "LAB");
    const data = lab.data.map((v, i) => (i % 3 === 0 ? v : v ^ 128));
    return asRgb({ ...lab, data });
  },
};

const manifest = loadManifest();
const cases = manifest.cases.filter((c) => c.op in OPS);

describe(`Pillow ${manifest.pillow} primitives`, () => {
  it("has reference cases for every primitive", () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(Object.keys(OPS)));
  });
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      await checkCase(c, OPS);
    });
  }
});
