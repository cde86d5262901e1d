/**
 * InvokeAI's mask-tensor nodes (`invocations/mask.py`): masks as boolean tensors [1, H, W] passed by name, and
 * the bounding box of a mask colour in an image.
 */
import {
  ColorField,
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  TensorField,
  WithBoard,
  WithMetadata,
  z,
} from "@atelier/core";
import { BoundingBoxOutput } from "../primitives/primitive-nodes.js";
import { forField, loadImage, loadTensor, requireField, saveImageOutput } from "../image/image-node-helpers.js";
import { MaskOutput } from "./mask-output.js";
import {
  alphaMaskToTensor,
  applyMaskTensorToImage,
  greyMaskToTensor,
  invertMask,
  maskColorBoundingBox,
  maskTensorToImage,
  rectangleMask,
  type MaskTensor,
} from "./tensor-masks.js";
import type { InvocationContext } from "@atelier/core";

async function maskOutput(context: InvocationContext, mask: MaskTensor) {
  const name = await context.tensors.save(mask);
  return { mask: { tensor_name: name }, width: mask.shape[2], height: mask.shape[1] };
}

/** `rectangle_mask`: a mask that is set inside one rectangle. */
export const RectangleMaskInvocation = defineInvocation({
  type: "rectangle_mask",
  title: "Create Rectangle Mask",
  tags: ["conditioning"],
  category: "mask",
  version: "1.0.1",
  description: "Create a rectangular mask.",
  mixins: [WithMetadata],
  inputs: {
    width: InputField(z.number().int(), { description: "The width of the entire mask." }),
    height: InputField(z.number().int(), { description: "The height of the entire mask." }),
    x_left: InputField(z.number().int(), {
      description: "The left x-coordinate of the rectangular masked region (inclusive).",
    }),
    y_top: InputField(z.number().int(), {
      description: "The top y-coordinate of the rectangular masked region (inclusive).",
    }),
    rectangle_width: InputField(z.number().int(), { description: "The width of the rectangular masked region." }),
    rectangle_height: InputField(z.number().int(), { description: "The height of the rectangular masked region." }),
  },
  output: MaskOutput,
  async invoke(context) {
    requireField(this, "width", this.width >= 0, `must be >= 0, got ${this.width}`);
    requireField(this, "height", this.height >= 0, `must be >= 0, got ${this.height}`);
    const mask = rectangleMask(
      this.width,
      this.height,
      this.x_left,
      this.y_top,
      this.rectangle_width,
      this.rectangle_height,
    );
    const name = await context.tensors.save(mask);
    return { mask: { tensor_name: name }, width: this.width, height: this.height };
  },
});

/** `alpha_mask_to_tensor`: opaque pixels of an RGBA image become True. */
export const AlphaMaskToTensorInvocation = defineInvocation({
  type: "alpha_mask_to_tensor",
  title: "Alpha Mask to Tensor",
  tags: ["conditioning"],
  category: "mask",
  version: "1.0.0",
  description: "Convert a mask image to a tensor. Opaque regions are 1 and transparent regions are 0.",
  inputs: {
    image: InputField(ImageField, { description: "The mask image to convert." }),
    invert: InputField(z.boolean(), { default: false, description: "Whether to invert the mask." }),
  },
  output: MaskOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image);
    return maskOutput(
      context,
      forField(this, "image", () => alphaMaskToTensor(image, this.invert)),
    );
  },
});

/** `invert_tensor_mask`: logical not of a boolean mask. */
export const InvertTensorMaskInvocation = defineInvocation({
  type: "invert_tensor_mask",
  title: "Invert Tensor Mask",
  tags: ["conditioning"],
  category: "mask",
  version: "1.1.0",
  description: "Inverts a tensor mask.",
  inputs: { mask: InputField(TensorField, { description: "The tensor mask to convert." }) },
  output: MaskOutput,
  async invoke(context) {
    const mask = await loadTensor(context, this, "mask", this.mask);
    return maskOutput(
      context,
      forField(this, "mask", () => invertMask(mask)),
    );
  },
});

