/**
 * InvokeAI's model-free ControlNet preprocessors: Canny edges (`canny.py`), colour map (`color_map.py`) and content
 * shuffle (`content_shuffle.py`).
 */
import {
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  WithBoard,
  WithMetadata,
  z,
  type RawImage,
} from "@atelier/core";
import { cannyEdges } from "../image-ops/canny.js";
import { resizeCubicCv, resizeNearestCv } from "../image-ops/cv-resize.js";
import { contentShuffle } from "../image-ops/content-shuffle.js";
import { LegacyRandomState } from "../math/numpy-random.js";
import { forField, loadImage, saveImageOutput } from "./image-node-helpers.js";

/**
 * The seed content_shuffle draws with: FNV-1a over the image size, pixels and scale factor. InvokeAI draws from
 * numpy's unseeded global generator, so its output changes on every run; seeding from the input keeps the node
 * reproducible (and its cached output equal to a fresh run) while different images still shuffle differently.
 */
export function contentShuffleSeed(image: RawImage, scaleFactor: number): number {
  let h = 0x811c9dc5;
  const mix = (byte: number) => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const n of [image.width, image.height, scaleFactor]) for (let k = 0; k < 32; k += 8) mix(n >>> k);
  const data = image.data;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `canny_edge_detection`: OpenCV's Canny on the RGB image; an L edge map. */
export const CannyEdgeDetectionInvocation = defineInvocation({
  type: "canny_edge_detection",
  title: "Canny Edge Detection",
  tags: ["controlnet", "canny"],
  category: "controlnet_preprocessors",
  version: "1.0.0",
  description: "Geneartes an edge map using a cv2's Canny algorithm.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to process" }),
    low_threshold: InputField(z.number().int().gte(0).lte(255), {
      default: 100,
      description: "The low threshold of the Canny pixel gradient (0-255)",
    }),
    high_threshold: InputField(z.number().int().gte(0).lte(255), {
      default: 200,
      description: "The high threshold of the Canny pixel gradient (0-255)",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGB");
    return saveImageOutput(context, cannyEdges(image, this.low_threshold, this.high_threshold));
  },
});

/** `color_map`: the image shrunk by tile_size (bicubic) and blown back up (nearest): flat colour blocks. */
export const ColorMapInvocation = defineInvocation({
  type: "color_map",
  title: "Color Map",
  tags: ["controlnet"],
  category: "controlnet_preprocessors",
  version: "1.0.0",
  description: "Generates a color map from the provided image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to process" }),
    tile_size: InputField(z.number().int().gte(1), { default: 64, description: "Tile size" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGB");
    const tw = Math.min(this.tile_size, image.width);
    const th = Math.min(this.tile_size, image.height);
    const small = resizeCubicCv(image, Math.floor(image.width / tw), Math.floor(image.height / th));
    return saveImageOutput(context, resizeNearestCv(small, image.width, image.height));
  },
});

/**
 * `content_shuffle`: the image warped by a smooth random displacement field, drawn with numpy's legacy generator
 * (`np.random.uniform`) seeded from the input (see contentShuffleSeed).
 */
export const ContentShuffleInvocation = defineInvocation({
  type: "content_shuffle",
  title: "Content Shuffle",
  tags: ["controlnet", "normal"],
  category: "controlnet_preprocessors",
  version: "1.0.0",
  description: "Shuffles the image, similar to a 'liquify' filter.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to process" }),
    scale_factor: InputField(z.number().int().gte(0), {
      default: 256,
      description: "The scale factor used for the shuffle",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGB");
    const random = new LegacyRandomState(contentShuffleSeed(image, this.scale_factor));
    const shuffled = forField(this, "scale_factor", () =>
      contentShuffle(image, this.scale_factor, () => random.randomSample()),
    );
    return saveImageOutput(context, shuffled);
  },
});
