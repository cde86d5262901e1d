import { describe, expect, it } from "vitest";
import { createTensor, type RawImage, type Tensor } from "@atelier/core";
import {
  AlphaMaskToTensorInvocation,
  ApplyMaskTensorToImageInvocation,
  ApplyMaskToImageInvocation,
  CropImageToBoundingBoxInvocation,
  GetMaskBoundingBoxInvocation,
  ImageMaskToTensorInvocation,
  InvertTensorMaskInvocation,
  MaskFromIDInvocation,
  MaskTensorToImageInvocation,
  PasteImageIntoBoundingBoxInvocation,
  RectangleMaskInvocation,
} from "../../src/image-nodes.js";
import { createImageTestContext, type ImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage, type ReferenceCase } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();
const casesOf = (op: string) => manifest.cases.filter((c) => c.op === op);

async function inputsOf(ctx: ImageTestContext, c: ReferenceCase) {
  return Promise.all(c.inputs.map(async (f) => ctx.putImage(await referenceImage(f))));
}

function maskAsImage(t: Tensor): RawImage {
  expect(t.dtype).toBe("bool");
  expect(t.shape.length).toBe(3);
  expect(t.shape[0]).toBe(1);
  return { width: t.shape[2], height: t.shape[1], mode: "L", data: (t.data as Uint8Array).map((v) => v * 255) };
}

async function expectImage(ctx: ImageTestContext, out: Record<string, unknown>, c: ReferenceCase): Promise<void> {
  const img = ctx.image((out.image as { image_name: string }).image_name);
  const diff = compareImages(img, await referenceImage(c.output!));
  expect(diff.maxDiff, `${c.name}: ${JSON.stringify(diff.firstMismatch)}`).toBeLessThanOrEqual(
    c.tolerance.max_diff ?? 0,
  );
}

async function expectMask(ctx: ImageTestContext, out: Record<string, unknown>, c: ReferenceCase): Promise<void> {
  const mask = await ctx.tensors.load((out.mask as { tensor_name: string }).tensor_name);
  const expected = await referenceImage(c.output!);
  expect(compareImages(maskAsImage(mask), expected).maxDiff, c.name).toBe(0);
  expect([out.width, out.height]).toEqual([expected.width, expected.height]);
}

describe("tensor mask nodes vs InvokeAI", () => {
  it("rectangle_mask, with Python slice semantics for negative and oversized boxes", async () => {
    for (const c of casesOf("rectangle_mask")) {
      const ctx = createImageTestContext();
      await expectMask(ctx, await runNode(RectangleMaskInvocation, c.params, ctx), c);
    }
  });

  it("alpha_mask_to_tensor and image_mask_to_tensor", async () => {
    for (const c of [...casesOf("alpha_mask_to_tensor"), ...casesOf("image_mask_to_tensor")]) {
      const ctx = createImageTestContext();
      const [image] = await inputsOf(ctx, c);
      const def = c.op === "alpha_mask_to_tensor" ? AlphaMaskToTensorInvocation : ImageMaskToTensorInvocation;
      await expectMask(ctx, await runNode(def, { image, ...c.params }, ctx), c);
    }
  });

  it("apply_tensor_mask_to_image keeps transparent pixels transparent", async () => {
    for (const c of casesOf("apply_tensor_mask_to_image")) {
      const ctx = createImageTestContext();
      const [image, maskImage] = await inputsOf(ctx, c);
      const bits = ctx.image(maskImage.image_name);
      const mask = ctx.putTensor(
        createTensor(
          "bool",
          [1, bits.height, bits.width],
          bits.data.map((v) => (v > 0 ? 1 : 0)),
        ),
      );
      await expectImage(ctx, await runNode(ApplyMaskTensorToImageInvocation, { image, mask, ...c.params }, ctx), c);
    }
  });

  it("invert_tensor_mask and tensor_mask_to_image round-trip, float masks thresholded at 0.5", async () => {
    const ctx = createImageTestContext();
    const mask = ctx.putTensor(createTensor("bool", [2, 3], Uint8Array.of(1, 0, 0, 1, 1, 0)));
    const inv = await runNode(InvertTensorMaskInvocation, { mask }, ctx);
    expect([inv.width, inv.height]).toEqual([3, 2]);
    const img = await runNode(MaskTensorToImageInvocation, { mask: inv.mask }, ctx);
    expect(Array.from(ctx.image((img.image as { image_name: string }).image_name).data)).toEqual([
      0, 255, 255, 0, 0, 255,
    ]);
    const soft = ctx.putTensor(createTensor("float32", [1, 1, 3], Float32Array.of(0.2, 0.5, 0.51)));
    const hard = await runNode(MaskTensorToImageInvocation, { mask: soft }, ctx);
    expect(Array.from(ctx.image((hard.image as { image_name: string }).image_name).data)).toEqual([0, 0, 255]);
    await expect(runNode(InvertTensorMaskInvocation, { mask: soft }, ctx)).rejects.toMatchObject({
      code: "invalid_mask_tensor",
      details: { node_type: "invert_tensor_mask", field: "mask" },
    });
    await expect(
      runNode(InvertTensorMaskInvocation, { mask: { tensor_name: "Tensor_missing" } }, ctx),
    ).rejects.toMatchObject({
      details: { node_type: "invert_tensor_mask", field: "mask" },
    });
  });

  it("refuses an alpha mask from an image without alpha and a mask of another size", async () => {
    const ctx = createImageTestContext();
    const rgb = ctx.putImage({ width: 2, height: 2, mode: "RGB", data: new Uint8Array(12) });
    await expect(runNode(AlphaMaskToTensorInvocation, { image: rgb }, ctx)).rejects.toMatchObject({
      details: { node_type: "alpha_mask_to_tensor", field: "image" },
    });
    const mask = ctx.putTensor(createTensor("bool", [1, 3, 3]));
    await expect(runNode(ApplyMaskTensorToImageInvocation, { image: rgb, mask }, ctx)).rejects.toMatchObject({
      code: "image_size_mismatch",
      details: { node_type: "apply_tensor_mask_to_image", field: "mask" },
    });
    await expect(
      runNode(
        RectangleMaskInvocation,
        { width: -1, height: 2, x_left: 0, y_top: 0, rectangle_width: 1, rectangle_height: 1 },
        ctx,
      ),
    ).rejects.toThrow(/rectangle_mask.*width/);
  });
});

