/**
 * InvokeAI's latent nodes that need no model: `noise`, `lresize`, `lscale`, `crop_latents`, `lblend`, `ideal_size`.
 */
import {
  defineInvocation,
  defineOutput,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  ImageField,
  InputField,
  LATENT_SCALE_FACTOR,
  LatentsField,
  LatentsOutput,
  OutputField,
  toFloat32,
  torchRandn,
  UNetField,
  z,
  type Tensor,
} from "@atelier/core";
import { failField, withFieldErrors } from "../logic/field-errors.js";
import { interpolate, INTERPOLATION_MODES } from "./interpolate.js";
import { slerp } from "./latent-blend.js";
import { NOISE_TYPES, noiseShape } from "./noise-shapes.js";

/** `noise_output`: `{noise, width, height}`. */
export const NoiseOutput = defineOutput({
  type: "noise_output",
  description: "Invocation noise output",
  fields: {
    noise: OutputField(LatentsField, { description: "Noise tensor" }),
    width: OutputField(z.number().int(), { description: "Width of output (px)" }),
    height: OutputField(z.number().int(), { description: "Height of output (px)" }),
  },
});

/** `ideal_size_output`: `{width, height}`. */
export const IdealSizeOutput = defineOutput({
  type: "ideal_size_output",
  description: "Base class for invocations that output an image",
  fields: {
    width: OutputField(z.number().int(), { description: "The ideal width of the image (in pixels)" }),
    height: OutputField(z.number().int(), { description: "The ideal height of the image (in pixels)" }),
  },
});

/**
 * `noise`: `torch.randn(shape)` from a CPU generator seeded with the seed, in the shape of the chosen architecture
 * (see noise-shapes.ts), bit-compatible with InvokeAI on CPU (float32).
 */
export const NoiseInvocation = defineInvocation({
  type: "noise",
  title: "Create Latent Noise",
  tags: ["latents", "noise"],
  category: "latents",
  version: "1.1.0",
  description: "Generates latent noise for supported denoiser architectures.",
  inputs: {
    noise_type: InputField(z.enum(NOISE_TYPES), { default: "SD", description: "Architecture-specific noise type." }),
    seed: InputField(z.number().int().gte(0).lte(4294967295), {
      default: 0,
      description: "Seed for random number generation",
    }),
    width: InputField(z.number().int().gt(0).multipleOf(8), { default: 512, description: "Width of output (px)" }),
    height: InputField(z.number().int().gt(0).multipleOf(8), { default: 512, description: "Height of output (px)" }),
    use_cpu: InputField(z.boolean(), {
      default: true,
      description: "Use CPU for noise generation (for reproducible results across platforms)",
    }),
  },
  output: NoiseOutput,
  async invoke(context) {
    const shape = withFieldErrors(this, this, () => noiseShape(this.noise_type, this.width, this.height));
    // InvokeAI draws on the GPU (in its half dtype) when use_cpu is off; here the CPU generator is the only one.
    if (!this.use_cpu) context.logger.info("noise: use_cpu=false still draws on the CPU (the only generator here)");
    const noise = torchRandn(shape, this.seed, "float32");
    const name = await context.tensors.save(noise);
    return {
      noise: { latents_name: name, seed: this.seed },
      width: shape[shape.length - 1] * LATENT_SCALE_FACTOR,
      height: shape[shape.length - 2] * LATENT_SCALE_FACTOR,
    };
  },
});

const modeField = () =>
  InputField(z.enum(INTERPOLATION_MODES), { default: "bilinear", description: "Interpolation mode" });
const antialiasField = () =>
  InputField(z.boolean(), {
    default: false,
    description: "Whether or not to apply antialiasing (bilinear or bicubic only)",
  });
const latentsInput = () => InputField(LatentsField, { input: "connection", description: "Latents tensor" });

/** `lresize`: interpolate latents to width/8 × height/8. */
export const ResizeLatentsInvocation = defineInvocation({
  type: "lresize",
  schemaName: "ResizeLatentsInvocation",
  title: "Resize Latents",
  tags: ["latents", "resize"],
  category: "latents",
  version: "1.0.2",
  description: "Resizes latents to explicit width/height (in pixels). Provided dimensions are floor-divided by 8.",
  inputs: {
    latents: latentsInput(),
    width: InputField(z.number().int().gte(64).multipleOf(8), { description: "Width of output (px)" }),
    height: InputField(z.number().int().gte(64).multipleOf(8), { description: "Width of output (px)" }),
    mode: modeField(),
    antialias: antialiasField(),
  },
  output: LatentsOutput,
  async invoke(context) {
    const latents = await context.tensors.load(this.latents.latents_name);
    const size: [number, number] = [
      Math.floor(this.height / LATENT_SCALE_FACTOR),
      Math.floor(this.width / LATENT_SCALE_FACTOR),
    ];
    const resized = withFieldErrors(this, this, () =>
      interpolate(latents, { size }, { mode: this.mode, antialias: this.antialias }),
    );
    const name = await context.tensors.save(resized);
    return LatentsOutput.build(name, resized, this.latents.seed);
  },
});

