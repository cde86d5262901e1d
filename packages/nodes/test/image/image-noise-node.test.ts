import { describe, expect, it } from "vitest";
import { ImageNoiseInvocation } from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();

describe("img_noise vs InvokeAI", () => {
  it("reproduces InvokeAI's seeded noise", async () => {
    const cases = manifest.cases.filter((c) => c.op === "img_noise");
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const ctx = createImageTestContext();
      const [image, mask] = await Promise.all(c.inputs.map(async (f) => ctx.putImage(await referenceImage(f))));
      const out = await runNode(ImageNoiseInvocation, { image, mask: mask ?? null, ...c.params }, ctx);
      const diff = compareImages(
        ctx.image((out.image as { image_name: string }).image_name),
        await referenceImage(c.output!),
      );
      expect(
        diff.maxDiff,
        `${c.name} ${JSON.stringify(c.params)}: ${diff.mismatches} differ, ${JSON.stringify(diff.firstMismatch)}`,
      ).toBe(0);
    }
  });

  it("changes with the seed and refuses a point size larger than the image", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage({ width: 4, height: 4, mode: "RGB", data: new Uint8Array(48).fill(128) });
    const a = await runNode(ImageNoiseInvocation, { image, seed: 1, amount: 0.5 }, ctx);
    const b = await runNode(ImageNoiseInvocation, { image, seed: 2, amount: 0.5 }, ctx);
    const img = (o: Record<string, unknown>) => ctx.image((o.image as { image_name: string }).image_name);
    expect(compareImages(img(a), img(b)).mismatches).toBeGreaterThan(0);
    await expect(runNode(ImageNoiseInvocation, { image, size: 5 }, ctx)).rejects.toMatchObject({
      details: { node_type: "img_noise", field: "size" },
    });
    await expect(runNode(ImageNoiseInvocation, { image, amount: 1.5 }, ctx)).rejects.toThrow(/img_noise.*amount/);
  });
});
