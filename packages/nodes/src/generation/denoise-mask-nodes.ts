/**
 * Inpainting masks for `denoise_latents`: `create_denoise_mask` and `create_gradient_mask`, as InvokeAI makes them.
 * A denoise mask tensor is [1, 1, H, W] at image resolution with 0 = fully denoise and 1 = preserve (white areas of
 * the mask image are kept); denoise_latents scales it to the latents. The masked latents are the image with the
 * regions to repaint blacked out, encoded by the VAE (inpainting UNets take them as extra input channels).
 */
import {
  createTensor,
  defineInvocation,
  defineOutput,
  DenoiseMaskField,
  ImageField,
  InputField,
  OutputField,
  UNetField,
  VAEField,
  z,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type RawImage,
} from "@atelier/core";
import { boxBlur, gaussianBlur } from "../image-ops/box-blur.js";
import { interpolate } from "../latents/interpolate.js";
import { encodeImageToLatents, imageToGridTensor } from "./image-to-latents-node.js";
import type { PlanarTensor } from "./tiled-vae.js";

/** `denoise_mask_output`: `{denoise_mask}`. */
export const DenoiseMaskOutput = defineOutput({
  type: "denoise_mask_output",
  description: "Base class for nodes that output a single image",
  fields: { denoise_mask: OutputField(DenoiseMaskField, { description: "Mask for denoise model run" }) },
});

/** `gradient_mask_output`: `{denoise_mask, expanded_mask_area}`. */
export const GradientMaskOutput = defineOutput({
  type: "gradient_mask_output",
  description: "Outputs a denoise mask and an image representing the total gradient of the mask.",
  fields: {
    denoise_mask: OutputField(DenoiseMaskField, {
      description:
        "Mask for denoise model run. Values of 0.0 represent the regions to be fully denoised, and 1.0 represent the regions to be preserved.",
    }),
    expanded_mask_area: OutputField(ImageField, {
      description: "Image representing the total gradient area of the mask. For paste-back purposes.",
    }),
  },
});

/**
 * The image with the regions to repaint (mask < 0.5, after scaling the mask to the image bilinearly) set to 0,
 * encoded with the VAE: InvokeAI's masked latents.
 */
export async function maskedImageLatents(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  image: RawImage,
  mask: PlanarTensor,
  tiled: boolean,
): Promise<string> {
  const grid = imageToGridTensor(image, true);
  const [, , height = 0, width = 0] = grid.dims;
  const [, , mh = 0, mw = 0] = mask.dims;
  const scaled =
    mh === height && mw === width
      ? mask.data
      : (interpolate(createTensor("float32", mask.dims, mask.data), { size: [height, width] }, { mode: "bilinear" })
          .data as Float32Array);
  const plane = width * height;
  const masked = grid.data.map((v, i) => ((scaled[i % plane] as number) < 0.5 ? 0 : v));
  const latents = await encodeImageToLatents(context, vae, { dims: grid.dims, data: masked }, { tiled, tileSize: 0 });
  return context.tensors.save(latents);
}

/** `create_denoise_mask`: a mask image (and optionally the image) → DenoiseMaskField. */
export const CreateDenoiseMaskInvocation = defineInvocation({
  type: "create_denoise_mask",
  title: "Create Denoise Mask",
  tags: ["mask", "denoise"],
  category: "mask",
  version: "1.0.2",
  bottleneck: "gpu",
  description: "Creates mask for denoising model run.",
  inputs: {
    vae: InputField(VAEField, { input: "connection", description: "VAE", ui_order: 0 }),
    image: InputField(ImageField.nullable(), {
      default: null,
      description: "Image which will be masked",
      ui_order: 1,
    }),
    mask: InputField(ImageField, { description: "The mask to use when pasting", ui_order: 2 }),
    tiled: InputField(z.boolean(), {
      default: false,
      description: "Processing using overlapping tiles (reduce memory consumption)",
      ui_order: 3,
    }),
    fp32: InputField(z.boolean(), {
      default: false,
      description: "Whether or not to use full float32 precision",
      ui_order: 4,
    }),
  },
  output: DenoiseMaskOutput,
  async invoke(context) {
    const mask = imageToGridTensor(await context.images.getImage(this.mask.image_name, "L"), false);
    let maskedLatentsName: string | null = null;
    if (this.image !== null) {
      context.util.signalProgress("Running VAE encoder");
      const image = await context.images.getImage(this.image.image_name, "RGB");
      maskedLatentsName = await maskedImageLatents(context, this.vae.vae, image, mask, this.tiled);
    }
    const maskName = await context.tensors.save(createTensor("float32", mask.dims, mask.data));
    return { denoise_mask: { mask_name: maskName, masked_latents_name: maskedLatentsName, gradient: false } };
  },
});

// torch.round: halves go to the even neighbour.
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * InvokeAI's gradient mask from a mask image: blurred by `edgeRadius` (Pillow's box blur, or Gaussian blur of
 * radius/2), rescaled so the original edge is 0 and only the fully kept area stays 1, and the partly kept band set
 * to `1 − minimumDenoise` (Staged: all of it; otherwise where it is above that level).
 */
