/**
 * `flux_vae_decode` and `flux_vae_encode`: FLUX latents ↔ images through the ONNX VAE parts, with FLUX's latent
 * scaling (`z = scaling · (x − shift)`, 0.3611 / 0.1159 unless the VAE config says otherwise) and, as InvokeAI's
 * FLUX VAE does, a posterior sample drawn with a generator seeded 0 when encoding.
 */
import {
  createTensor,
  defineInvocation,
  ImageField,
  ImageOutput,
  InputField,
  LatentsField,
  LatentsOutput,
  toFloat32,
  TorchCpuGenerator,
  VAEField,
  WithBoard,
  WithMetadata,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type RawImage,
  type SubModelType,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { asOnnxPart, firstInput, firstOutputName, floatFeed, outputFloat32, type OnnxPart } from "./onnx-parts.js";

/** FLUX.1's VAE latent scaling, for VAE configs that do not state one. */
export const FLUX_VAE_SCALING_FACTOR = 0.3611;
/** FLUX.1's VAE latent shift, for VAE configs that do not state one. */
export const FLUX_VAE_SHIFT_FACTOR = 0.1159;

/** A float32 tensor's shape and data. */
export interface Tensor32 {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The ONNX part of a VAE field: InvokeAI names the `vae` submodel; an ONNX pipeline keeps it as vae_decoder/_encoder. */
async function loadVaePart<T>(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  part: "vae_decoder" | "vae_encoder",
  fn: (onnx: OnnxPart) => Promise<T>,
): Promise<T> {
  const config = await context.models.getConfig(vae);
  const submodel: SubModelType | null =
    config.format === "onnx" && (vae.submodel_type === "vae" || vae.submodel_type === null) ? part : vae.submodel_type;
  const loaded = await context.models.load(vae, submodel);
  return loaded.use((model) => fn(asOnnxPart(model, `${part.replace("_", " ")} of model ${vae.name}`)));
}

function latentScaling(part: OnnxPart): { readonly scaling: number; readonly shift: number } {
  const scaling = part.config?.scaling_factor;
  const shift = part.config?.shift_factor;
  return {
    scaling: typeof scaling === "number" ? scaling : FLUX_VAE_SCALING_FACTOR,
    shift: typeof shift === "number" ? shift : FLUX_VAE_SHIFT_FACTOR,
  };
}

/** Runs the VAE decoder on FLUX latents `[1, 16, h, w]`; returns its unclamped output `[1, 3, 8h, 8w]`. */
export async function decodeFluxLatents(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  latents: Tensor32,
): Promise<{ readonly dims: readonly number[]; readonly data: Float32Array }> {
  return loadVaePart(context, vae, "vae_decoder", async (part) => {
    const { scaling, shift } = latentScaling(part);
    const f = Math.fround;
    const input = firstInput(part, ["latent_sample", "sample"]);
    const scaled = latents.data.map((v) => f(f(v / scaling) + shift));
    const outputs = await part.session.run({ [input.name]: floatFeed(input, latents.shape, scaled) });
    return outputFloat32(part, outputs, firstOutputName(part, ["sample"]));
  });
}

/**
 * Decoder output `[1, 3, H, W]` → 8-bit RGB as InvokeAI's FLUX decode does: clamp to [−1, 1], then
 * `(127.5 · (x + 1)).byte()`, which truncates.
 */
export function fluxDecodedToRgb(decoded: Float32Array, width: number, height: number): RawImage {
  const f = Math.fround;
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(1, Math.max(-1, decoded[c * plane + i] ?? 0));
      data[i * 3 + c] = Math.trunc(f(127.5 * f(v + 1)));
    }
  }
  return { width, height, mode: "RGB", data };
}

/** An RGB image as the VAE encoder's input `[1, 3, H, W]` in [−1, 1] (`to_tensor`, then `2x − 1`). */
export function rgbToEncoderInput(image: RawImage): Float32Array {
  const f = Math.fround;
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) out[c * plane + i] = f(f(f((image.data[i * 3 + c] ?? 0) / 255) * 2) - 1);
  }
  return out;
}

