import { describe, expect, it } from "vitest";
import type { RawImage } from "@atelier/core";
import {
  BlankImageInvocation,
  ImageBlurInvocation,
  ImageChannelInvocation,
  ImageChannelMultiplyInvocation,
  ImageChannelOffsetInvocation,
  ImageConvertInvocation,
  ImageCropInvocation,
  ImageHueAdjustmentInvocation,
  ImageInverseLerpInvocation,
  ImageLerpInvocation,
  ImageMultiplyInvocation,
  ImagePasteInvocation,
  ImageResizeInvocation,
  ImageScaleInvocation,
  MaskCombineInvocation,
  MaskFromAlphaInvocation,
  SaveImageInvocation,
  ShowImageInvocation,
  UnsharpMaskInvocation,
} from "../../src/image-nodes.js";
import { createImageTestContext, type ImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();

/** A deterministic image of the given mode and size. */
function pattern(width: number, height: number, mode: RawImage["mode"], seed = 1): RawImage {
  const c = { L: 1, LA: 2, RGB: 3, RGBA: 4 }[mode];
  const data = new Uint8Array(width * height * c);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s >>> 16) & 0xff;
  }
  return { width, height, mode, data };
}

async function outputImage(ctx: ImageTestContext, out: Record<string, unknown>): Promise<RawImage> {
  const field = out.image as { image_name: string };
  const img = ctx.image(field.image_name);
  expect(out.width).toBe(img.width);
  expect(out.height).toBe(img.height);
  return img;
}

/** Runs the node on the manifest case's inputs and expects the Pillow output within the case's tolerance. */
async function expectNodeMatchesCase(
  def: { type: string },
  caseName: string,
  toInputs: (images: Array<{ image_name: string }>, params: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const c = manifest.cases.find((k) => k.name === caseName);
  expect(c, `reference case ${caseName}`).toBeDefined();
  const ctx = createImageTestContext();
  const fields = await Promise.all(c!.inputs.map(async (f) => ctx.putImage(await referenceImage(f))));
  const out = await runNode(def, toInputs(fields, c!.params), ctx);
  const diff = compareImages(await outputImage(ctx, out), await referenceImage(c!.output!));
  if (c!.tolerance.psnr !== undefined) expect(diff.psnr).toBeGreaterThanOrEqual(c!.tolerance.psnr);
  else expect(diff.maxDiff, JSON.stringify(diff.firstMismatch)).toBeLessThanOrEqual(c!.tolerance.max_diff ?? 0);
}

function firstCase(op: string, where: (p: Record<string, unknown>) => boolean = () => true): string {
  const c = manifest.cases.find((k) => k.op === op && where(k.params));
  if (!c) throw new Error(`no reference case for ${op}`);
  return c.name;
}

describe("img_resize / img_scale", () => {
  it("matches Pillow for every resample mode", async () => {
    for (const mode of ["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"]) {
      await expectNodeMatchesCase(
        ImageResizeInvocation,
        firstCase("resize", (p) => p.resample_mode === mode),
        ([image], p) => ({
          image,
          width: p.width,
          height: p.height,
          resample_mode: p.resample_mode,
        }),
      );
    }
  });

  it("scales by int(side * factor) and keeps a 1x1 image's colour", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(10, 7, "RGBA"));
    const out = await runNode(ImageScaleInvocation, { image, scale_factor: 0.55 }, ctx);
    expect([out.width, out.height]).toEqual([5, 3]);
    const one = ctx.putImage({ width: 1, height: 1, mode: "RGB", data: Uint8Array.of(10, 20, 30) });
    const up = await runNode(ImageScaleInvocation, { image: one, scale_factor: 3, resample_mode: "lanczos" }, ctx);
    expect(Array.from((await outputImage(ctx, up)).data)).toEqual(Array(9).fill([10, 20, 30]).flat());
  });

  it("resizes a 4096x4096 image", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(4096, 4096, "RGB"));
    const out = await runNode(
      ImageResizeInvocation,
      { image, width: 1000, height: 3000, resample_mode: "bicubic" },
      ctx,
    );
    expect([out.width, out.height]).toEqual([1000, 3000]);
  });

  it("refuses a zero size, naming the node and field", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(4, 4, "RGB"));
    await expect(runNode(ImageResizeInvocation, { image, width: 0 }, ctx)).rejects.toThrow(/img_resize.*width/);
    await expect(runNode(ImageScaleInvocation, { image, scale_factor: 0.1 }, ctx)).rejects.toMatchObject({
      code: "image_node_invalid",
      details: { node_type: "img_scale", field: "scale_factor" },
    });
    await expect(runNode(ImageResizeInvocation, { image, resample_mode: "cubic" }, ctx)).rejects.toThrow(
      /resample_mode/,
    );
    await expect(runNode(ImageResizeInvocation, {}, ctx)).rejects.toThrow(/img_resize.*image/);
    await expect(runNode(ImageResizeInvocation, { image: { image_name: "nope.png" } }, ctx)).rejects.toMatchObject({
      details: { node_type: "img_resize", field: "image" },
    });
  });
});