describe("image mask nodes vs InvokeAI", () => {
  it("get_image_mask_bounding_box", async () => {
    for (const c of casesOf("get_image_mask_bounding_box")) {
      const ctx = createImageTestContext();
      const [mask] = await inputsOf(ctx, c);
      const out = await runNode(GetMaskBoundingBoxInvocation, { mask, ...c.params }, ctx);
      expect(out.bounding_box, c.name).toEqual({ ...(c.expected as object), score: null });
    }
  });

  it("mask_from_id, apply_mask_to_image", async () => {
    for (const c of casesOf("mask_from_id")) {
      const ctx = createImageTestContext();
      const [image] = await inputsOf(ctx, c);
      const out = await runNode(MaskFromIDInvocation, { image, ...c.params }, ctx);
      await expectImage(ctx, out, c);
      expect(ctx.stored.get((out.image as { image_name: string }).image_name)!.dto.image_category).toBe("mask");
    }
    for (const c of casesOf("apply_mask_to_image")) {
      const ctx = createImageTestContext();
      const [image, mask] = await inputsOf(ctx, c);
      await expectImage(ctx, await runNode(ApplyMaskToImageInvocation, { image, mask, ...c.params }, ctx), c);
    }
  });

  it("crop_image_to_bounding_box and paste_image_into_bounding_box", async () => {
    for (const c of casesOf("crop_image_to_bounding_box")) {
      const ctx = createImageTestContext();
      const [image] = await inputsOf(ctx, c);
      await expectImage(ctx, await runNode(CropImageToBoundingBoxInvocation, { image, ...c.params }, ctx), c);
    }
    for (const c of casesOf("paste_image_into_bounding_box")) {
      const ctx = createImageTestContext();
      const [source_image, target_image] = await inputsOf(ctx, c);
      await expectImage(
        ctx,
        await runNode(PasteImageIntoBoundingBoxInvocation, { source_image, target_image, ...c.params }, ctx),
        c,
      );
    }
  });

  it("crops a fully transparent image to itself and refuses a box of the wrong size", async () => {
    const ctx = createImageTestContext();
    const clear = ctx.putImage({ width: 3, height: 2, mode: "RGBA", data: new Uint8Array(24) });
    const out = await runNode(CropImageToBoundingBoxInvocation, { image: clear }, ctx);
    expect([out.width, out.height]).toEqual([3, 2]);
    await expect(
      runNode(
        PasteImageIntoBoundingBoxInvocation,
        { source_image: clear, target_image: clear, bounding_box: { x_min: 0, y_min: 0, x_max: 1, y_max: 1 } },
        ctx,
      ),
    ).rejects.toMatchObject({ details: { node_type: "paste_image_into_bounding_box", field: "bounding_box" } });
    await expect(
      runNode(
        CropImageToBoundingBoxInvocation,
        { image: clear, bounding_box: { x_min: 3, y_min: 0, x_max: 1, y_max: 1 } },
        ctx,
      ),
    ).rejects.toMatchObject({ code: "invalid_crop_box", details: { field: "bounding_box" } });
    await expect(
      runNode(
        CropImageToBoundingBoxInvocation,
        { image: clear, bounding_box: { x_min: 1, y_min: 0, x_max: 1, y_max: 2 } },
        ctx,
      ),
    ).rejects.toMatchObject({ details: { node_type: "crop_image_to_bounding_box", field: "bounding_box" } });
  });
});
