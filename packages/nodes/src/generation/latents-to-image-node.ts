/** `l2i`: decodes SD latents with the model's ONNX VAE decoder into an RGB image and saves it. */
import {
  defineInvocation,
  ImageOutput,
  InputField,
  LatentsField,
  toFloat32,
  VAEField,
  WithBoard,
  WithMetadata,
  z,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type RawImage,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { asOnnxPart, firstInput, firstOutputName, floatFeed, outputFloat32 } from "./onnx-parts.js";

/** SD1.5's VAE scaling factor, for decoder configs that do not state one. */
const DEFAULT_SCALING_FACTOR = 0.18215;

// numpy's round: ties go to the even neighbour.
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Decoder output [1, 3, H, W] in [-1, 1] → 8-bit RGB, as InvokeAI does: clamp(x/2 + 0.5, 0, 1) · 255, rounded. */
export function decodedToRgb(decoded: Float32Array, width: number, height: number): RawImage {
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(1, Math.max(0, (decoded[c * plane + i] ?? 0) / 2 + 0.5));
      data[i * 3 + c] = roundHalfEven(Math.fround(v * 255));
    }
  }
  return { width, height, mode: "RGB", data };
}

/** Runs a main model's ONNX VAE decoder on latents [1, C, h, w]; returns the unclamped output [1, 3, 8h, 8w]. */
export async function decodeLatents(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  latents: { readonly shape: readonly number[]; readonly data: Float32Array },
): Promise<{ readonly dims: readonly number[]; readonly data: Float32Array }> {
  // main_model_loader names the `vae` submodel (InvokeAI's name); an ONNX pipeline keeps it as vae_decoder/.
  const config = await context.models.getConfig(vae);
  const submodel =
    config.format === "onnx" && (vae.submodel_type === "vae" || vae.submodel_type === null)
      ? "vae_decoder"
      : vae.submodel_type;
  const loaded = await context.models.load(vae, submodel);
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, `VAE decoder of model ${vae.name}`);
    const input = firstInput(part, ["latent_sample", "sample"]);
    const scaling =
      typeof part.config?.scaling_factor === "number" ? part.config.scaling_factor : DEFAULT_SCALING_FACTOR;
    const scaled = latents.data.map((v) => v / scaling);
    const outputs = await part.session.run({ [input.name]: floatFeed(input, latents.shape, scaled) });
    return outputFloat32(part, outputs, firstOutputName(part, ["sample"]));
  });
}

/** `l2i`: latents → image through the VAE decoder, saved to the gallery. */
export const LatentsToImageInvocation = defineInvocation({
  type: "l2i",
  schemaName: "LatentsToImageInvocation",
  title: "Latents to Image - SD1.5, SDXL",
  tags: ["latents", "image", "vae", "l2i"],
  category: "latents",
  version: "1.3.2",
  bottleneck: "gpu",
  description: "Generates an image from latents.",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    latents: InputField(LatentsField, { default: null, input: "connection", description: "Latents tensor" }),
    vae: InputField(VAEField, { default: null, input: "connection", description: "VAE" }),
    tiled: InputField(z.boolean(), {
      default: false,
      description: "Processing using overlapping tiles (reduce memory consumption)",
    }),
    tile_size: InputField(z.number().int(), {
      default: 0,
      description:
        "The tile size for VAE tiling in pixels (image space). If set to 0, the default tile size for the model will be used. Larger tile sizes generally produce better results at the cost of higher memory usage.",
    }),
    fp32: InputField(z.boolean(), { default: false, description: "Whether or not to use full float32 precision" }),
  },
  output: ImageOutput,
  async invoke(context) {
    if (this.latents === null) failField(this, "latents", "is required", null);
    if (this.vae === null) failField(this, "vae", "is required", null);
    if (this.tiled) failField(this, "tiled", "tiled VAE decoding is not supported yet", true);
    const latents = toFloat32(await context.tensors.load(this.latents.latents_name));
    if (latents.shape.length !== 4 || latents.shape[0] !== 1) {
      failField(this, "latents", `must have shape [1, C, h, w], got [${latents.shape.join(", ")}]`, this.latents);
    }
    const decoded = await decodeLatents(context, this.vae.vae, latents);
    const [, , height = 0, width = 0] = decoded.dims;
    const dto = await context.images.save(decodedToRgb(decoded.data, width, height));
    return ImageOutput.build(dto);
  },
});
