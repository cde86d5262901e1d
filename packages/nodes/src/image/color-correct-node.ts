/** InvokeAI's color_correct 2.0 (`invocations/image.py`): histogram matching of an image to a colour reference. */
import { defineInvocation, ImageField, ImageOutput, InputField, WithBoard, WithMetadata, z } from "@atelier/core";
import { colorCorrect } from "../image-ops/histogram-match.js";
import { forField, loadImage, saveImageOutput } from "./image-node-helpers.js";

/** `color_correct`: matches the base image's channel histograms to the reference (optionally only where the mask is dark). */
export const ColorCorrectInvocation = defineInvocation({
  type: "color_correct",
  title: "Color Correct",
  tags: ["image", "color"],
  category: "image",
  version: "2.0.0",
  description:
    "Matches the color histogram of a base image to a reference image, optionally\nusing a mask to only color-correct certain regions of the base image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    base_image: InputField(ImageField, { description: "The image to color-correct" }),
    color_reference: InputField(ImageField, { description: "Reference image for color-correction" }),
    mask: InputField(ImageField, { default: null, description: "Optional mask to limit color correction area" }),
    colorspace: InputField(z.enum(["RGB", "YCbCr", "YCbCr-Chroma", "YCbCr-Luma"]), {
      default: "RGB",
      title: "Color Space",
      description: "Colorspace in which to apply histogram matching",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const base = await loadImage(context, this, "base_image", this.base_image);
    const reference = await loadImage(context, this, "color_reference", this.color_reference);
    const mask = this.mask ? await loadImage(context, this, "mask", this.mask, "L") : null;
    return saveImageOutput(
      context,
      forField(this, "mask", () => colorCorrect(base, reference, mask, this.colorspace)),
    );
  },
});
