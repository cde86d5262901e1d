import { ImageField, namedSchema, z } from "@atelier/core";

/** Top/bottom/left/right integers (InvokeAI's TBLR). */
export const TBLRSchema = namedSchema(
  "TBLR",
  z.object({ top: z.number().int(), bottom: z.number().int(), left: z.number().int(), right: z.number().int() }),
);

/** A tile: its box in the parent image and its overlap with each neighbour. */
export const TileSchema = namedSchema(
  "Tile",
  z.object({
    coords: TBLRSchema.describe("The coordinates of this tile relative to its parent image."),
    overlap: TBLRSchema.describe("The amount of overlap with adjacent tiles on each side of this tile."),
  }),
);

/** A tile paired with the image generated for it. */
export const TileWithImageSchema = namedSchema("TileWithImage", z.object({ tile: TileSchema, image: ImageField }));

/** Wire value of a TBLR. */
export type TBLR = z.output<typeof TBLRSchema>;
/** Wire value of a Tile. */
export type Tile = z.output<typeof TileSchema>;
/** Wire value of a TileWithImage. */
export type TileWithImage = z.output<typeof TileWithImageSchema>;
