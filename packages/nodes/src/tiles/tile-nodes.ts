/**
 * InvokeAI's tile nodes (`invocations/tiles.py`): tile layouts that cover an image, tile properties, pairing tiles
 * with generated images, and merging tile images back into one image with linear or seam blending.
 */
import {
  defineInvocation,
  defineOutput,
  ImageField,
  ImageOutput,
  InputField,
  OutputField,
  WithBoard,
  WithMetadata,
  z,
  type RawImage,
} from "@atelier/core";
import {
  ImageNodeError,
  forField,
  loadImage,
  requireField,
  saveImageOutput,
  type NodeIdentity,
} from "../image/image-node-helpers.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { calcTilesEvenSplit, calcTilesMinOverlap, calcTilesWithOverlap, TileLayoutError } from "./tile-layout.js";
import { mergeTilesLinear, mergeTilesSeam } from "./tile-merge.js";
import { TileSchema, TileWithImageSchema, type Tile } from "./tile-types.js";

/** `calculate_image_tiles_output`: `{tiles}`. */
export const CalculateImageTilesOutput = defineOutput({
  type: "calculate_image_tiles_output",
  fields: {
    tiles: OutputField(z.array(TileSchema), {
      description: "The tiles coordinates that cover a particular image shape.",
    }),
  },
});

/** `tile_to_properties_output`: a tile's box, size and overlaps as integers. */
export const TileToPropertiesOutput = defineOutput({
  type: "tile_to_properties_output",
  fields: {
    coords_left: OutputField(z.number().int(), {
      description: "Left coordinate of the tile relative to its parent image.",
    }),
    coords_right: OutputField(z.number().int(), {
      description: "Right coordinate of the tile relative to its parent image.",
    }),
    coords_top: OutputField(z.number().int(), {
      description: "Top coordinate of the tile relative to its parent image.",
    }),
    coords_bottom: OutputField(z.number().int(), {
      description: "Bottom coordinate of the tile relative to its parent image.",
    }),
    width: OutputField(z.number().int(), {
      description: "The width of the tile. Equal to coords_right - coords_left.",
    }),
    height: OutputField(z.number().int(), {
      description: "The height of the tile. Equal to coords_bottom - coords_top.",
    }),
    overlap_top: OutputField(z.number().int(), { description: "Overlap between this tile and its top neighbor." }),
    overlap_bottom: OutputField(z.number().int(), {
      description: "Overlap between this tile and its bottom neighbor.",
    }),
    overlap_left: OutputField(z.number().int(), { description: "Overlap between this tile and its left neighbor." }),
    overlap_right: OutputField(z.number().int(), { description: "Overlap between this tile and its right neighbor." }),
  },
});

/** `pair_tile_image_output`: `{tile_with_image}`. */
export const PairTileImageOutput = defineOutput({
  type: "pair_tile_image_output",
  fields: {
    tile_with_image: OutputField(TileWithImageSchema, {
      description: "A tile description with its corresponding image.",
    }),
  },
});

function layout(node: NodeIdentity, run: () => Tile[]): { tiles: Tile[] } {
  try {
    return { tiles: run() };
  } catch (err) {
    if (err instanceof TileLayoutError)
      throw new ImageNodeError(node.type, node.id, String(err.details.field), err.message, err.code, err.details);
    throw err;
  }
}

const imageWidth = () =>
  InputField(z.number().int().gte(1), {
    default: 1024,
    description: "The image width, in pixels, to calculate tiles for.",
  });
const imageHeight = () =>
  InputField(z.number().int().gte(1), {
    default: 1024,
    description: "The image height, in pixels, to calculate tiles for.",
  });

/** `calculate_image_tiles`: fixed-size tiles with at least `overlap` px between neighbours. */
export const CalculateImageTilesInvocation = defineInvocation({
  type: "calculate_image_tiles",
  title: "Calculate Image Tiles",
  tags: ["tiles"],
  category: "tiles",
  version: "1.0.1",
  description: "Calculate the coordinates and overlaps of tiles that cover a target image shape.",
  inputs: {
    image_width: imageWidth(),
    image_height: imageHeight(),
    tile_width: InputField(z.number().int().gte(1), { default: 576, description: "The tile width, in pixels." }),
    tile_height: InputField(z.number().int().gte(1), { default: 576, description: "The tile height, in pixels." }),
    overlap: InputField(z.number().int().gte(0), {
      default: 128,
      description:
        "The target overlap, in pixels, between adjacent tiles. Adjacent tiles will overlap by at least this amount",
    }),
  },
  output: CalculateImageTilesOutput,
  invoke() {
    return layout(this, () =>
      calcTilesWithOverlap(this.image_height, this.image_width, this.tile_height, this.tile_width, this.overlap),
    );
  },
});