describe("img_crop / img_paste", () => {
  it("matches InvokeAI's crop and paste", async () => {
    for (const name of manifest.cases.filter((c) => c.op === "img_crop").map((c) => c.name)) {
      await expectNodeMatchesCase(ImageCropInvocation, name, ([image], p) => ({ image, ...p }));
    }
    for (const name of manifest.cases.filter((c) => c.op === "img_paste").map((c) => c.name)) {
      await expectNodeMatchesCase(ImagePasteInvocation, name, ([base_image, image, mask], p) => ({
        base_image,
        image,
        mask: mask ?? null,
        ...p,
      }));
    }
  });

  it("crops a box entirely outside the image to transparent pixels, and crops 4096x4096", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(3, 3, "RGB"));
    const out = await outputImage(
      ctx,
      await runNode(ImageCropInvocation, { image, x: 10, y: -20, width: 2, height: 1 }, ctx),
    );
    expect(out.mode).toBe("RGBA");
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const big = ctx.putImage(pattern(4096, 4096, "RGBA"));
    const crop = await outputImage(
      ctx,
      await runNode(ImageCropInvocation, { image: big, x: 4000, y: 100, width: 200, height: 50 }, ctx),
    );
    const src = ctx.image(big.image_name);
    expect(crop.data.subarray(0, 4)).toEqual(src.data.subarray((100 * 4096 + 4000) * 4, (100 * 4096 + 4000) * 4 + 4));
    expect(crop.data[(0 * 200 + 150) * 4 + 3]).toBe(0);
  });

  it("rejects a zero-size crop and a mask of the wrong size", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(3, 3, "RGB"));
    await expect(runNode(ImageCropInvocation, { image, width: 0, height: 1 }, ctx)).rejects.toThrow(/img_crop.*width/);
    const mask = ctx.putImage(pattern(2, 2, "L"));
    await expect(runNode(ImagePasteInvocation, { base_image: image, image, mask }, ctx)).rejects.toMatchObject({
      code: "image_size_mismatch",
      details: { node_type: "img_paste", field: "mask" },
    });
  });
});

describe("blur, unsharp mask", () => {
  it("matches Pillow's GaussianBlur and BoxBlur", async () => {
    await expectNodeMatchesCase(
      ImageBlurInvocation,
      firstCase("gaussian_blur", (p) => p.radius === 2.5),
      ([image], p) => ({ image, radius: p.radius }),
    );
    await expectNodeMatchesCase(
      ImageBlurInvocation,
      firstCase("box_blur", (p) => p.radius === 3.7),
      ([image], p) => ({
        image,
        radius: p.radius,
        blur_type: "box",
      }),
    );
    for (const name of manifest.cases.filter((c) => c.op === "unsharp_mask").map((c) => c.name)) {
      await expectNodeMatchesCase(UnsharpMaskInvocation, name, ([image], p) => ({ image, ...p }));
    }
  });

  it("leaves a 1x1 image unchanged and refuses negative radii", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage({ width: 1, height: 1, mode: "LA", data: Uint8Array.of(77, 99) });
    const out = await outputImage(ctx, await runNode(ImageBlurInvocation, { image, radius: 30 }, ctx));
    expect(Array.from(out.data)).toEqual([77, 99]);
    await expect(runNode(ImageBlurInvocation, { image, radius: -1 }, ctx)).rejects.toThrow(/img_blur.*radius/);
    await expect(runNode(UnsharpMaskInvocation, { image, radius: 0 }, ctx)).rejects.toThrow(/unsharp_mask.*radius/);
  });
});

