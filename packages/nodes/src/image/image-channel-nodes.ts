/**
 * InvokeAI's per-channel and per-pixel image nodes (`invocations/image.py`): channel extraction, mode conversion,
 * multiplication, lerp / inverse lerp, hue rotation and channel offset / scale in several colour spaces.
 */
import {
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  WithBoard,
  WithMetadata,
  z,
  type ImageMode,
} from "@atelier/core";
import {
  adjustHue,
  COLOR_CHANNELS,
  multiplyChannel,
  offsetChannel,
  type ColorChannel,
} from "../image-ops/channel-adjust.js";
import { getChannelByName } from "../image-ops/channel-ops.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { inverseLerpImage, lerpImage, multiplyImages } from "../image-ops/point-ops.js";
import { forField, loadImage, requireField, saveImageOutput } from "./image-node-helpers.js";

const colorChannelSchema = z.enum(COLOR_CHANNELS as unknown as [ColorChannel, ...ColorChannel[]]);

/** `img_chan`: one band of the image as a grey image. */
export const ImageChannelInvocation = defineInvocation({
  type: "img_chan",
  schemaName: "ImageChannelInvocation",
  title: "Extract Image Channel",
  tags: ["image", "channel"],
  category: "image",
  version: "1.2.2",
  description: "Gets a channel from an image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to get the channel from" }),
    channel: InputField(z.enum(["A", "R", "G", "B"]), { default: "A", description: "The channel to get" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const out = forField(this, "channel", () => getChannelByName(image, this.channel));
    return saveImageOutput(context, out);
  },
});

/** Modes img_conv offers that a stored (PNG) image can hold, and how they are held. */
const STORABLE_MODES: Readonly<Record<string, ImageMode>> = { L: "L", RGB: "RGB", RGBA: "RGBA", I: "L" };

/** `img_conv`: `image.convert(mode)`. */
export const ImageConvertInvocation = defineInvocation({
  type: "img_conv",
  schemaName: "ImageConvertInvocation",
  title: "Convert Image Mode",
  tags: ["image", "convert"],
  category: "image",
  version: "1.2.2",
  description: "Converts an image to a different mode.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to convert" }),
    mode: InputField(z.enum(["L", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F"]), {
      default: "L",
      description: "The mode to convert to",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const target = STORABLE_MODES[this.mode];
    // InvokeAI stores images as PNG, which Pillow cannot write in these modes: the node fails there too.
    requireField(
      this,
      "mode",
      target !== undefined,
      `an image in mode ${this.mode} cannot be stored as PNG (use L, RGB, RGBA or I)`,
      {
        mode: this.mode,
      },
    );
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, convertMode(image, target!));
  },
});

/** `img_mul`: `ImageChops.multiply` of two images of the same band count (result: the smaller size). */
export const ImageMultiplyInvocation = defineInvocation({
  type: "img_mul",
  schemaName: "ImageMultiplyInvocation",
  title: "Multiply Images",
  tags: ["image", "multiply"],
  category: "image",
  version: "1.2.2",
  description: "Multiplies two images together using `PIL.ImageChops.multiply()`.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image1: InputField(ImageField, { description: "The first image to multiply" }),
    image2: InputField(ImageField, { description: "The second image to multiply" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const a = await loadImage(context, this, "image1", this.image1);
    const b = await loadImage(context, this, "image2", this.image2);
    return saveImageOutput(
      context,
      forField(this, "image2", () => multiplyImages(a, b)),
    );
  },
});

/** `img_lerp`: maps 0..255 linearly onto min..max, every channel. */
export const ImageLerpInvocation = defineInvocation({
  type: "img_lerp",
  schemaName: "ImageLerpInvocation",
  title: "Lerp Image",
  tags: ["image", "lerp"],
  category: "image",
  version: "1.2.2",
  description: "Linear interpolation of all pixels of an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to lerp" }),
    min: InputField(z.number().int().gte(0).lte(255), { default: 0, description: "The minimum output value" }),
    max: InputField(z.number().int().gte(0).lte(255), { default: 255, description: "The maximum output value" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, lerpImage(image, this.min, this.max));
  },
});

/** `img_ilerp`: maps min..max linearly onto 0..255 (clamped), every channel. */
export const ImageInverseLerpInvocation = defineInvocation({
  type: "img_ilerp",
  schemaName: "ImageInverseLerpInvocation",
  title: "Inverse Lerp Image",
  tags: ["image", "ilerp"],
  category: "image",
  version: "1.2.2",
  description: "Inverse linear interpolation of all pixels of an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to lerp" }),
    min: InputField(z.number().int().gte(0).lte(255), { default: 0, description: "The minimum input value" }),
    max: InputField(z.number().int().gte(0).lte(255), { default: 255, description: "The maximum input value" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, inverseLerpImage(image, this.min, this.max));
  },
});

/** `img_hue_adjust`: rotates the hue (Pillow's 8-bit HSV); the result is RGBA. */
export const ImageHueAdjustmentInvocation = defineInvocation({
  type: "img_hue_adjust",
  schemaName: "ImageHueAdjustmentInvocation",
  title: "Adjust Image Hue",
  tags: ["image", "hue"],
  category: "image",
  version: "1.2.2",
  description: "Adjusts the Hue of an image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to adjust" }),
    hue: InputField(z.number().int(), { default: 0, description: "The degrees by which to rotate the hue, 0-360" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(context, adjustHue(image, this.hue));
  },
});

const CHANNEL_TAGS = [
  "red",
  "green",
  "blue",
  "alpha",
  "cyan",
  "magenta",
  "yellow",
  "black",
  "hue",
  "saturation",
  "luminosity",
  "value",
];

/** `img_channel_offset`: adds a value to one channel of a colour space; the result is RGBA. */
export const ImageChannelOffsetInvocation = defineInvocation({
  type: "img_channel_offset",
  schemaName: "ImageChannelOffsetInvocation",
  title: "Offset Image Channel",
  tags: ["image", "offset", ...CHANNEL_TAGS],
  category: "image",
  version: "1.2.3",
  description: "Add or subtract a value from a specific color channel of an image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to adjust" }),
    channel: InputField(colorChannelSchema, { description: "Which channel to adjust" }),
    offset: InputField(z.number().int().gte(-255).lte(255), {
      default: 0,
      description: "The amount to adjust the channel by",
    }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return saveImageOutput(
      context,
      forField(this, "channel", () => offsetChannel(image, this.channel, this.offset)),
    );
  },
});

/** `img_channel_multiply`: scales (and optionally inverts) one channel of a colour space; the result is RGBA. */
export const ImageChannelMultiplyInvocation = defineInvocation({
  type: "img_channel_multiply",
  schemaName: "ImageChannelMultiplyInvocation",
  title: "Multiply Image Channel",
  tags: ["image", "invert", "scale", "multiply", ...CHANNEL_TAGS],
  category: "image",
  version: "1.2.3",
  description: "Scale a specific color channel of an image.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to adjust" }),
    channel: InputField(colorChannelSchema, { description: "Which channel to adjust" }),
    scale: InputField(z.number().gte(0.0), { default: 1.0, description: "The amount to scale the channel by." }),
    invert_channel: InputField(z.boolean(), { default: false, description: "Invert the channel after scaling" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    const out = forField(this, "channel", () => multiplyChannel(image, this.channel, this.scale, this.invert_channel));
    return saveImageOutput(context, out);
  },
});