/**
 * Runs the VAE encoder on an image tensor `[1, 3, H, W]`; returns FLUX latents `[1, C, H/8, W/8]`: a posterior
 * sample `mean + exp(logvar/2)·ε` (ε from a CPU generator seeded 0), then `scaling · (z − shift)`.
 */
export async function encodeFluxImage(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  image: Tensor32,
): Promise<Tensor32> {
  return loadVaePart(context, vae, "vae_encoder", async (part) => {
    const { scaling, shift } = latentScaling(part);
    const f = Math.fround;
    const input = firstInput(part, ["sample"]);
    const outputs = await part.session.run({ [input.name]: floatFeed(input, image.shape, image.data) });
    const name = firstOutputName(part, ["latent_parameters", "latent_dist", "latent_sample"]);
    const out = outputFloat32(part, outputs, name);
    const [b = 1, channels = 0, h = 0, w = 0] = out.dims;
    let z: Float32Array;
    let c = channels;
    if (name === "latent_sample") {
      // Older exports sample inside the graph.
      z = out.data;
    } else {
      c = channels / 2;
      const n = b * c * h * w;
      const eps = new TorchCpuGenerator(0).randn([b, c, h, w]).data;
      z = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const std = f(Math.exp(f(0.5 * (out.data[n + i] as number))));
        z[i] = f((out.data[i] as number) + f(std * (eps[i] as number)));
      }
    }
    return { shape: [b, c, h, w], data: z.map((v) => f(scaling * f(v - shift))) };
  });
}

/** `flux_vae_decode`: FLUX latents → image through the VAE decoder, saved to the gallery. */
export const FluxVaeDecodeInvocation = defineInvocation({
  type: "flux_vae_decode",
  title: "Latents to Image - FLUX",
  tags: ["latents", "image", "vae", "l2i", "flux"],
  category: "latents",
  version: "1.0.2",
  bottleneck: "gpu",
  description: "Generates an image from latents.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    latents: InputField(LatentsField, { input: "connection", description: "Latents tensor" }),
    vae: InputField(VAEField, { input: "connection", description: "VAE" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const latents = toFloat32(await context.tensors.load(this.latents.latents_name));
    if (latents.shape.length !== 4 || latents.shape[0] !== 1)
      failField(this, "latents", `must have shape [1, C, h, w], got [${latents.shape.join(", ")}]`, this.latents);
    context.util.signalProgress("Running VAE");
    const decoded = await decodeFluxLatents(context, this.vae.vae, latents);
    const [, , height = 0, width = 0] = decoded.dims;
    const dto = await context.images.save(fluxDecodedToRgb(decoded.data, width, height));
    return ImageOutput.build(dto);
  },
});

/** `flux_vae_encode`: an image → FLUX latents through the VAE encoder. */
export const FluxVaeEncodeInvocation = defineInvocation({
  type: "flux_vae_encode",
  title: "Image to Latents - FLUX",
  tags: ["latents", "image", "vae", "i2l", "flux"],
  category: "latents",
  version: "1.0.1",
  bottleneck: "gpu",
  description: "Encodes an image into latents.",
  inputs: {
    image: InputField(ImageField, { description: "The image to encode." }),
    vae: InputField(VAEField, { input: "connection", description: "VAE" }),
  },
  output: LatentsOutput,
  async invoke(context) {
    const image = await context.images.getImage(this.image.image_name, "RGB");
    if (image.width % 8 !== 0 || image.height % 8 !== 0) {
      failField(
        this,
        "image",
        `is ${image.width}×${image.height}; the VAE needs sides that are multiples of 8`,
        this.image,
      );
    }
    context.util.signalProgress("Running VAE");
    const latents = await encodeFluxImage(context, this.vae.vae, {
      shape: [1, 3, image.height, image.width],
      data: rgbToEncoderInput(image),
    });
    const tensor = createTensor("float32", latents.shape, latents.data);
    const name = await context.tensors.save(tensor);
    return LatentsOutput.build(name, tensor, null);
  },
});
