/**
 * InvokeAI's mask nodes that work on mask images (`invocations/image.py`): mask from alpha, combine, edge, from
 * id colour, expand with fade, apply to image. Masks are saved in the `mask` image category where InvokeAI does so.
 */
import {
  ColorField,
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  WithBoard,
  WithMetadata,
  z,
} from "@atelier/core";
import { lastBand } from "../image-ops/channel-ops.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { invertImage, multiplyImages } from "../image-ops/point-ops.js";
import { forField, loadImage, saveImageOutput } from "../image/image-node-helpers.js";
import { expandMaskWithFade, maskEdge, maskFromColorDistance, replaceAlpha } from "../image-ops/mask-ops.js";
import { cannyEdges } from "../image-ops/canny.js";

/** `tomask`: the last band (alpha when there is one) as a mask, optionally inverted. */
export const MaskFromAlphaInvocation = defineInvocation({
  type: "tomask",
  schemaName: "MaskFromAlphaInvocation",
  title: "Mask from Alpha",
  tags: ["image", "mask"],
  category: "mask",
  version: "1.2.2",
  description: "Extracts the alpha channel of an image as a mask.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to create the mask from" }),
    invert: InputField(z.boolean(), { default: false, description: "Whether or not to invert the mask" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const band = lastBand(image);
    return saveImageOutput(context, this.invert ? invertImage(band) : band, { imageCategory: "mask" });
  },
});

/** `mask_combine`: the product of two masks (grey versions), `ImageChops.multiply`. */
export const MaskCombineInvocation = defineInvocation({
  type: "mask_combine",
  title: "Combine Masks",
  tags: ["image", "mask", "multiply"],
  category: "mask",
  version: "1.2.2",
  description: "Combine two masks together by multiplying them using `PIL.ImageChops.multiply()`.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    mask1: InputField(ImageField, { description: "The first mask to combine" }),
    mask2: InputField(ImageField, { description: "The second image to combine" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const a = await loadImage(context, this, "mask1", this.mask1);
    const b = await loadImage(context, this, "mask2", this.mask2);
    const out = forField(this, "mask2", () => multiplyImages(convertMode(a, "L"), convertMode(b, "L")));
    return saveImageOutput(context, out, { imageCategory: "mask" });
  },
});

/** `mask_from_id`: white where a pixel is within `threshold` (Euclidean RGBA distance) of the id colour. */
export const MaskFromIDInvocation = defineInvocation({
  type: "mask_from_id",
  schemaName: "MaskFromIDInvocation",
  title: "Mask from Segmented Image",
  tags: ["image", "mask", "id"],
  category: "mask",
  version: "1.0.1",
  description: "Generate a mask for a particular color in an ID Map",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to create the mask from" }),
    color: InputField(ColorField, { description: "ID color to mask" }),
    threshold: InputField(z.number().int(), { default: 100, description: "Threshold for color detection" }),
    invert: InputField(z.boolean(), { default: false, description: "Whether or not to invert the mask" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGBA");
    const { r, g, b, a } = this.color;
    const mask = maskFromColorDistance(image, [r, g, b, a], this.threshold);
    return saveImageOutput(context, this.invert ? invertImage(mask) : mask, { imageCategory: "mask" });
  },
});

/** `apply_mask_to_image`: the (optionally inverted) L mask becomes the image's alpha. */
export const ApplyMaskToImageInvocation = defineInvocation({
  type: "apply_mask_to_image",
  title: "Apply Mask to Image",
  tags: ["image", "mask", "blend"],
  category: "mask",
  version: "1.0.0",
  description:
    "Extracts a region from a generated image using a mask and blends it seamlessly onto a source image.\nThe mask uses black to indicate areas to keep from the generated image and white for areas to discard.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image from which to extract the masked region" }),
    mask: InputField(ImageField, { description: "The mask defining the region (black=keep, white=discard)" }),
    invert_mask: InputField(z.boolean(), {
      default: false,
      description: "Whether to invert the mask before applying it",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGBA");
    let mask = await loadImage(context, this, "mask", this.mask, "L");
    if (this.invert_mask) mask = invertImage(mask);
    return saveImageOutput(
      context,
      forField(this, "mask", () => replaceAlpha(image, mask)),
    );
  },
});

/** `mask_edge`: a band around the mask's edges (soft parts plus Canny edges), widened, blurred, inverted. */
export const MaskEdgeInvocation = defineInvocation({
  type: "mask_edge",
  title: "Mask Edge",
  tags: ["image", "mask", "inpaint"],
  category: "mask",
  version: "1.2.2",
  description: "Applies an edge mask to an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to apply the mask to" }),
    edge_size: InputField(z.number().int(), { description: "The size of the edge" }),
    edge_blur: InputField(z.number().int(), { description: "The amount of blur on the edge" }),
    low_threshold: InputField(z.number().int(), {
      description: "First threshold for the hysteresis procedure in Canny edge detection",
    }),
    high_threshold: InputField(z.number().int(), {
      description: "Second threshold for the hysteresis procedure in Canny edge detection",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const mask = await loadImage(context, this, "image", this.image, "L");
    const edges = cannyEdges(mask, this.low_threshold, this.high_threshold);
    return saveImageOutput(context, maskEdge(mask, edges, this.edge_size, this.edge_blur), { imageCategory: "mask" });
  },
});

/** `expand_mask_with_fade`: grows the black part of a mask into the white with a smooth ramp of fade_size_px. */
export const ExpandMaskWithFadeInvocation = defineInvocation({
  type: "expand_mask_with_fade",
  title: "Expand Mask with Fade",
  tags: ["image", "mask"],
  category: "mask",
  version: "1.0.1",
  description:
    "Expands a mask with a fade effect. The mask uses black to indicate areas to keep from the generated image and white for areas to discard.\nThe mask is thresholded to create a binary mask, and then a distance transform is applied to create a fade effect.\nThe fade size is specified in pixels, and the mask is expanded by that amount. The result is a mask with a smooth transition from black to white.\nIf the fade size is 0, the mask is returned as-is.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    mask: InputField(ImageField, { description: "The mask to expand" }),
    threshold: InputField(z.number().int().gte(0).lte(255), {
      default: 0,
      description: "The threshold for the binary mask (0-255)",
    }),
    fade_size_px: InputField(z.number().int().gte(0), { default: 32, description: "The size of the fade in pixels" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const mask = await loadImage(context, this, "mask", this.mask, "L");
    return saveImageOutput(context, expandMaskWithFade(mask, this.threshold, this.fade_size_px), {
      imageCategory: "mask",
    });
  },
});
