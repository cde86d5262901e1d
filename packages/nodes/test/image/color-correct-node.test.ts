import { describe, expect, it } from "vitest";
import type { RawImage } from "@atelier/core";
import { ColorCorrectInvocation } from "../../src/image-nodes.js";
import { createImageTestContext, type ImageTestContext } from "../support/image-test-context.js";
import { referenceImage } from "../support/reference-images.js";
import { lerpImage } from "../../src/image-ops/point-ops.js";
import { runNode } from "../support/run-node.js";

function meanOf(image: RawImage, channel: number): number {
  const c = image.data.length / (image.width * image.height);
  let s = 0;
  for (let i = channel; i < image.data.length; i += c) s += image.data[i];
  return s / (image.width * image.height);
}

/** Largest gap between the cumulative histograms of one channel of two images. */
function cdfDistance(a: RawImage, b: RawImage, channel: number): number {
  const hist = (im: RawImage) => {
    const c = im.data.length / (im.width * im.height);
    const h = new Float64Array(256);
    for (let i = channel; i < im.data.length; i += c) h[im.data[i]]++;
    let s = 0;
    return h.map((v) => (s += v) / (im.width * im.height));
  };
  const ha = hist(a);
  const hb = hist(b);
  return Math.max(...ha.map((v, i) => Math.abs(v - hb[i])));
}

async function run(ctx: ImageTestContext, inputs: Record<string, unknown>): Promise<RawImage> {
  const out = await runNode(ColorCorrectInvocation, inputs, ctx);
  return ctx.image((out.image as { image_name: string }).image_name);
}

describe("color_correct", () => {
  it("moves each RGB channel's histogram onto the reference's", async () => {
    const ctx = createImageTestContext();
    const baseImage = await referenceImage("input-rgb.png");
    // A reference squeezed into 100..180: far from the base's histograms in every channel.
    const refImage = lerpImage(await referenceImage("input-other-rgb.png"), 100, 180);
    const out = await run(ctx, { base_image: ctx.putImage(baseImage), color_reference: ctx.putImage(refImage) });
    for (const c of [0, 1, 2]) {
      const before = cdfDistance(baseImage, refImage, c);
      const after = cdfDistance(out, refImage, c);
      // Discrete values cannot match a histogram exactly; the gap must shrink a lot and end small.
      expect(after).toBeLessThan(0.08);
      expect(after * 3).toBeLessThan(before);
    }
  });

  it("luma-only matching shifts brightness and keeps the base where the mask is white", async () => {
    const ctx = createImageTestContext();
    const base = ctx.putImage({
      width: 2,
      height: 2,
      mode: "RGBA",
      data: Uint8Array.of(40, 40, 40, 255, 60, 50, 40, 255, 30, 30, 30, 200, 50, 40, 60, 255),
    });
    const bright = ctx.putImage({
      width: 2,
      height: 1,
      mode: "RGB",
      data: Uint8Array.of(200, 200, 200, 220, 220, 220),
    });
    const out = await run(ctx, { base_image: base, color_reference: bright, colorspace: "YCbCr-Luma" });
    expect(out.mode).toBe("RGBA");
    expect(meanOf(out, 0)).toBeGreaterThan(150);
    expect([3, 7, 11, 15].map((i) => out.data[i])).toEqual([255, 255, 200, 255]);
    const white = ctx.putImage({ width: 2, height: 2, mode: "L", data: new Uint8Array(4).fill(255) });
    const kept = await run(ctx, { base_image: base, color_reference: bright, mask: white });
    expect(kept).toEqual(ctx.image(base.image_name));
  });

  it("refuses a mask of another size, naming the field", async () => {
    const ctx = createImageTestContext();
    const base = ctx.putImage({ width: 2, height: 2, mode: "RGB", data: new Uint8Array(12) });
    const mask = ctx.putImage({ width: 1, height: 1, mode: "L", data: new Uint8Array(1) });
    await expect(run(ctx, { base_image: base, color_reference: base, mask })).rejects.toMatchObject({
      code: "image_size_mismatch",
      details: { node_type: "color_correct", field: "mask" },
    });
    await expect(run(ctx, { base_image: base, color_reference: base, colorspace: "LAB" })).rejects.toThrow(
      /color_correct.*colorspace/,
    );
  });
});
