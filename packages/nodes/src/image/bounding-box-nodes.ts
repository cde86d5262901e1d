/**
 * InvokeAI's bounding-box image nodes (`invocations/image.py`): crop to a box (or to the visible content) and paste
 * an image into a box.
 */
import {
  BoundingBoxField,
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  WithBoard,
  WithMetadata,
} from "@atelier/core";
import { contentBoundingBox } from "../image-ops/bounding-box.js";
import { cloneImage } from "../image-ops/image-buffers.js";
import { cropImage, pasteInto } from "../image-ops/crop-paste.js";
import { forField, loadImage, requireField, saveImageOutput } from "./image-node-helpers.js";

/** `crop_image_to_bounding_box`: `image.crop(box)`, or `image.crop(image.getbbox())` when no box is given. */
export const CropImageToBoundingBoxInvocation = defineInvocation({
  type: "crop_image_to_bounding_box",
  title: "Crop Image to Bounding Box",
  tags: ["image", "crop"],
  category: "image",
  version: "1.0.0",
  description:
    "Crop an image to the given bounding box. If the bounding box is omitted, the image is cropped to the non-transparent pixels.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to crop" }),
    bounding_box: InputField(BoundingBoxField, { default: null, description: "The bounding box to crop the image to" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const bb = this.bounding_box;
    const box = bb ? ([bb.x_min, bb.y_min, bb.x_max, bb.y_max] as const) : contentBoundingBox(image);
    // An empty crop cannot be stored as a PNG (InvokeAI fails when saving it): say so up front.
    requireField(
      this,
      "bounding_box",
      box === null || (box[2] !== box[0] && box[3] !== box[1]),
      `the box ${JSON.stringify(bb)} is empty`,
      {
        bounding_box: bb,
      },
    );
    // Pillow's crop(None) is a plain copy: a fully transparent image stays whole.
    const out = box === null ? cloneImage(image) : forField(this, "bounding_box", () => cropImage(image, ...box));
    return saveImageOutput(context, out);
  },
});

/** `paste_image_into_bounding_box`: pastes the source (through its own alpha) into the target at the box. */
export const PasteImageIntoBoundingBoxInvocation = defineInvocation({
  type: "paste_image_into_bounding_box",
  title: "Paste Image into Bounding Box",
  tags: ["image", "crop"],
  category: "image",
  version: "1.0.0",
  description:
    "Paste the source image into the target image at the given bounding box.\n\nThe source image must be the same size as the bounding box, and the bounding box must fit within the target image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    source_image: InputField(ImageField, { description: "The image to paste" }),
    target_image: InputField(ImageField, { description: "The image to paste into" }),
    bounding_box: InputField(BoundingBoxField, { description: "The bounding box to paste the image into" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const source = await loadImage(context, this, "source_image", this.source_image, "RGBA");
    const target = await loadImage(context, this, "target_image", this.target_image, "RGBA");
    const { x_min, y_min, x_max, y_max } = this.bounding_box;
    requireField(
      this,
      "bounding_box",
      x_max - x_min === source.width && y_max - y_min === source.height,
      `the box is ${x_max - x_min}x${y_max - y_min} but the source image is ${source.width}x${source.height}; they must match`,
      { bounding_box: this.bounding_box, source: [source.width, source.height] },
    );
    const out = cloneImage(target);
    pasteInto(out, source, x_min, y_min, source);
    return saveImageOutput(context, out);
  },
});
