import { LATENT_SCALE_FACTOR } from "@atelier/core";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import type { Tile } from "./tile-types.js";

/** Raised when tile parameters cannot cover the image (InvokeAI asserts). `field` names the offending input. */
export class TileLayoutError extends ImageOperationError {
  constructor(message: string, field: string, details: Record<string, unknown> = {}) {
    super("invalid_tile_layout", message, { ...details, field });
  }
}

function check(ok: boolean, message: string, field: string, details: Record<string, unknown> = {}): void {
  if (!ok) throw new TileLayoutError(message, field, details);
}

function tile(top: number, bottom: number, left: number, right: number): Tile {
  return { coords: { top, bottom, left, right }, overlap: { top: 0, bottom: 0, left: 0, right: 0 } };
}

/** Fills in each tile's overlap with its top and left neighbours (tiles ordered row by row). */
export function calcOverlap(tiles: Tile[], numTilesX: number, numTilesY: number): Tile[] {
  for (let y = 0; y < numTilesY; y++) {
    for (let x = 0; x < numTilesX; x++) {
      const cur = tiles[y * numTilesX + x];
      if (y > 0) {
        const top = tiles[(y - 1) * numTilesX + x];
        cur.overlap.top = Math.max(0, top.coords.bottom - cur.coords.top);
        top.overlap.bottom = cur.overlap.top;
      }
      if (x > 0) {
        const left = tiles[y * numTilesX + x - 1];
        cur.overlap.left = Math.max(0, left.coords.right - cur.coords.left);
        left.overlap.right = cur.overlap.left;
      }
    }
  }
  return tiles;
}

/** InvokeAI's calc_tiles_with_overlap: fixed-size tiles stepping by (size - overlap); the last row/column is shifted back inside. */
export function calcTilesWithOverlap(
  imageHeight: number,
  imageWidth: number,
  tileHeight: number,
  tileWidth: number,
  overlap = 0,
): Tile[] {
  check(
    imageHeight >= tileHeight,
    `tile height ${tileHeight} is larger than the image height ${imageHeight}`,
    "tile_height",
  );
  check(imageWidth >= tileWidth, `tile width ${tileWidth} is larger than the image width ${imageWidth}`, "tile_width");
  check(overlap < tileHeight, `overlap ${overlap} must be smaller than the tile height ${tileHeight}`, "overlap");
  check(overlap < tileWidth, `overlap ${overlap} must be smaller than the tile width ${tileWidth}`, "overlap");
  const stepY = tileHeight - overlap;
  const stepX = tileWidth - overlap;
  const numY = Math.ceil((imageHeight - overlap) / stepY);
  const numX = Math.ceil((imageWidth - overlap) / stepX);
  const tiles: Tile[] = [];
  for (let y = 0; y < numY; y++) {
    for (let x = 0; x < numX; x++) {
      const t = tile(y * stepY, y * stepY + tileHeight, x * stepX, x * stepX + tileWidth);
      if (t.coords.bottom > imageHeight) {
        t.coords.bottom = imageHeight;
        t.coords.top = imageHeight - tileHeight;
      }
      if (t.coords.right > imageWidth) {
        t.coords.right = imageWidth;
        t.coords.left = imageWidth - tileWidth;
      }
      tiles.push(t);
    }
  }
  return calcOverlap(tiles, numX, numY);
}

/** InvokeAI's calc_tiles_even_split: num_x × num_y tiles with multiple-of-8 sizes; the last row/column takes the rest. */
export function calcTilesEvenSplit(
  imageHeight: number,
  imageWidth: number,
  numTilesX: number,
  numTilesY: number,
  overlap = 0,
): Tile[] {
  check(
    imageWidth % LATENT_SCALE_FACTOR === 0,
    `image size (${imageWidth}, ${imageHeight}) must be divisible by ${LATENT_SCALE_FACTOR}`,
    "image_width",
  );
  check(
    imageHeight % LATENT_SCALE_FACTOR === 0,
    `image size (${imageWidth}, ${imageHeight}) must be divisible by ${LATENT_SCALE_FACTOR}`,
    "image_height",
  );
  const tileSize = (image: number, num: number, axis: "x" | "y"): number => {
    if (num <= 1) return image;
    check(
      overlap <= image - LATENT_SCALE_FACTOR * (num - 1),
      `overlap ${overlap} is too large for ${num} tiles over ${image} px`,
      "overlap",
    );
    const size =
      LATENT_SCALE_FACTOR * Math.floor(Math.floor((image + overlap * (num - 1)) / num) / LATENT_SCALE_FACTOR);
    check(overlap < size, `overlap ${overlap} must be smaller than the ${axis} tile size ${size}`, "overlap");
    return size;
  };
  const sizeX = tileSize(imageWidth, numTilesX, "x");
  const sizeY = tileSize(imageHeight, numTilesY, "y");
  const tiles: Tile[] = [];
  for (let y = 0; y < numTilesY; y++) {
    const top = y * (sizeY - overlap);
    const bottom = y === numTilesY - 1 ? imageHeight : Math.min(top + sizeY, imageHeight);
    for (let x = 0; x < numTilesX; x++) {
      const left = x * (sizeX - overlap);
      const right = x === numTilesX - 1 ? imageWidth : Math.min(left + sizeX, imageWidth);
      tiles.push(tile(top, bottom, left, right));
    }
  }
  return calcOverlap(tiles, numTilesX, numTilesY);
}

/** InvokeAI's calc_tiles_min_overlap: as few tiles as the minimum overlap allows, spread evenly (tile size shrinks to the image). */
export function calcTilesMinOverlap(
  imageHeight: number,
  imageWidth: number,
  tileHeight: number,
  tileWidth: number,
  minOverlap = 0,
): Tile[] {
  check(
    minOverlap < tileHeight,
    `min overlap ${minOverlap} must be smaller than the tile height ${tileHeight}`,
    "min_overlap",
  );
  check(
    minOverlap < tileWidth,
    `min overlap ${minOverlap} must be smaller than the tile width ${tileWidth}`,
    "min_overlap",
  );
  const tw = Math.min(tileWidth, imageWidth);
  const th = Math.min(tileHeight, imageHeight);
  check(
    minOverlap < th && minOverlap < tw,
    `min overlap ${minOverlap} must be smaller than the image (${imageWidth}x${imageHeight})`,
    "min_overlap",
  );
  const numX = Math.ceil((imageWidth - minOverlap) / (tw - minOverlap));
  const numY = Math.ceil((imageHeight - minOverlap) / (th - minOverlap));
  const tiles: Tile[] = [];
  for (let y = 0; y < numY; y++) {
    const top = numY > 1 ? Math.floor((y * (imageHeight - th)) / (numY - 1)) : 0;
    for (let x = 0; x < numX; x++) {
      const left = numX > 1 ? Math.floor((x * (imageWidth - tw)) / (numX - 1)) : 0;
      tiles.push(tile(top, top + th, left, left + tw));
    }
  }
  return calcOverlap(tiles, numX, numY);
}
