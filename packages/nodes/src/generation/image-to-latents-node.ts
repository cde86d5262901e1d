/**
 * `i2l`: an image encoded to SD latents through the model's ONNX VAE encoder.
 *
 * InvokeAI takes `vae.encode(x).latent_dist.sample()` with an unseeded generator (its source says "TODO: use seed"),
 * so its latents are not reproducible. The ONNX encoder gives the distribution's parameters (mean ‖ logvar); Atelier
 * takes the mean, which is deterministic and is what InvokeAI's sample is centred on (SD VAEs have a tiny variance).
 * Old exports whose encoder samples inside the graph (`latent_sample` output) are used as they come.
 */
import {
  createTensor,
  defineInvocation,
  ImageField,
  InputField,
  LatentsOutput,
  VAEField,
  z,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type RawImage,
  type Tensor,
} from "@atelier/core";
import { resizeImage } from "../image-ops/resample.js";
import { failField } from "../logic/field-errors.js";
import { GenerationModelError } from "./generation-errors.js";
import { vaePartIdentifier, type VaeTiling } from "./latents-to-image-node.js";
import { asOnnxPart, firstInput, floatFeed, outputFloat32 } from "./onnx-parts.js";
import { runTiled, vaeTileSizes, type PlanarTensor } from "./tiled-vae.js";

/** SD1.5's VAE scaling factor, for encoder configs that do not state one. */
const DEFAULT_SCALING_FACTOR = 0.18215;

/**
 * InvokeAI's `image_resized_to_grid_as_tensor`: an RGB image trimmed to a multiple of 8 per side (Lanczos resize
 * when it is not one already) as a planar [1, 3, H, W] tensor, in [−1, 1] when `normalize`, else in [0, 1].
 */
export function imageToGridTensor(image: RawImage, normalize: boolean): PlanarTensor {
  const width = image.width - (image.width % 8);
  const height = image.height - (image.height % 8);
  const sized = width === image.width && height === image.height ? image : resizeImage(image, width, height, "lanczos");
  const channels = sized.mode === "L" ? 1 : 3;
  const stride = sized.data.length / (width * height);
  const plane = width * height;
  const data = new Float32Array(channels * plane);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < plane; i++) {
      const v = Math.fround((sized.data[i * stride + c] as number) / 255);
      data[c * plane + i] = normalize ? Math.fround(v * 2 - 1) : v;
    }
  return { dims: [1, channels, height, width], data };
}

/**
 * Encodes an image tensor [1, 3, H, W] in [−1, 1] with a VAE field's ONNX encoder: the latent mean times the
 * scaling factor, [1, C, H/8, W/8]. With `tiling.tiled` and an image larger than one tile, encodes in blended tiles.
 */
export async function encodeImageToLatents(
  context: InvocationContext,
  vae: ModelIdentifierFieldValue,
  image: PlanarTensor,
  tiling: VaeTiling = { tiled: false, tileSize: 0 },
): Promise<Tensor<"float32">> {
  const loaded = await context.models.load(vae, await vaePartIdentifier(context, vae, "vae_encoder"));
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, `VAE encoder of model ${vae.name}`);
    const input = firstInput(part, ["sample"]);
    const sampled =
      part.session.outputNames.includes("latent_sample") && !part.session.outputNames.includes("latent_parameters");
    const outputName = sampled ? "latent_sample" : "latent_parameters";
    if (!part.session.outputNames.includes(outputName)) {
      throw new GenerationModelError(
        part.what,
        `has neither latent_parameters nor latent_sample outputs (outputs: ${part.session.outputNames.join(", ")})`,
      );
    }
    const run = async (tile: PlanarTensor): Promise<PlanarTensor> => {
      const outputs = await part.session.run({ [input.name]: floatFeed(input, tile.dims, tile.data) });
      return outputFloat32(part, outputs, outputName);
    };
    const { sampleTile, latentTile } = vaeTileSizes(part.config, tiling.tileSize);
    const [, , height = 0, width = 0] = image.dims;
    const out =
      tiling.tiled && (height > sampleTile || width > sampleTile)
        ? await runTiled(image, sampleTile, latentTile, 1 / 8, run, part.what)
        : await run(image);
    const [, outChannels = 0, h = 0, w = 0] = out.dims;
    // latent_parameters stacks mean then logvar; the mean is the first half of the channels.
    const channels = sampled ? outChannels : outChannels / 2;
    const scaling =
      typeof part.config?.scaling_factor === "number" ? part.config.scaling_factor : DEFAULT_SCALING_FACTOR;
    const data = new Float32Array(channels * h * w);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround((out.data[i] as number) * scaling);
    return createTensor("float32", [1, channels, h, w], data);
  });
}

/** `i2l`: image → SD latents through the VAE encoder (whole or in tiles). */
export const ImageToLatentsInvocation = defineInvocation({
  type: "i2l",
  schemaName: "ImageToLatentsInvocation",
  title: "Image to Latents - SD1.5, SDXL",
  tags: ["latents", "image", "vae", "i2l"],
  category: "latents",
  version: "1.2.0",
  bottleneck: "gpu",
  description: "Encodes an image into latents.",
  inputs: {
    image: InputField(ImageField, { description: "The image to encode" }),
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
    color_compensation: InputField(z.enum(["None", "SDXL"]), {
      default: "None",
      description: "Apply VAE scaling compensation when encoding images (reduces color drift).",
    }),
  },
  output: LatentsOutput,
  async invoke(context) {
    if (this.color_compensation !== "None") {
      failField(this, "color_compensation", "SDXL colour compensation is not supported yet", this.color_compensation);
    }
    const image = await context.images.getImage(this.image.image_name, "RGB");
    if (image.width < 8 || image.height < 8) {
      failField(this, "image", `must be at least 8x8 pixels, got ${image.width}x${image.height}`, this.image);
    }
    context.util.signalProgress("Running VAE encoder");
    const tiled = this.tiled || context.config.get().force_tiled_decode === true;
    const latents = await encodeImageToLatents(context, this.vae.vae, imageToGridTensor(image, true), {
      tiled,
      tileSize: this.tile_size,
    });
    const name = await context.tensors.save(latents);
    return LatentsOutput.build(name, latents, null);
  },
});