/** `calculate_image_tiles_even_split`: num_tiles_x × num_tiles_y tiles with a fixed overlap. */
export const CalculateImageTilesEvenSplitInvocation = defineInvocation({
  type: "calculate_image_tiles_even_split",
  title: "Calculate Image Tiles Even Split",
  tags: ["tiles"],
  category: "tiles",
  version: "1.1.1",
  description: "Calculate the coordinates and overlaps of tiles that cover a target image shape.",
  inputs: {
    image_width: imageWidth(),
    image_height: imageHeight(),
    num_tiles_x: InputField(z.number().int().gte(1), {
      default: 2,
      description: "Number of tiles to divide image into on the x axis",
    }),
    num_tiles_y: InputField(z.number().int().gte(1), {
      default: 2,
      description: "Number of tiles to divide image into on the y axis",
    }),
    overlap: InputField(z.number().int().gte(0).multipleOf(8), {
      default: 128,
      description: "The overlap, in pixels, between adjacent tiles.",
    }),
  },
  output: CalculateImageTilesOutput,
  invoke() {
    return layout(this, () =>
      calcTilesEvenSplit(this.image_height, this.image_width, this.num_tiles_x, this.num_tiles_y, this.overlap),
    );
  },
});

/** `calculate_image_tiles_min_overlap`: the fewest tiles that keep `min_overlap`, spread evenly. */
export const CalculateImageTilesMinimumOverlapInvocation = defineInvocation({
  type: "calculate_image_tiles_min_overlap",
  schemaName: "CalculateImageTilesMinimumOverlapInvocation",
  title: "Calculate Image Tiles Minimum Overlap",
  tags: ["tiles"],
  category: "tiles",
  version: "1.0.1",
  description: "Calculate the coordinates and overlaps of tiles that cover a target image shape.",
  inputs: {
    image_width: imageWidth(),
    image_height: imageHeight(),
    tile_width: InputField(z.number().int().gte(1), { default: 576, description: "The tile width, in pixels." }),
    tile_height: InputField(z.number().int().gte(1), { default: 576, description: "The tile height, in pixels." }),
    min_overlap: InputField(z.number().int().gte(0), {
      default: 128,
      description: "Minimum overlap between adjacent tiles, in pixels.",
    }),
  },
  output: CalculateImageTilesOutput,
  invoke() {
    return layout(this, () =>
      calcTilesMinOverlap(this.image_height, this.image_width, this.tile_height, this.tile_width, this.min_overlap),
    );
  },
});

/** `tile_to_properties`: a tile's fields as separate integers. */
export const TileToPropertiesInvocation = defineInvocation({
  type: "tile_to_properties",
  title: "Tile to Properties",
  tags: ["tiles"],
  category: "tiles",
  version: "1.0.1",
  description: "Split a Tile into its individual properties.",
  inputs: { tile: InputField(TileSchema, { description: "The tile to split into properties." }) },
  output: TileToPropertiesOutput,
  invoke() {
    const { coords, overlap } = this.tile;
    return {
      coords_left: coords.left,
      coords_right: coords.right,
      coords_top: coords.top,
      coords_bottom: coords.bottom,
      width: coords.right - coords.left,
      height: coords.bottom - coords.top,
      overlap_top: overlap.top,
      overlap_bottom: overlap.bottom,
      overlap_left: overlap.left,
      overlap_right: overlap.right,
    };
  },
});

/** `pair_tile_image`: bundles a tile with its image (collect does not keep order, the pair does). */
export const PairTileImageInvocation = defineInvocation({
  type: "pair_tile_image",
  title: "Pair Tile with Image",
  tags: ["tiles"],
  category: "tiles",
  version: "1.0.1",
  description: "Pair an image with its tile properties.",
  inputs: {
    image: InputField(ImageField, { description: "The tile image." }),
    tile: InputField(TileSchema, { description: "The tile properties." }),
  },
  output: PairTileImageOutput,
  invoke() {
    return { tile_with_image: { tile: this.tile, image: this.image } };
  },
});

/** `merge_tiles_to_image`: one image from tile images, blended linearly or along seams in the overlaps. */
export const MergeTilesToImageInvocation = defineInvocation({
  type: "merge_tiles_to_image",
  title: "Merge Tiles to Image",
  tags: ["tiles"],
  category: "tiles",
  version: "1.1.1",
  description: "Merge multiple tile images into a single image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    tiles_with_images: InputField(z.array(TileWithImageSchema), {
      description: "A list of tile images with tile properties.",
    }),
    blend_mode: InputField(z.enum(["Linear", "Seam"]), {
      default: "Seam",
      input: "direct",
      description: "blending type Linear or Seam",
    }),
    blend_amount: InputField(z.number().int().gte(0), {
      default: 32,
      description:
        "The amount to blend adjacent tiles in pixels. Must be <= the amount of overlap between adjacent tiles.",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    requireField(this, "tiles_with_images", this.tiles_with_images.length > 0, "needs at least one tile");
    let width = 0;
    let height = 0;
    const items: Array<{ tile: Tile; image: RawImage }> = [];
    for (const [i, twi] of this.tiles_with_images.entries()) {
      width = Math.max(width, twi.tile.coords.right);
      height = Math.max(height, twi.tile.coords.bottom);
      const image = await loadImage(context, this, `tiles_with_images[${i}].image`, twi.image);
      items.push({ tile: twi.tile, image: convertMode(image, "RGB") });
    }
    const merge = this.blend_mode === "Linear" ? mergeTilesLinear : mergeTilesSeam;
    const out = forField(this, "tiles_with_images", () => merge(width, height, items, this.blend_amount));
    return saveImageOutput(context, out);
  },
});
