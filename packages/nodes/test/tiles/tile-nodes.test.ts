import { describe, expect, it } from "vitest";
import {
  CalculateImageTilesEvenSplitInvocation,
  CalculateImageTilesInvocation,
  CalculateImageTilesMinimumOverlapInvocation,
  MergeTilesToImageInvocation,
  PairTileImageInvocation,
  TileToPropertiesInvocation,
  type Tile,
} from "../../src/image-nodes.js";
import { createImageTestContext } from "../support/image-test-context.js";
import { compareImages, loadManifest, referenceImage } from "../support/reference-images.js";
import { runNode } from "../support/run-node.js";

const manifest = loadManifest();
const casesOf = (op: string) => manifest.cases.filter((c) => c.op === op);

describe("tile layouts vs InvokeAI", () => {
  const defs = {
    calculate_image_tiles: CalculateImageTilesInvocation,
    calculate_image_tiles_even_split: CalculateImageTilesEvenSplitInvocation,
    calculate_image_tiles_min_overlap: CalculateImageTilesMinimumOverlapInvocation,
  };
  for (const [op, def] of Object.entries(defs)) {
    it(op, async () => {
      const cases = casesOf(op);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const out = await runNode(def, c.params, createImageTestContext());
        expect(out.tiles, `${c.name} ${JSON.stringify(c.params)}`).toEqual(c.expected);
      }
    });
  }

  it("reports impossible layouts against the field", async () => {
    const ctx = createImageTestContext();
    await expect(
      runNode(
        CalculateImageTilesInvocation,
        { image_width: 100, image_height: 100, tile_width: 200, tile_height: 50, overlap: 0 },
        ctx,
      ),
    ).rejects.toMatchObject({
      code: "invalid_tile_layout",
      details: { node_type: "calculate_image_tiles", field: "tile_width" },
    });
    await expect(
      runNode(
        CalculateImageTilesInvocation,
        { image_width: 100, image_height: 100, tile_width: 50, tile_height: 50, overlap: 50 },
        ctx,
      ),
    ).rejects.toMatchObject({
      details: { field: "overlap" },
    });
    await expect(
      runNode(CalculateImageTilesEvenSplitInvocation, { image_width: 100, image_height: 96 }, ctx),
    ).rejects.toMatchObject({
      details: { field: "image_width" },
    });
    await expect(runNode(CalculateImageTilesEvenSplitInvocation, { overlap: 12 }, ctx)).rejects.toThrow(/overlap/);
  });
});

describe("tile properties and pairing", () => {
  it("splits a tile and pairs it with an image", async () => {
    const ctx = createImageTestContext();
    const tile: Tile = {
      coords: { top: 10, bottom: 70, left: 5, right: 45 },
      overlap: { top: 1, bottom: 2, left: 3, right: 4 },
    };
    const props = await runNode(TileToPropertiesInvocation, { tile }, ctx);
    expect(props).toMatchObject({
      coords_left: 5,
      coords_right: 45,
      coords_top: 10,
      coords_bottom: 70,
      width: 40,
      height: 60,
      overlap_top: 1,
      overlap_right: 4,
    });
    const pair = await runNode(PairTileImageInvocation, { tile, image: { image_name: "a.png" } }, ctx);
    expect(pair.tile_with_image).toEqual({ tile, image: { image_name: "a.png" } });
    await expect(runNode(TileToPropertiesInvocation, { tile: { coords: tile.coords } }, ctx)).rejects.toThrow(
      /tile_to_properties.*tile/,
    );
  });
});

describe("merge_tiles_to_image vs InvokeAI", () => {
  it("merges with linear and seam blending", async () => {
    const cases = casesOf("merge_tiles_to_image");
    expect(cases.some((c) => c.params.blend_mode === "Seam")).toBe(true);
    for (const c of cases) {
      const ctx = createImageTestContext();
      const tiles = c.params.tiles as Tile[];
      // Reversed on purpose: the node sorts tiles itself (collect does not keep order).
      const tilesWithImages = await Promise.all(
        c.inputs.map(async (f, i) => ({ tile: tiles[i], image: ctx.putImage(await referenceImage(f)) })),
      );
      tilesWithImages.reverse();
      const out = await runNode(
        MergeTilesToImageInvocation,
        { tiles_with_images: tilesWithImages, blend_mode: c.params.blend_mode, blend_amount: c.params.blend_amount },
        ctx,
      );
      const diff = compareImages(
        ctx.image((out.image as { image_name: string }).image_name),
        await referenceImage(c.output!),
      );
      expect(
        diff.maxDiff,
        `${c.name} ${c.params.blend_mode}/${c.params.blend_amount}: ${diff.mismatches} differ, ${JSON.stringify(diff.firstMismatch)}`,
      ).toBeLessThanOrEqual(c.tolerance.max_diff ?? 0);
    }
  });

  it("refuses a blend wider than the overlap and a tile image of the wrong size", async () => {
    const ctx = createImageTestContext();
    const img = ctx.putImage({ width: 10, height: 10, mode: "RGB", data: new Uint8Array(300) });
    const t = (left: number, ol: number): Tile => ({
      coords: { top: 0, bottom: 10, left, right: left + 10 },
      overlap: { top: 0, bottom: 0, left: ol, right: 0 },
    });
    await expect(
      runNode(
        MergeTilesToImageInvocation,
        {
          tiles_with_images: [
            { tile: t(0, 0), image: img },
            { tile: t(6, 4), image: img },
          ],
          blend_amount: 8,
        },
        ctx,
      ),
    ).rejects.toMatchObject({
      code: "invalid_blend_amount",
      details: { node_type: "merge_tiles_to_image", field: "tiles_with_images" },
    });
    const small = ctx.putImage({ width: 4, height: 10, mode: "RGB", data: new Uint8Array(120) });
    await expect(
      runNode(MergeTilesToImageInvocation, { tiles_with_images: [{ tile: t(0, 0), image: small }] }, ctx),
    ).rejects.toMatchObject({
      code: "image_size_mismatch",
    });
    await expect(runNode(MergeTilesToImageInvocation, { tiles_with_images: [] }, ctx)).rejects.toThrow(
      /merge_tiles_to_image.*tiles_with_images/,
    );
  });
});