/** `lscale`: interpolate latents by a scale factor. */
export const ScaleLatentsInvocation = defineInvocation({
  type: "lscale",
  schemaName: "ScaleLatentsInvocation",
  title: "Scale Latents",
  tags: ["latents", "resize"],
  category: "latents",
  version: "1.0.2",
  description: "Scales latents by a given factor.",
  inputs: {
    latents: latentsInput(),
    scale_factor: InputField(z.number().gt(0), { description: "The factor by which to scale" }),
    mode: modeField(),
    antialias: antialiasField(),
  },
  output: LatentsOutput,
  async invoke(context) {
    const latents = await context.tensors.load(this.latents.latents_name);
    const scaled = withFieldErrors(this, this, () =>
      interpolate(latents, { scaleFactor: this.scale_factor }, { mode: this.mode, antialias: this.antialias }),
    );
    const name = await context.tensors.save(scaled);
    return LatentsOutput.build(name, scaled, this.latents.seed);
  },
});

const cropBox = (min: number, description: string) =>
  InputField(z.number().int().gte(min).multipleOf(8), { description });

/** Crops the last two dimensions of a tensor to [y0, y1) × [x0, x1) (bounds already clamped). */
function cropHW(t: Tensor, y0: number, y1: number, x0: number, x1: number): Tensor {
  const shape = [...t.shape];
  const h = shape[shape.length - 2];
  const w = shape[shape.length - 1];
  const outer = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const oh = y1 - y0;
  const ow = x1 - x0;
  const Ctor = t.data.constructor as new (n: number) => Tensor["data"];
  const out = new Ctor(outer * oh * ow);
  for (let o = 0; o < outer; o++) {
    for (let y = 0; y < oh; y++) {
      const src = (o * h + y0 + y) * w + x0;
      (out as Float32Array).set((t.data as Float32Array).subarray(src, src + ow), (o * oh + y) * ow);
    }
  }
  return { dtype: t.dtype, shape: [...shape.slice(0, -2), oh, ow], data: out } as Tensor;
}

/** `crop_latents`: crops latents to a pixel-space box (coordinates divided by 8). */
export const CropLatentsCoreInvocation = defineInvocation({
  type: "crop_latents",
  title: "Crop Latents",
  tags: ["latents", "crop"],
  category: "latents",
  version: "1.0.2",
  schemaName: "CropLatentsCoreInvocation",
  description:
    "Crops a latent-space tensor to a box specified in image-space. The box dimensions and coordinates must be\ndivisible by the latent scale factor of 8.",
  inputs: {
    latents: latentsInput(),
    x: cropBox(
      0,
      "The left x coordinate (in px) of the crop rectangle in image space. This value will be converted to a dimension in latent space.",
    ),
    y: cropBox(
      0,
      "The top y coordinate (in px) of the crop rectangle in image space. This value will be converted to a dimension in latent space.",
    ),
    width: cropBox(
      1,
      "The width (in px) of the crop rectangle in image space. This value will be converted to a dimension in latent space.",
    ),
    height: cropBox(
      1,
      "The height (in px) of the crop rectangle in image space. This value will be converted to a dimension in latent space.",
    ),
  },
  output: LatentsOutput,
  async invoke(context) {
    const latents = await context.tensors.load(this.latents.latents_name);
    if (latents.shape.length < 2) failField(this, "latents", "must have at least 2 dimensions", latents.shape);
    const h = latents.shape[latents.shape.length - 2];
    const w = latents.shape[latents.shape.length - 1];
    // Python slicing clamps the box to the tensor.
    const x0 = Math.min(Math.floor(this.x / LATENT_SCALE_FACTOR), w);
    const y0 = Math.min(Math.floor(this.y / LATENT_SCALE_FACTOR), h);
    const x1 = Math.min(x0 + Math.floor(this.width / LATENT_SCALE_FACTOR), w);
    const y1 = Math.min(y0 + Math.floor(this.height / LATENT_SCALE_FACTOR), h);
    if (x1 <= x0 || y1 <= y0) {
      failField(
        this,
        x1 <= x0 ? "x" : "y",
        `puts the crop box outside the ${w * 8}×${h * 8} px latents`,
        x1 <= x0 ? this.x : this.y,
      );
    }
    const cropped = cropHW(latents, y0, y1, x0, x1);
    const name = await context.tensors.save(cropped);
    return LatentsOutput.build(name, cropped);
  },
});

/** Casts a float32 result back to the dtype of the input it came from (InvokeAI keeps the latents' dtype). */
function withDtypeOf(like: Tensor, t: Tensor<"float32">): Tensor {
  if (like.dtype === "float16") return { dtype: "float16", shape: t.shape, data: float32ArrayToFloat16(t.data) };
  if (like.dtype === "bfloat16") return { dtype: "bfloat16", shape: t.shape, data: float32ArrayToBfloat16(t.data) };
  return t;
}

