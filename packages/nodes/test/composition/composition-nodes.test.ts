import { describe, expect, it } from "vitest";
import {
  InvokeImageCompositorInvocation,
  InvokeImageDilateOrErodeInvocation,
  InvokeImageEnhanceInvocation,
  InvokeImageValueThresholdsInvocation,
} from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();
const NODES = {
  invokeai_img_enhance: InvokeImageEnhanceInvocation,
  invokeai_img_val_thresholds: InvokeImageValueThresholdsInvocation,
  invokeai_img_dilate_erode: InvokeImageDilateOrErodeInvocation,
};

describe("composition nodes vs InvokeAI", () => {
  for (const [op, def] of Object.entries(NODES)) {
    it(op, async () => {
      const cases = manifest.cases.filter((c) => c.op === op);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const ctx = createImageTestContext();
        const image = ctx.putImage(await referenceImage(c.inputs[0]));
        const out = await runNode(def, { image, ...c.params }, ctx);
        const diff = compareImages(
          ctx.image((out.image as { image_name: string }).image_name),
          await referenceImage(c.output!),
        );
        expect(
          diff.maxDiff,
          `${c.name} ${JSON.stringify(c.params)}: ${diff.mismatches} differ, ${JSON.stringify(diff.firstMismatch)}`,
        ).toBeLessThanOrEqual(c.tolerance.max_diff ?? 0);
      }
    });
  }

  it("invokeai_img_composite", async () => {
    const cases = manifest.cases.filter((c) => c.op === "invokeai_img_composite");
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const ctx = createImageTestContext();
      const [image_subject, image_background] = await Promise.all(
        c.inputs.map(async (f) => ctx.putImage(await referenceImage(f))),
      );
      const out = await runNode(InvokeImageCompositorInvocation, { image_subject, image_background, ...c.params }, ctx);
      const diff = compareImages(
        ctx.image((out.image as { image_name: string }).image_name),
        await referenceImage(c.output!),
      );
      expect(
        diff.maxDiff,
        `${c.name} ${JSON.stringify(c.params)}: ${diff.mismatches} differ, ${JSON.stringify(diff.firstMismatch)}`,
      ).toBe(0);
    }
    const ctx = createImageTestContext();
    const px = ctx.putImage({ width: 2, height: 2, mode: "RGB", data: new Uint8Array(12) });
    await expect(
      runNode(
        InvokeImageCompositorInvocation,
        { image_subject: px, image_background: px, chroma_key: "notacolour" },
        ctx,
      ),
    ).rejects.toMatchObject({
      code: "invalid_color",
      details: { node_type: "invokeai_img_composite", field: "chroma_key" },
    });
  });

  it("lightness-only variants keep alpha and only change lightness; sizes off the 8-px grid are refused like InvokeAI", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage(await referenceImage("input-rgba.png"));
    const out = await runNode(
      InvokeImageDilateOrErodeInvocation,
      { image, lightness_only: true, radius_w: 2, radius_h: 2 },
      ctx,
    );
    const src = ctx.image(image.image_name);
    const res = ctx.image((out.image as { image_name: string }).image_name);
    expect(res.mode).toBe("RGBA");
    for (let i = 3; i < src.data.length; i += 4) expect(res.data[i]).toBe(src.data[i]);
    const th = await runNode(InvokeImageValueThresholdsInvocation, { image, lightness_only: true }, ctx);
    expect(th.width).toBe(64);
    const odd = ctx.putImage({ width: 9, height: 8, mode: "RGB", data: new Uint8Array(216) });
    await expect(
      runNode(InvokeImageValueThresholdsInvocation, { image: odd, lightness_only: true }, ctx),
    ).rejects.toMatchObject({
      details: { node_type: "invokeai_img_val_thresholds", field: "lightness_only" },
    });
    await expect(runNode(InvokeImageEnhanceInvocation, { image, color: -1 }, ctx)).rejects.toThrow(
      /invokeai_img_enhance.*color/,
    );
  });
});
