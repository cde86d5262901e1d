import { describe, expect, it } from "vitest";
import type { ImageMode } from "@atelier/core";
import { cropToCanvas, pasteOnCanvas } from "../../src/image-ops/canvas-ops.js";
import { unsharpMask } from "../../src/image-ops/sharpen.js";
import { inverseLerpImage, invertImage, lerpImage, multiplyImages } from "../../src/image-ops/point-ops.js";
import { adjustHue, multiplyChannel, offsetChannel } from "../../src/image-ops/channel-adjust.js";
import { getChannelByName, lastBand } from "../../src/image-ops/channel-ops.js";
import { convertMode } from "../../src/image-ops/mode-conversion.js";
import { createImage } from "../../src/image-ops/image-buffers.js";
import { checkCase, loadManifest, type ReferenceOp } from "../support/reference-images.js";

const n = (v: unknown) => v as number;

/** The node algorithms, keyed by InvokeAI type id, with the parameters named as the node fields are. */
const OPS: Record<string, ReferenceOp> = {
  img_crop: ([im], p) => cropToCanvas(im, n(p.x), n(p.y), n(p.width), n(p.height)),
  img_paste: ([base, im, mask], p) => pasteOnCanvas(base, im, n(p.x), n(p.y), mask ?? null, p.crop as boolean),
  unsharp_mask: ([im], p) => unsharpMask(im, n(p.radius), n(p.strength)),
  img_lerp: ([im], p) => lerpImage(im, n(p.min), n(p.max)),
  img_ilerp: ([im], p) => inverseLerpImage(im, n(p.min), n(p.max)),
  img_hue_adjust: ([im], p) => adjustHue(im, n(p.hue)),
  img_channel_offset: ([im], p) => offsetChannel(im, p.channel as string, n(p.offset)),
  img_channel_multiply: ([im], p) => multiplyChannel(im, p.channel as string, n(p.scale), p.invert_channel as boolean),
  img_chan: ([im], p) => getChannelByName(im, p.channel as string),
  tomask: ([im], p) => (p.invert ? invertImage(lastBand(im)) : lastBand(im)),
  mask_combine: ([a, b]) => multiplyImages(convertMode(a, "L"), convertMode(b, "L")),
  blank_image: (_inputs, p) => {
    const c = p.color as { r: number; g: number; b: number; a: number };
    return createImage(n(p.width), n(p.height), p.mode as ImageMode, [c.r, c.g, c.b, c.a]);
  },
};

const manifest = loadManifest();
const cases = manifest.cases.filter((c) => c.op in OPS);

describe(`InvokeAI node algorithms vs Pillow ${manifest.pillow}`, () => {
  it("has reference cases for every algorithm", () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(Object.keys(OPS)));
  });
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      await checkCase(c, OPS);
    });
  }
});
