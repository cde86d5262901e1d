/**
 * InvokeAI's geometry image nodes (`invocations/image.py`): blank canvas, crop, paste, resize and scale.
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
import { cropToCanvas, pasteOnCanvas, scaledSize } from "../image-ops/canvas-ops.js";
import { createImage } from "../image-ops/image-buffers.js";
import { RESAMPLE_MODES, resizeImage, type ResampleMode } from "../image-ops/resample.js";
import { forField, loadImage, requireField, saveImageOutput } from "./image-node-helpers.js";

const resampleModeSchema = z.enum(RESAMPLE_MODES as [ResampleMode, ...ResampleMode[]]);

/** `blank_image`: a canvas of one colour. */
export const BlankImageInvocation = defineInvocation({
  type: "blank_image",
  title: "Blank Image",
  tags: ["image"],
  category: "image",
  version: "1.2.2",
  description: "Creates a blank image and forwards it to the pipeline",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    width: InputField(z.number().int(), { default: 512, description: "The width of the image" }),
    height: InputField(z.number().int(), { default: 512, description: "The height of the image" }),
    mode: InputField(z.enum(["RGB", "RGBA"]), { default: "RGB", description: "The mode of the image" }),
    color: InputField(ColorField, { default: { r: 0, g: 0, b: 0, a: 255 }, description: "The color of the image" }),
  },
  output: ImageOutput,
  async invoke(context) {
    requireField(this, "width", this.width > 0, `must be > 0 to make an image, got ${this.width}`);
    requireField(this, "height", this.height > 0, `must be > 0 to make an image, got ${this.height}`);
    const { r, g, b, a } = this.color;
    const image = forField(this, "width", () => createImage(this.width, this.height, this.mode, [r, g, b, a]));
    return saveImageOutput(context, image);
  },
});

/** `img_crop`: a box of the image; parts of the box outside the image come out transparent. */
export const ImageCropInvocation = defineInvocation({
  type: "img_crop",
  schemaName: "ImageCropInvocation",
  title: "Crop Image",
  tags: ["image", "crop"],
  category: "image",
  version: "1.2.2",
  description: "Crops an image to a specified box. The box can be outside of the image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to crop" }),
    x: InputField(z.number().int(), { default: 0, description: "The left x coordinate of the crop rectangle" }),
    y: InputField(z.number().int(), { default: 0, description: "The top y coordinate of the crop rectangle" }),
    width: InputField(z.number().int().gt(0), { default: 512, description: "The width of the crop rectangle" }),
    height: InputField(z.number().int().gt(0), { default: 512, description: "The height of the crop rectangle" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const cropped = forField(this, "width", () => cropToCanvas(image, this.x, this.y, this.width, this.height));
    return saveImageOutput(context, cropped);
  },
});

/** `img_paste`: pastes an image into another, optionally through a mask, growing the canvas as needed. */
export const ImagePasteInvocation = defineInvocation({
  type: "img_paste",
  schemaName: "ImagePasteInvocation",
  title: "Paste Image",
  tags: ["image", "paste"],
  category: "image",
  version: "1.2.2",
  description: "Pastes an image into another image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    base_image: InputField(ImageField, { description: "The base image" }),
    image: InputField(ImageField, { description: "The image to paste" }),
    mask: InputField(ImageField, { default: null, description: "The mask to use when pasting" }),
    x: InputField(z.number().int(), { default: 0, description: "The left x coordinate at which to paste the image" }),
    y: InputField(z.number().int(), { default: 0, description: "The top y coordinate at which to paste the image" }),
    crop: InputField(z.boolean(), { default: false, description: "Crop to base image dimensions" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const base = await loadImage(context, this, "base_image", this.base_image);
    const image = await loadImage(context, this, "image", this.image);
    const mask = this.mask ? await loadImage(context, this, "mask", this.mask) : null;
    const out = forField(this, "mask", () => pasteOnCanvas(base, image, this.x, this.y, mask, this.crop));
    return saveImageOutput(context, out);
  },
});

/** `img_resize`: Pillow's `Image.resize` to an exact size. */
export const ImageResizeInvocation = defineInvocation({
  type: "img_resize",
  schemaName: "ImageResizeInvocation",
  title: "Resize Image",
  tags: ["image", "resize"],
  category: "image",
  version: "1.2.2",
  description: "Resizes an image to specific dimensions",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to resize" }),
    width: InputField(z.number().int().gt(0), { default: 512, description: "The width to resize to (px)" }),
    height: InputField(z.number().int().gt(0), { default: 512, description: "The height to resize to (px)" }),
    resample_mode: InputField(resampleModeSchema, { default: "bicubic", description: "The resampling mode" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const out = forField(this, "width", () => resizeImage(image, this.width, this.height, this.resample_mode));
    return saveImageOutput(context, out);
  },
});

/** `img_scale`: resize by a factor; each side becomes `int(side * factor)`. */
export const ImageScaleInvocation = defineInvocation({
  type: "img_scale",
  schemaName: "ImageScaleInvocation",
  title: "Scale Image",
  tags: ["image", "scale"],
  category: "image",
  version: "1.2.2",
  description: "Scales an image by a factor",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to scale" }),
    scale_factor: InputField(z.number().gt(0), { default: 2.0, description: "The factor by which to scale the image" }),
    resample_mode: InputField(resampleModeSchema, { default: "bicubic", description: "The resampling mode" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const { width, height } = scaledSize(image.width, image.height, this.scale_factor);
    requireField(
      this,
      "scale_factor",
      width > 0 && height > 0,
      `scaling ${image.width}x${image.height} by ${this.scale_factor} gives ${width}x${height}; both sides must be at least 1 px`,
      { width, height },
    );
    const out = forField(this, "scale_factor", () => resizeImage(image, width, height, this.resample_mode));
    return saveImageOutput(context, out);
  },
});
