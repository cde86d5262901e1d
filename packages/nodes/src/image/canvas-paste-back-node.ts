/** InvokeAI's canvas_paste_back (`invocations/image.py`): merges a generated region back into the canvas image. */
import { defineInvocation, ImageField, ImageOutput, InputField, WithBoard, WithMetadata, z } from "@atelier/core";
import { canvasPasteBack } from "../image-ops/canvas-ops.js";
import { forField, loadImage, saveImageOutput } from "./image-node-helpers.js";

/** `canvas_paste_back`: the target pasted over the source through the (softened, inverted) mask. */
export const CanvasPasteBackInvocation = defineInvocation({
  type: "canvas_paste_back",
  title: "Canvas Paste Back",
  tags: ["image", "combine"],
  category: "canvas",
  version: "1.0.1",
  description: "Combines two images by using the mask provided. Intended for use on the Unified Canvas.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    source_image: InputField(ImageField, { description: "The source image" }),
    target_image: InputField(ImageField, { description: "The target image" }),
    mask: InputField(ImageField, { description: "The mask to use when pasting" }),
    mask_blur: InputField(z.number().int().gte(0), { default: 0, description: "The amount to blur the mask by" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const source = await loadImage(context, this, "source_image", this.source_image);
    const target = await loadImage(context, this, "target_image", this.target_image);
    const mask = await loadImage(context, this, "mask", this.mask);
    return saveImageOutput(
      context,
      forField(this, "mask", () => canvasPasteBack(source, target, mask, this.mask_blur)),
    );
  },
});