/** `lblend`: slerp from latents A to B by alpha; an optional mask limits where B counts. */
export const BlendLatentsInvocation = defineInvocation({
  type: "lblend",
  schemaName: "BlendLatentsInvocation",
  title: "Blend Latents",
  tags: ["latents", "blend", "mask"],
  category: "latents",
  version: "1.1.0",
  description:
    "Blend two latents using a given alpha. If a mask is provided, the second latents will be masked before blending.\nLatents must have same size. Masking functionality added by @dwringer.",
  inputs: {
    latents_a: latentsInput(),
    latents_b: latentsInput(),
    mask: InputField(ImageField, { default: null, description: "Mask for blending in latents B" }),
    alpha: InputField(z.number().gte(0), {
      default: 0.5,
      description:
        "Blending factor. 0.0 = use input A only, 1.0 = use input B only, 0.5 = 50% mix of input A and input B.",
    }),
  },
  output: LatentsOutput,
  async invoke(context) {
    const a = await context.tensors.load(this.latents_a.latents_name);
    const b = await context.tensors.load(this.latents_b.latents_name);
    if (a.shape.join("x") !== b.shape.join("x")) {
      failField(this, "latents_b", `must have the same shape as latents_a (${a.shape.join("×")})`, b.shape);
    }
    const va = toFloat32(a).data;
    let vb = toFloat32(b).data;
    if (this.mask) {
      // Where the mask is black, B is replaced by A before blending, so only the white area changes.
      const image = await context.images.getImage(this.mask.image_name, "L");
      const maskTensor: Tensor = {
        dtype: "float32",
        shape: [1, 1, image.height, image.width],
        data: Float32Array.from(image.data, (v) => v / 255),
      };
      const [, , h, w] = a.shape;
      const m = interpolate(maskTensor, { size: [h, w] }, { mode: "bilinear", antialias: true }).data as Float32Array;
      const plane = h * w;
      const masked = new Float32Array(vb.length);
      for (let i = 0; i < vb.length; i++) {
        const weight = m[i % plane];
        masked[i] = va[i] + (vb[i] - va[i]) * weight;
      }
      vb = masked;
    }
    const blended = withDtypeOf(a, { dtype: "float32", shape: [...a.shape], data: slerp(this.alpha, va, vb) });
    const name = await context.tensors.save(blended);
    return LatentsOutput.build(name, blended, this.latents_a.seed || this.latents_b.seed || null);
  },
});

/** `ideal_size`: the model's native area at the requested aspect ratio, trimmed to multiples of 8. */
export const IdealSizeInvocation = defineInvocation({
  type: "ideal_size",
  title: "Ideal Size - SD1.5, SDXL",
  tags: ["latents", "math", "ideal_size"],
  category: "latents",
  version: "1.0.6",
  description: "Calculates the ideal size for generation to avoid duplication",
  inputs: {
    width: InputField(z.number().int(), { default: 1024, description: "Final image width" }),
    height: InputField(z.number().int(), { default: 576, description: "Final image height" }),
    unet: InputField(UNetField, { description: "UNet (scheduler, LoRAs)" }),
    multiplier: InputField(z.number(), {
      default: 1,
      description:
        "Amount to multiply the model's dimensions by when calculating the ideal size (may result in initial generation artifacts if too large)",
    }),
  },
  output: IdealSizeOutput,
  async invoke(context) {
    if (this.height === 0) failField(this, "height", "must not be zero", this.height);
    const config = await context.models.getConfig(this.unet.unet.key);
    return idealSize(this.width, this.height, config.base, this.multiplier);
  },
});

/** InvokeAI's ideal-size rule: 512² (SD1), 768² (SD2), 1024² (SDXL) × multiplier, aspect kept, floored to 8. */
export function idealSize(
  width: number,
  height: number,
  base: string,
  multiplier: number,
): { width: number; height: number } {
  const aspect = width / height;
  let dimension = base === "sd-2" ? 768 : base === "sdxl" ? 1024 : 512;
  dimension *= multiplier;
  const minDimension = Math.floor(dimension * 0.5);
  const area = dimension * dimension;
  let w: number;
  let h: number;
  if (aspect > 1) {
    h = Math.max(minDimension, Math.sqrt(area / aspect));
    w = h * aspect;
  } else {
    w = Math.max(minDimension, Math.sqrt(area * aspect));
    h = w / aspect;
  }
  const trim = (v: number) => {
    const f = Math.floor(v);
    return f - (((f % 8) + 8) % 8);
  };
  return { width: trim(w), height: trim(h) };
}

/** Every model-free latent node. */
export const LATENT_NODES = [
  NoiseInvocation,
  ResizeLatentsInvocation,
  ScaleLatentsInvocation,
  CropLatentsCoreInvocation,
  BlendLatentsInvocation,
  IdealSizeInvocation,
] as const;
