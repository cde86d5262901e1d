/**
 * The composition nodes InvokeAI took from @dwringer's pack (`invocations/composition-nodes.py`) that Atelier
 * implements: Pillow's ImageEnhance, value thresholds, elliptic dilate/erode and the chroma-key compositor. Where InvokeAI goes through
 * LittleCMS for CIELAB (the `lightness_only` options), a formula-based conversion is used instead.
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
import { enhanceBrightness, enhanceColor, enhanceContrast, enhanceSharpness } from "../image-ops/enhance.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { invertImage } from "../image-ops/point-ops.js";
import { forField, loadImage, saveImageOutput } from "../image/image-node-helpers.js";
import { compositeSubject, morphologyEllipse, morphologyLightness, valueThresholds } from "./composition-ops.js";

/** `invokeai_img_enhance`: invert, then Pillow's ImageEnhance color, contrast, brightness and sharpness, in that order. */
export const InvokeImageEnhanceInvocation = defineInvocation({
  type: "invokeai_img_enhance",
  schemaName: "InvokeImageEnhanceInvocation",
  title: "Enhance Image",
  tags: ["enhance", "image"],
  category: "image",
  version: "1.2.1",
  description: "Applies processing from PIL's ImageEnhance module. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image for which to apply processing" }),
    invert: InputField(z.boolean(), { default: false, description: "Whether to invert the image colors" }),
    color: InputField(z.number().gte(0), { default: 1.0, description: "Color enhancement factor" }),
    contrast: InputField(z.number().gte(0), { default: 1.0, description: "Contrast enhancement factor" }),
    brightness: InputField(z.number().gte(0), { default: 1.0, description: "Brightness enhancement factor" }),
    sharpness: InputField(z.number().gte(0), { default: 1.0, description: "Sharpness enhancement factor" }),
  },
  output: ImageOutput,
  async invoke(context) {
    let image: RawImage = await loadImage(context, this, "image", this.image);
    if (this.invert)
      image = invertImage(image.mode === "L" || image.mode === "RGB" ? image : convertMode(image, "RGB"));
    if (this.color !== 1.0) image = enhanceColor(image, this.color);
    if (this.contrast !== 1.0) image = enhanceContrast(image, this.contrast);
    if (this.brightness !== 1.0) image = enhanceBrightness(image, this.brightness);
    if (this.sharpness !== 1.0) image = enhanceSharpness(image, this.sharpness);
    return saveImageOutput(context, image);
  },
});

/** `invokeai_img_val_thresholds`: values past the thresholds become black/white; the rest optionally rescaled. */
export const InvokeImageValueThresholdsInvocation = defineInvocation({
  type: "invokeai_img_val_thresholds",
  schemaName: "InvokeImageValueThresholdsInvocation",
  title: "Image Value Thresholds",
  tags: ["image", "mask", "value", "threshold"],
  category: "image",
  version: "1.2.0",
  description: "Clip image to pure black/white past specified thresholds. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image from which to create a mask" }),
    invert_output: InputField(z.boolean(), { default: false, description: "Make light areas dark and vice versa" }),
    renormalize_values: InputField(z.boolean(), {
      default: false,
      description: "Rescale remaining values from minimum to maximum",
    }),
    lightness_only: InputField(z.boolean(), {
      default: false,
      description: "If true, only applies to image lightness (CIELa*b*)",
    }),
    threshold_upper: InputField(z.number(), {
      default: 0.5,
      description: "Threshold above which will be set to full value",
    }),
    threshold_lower: InputField(z.number(), {
      default: 0.5,
      description: "Threshold below which will be set to minimum value",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const thresholds = {
      invertOutput: this.invert_output,
      renormalizeValues: this.renormalize_values,
      thresholdUpper: this.threshold_upper,
      thresholdLower: this.threshold_lower,
    };
    return saveImageOutput(
      context,
      forField(this, "lightness_only", () => valueThresholds(image, thresholds, this.lightness_only)),
    );
  },
});

/** `invokeai_img_dilate_erode`: OpenCV dilate/erode with an elliptic kernel of radius (radius_w, radius_h). */
export const InvokeImageDilateOrErodeInvocation = defineInvocation({
  type: "invokeai_img_dilate_erode",
  schemaName: "InvokeImageDilateOrErodeInvocation",
  title: "Image Dilate or Erode",
  tags: ["image", "mask", "dilate", "erode", "expand", "contract", "mask"],
  category: "image",
  version: "1.3.0",
  description: "Dilate (expand) or erode (contract) an image. Originally created by @dwringer",
  mixins: [WithMetadata],
  inputs: {
    image: InputField(ImageField, { description: "The image from which to create a mask" }),
    lightness_only: InputField(z.boolean(), {
      default: false,
      description: "If true, only applies to image lightness (CIELa*b*)",
    }),
    radius_w: InputField(z.number().int().gte(0), {
      default: 4,
      description: "Width (in pixels) by which to dilate(expand) or erode (contract) the image",
    }),
    radius_h: InputField(z.number().int().gte(0), {
      default: 4,
      description: "Height (in pixels) by which to dilate(expand) or erode (contract) the image",
    }),
    mode: InputField(z.enum(["Dilate", "Erode"]), { default: "Dilate", description: "How to operate on the image" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const op = this.mode === "Dilate" ? "dilate" : "erode";
    const out = this.lightness_only
      ? morphologyLightness(image, this.radius_w, this.radius_h, op)
      : morphologyEllipse(image, this.radius_w, this.radius_h, op);
    return saveImageOutput(context, out);
  },
});

/** `invokeai_img_composite`: removes the subject's plain backdrop and lays the subject over a background. */
export const InvokeImageCompositorInvocation = defineInvocation({
  type: "invokeai_img_composite",
  schemaName: "InvokeImageCompositorInvocation",
  title: "Image Compositor",
  tags: ["image", "compose", "chroma", "key"],
  category: "image",
  version: "1.2.0",
  description:
    "Removes backdrop from subject image then overlays subject on background image. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image_subject: InputField(ImageField, { description: "Image of the subject on a plain monochrome background" }),
    image_background: InputField(ImageField, { description: "Image of a background scene" }),
    chroma_key: InputField(z.string(), {
      default: "",
      description: "Can be empty for corner flood select, or CSS-3 color or tuple",
    }),
    threshold: InputField(z.number().int().gte(0), {
      default: 50,
      description: "Subject isolation flood-fill threshold",
    }),
    fill_x: InputField(z.boolean(), {
      default: false,
      description: "Scale base subject image to fit background width",
    }),
    fill_y: InputField(z.boolean(), {
      default: true,
      description: "Scale base subject image to fit background height",
    }),
    x_offset: InputField(z.number().int(), { default: 0, description: "x-offset for the subject" }),
    y_offset: InputField(z.number().int(), { default: 0, description: "y-offset for the subject" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const subject = await loadImage(context, this, "image_subject", this.image_subject);
    const background = await loadImage(context, this, "image_background", this.image_background);
    const options = {
      chromaKey: this.chroma_key,
      threshold: this.threshold,
      fillX: this.fill_x,
      fillY: this.fill_y,
      xOffset: this.x_offset,
      yOffset: this.y_offset,
    };
    const field = this.chroma_key.trim() ? "chroma_key" : "image_subject";
    return saveImageOutput(
      context,
      forField(this, field, () => compositeSubject(subject, background, options)),
    );
  },
});