/** `image_mask_to_tensor`: a grey mask image thresholded into a boolean mask. */
export const ImageMaskToTensorInvocation = defineInvocation({
  type: "image_mask_to_tensor",
  title: "Image Mask to Tensor",
  tags: ["conditioning"],
  category: "mask",
  version: "1.0.0",
  description:
    "Convert a mask image to a tensor. Converts the image to grayscale and uses thresholding at the specified value.",
  mixins: [WithMetadata],
  inputs: {
    image: InputField(ImageField, { description: "The mask image to convert." }),
    cutoff: InputField(z.number().int().gte(0).lte(255), { default: 128, description: "Cutoff (<)" }),
    invert: InputField(z.boolean(), { default: false, description: "Whether to invert the mask." }),
  },
  output: MaskOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "L");
    return maskOutput(context, greyMaskToTensor(image, this.cutoff, this.invert));
  },
});

/** `tensor_mask_to_image`: a mask tensor as a black/white L image. */
export const MaskTensorToImageInvocation = defineInvocation({
  type: "tensor_mask_to_image",
  schemaName: "MaskTensorToImageInvocation",
  title: "Tensor Mask to Image",
  tags: ["mask"],
  category: "mask",
  version: "1.1.0",
  description: "Convert a mask tensor to an image.",
  mixins: [WithMetadata, WithBoard],
  inputs: { mask: InputField(TensorField, { description: "The mask tensor to convert." }) },
  output: ImageOutput,
  async invoke(context) {
    const mask = await loadTensor(context, this, "mask", this.mask);
    return saveImageOutput(
      context,
      forField(this, "mask", () => maskTensorToImage(mask)),
    );
  },
});

/** `apply_tensor_mask_to_image`: the mask becomes the alpha of the (RGBA) image where it was not transparent. */
export const ApplyMaskTensorToImageInvocation = defineInvocation({
  type: "apply_tensor_mask_to_image",
  schemaName: "ApplyMaskTensorToImageInvocation",
  title: "Apply Tensor Mask to Image",
  tags: ["mask"],
  category: "mask",
  version: "1.0.0",
  description:
    "Applies a tensor mask to an image.\n\nThe image is converted to RGBA and the mask is applied to the alpha channel.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    mask: InputField(TensorField, { description: "The mask tensor to apply." }),
    image: InputField(ImageField, { description: "The image to apply the mask to." }),
    invert: InputField(z.boolean(), { default: false, description: "Whether to invert the mask." }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGBA");
    const mask = await loadTensor(context, this, "mask", this.mask);
    return saveImageOutput(
      context,
      forField(this, "mask", () => applyMaskTensorToImage(image, mask, this.invert)),
    );
  },
});

/** `get_image_mask_bounding_box`: the box around the pixels of one colour, with a margin. */
export const GetMaskBoundingBoxInvocation = defineInvocation({
  type: "get_image_mask_bounding_box",
  schemaName: "GetMaskBoundingBoxInvocation",
  title: "Get Image Mask Bounding Box",
  tags: ["mask"],
  category: "mask",
  version: "1.0.0",
  description: "Gets the bounding box of the given mask image.",
  inputs: {
    mask: InputField(ImageField, { description: "The mask to crop." }),
    margin: InputField(z.number().int(), { default: 0, description: "Margin to add to the bounding box." }),
    mask_color: InputField(ColorField, {
      default: { r: 255, g: 255, b: 255, a: 255 },
      description: "Color of the mask in the image.",
    }),
  },
  output: BoundingBoxOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "mask", this.mask, "RGBA");
    const { r, g, b, a } = this.mask_color;
    const box = maskColorBoundingBox(image, [r, g, b, a], this.margin);
    return { bounding_box: { ...box, score: null } };
  },
});
