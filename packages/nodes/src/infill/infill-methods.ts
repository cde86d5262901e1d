import type { RawImage } from "@atelier/core";
import { alphaComposite } from "../image-ops/alpha-composite.js";
import { lastBand } from "../image-ops/channel-ops.js";
import { pasteInto } from "../image-ops/crop-paste.js";
import { createImage, type MutableRawImage } from "../image-ops/image-buffers.js";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import { NumpyPcg64 } from "../math/numpy-random.js";

/**
 * InvokeAI's solid-colour infill: the image composited over a canvas of `color`, then the image pasted back
 * through its own alpha (RGBA in, RGBA out).
 */
export function infillSolidColor(image: RawImage, color: readonly [number, number, number, number]): MutableRawImage {
  const background = createImage(image.width, image.height, "RGBA", color);
  const out = alphaComposite(background, image);
  pasteInto(out, image, 0, 0, lastBand(image));
  return out;
}

/**
 * InvokeAI's tile infill: a pool of the fully opaque tile_size² tiles found on a tile grid, an RGB canvas covered
 * with tiles drawn from the pool by NumPy's `default_rng(seed).integers`, and the image pasted over it through its
 * alpha. The result is RGB (as in InvokeAI).
 */
export function infillTiles(image: RawImage, seed: number, tileSize: number): MutableRawImage {
  if (image.mode !== "RGBA")
    throw new ImageOperationError("image_mode_unsupported", `tile infill needs an RGBA image, got ${image.mode}`, {});
  const { width, height, data } = image;
  const pool: Array<[number, number]> = [];
  for (let y = 0; y + tileSize <= height; y += tileSize) {
    for (let x = 0; x + tileSize <= width; x += tileSize) {
      let opaque = true;
      for (let ty = 0; ty < tileSize && opaque; ty++) {
        for (let tx = 0; tx < tileSize; tx++) {
          if (data[((y + ty) * width + x + tx) * 4 + 3] !== 255) {
            opaque = false;
            break;
          }
        }
      }
      if (opaque) pool.push([x, y]);
    }
  }
  if (pool.length === 0) {
    throw new ImageOperationError(
      "infill_no_tiles",
      `Not enough opaque pixels to generate any tiles (tile size ${tileSize} on a ${width}x${height} image). Use a smaller tile size or a different image.`,
      { tile_size: tileSize, width, height },
    );
  }
  const rng = new NumpyPcg64(seed);
  const canvas = createImage(width, height, "RGB");
  for (let y = 0; y < height; y += tileSize) {
    for (let x = 0; x < width; x += tileSize) {
      const [sx, sy] = pool[rng.integer(0, pool.length)];
      const h = Math.min(tileSize, height - y);
      const w = Math.min(tileSize, width - x);
      for (let ty = 0; ty < h; ty++) {
        for (let tx = 0; tx < w; tx++) {
          const s = ((sy + ty) * width + sx + tx) * 4;
          const d = ((y + ty) * width + x + tx) * 3;
          canvas.data[d] = data[s];
          canvas.data[d + 1] = data[s + 1];
          canvas.data[d + 2] = data[s + 2];
        }
      }
    }
  }
  pasteInto(canvas, image, 0, 0, lastBand(image));
  return canvas;
}
