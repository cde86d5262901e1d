/**
 * InvokeAI's image pass-through nodes (`invocations/image.py`): show (headless: logs and passes the image on) and
 * save (stores a copy, with the node's metadata and board).
 */
import { defineInvocation, ImageField, ImageOutput, InputField, WithBoard, WithMetadata } from "@atelier/core";
import { loadImage, saveImageOutput } from "./image-node-helpers.js";

/** `show_image`: InvokeAI opens an OS viewer; a server has none, so this logs the image and passes it forward. */
export const ShowImageInvocation = defineInvocation({
  type: "show_image",
  title: "Show Image",
  tags: ["image"],
  category: "image",
  version: "1.0.1",
  description: "Displays a provided image using the OS image viewer, and passes it forward in the pipeline.",
  inputs: { image: InputField(ImageField, { description: "The image to show" }) },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    context.logger.info(`show_image: ${this.image.image_name} (${image.width}x${image.height} ${image.mode})`);
    return { image: { image_name: this.image.image_name }, width: image.width, height: image.height };
  },
});

/** `save_image`: stores a copy of the image (never cached: each run makes a new image). */
export const SaveImageInvocation = defineInvocation({
  type: "save_image",
  title: "Save Image",
  tags: ["primitives", "image"],
  category: "image",
  version: "1.2.2",
  useCache: false,
  description: "Saves an image. Unlike an image primitive, this invocation stores a copy of the image.",
  mixins: [WithMetadata, WithBoard],
  inputs: { image: InputField(ImageField, { description: "The image to process" }) },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, image);
  },
});
