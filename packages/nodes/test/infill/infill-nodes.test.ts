import { describe, expect, it } from "vitest";
import { CV2InfillInvocation, InfillColorInvocation, InfillTileInvocation } from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();
const casesOf = (op: string) => manifest.cases.filter((c) => c.op === op);
const DEFS = { infill_rgba: InfillColorInvocation, infill_tile: InfillTileInvocation, infill_cv2: CV2InfillInvocation };

describe("infill nodes vs InvokeAI", () => {
  for (const [op, def] of Object.entries(DEFS)) {
    it(op, async () => {
      const cases = casesOf(op);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const ctx = createImageTestContext();
        const image = ctx.putImage(await referenceImage(c.inputs[0]));
        const out = await runNode(def, { image, ...c.params }, ctx);
        const diff = compareImages(
          ctx.image((out.image as { image_name: string }).image_name),
          await referenceImage(c.output!),
        );
        const label = `${c.name}: max ${diff.maxDiff}, PSNR ${diff.psnr.toFixed(1)}, ${diff.mismatches} differ, first ${JSON.stringify(diff.firstMismatch)}`;
        if (c.tolerance.psnr !== undefined) expect(diff.psnr, label).toBeGreaterThanOrEqual(c.tolerance.psnr);
        else expect(diff.maxDiff, label).toBeLessThanOrEqual(c.tolerance.max_diff ?? 0);
      }
    });
  }

  it("passes an image without alpha through unchanged", async () => {
    const ctx = createImageTestContext();
    const image = ctx.putImage({ width: 2, height: 1, mode: "RGB", data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    for (const def of Object.values(DEFS)) {
      const out = await runNode(def, { image }, ctx);
      expect(out.image).toEqual(image);
    }
    expect(ctx.stored.size).toBe(1);
  });

  it("fills a 1x1 transparent pixel and reports when no opaque tile exists", async () => {
    const ctx = createImageTestContext();
    const clear = ctx.putImage({ width: 1, height: 1, mode: "RGBA", data: Uint8Array.of(9, 9, 9, 0) });
    const out = await runNode(InfillColorInvocation, { image: clear, color: { r: 1, g: 2, b: 3, a: 255 } }, ctx);
    expect(Array.from(ctx.image((out.image as { image_name: string }).image_name).data)).toEqual([1, 2, 3, 255]);
    await expect(runNode(InfillTileInvocation, { image: clear, tile_size: 1 }, ctx)).rejects.toMatchObject({
      code: "infill_no_tiles",
      details: { node_type: "infill_tile", field: "tile_size" },
    });
    await expect(runNode(InfillTileInvocation, { image: clear, seed: -1 }, ctx)).rejects.toThrow(/infill_tile.*seed/);
  });
});
