/**
 * The composition nodes InvokeAI took from @dwringer's pack (`invocations/composition-nodes.py`) that Atelier
 * implements: Pillow's ImageEnhance, value thresholds, elliptic dilate/erode, the chroma-key compositor, layer
 * blending, hue rotation and equivalent achromatic lightness. Where InvokeAI goes through
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
import { adjustHuePlus, equivalentAchromaticLightnessImage, HUE_COLOR_SPACES } from "./hue-rotation.js";
import { BLEND_COLOR_SPACES, BLEND_MODES, blendLayers } from "./layer-blend.js";

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

/** `invokeai_img_blend`: blends the upper layer onto the base in a colour space, with opacity, mask and fitting. */
export const InvokeImageBlendInvocation = defineInvocation({
  type: "invokeai_img_blend",
  schemaName: "InvokeImageBlendInvocation",
  title: "Image Layer Blend",
  tags: ["image", "blend", "layer", "alpha", "composite", "dodge", "burn"],
  category: "image",
  version: "1.2.0",
  description:
    "Blend two images together, with optional opacity, mask, and blend modes. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    layer_upper: InputField(ImageField, { description: "The top image to blend", ui_order: 1 }),
    blend_mode: InputField(z.enum(BLEND_MODES), {
      default: "Normal",
      description: "Available blend modes",
      ui_order: 2,
    }),
    opacity: InputField(z.number().gte(0), {
      default: 1.0,
      description: "Desired opacity of the upper layer",
      ui_order: 3,
    }),
    mask: InputField(ImageField, {
      default: null,
      description: "Optional mask, used to restrict areas from blending",
      ui_order: 4,
    }),
    fit_to_width: InputField(z.boolean(), {
      default: false,
      description: "Scale upper layer to fit base width",
      ui_order: 5,
    }),
    fit_to_height: InputField(z.boolean(), {
      default: true,
      description: "Scale upper layer to fit base height",
      ui_order: 6,
    }),
    layer_base: InputField(ImageField, { description: "The bottom image to blend", ui_order: 7 }),
    color_space: InputField(z.enum(BLEND_COLOR_SPACES), {
      default: "RGB",
      description: "Available color spaces for blend computations",
      ui_order: 8,
    }),
    adaptive_gamut: InputField(z.number().gte(0), {
      default: 0.0,
      description: "Adaptive gamut clipping (0=off). Higher prioritizes chroma over lightness",
      ui_order: 9,
    }),
    high_precision: InputField(z.boolean(), {
      default: true,
      description: "Use more steps in computing gamut when possible",
      ui_order: 10,
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const upper = await loadImage(context, this, "layer_upper", this.layer_upper);
    const base = await loadImage(context, this, "layer_base", this.layer_base);
    const mask = this.mask ? await loadImage(context, this, "mask", this.mask) : null;
    const options = {
      blendMode: this.blend_mode,
      colorSpace: this.color_space,
      opacity: this.opacity,
      fitToWidth: this.fit_to_width,
      fitToHeight: this.fit_to_height,
      adaptiveGamut: this.adaptive_gamut,
      highPrecision: this.high_precision,
    };
    return saveImageOutput(
      context,
      forField(this, "layer_upper", () => blendLayers(upper, base, mask, options)),
    );
  },
});

/** `invokeai_img_hue_adjust_plus`: rotates hue in HSV, Okhsl, Okhsv, Oklch or CIE LCh. */
export const InvokeAdjustImageHuePlusInvocation = defineInvocation({
  type: "invokeai_img_hue_adjust_plus",
  schemaName: "InvokeAdjustImageHuePlusInvocation",
  title: "Adjust Image Hue Plus",
  tags: ["image", "hue", "oklab", "cielab", "uplab", "lch", "hsv", "hsl", "lab"],
  category: "image",
  version: "1.2.0",
  description:
    "Adjusts the Hue of an image by rotating it in the selected color space. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to adjust" }),
    space: InputField(z.enum(HUE_COLOR_SPACES), {
      default: "HSV / HSL / RGB",
      description: "Color space in which to rotate hue by polar coords (*: non-invertible)",
    }),
    degrees: InputField(z.number(), { default: 0.0, description: "Degrees by which to rotate image hue" }),
    preserve_lightness: InputField(z.boolean(), {
      default: false,
      description: "Whether to preserve CIELAB lightness values",
    }),
    ok_adaptive_gamut: InputField(z.number().gte(0), {
      default: 0.05,
      description: "Higher preserves chroma at the expense of lightness (Oklab)",
    }),
    ok_high_precision: InputField(z.boolean(), {
      default: true,
      description: "Use more steps in computing gamut (Oklab/Okhsv/Okhsl)",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const rotation = {
      space: this.space,
      degrees: this.degrees,
      preserveLightness: this.preserve_lightness,
      okAdaptiveGamut: this.ok_adaptive_gamut,
      okHighPrecision: this.ok_high_precision,
    };
    return saveImageOutput(
      context,
      forField(this, "space", () => adjustHuePlus(image, rotation)),
    );
  },
});

/** `invokeai_ealightness`: the equivalent achromatic lightness of an image, as an L image. */
export const InvokeEquivalentAchromaticLightnessInvocation = defineInvocation({
  type: "invokeai_ealightness",
  schemaName: "InvokeEquivalentAchromaticLightnessInvocation",
  title: "Equivalent Achromatic Lightness",
  tags: ["image", "channel", "mask", "cielab", "lab"],
  category: "image",
  version: "1.2.0",
  description: "Calculate Equivalent Achromatic Lightness from image. Originally created by @dwringer",
  mixins: [WithMetadata, WithBoard],
  inputs: { image: InputField(ImageField, { description: "Image from which to get channel" }) },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, equivalentAchromaticLightnessImage(image));
  },
});
