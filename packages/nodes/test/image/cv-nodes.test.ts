import { describe, expect, it } from "vitest";
import {
  CannyEdgeDetectionInvocation,
  CanvasPasteBackInvocation,
  ColorMapInvocation,
  ContentShuffleInvocation,
  ExpandMaskWithFadeInvocation,
  MaskEdgeInvocation,
} from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();

/** Node type → how the case's input files map to the node's image fields. */
const NODES = {
  expand_mask_with_fade: { def: ExpandMaskWithFadeInvocation, fields: ["mask"] },
  mask_edge: { def: MaskEdgeInvocation, fields: ["image"] },
  canvas_paste_back: { def: CanvasPasteBackInvocation, fields: ["source_image", "target_image", "mask"] },
  canny_edge_detection: { def: CannyEdgeDetectionInvocation, fields: ["image"] },
  color_map: { def: ColorMapInvocation, fields: ["image"] },
};

describe("OpenCV-based nodes vs InvokeAI", () => {
  for (const [op, { def, fields }] of Object.entries(NODES)) {
    it(op, async () => {
      const cases = manifest.cases.filter((c) => c.op === op);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const ctx = createImageTestContext();
        const inputs: Record<string, unknown> = { ...c.params };
        for (const [i, f] of c.inputs.entries()) inputs[fields[i]] = ctx.putImage(await referenceImage(f));
        const out = await runNode(def, inputs, ctx);
        const diff = compareImages(
          ctx.image((out.image as { image_name: string }).image_name),
          await referenceImage(c.output!),
        );
        const label = `${c.name} ${JSON.stringify(c.params)}: max ${diff.maxDiff}, ${diff.mismatches} differ, first ${JSON.stringify(diff.firstMismatch)}`;
        expect(diff.maxDiff, label).toBeLessThanOrEqual(c.tolerance.max_diff ?? 0);
      }
    });
  }

  it("content_shuffle keeps the size, is reproducible for the same input, and shuffles differently otherwise", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(await referenceImage("input-rgb.png"));
    const shuffle = async (scale_factor: number, img = image) => {
      const out = await runNode(ContentShuffleInvocation, { image: img, scale_factor }, ctx);
      return ctx.image((out.image as { image_name: string }).image_name);
    };
    const ia = await shuffle(16);
    const ib = await shuffle(16);
    expect([ia.width, ia.height, ia.mode]).toEqual([64, 48, "RGB"]);
    expect(compareImages(ia, ib).mismatches).toBe(0);
    expect(compareImages(ia, ctx.image(image.image_name)).mismatches).toBeGreaterThan(0);
    expect(compareImages(ia, await shuffle(8)).mismatches).toBeGreaterThan(0);
    const source = ctx.image(image.image_name);
    const changed = ctx.putImage({ ...source, data: source.data.map((v, i) => (i === 0 ? v ^ 1 : v)) });
    expect(compareImages(ia, await shuffle(16, changed)).mismatches).toBeGreaterThan(0);
    await expect(runNode(ContentShuffleInvocation, { image, scale_factor: 0 }, ctx)).rejects.toMatchObject({
      message: expect.stringMatching(/scale factor/),
      details: { node_type: "content_shuffle", field: "scale_factor" },
    });
  });

  it("edge cases: 1x1 images, fade 0, mask of another size", async () => {
    const ctx = createImageTestContext();
    const px = ctx.putImage({ width: 1, height: 1, mode: "L", data: Uint8Array.of(200) });
    const canny = await runNode(CannyEdgeDetectionInvocation, { image: px }, ctx);
    expect(Array.from(ctx.image((canny.image as { image_name: string }).image_name).data)).toEqual([0]);
    const fade = await runNode(ExpandMaskWithFadeInvocation, { mask: px, fade_size_px: 0 }, ctx);
    expect(Array.from(ctx.image((fade.image as { image_name: string }).image_name).data)).toEqual([200]);
    const cm = await runNode(ColorMapInvocation, { image: px, tile_size: 64 }, ctx);
    expect([cm.width, cm.height]).toEqual([1, 1]);
    const big = ctx.putImage({ width: 3, height: 3, mode: "RGB", data: new Uint8Array(27) });
    await expect(
      runNode(CanvasPasteBackInvocation, { source_image: big, target_image: big, mask: px }, ctx),
    ).rejects.toMatchObject({
      code: "image_size_mismatch",
      details: { node_type: "canvas_paste_back", field: "mask" },
    });
  });
});
