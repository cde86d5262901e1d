/**
 * InvokeAI's filter nodes (`invocations/image.py`): Gaussian/box blur and unsharp mask, with Pillow's exact
 * box-blur arithmetic.
 */
import { defineInvocation, ImageField, ImageOutput, InputField, WithBoard, WithMetadata, z } from "@atelier/core";
import { boxBlur, gaussianBlur } from "../image-ops/box-blur.js";
import { unsharpMask } from "../image-ops/sharpen.js";
import { forField, loadImage, saveImageOutput } from "./image-node-helpers.js";

/** `img_blur`: `ImageFilter.GaussianBlur(radius)` or `ImageFilter.BoxBlur(radius)`. */
export const ImageBlurInvocation = defineInvocation({
  type: "img_blur",
  schemaName: "ImageBlurInvocation",
  title: "Blur Image",
  tags: ["image", "blur"],
  category: "image",
  version: "1.2.2",
  description: "Blurs an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to blur" }),
    radius: InputField(z.number().gte(0), { default: 8.0, description: "The blur radius" }),
    blur_type: InputField(z.enum(["gaussian", "box"]), { default: "gaussian", description: "The type of blur" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const out = forField(this, "radius", () =>
      this.blur_type === "gaussian" ? gaussianBlur(image, this.radius) : boxBlur(image, this.radius),
    );
    return saveImageOutput(context, out);
  },
});

/** `unsharp_mask`: sharpen by adding back the difference to a Gaussian blur. */
export const UnsharpMaskInvocation = defineInvocation({
  type: "unsharp_mask",
  title: "Unsharp Mask",
  tags: ["image", "unsharp_mask"],
  category: "image",
  version: "1.2.2",
  description: "Applies an unsharp mask filter to an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to use" }),
    radius: InputField(z.number().gt(0), { default: 2, description: "Unsharp mask radius" }),
    strength: InputField(z.number().gte(0), { default: 50, description: "Unsharp mask strength" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const out = forField(this, "radius", () => unsharpMask(image, this.radius, this.strength));
    return saveImageOutput(context, out);
  },
});
