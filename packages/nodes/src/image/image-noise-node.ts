/** InvokeAI's img_noise (`invocations/image.py`): seeded Gaussian or salt-and-pepper noise, optionally masked. */
import { defineInvocation, ImageField, ImageOutput, InputField, WithBoard, WithMetadata, z } from "@atelier/core";
import { addImageNoise } from "../image-ops/image-noise.js";
import { forField, loadImage, saveImageOutput } from "./image-node-helpers.js";

/** `img_noise`: the same seed gives the same noise as InvokeAI (NumPy's RandomState on a SeedSequence). */
export const ImageNoiseInvocation = defineInvocation({
  type: "img_noise",
  schemaName: "ImageNoiseInvocation",
  title: "Add Image Noise",
  tags: ["image", "noise"],
  category: "image",
  version: "1.1.0",
  description: "Add noise to an image",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to add noise to" }),
    mask: InputField(ImageField, {
      default: null,
      description: "Optional mask determining where to apply noise (black=noise, white=no noise)",
    }),
    seed: InputField(z.number().int().gte(0).lte(4294967295), {
      default: 0,
      description: "Seed for random number generation",
    }),
    noise_type: InputField(z.enum(["gaussian", "salt_and_pepper"]), {
      default: "gaussian",
      description: "The type of noise to add",
    }),
    amount: InputField(z.number().gte(0).lte(1), { default: 0.1, description: "The amount of noise to add" }),
    noise_color: InputField(z.boolean(), { default: true, description: "Whether to add colored noise" }),
    size: InputField(z.number().int().gte(1), { default: 1, description: "The size of the noise points" }),
  },
  output: ImageOutput,
  async invoke(context) {
    const image = await loadImage(context, this, "image", this.image, "RGBA");
    const mask = this.mask ? await loadImage(context, this, "mask", this.mask, "L") : null;
    const out = forField(this, "size", () =>
      addImageNoise(image, mask, {
        seed: this.seed,
        noiseType: this.noise_type,
        amount: this.amount,
        noiseColor: this.noise_color,
        size: this.size,
      }),
    );
    return saveImageOutput(context, out);
  },
});