export function gradientMaskTensor(
  mask: RawImage,
  edgeRadius: number,
  mode: "Gaussian Blur" | "Box Blur" | "Staged",
  minimumDenoise: number,
): PlanarTensor {
  if (edgeRadius <= 0) return imageToGridTensor(mask, false);
  const blurred = mode === "Box Blur" ? boxBlur(mask, edgeRadius) : gaussianBlur(mask, edgeRadius / 2);
  const grid = imageToGridTensor(blurred, false);
  const threshold = Math.fround(1 - minimumDenoise);
  const data = grid.data.map((v) => {
    const x = Math.max(0, Math.fround(Math.fround(v - 0.5) * 2));
    const partial = mode === "Staged" ? x < 1 && x > 0 : x > threshold && x < 1;
    return partial ? threshold : x;
  });
  return { dims: grid.dims, data };
}

/**
 * The area a gradient mask denoises at all, as InvokeAI's paste-back image: 0 where the mask is below 1, taken to
 * latent resolution (bilinear ÷8, rounded, kept only where it stays 1) and back up ×8 by repetition; 0 or 255.
 */
export function expandedMaskArea(mask: PlanarTensor): RawImage {
  const [, , height = 0, width = 0] = mask.dims;
  const lh = Math.floor(height / 8);
  const lw = Math.floor(width / 8);
  const binary = createTensor(
    "float32",
    [1, 1, height, width],
    mask.data.map((v) => (v < 1 ? 0 : 1)),
  );
  const small = interpolate(binary, { size: [lh, lw] }, { mode: "bilinear" }).data as Float32Array;
  const outH = lh * 8;
  const outW = lw * 8;
  const data = new Uint8Array(outH * outW);
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++) {
      const v = roundHalfEven(small[Math.floor(y / 8) * lw + Math.floor(x / 8)] as number);
      data[y * outW + x] = v < 1 ? 0 : 255;
    }
  return { width: outW, height: outH, mode: "L", data };
}

/** `create_gradient_mask`: a mask with a soft coherence band, for gradient inpainting. */
export const CreateGradientMaskInvocation = defineInvocation({
  type: "create_gradient_mask",
  title: "Create Gradient Mask",
  tags: ["mask", "denoise"],
  category: "mask",
  version: "1.3.0",
  bottleneck: "gpu",
  description: "Creates mask for denoising.",
  inputs: {
    mask: InputField(ImageField, { description: "Image which will be masked", ui_order: 1 }),
    edge_radius: InputField(z.number().int().gte(0), {
      default: 16,
      description: "How far to expand the edges of the mask",
      ui_order: 2,
    }),
    coherence_mode: InputField(z.enum(["Gaussian Blur", "Box Blur", "Staged"]), {
      default: "Gaussian Blur",
      ui_order: 3,
    }),
    minimum_denoise: InputField(z.number().gte(0).lte(1), {
      default: 0,
      description: "Minimum denoise level for the coherence region",
      ui_order: 4,
    }),
    image: InputField(ImageField.nullable(), {
      default: null,
      title: "[OPTIONAL] Image",
      description:
        "OPTIONAL: Only connect for specialized Inpainting models, masked_latents will be generated from the image with the VAE",
      ui_order: 6,
    }),
    unet: InputField(UNetField.nullable(), {
      default: null,
      input: "connection",
      title: "[OPTIONAL] UNet",
      description:
        "OPTIONAL: If the Unet is a specialized Inpainting model, masked_latents will be generated from the image with the VAE",
      ui_order: 5,
    }),
    vae: InputField(VAEField.nullable(), {
      default: null,
      input: "connection",
      title: "[OPTIONAL] VAE",
      description:
        "OPTIONAL: Only connect for specialized Inpainting models, masked_latents will be generated from the image with the VAE",
      ui_order: 7,
    }),
    tiled: InputField(z.boolean(), {
      default: false,
      description: "Processing using overlapping tiles (reduce memory consumption)",
      ui_order: 8,
    }),
    fp32: InputField(z.boolean(), {
      default: false,
      description: "Whether or not to use full float32 precision",
      ui_order: 9,
    }),
  },
  output: GradientMaskOutput,
  async invoke(context) {
    const maskImage = await context.images.getImage(this.mask.image_name, "L");
    const mask = gradientMaskTensor(maskImage, this.edge_radius, this.coherence_mode, this.minimum_denoise);
    const maskName = await context.tensors.save(createTensor("float32", mask.dims, mask.data));
    const expanded = await context.images.save(expandedMaskArea(mask));

    let maskedLatentsName: string | null = null;
    // As InvokeAI: masked latents only for an inpainting UNet, and only when unet, vae and image are all given.
    if (this.unet !== null && this.vae !== null && this.image !== null) {
      const config = await context.models.getConfig(this.unet.unet);
      if ((config as { variant?: unknown }).variant === "inpaint") {
        context.util.signalProgress("Running VAE encoder");
        const image = await context.images.getImage(this.image.image_name, "RGB");
        maskedLatentsName = await maskedImageLatents(context, this.vae.vae, image, mask, this.tiled);
      }
    }
    return {
      denoise_mask: { mask_name: maskName, masked_latents_name: maskedLatentsName, gradient: true },
      expanded_mask_area: { image_name: expanded.image_name },
    };
  },
});