describe("channel and point nodes", () => {
  it("match InvokeAI", async () => {
    const byOp: Array<[{ type: string }, string]> = [
      [ImageLerpInvocation, "img_lerp"],
      [ImageInverseLerpInvocation, "img_ilerp"],
      [ImageHueAdjustmentInvocation, "img_hue_adjust"],
      [ImageChannelOffsetInvocation, "img_channel_offset"],
      [ImageChannelMultiplyInvocation, "img_channel_multiply"],
      [ImageChannelInvocation, "img_chan"],
      [MaskFromAlphaInvocation, "tomask"],
    ];
    for (const [def, op] of byOp) {
      for (const c of manifest.cases.filter((k) => k.op === op).slice(0, 6)) {
        await expectNodeMatchesCase(def, c.name, ([image], p) => ({ image, ...p }));
      }
    }
    await expectNodeMatchesCase(MaskCombineInvocation, firstCase("mask_combine"), ([mask1, mask2]) => ({
      mask1,
      mask2,
    }));
    await expectNodeMatchesCase(ImageMultiplyInvocation, firstCase("multiply"), ([image1, image2]) => ({
      image1,
      image2,
    }));
  });

  it("saves masks in the mask category", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(2, 2, "RGBA"));
    const out = await runNode(MaskFromAlphaInvocation, { image, invert: true }, ctx);
    const stored = ctx.stored.get((out.image as { image_name: string }).image_name)!;
    expect(stored.dto.image_category).toBe("mask");
    expect(Array.from(stored.image.data)).toEqual(
      [0, 1, 2, 3].map((i) => 255 - ctx.image(image.image_name).data[i * 4 + 3]),
    );
  });

  it("converts modes a PNG can hold and refuses the others", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage({ width: 1, height: 1, mode: "RGBA", data: Uint8Array.of(10, 200, 30, 128) });
    const l = await outputImage(ctx, await runNode(ImageConvertInvocation, { image, mode: "L" }, ctx));
    expect(Array.from(l.data)).toEqual([124]);
    const i = await outputImage(ctx, await runNode(ImageConvertInvocation, { image, mode: "I" }, ctx));
    expect(Array.from(i.data)).toEqual([124]);
    await expect(runNode(ImageConvertInvocation, { image, mode: "CMYK" }, ctx)).rejects.toMatchObject({
      details: { node_type: "img_conv", field: "mode" },
    });
  });

  it("reports a missing band and mismatched images against the right field", async () => {
    const ctx = createImageTestContext();
    const rgb = ctx.putImage(pattern(2, 2, "RGB"));
    const rgba = ctx.putImage(pattern(2, 2, "RGBA"));
    await expect(runNode(ImageChannelInvocation, { image: rgb, channel: "A" }, ctx)).rejects.toMatchObject({
      code: "channel_not_found",
      details: { node_type: "img_chan", field: "channel" },
    });
    await expect(runNode(ImageMultiplyInvocation, { image1: rgb, image2: rgba }, ctx)).rejects.toMatchObject({
      code: "image_mode_mismatch",
      details: { node_type: "img_mul", field: "image2" },
    });
    await expect(runNode(ImageChannelOffsetInvocation, { image: rgb }, ctx)).rejects.toThrow(
      /img_channel_offset.*channel/,
    );
    await expect(runNode(ImageLerpInvocation, { image: rgb, min: 300 }, ctx)).rejects.toThrow(/img_lerp.*min/);
  });
});

describe("blank, show and save", () => {
  it("makes a blank image of the given colour", async () => {
    const ctx = createImageTestContext();
    const out = await outputImage(
      ctx,
      await runNode(
        BlankImageInvocation,
        { width: 2, height: 1, mode: "RGBA", color: { r: 1, g: 2, b: 3, a: 4 } },
        ctx,
      ),
    );
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    await expect(runNode(BlankImageInvocation, { width: -1 }, ctx)).rejects.toThrow(/blank_image.*width/);
    await expect(runNode(BlankImageInvocation, { color: { r: 300, g: 0, b: 0, a: 0 } }, ctx)).rejects.toThrow(
      /blank_image.*color/,
    );
  });

  it("show passes the same image on; save stores a copy", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(pattern(3, 2, "L"));
    const shown = await runNode(ShowImageInvocation, { image }, ctx);
    expect(shown).toMatchObject({ image, width: 3, height: 2, type: "image_output" });
    const saved = await runNode(SaveImageInvocation, { image }, ctx);
    expect((saved.image as { image_name: string }).image_name).not.toBe(image.image_name);
    expect(ctx.image((saved.image as { image_name: string }).image_name)).toEqual(ctx.image(image.image_name));
  });
});
