/** `l2i`: decodes SD latents with the model's ONNX VAE decoder (whole or in tiles) into an RGB image and saves it. */
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
  type SubModelType,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { asOnnxPart, firstInput, firstOutputName, floatFeed, outputFloat32 } from "./onnx-parts.js";
import { runTiled, vaeTileSizes, type PlanarTensor } from "./tiled-vae.js";

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

/** How to run the VAE: in overlapping tiles or whole, and the tile size in pixels (0: the model's default). */
export interface VaeTiling {
  readonly tiled: boolean;
  readonly tileSize: number;
}

/**
 * The ONNX part of a VAE field for one direction: a main model's `vae` submodel (InvokeAI's name) is its
 * `vae_decoder/` or `vae_encoder/` folder in an ONNX pipeline.
 */
export async function vaePartIdentifier(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  direction: "vae_decoder" | "vae_encoder",
): Promise<SubModelType | null> {
  const config = await context.models.getConfig(vae);
  return config.format === "onnx" && (vae.submodel_type === "vae" || vae.submodel_type === null)
    ? direction
    : vae.submodel_type;
}

/**
 * Runs a main model's ONNX VAE decoder on latents [1, C, h, w]; returns the unclamped output [1, 3, 8h, 8w]. With
 * `tiling.tiled` and latents larger than one tile, decodes in blended tiles (tiled-vae.ts).
 */
export async function decodeLatents(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  latents: { readonly shape: readonly number[]; readonly data: Float32Array },
  tiling: VaeTiling = { tiled: false, tileSize: 0 },
): Promise<{ readonly dims: readonly number[]; readonly data: Float32Array }> {
  const loaded = await context.models.load(vae, await vaePartIdentifier(context, vae, "vae_decoder"));
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, `VAE decoder of model ${vae.name}`);
    const input = firstInput(part, ["latent_sample", "sample"]);
    const outputName = firstOutputName(part, ["sample"]);
    const scaling =
      typeof part.config?.scaling_factor === "number" ? part.config.scaling_factor : DEFAULT_SCALING_FACTOR;
    const scaled = latents.data.map((v) => v / scaling);
    const run = async (tile: PlanarTensor): Promise<PlanarTensor> => {
      const outputs = await part.session.run({ [input.name]: floatFeed(input, tile.dims, tile.data) });
      return outputFloat32(part, outputs, outputName);
    };
    const { sampleTile, latentTile } = vaeTileSizes(part.config, tiling.tileSize);
    const [, , h = 0, w = 0] = latents.shape;
    if (tiling.tiled && (h > latentTile || w > latentTile)) {
      return runTiled({ dims: latents.shape, data: scaled }, latentTile, sampleTile, 8, run, part.what);
    }
    return run({ dims: latents.shape, data: scaled });
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
    latents: InputField(LatentsField, { input: "connection", description: "Latents tensor" }),
    vae: InputField(VAEField, { input: "connection", description: "VAE" }),
    tiled: InputField(z.boolean(), {
      default: false,
      description: "Processing using overlapping tiles (reduce memory consumption)",
    }),
    tile_size: InputField(z.number().int().multipleOf(8), {
      default: 0,
      description:
        "The tile size for VAE tiling in pixels (image space). If set to 0, the default tile size for the model will be used. Larger tile sizes generally produce better results at the cost of higher memory usage.",
    }),
    fp32: InputField(z.boolean(), { default: false, description: "Whether or not to use full float32 precision" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const latents = toFloat32(await context.tensors.load(this.latents.latents_name));
    if (latents.shape.length !== 4 || latents.shape[0] !== 1) {
      failField(this, "latents", `must have shape [1, C, h, w], got [${latents.shape.join(", ")}]`, this.latents);
    }
    const tiled = this.tiled || context.config.get().force_tiled_decode === true;
    const decoded = await decodeLatents(context, this.vae.vae, latents, { tiled, tileSize: this.tile_size });
    const [, , height = 0, width = 0] = decoded.dims;
    const dto = await context.images.save(decodedToRgb(decoded.data, width, height));
    return ImageOutput.build(dto);
  },
});
